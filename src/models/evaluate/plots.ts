/**
 * Evaluation plots as hand-written SVG: small, dependency-free, readable in a browser and in
 * MLflow's artifact viewer. Each chart has a title, axes with ticks and axis labels.
 */

const W = 480;
const H = 360;
const M = { top: 36, right: 20, bottom: 52, left: 64 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** Escape text for SVG/XML. */
export function xmlEscape(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;');
}

/** Round to at most 6 significant digits for compact coordinates and labels. */
function fmt(v: number): string {
  if (!Number.isFinite(v)) return '0';
  const r = Number(v.toPrecision(6));
  return Object.is(r, -0) ? '0' : String(r);
}

/** "Nice" tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k), about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function frame(title: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${xmlEscape(title)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

interface Scale {
  (v: number): number;
  ticks: number[];
}

/** A linear scale; with `nice`, the domain widens to the ticks around it so the ends are labelled. */
function linear(lo: number, hi: number, from: number, to: number, nice = false): Scale {
  let ticks = niceTicks(lo, hi);
  if (nice && ticks.length >= 2) {
    const step = ticks[1]! - ticks[0]!;
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
    ticks = niceTicks(lo, hi);
  }
  const span = hi - lo || 1;
  const f = ((v: number) => from + ((v - lo) / span) * (to - from)) as Scale;
  f.ticks = ticks;
  return f;
}

function axes(x: Scale, y: Scale, xLabel: string, yLabel: string): string {
  const parts: string[] = [];
  const x0 = M.left;
  const y0 = M.top + PH;
  for (const t of y.ticks) {
    const py = fmt(y(t));
    parts.push(`<line x1="${x0}" y1="${py}" x2="${x0 + PW}" y2="${py}" stroke="#e5e5e5"/>`);
    parts.push(`<line x1="${x0 - 4}" y1="${py}" x2="${x0}" y2="${py}" stroke="#333"/>`);
    parts.push(`<text x="${x0 - 7}" y="${py}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  for (const t of x.ticks) {
    const px = fmt(x(t));
    parts.push(`<line x1="${px}" y1="${y0}" x2="${px}" y2="${y0 + 4}" stroke="#333"/>`);
    parts.push(`<text x="${px}" y="${y0 + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<line x1="${x0}" y1="${y0}" x2="${x0 + PW}" y2="${y0}" stroke="#333"/>`);
  parts.push(`<line x1="${x0}" y1="${M.top}" x2="${x0}" y2="${y0}" stroke="#333"/>`);
  parts.push(`<text x="${x0 + PW / 2}" y="${H - 12}" text-anchor="middle" font-size="12">${xmlEscape(xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${xmlEscape(yLabel)}</text>`);
  return parts.join('\n');
}

/** At most `max` indices spread evenly over 0..n-1, first and last included. */
function sampleIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, k) => Math.round((k * (n - 1)) / (max - 1)));
}

export interface Series {
  /** Legend text. */
  name: string;
  /** X coordinates, in data units. */
  x: ArrayLike<number>;
  /** Y coordinates, one per x. */
  y: ArrayLike<number>;
}

export interface LineChartOptions {
  /** Chart title, at the top. */
  title: string;
  /** X axis label. */
  xLabel: string;
  /** Y axis label. */
  yLabel: string;
  /** The lines, one colour each. */
  series: Series[];
  /** Axis domains; default the data's extent. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Draw the dashed y = x diagonal (ROC's chance line). */
  diagonal?: boolean;
  /** Where the legend goes, away from where the curves usually run. Default top-right. */
  legend?: 'top-right' | 'bottom-right' | 'bottom-left';
}

function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? [0, 1] : lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

function legend(names: string[], where: NonNullable<LineChartOptions['legend']>): string {
  const bottom = where !== 'top-right';
  return names
    .map((n, i) => {
      const y = bottom ? M.top + PH - 12 - (names.length - 1 - i) * 16 : M.top + 12 + i * 16;
      const x = where === 'bottom-left' ? M.left + 12 : M.left + PW - 170;
      return `<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/><text x="${x + 24}" y="${y}" dominant-baseline="middle">${xmlEscape(n)}</text>`;
    })
    .join('\n');
}

/** Lines through points (curves are thinned to ≤ 1000 points). */
export function lineChart(o: LineChartOptions): string {
  const x = linear(...(o.xDomain ?? extent(o.series.flatMap((s) => Array.from(s.x)))), M.left, M.left + PW, o.xDomain === undefined);
  const y = linear(...(o.yDomain ?? extent(o.series.flatMap((s) => Array.from(s.y)))), M.top + PH, M.top, o.yDomain === undefined);
  const parts = [axes(x, y, o.xLabel, o.yLabel)];
  if (o.diagonal === true) {
    parts.push(`<line x1="${fmt(x(0))}" y1="${fmt(y(0))}" x2="${fmt(x(1))}" y2="${fmt(y(1))}" stroke="#999" stroke-dasharray="4 4"/>`);
  }
  o.series.forEach((s, k) => {
    const pts = sampleIndices(s.x.length, 1000)
      .filter((i) => Number.isFinite(s.x[i]!) && Number.isFinite(s.y[i]!))
      .map((i) => `${fmt(x(s.x[i]!))},${fmt(y(s.y[i]!))}`);
    parts.push(`<polyline fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="2" points="${pts.join(' ')}"/>`);
  });
  parts.push(legend(o.series.map((s) => s.name), o.legend ?? 'top-right'));
  return frame(o.title, parts.join('\n'));
}

export interface ScatterOptions {
  /** Chart title, at the top. */
  title: string;
  /** X axis label. */
  xLabel: string;
  /** Y axis label. */
  yLabel: string;
  /** X coordinates of the points. */
  x: ArrayLike<number>;
  /** Y coordinates, one per x. */
  y: ArrayLike<number>;
  /** Draw a horizontal reference line at this y (residuals: 0). */
  hLine?: number;
}

/** Points (at most 2000, evenly sampled so the plot stays small). */
export function scatterChart(o: ScatterOptions): string {
  const idx = sampleIndices(o.x.length, 2000).filter((i) => Number.isFinite(o.x[i]!) && Number.isFinite(o.y[i]!));
  const x = linear(...extent(idx.map((i) => o.x[i]!)), M.left, M.left + PW, true);
  const [ylo, yhi] = extent([...idx.map((i) => o.y[i]!), ...(o.hLine === undefined ? [] : [o.hLine])]);
  const y = linear(ylo, yhi, M.top + PH, M.top, true);
  const parts = [axes(x, y, o.xLabel, o.yLabel)];
  if (o.hLine !== undefined) parts.push(`<line x1="${M.left}" y1="${fmt(y(o.hLine))}" x2="${M.left + PW}" y2="${fmt(y(o.hLine))}" stroke="#999" stroke-dasharray="4 4"/>`);
  parts.push(`<g fill="${COLORS[0]}" fill-opacity="0.5">`);
  for (const i of idx) parts.push(`<circle cx="${fmt(x(o.x[i]!))}" cy="${fmt(y(o.y[i]!))}" r="2"/>`);
  parts.push('</g>');
  return frame(o.title, parts.join('\n'));
}

/** Horizontal bars, largest first (at most `max`, default 20). */
export function barChart(title: string, xLabel: string, values: Record<string, number>, max = 20): string {
  const entries = Object.entries(values)
    .filter(([, v]) => Number.isFinite(v))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, max);
  const left = 140;
  const plotW = W - left - M.right;
  const hi = Math.max(0, ...entries.map(([, v]) => v));
  const lo = Math.min(0, ...entries.map(([, v]) => v));
  const x = linear(lo, hi === lo ? lo + 1 : hi, left, left + plotW, true);
  const band = entries.length === 0 ? PH : PH / entries.length;
  const parts: string[] = [];
  for (const t of x.ticks) {
    const px = fmt(x(t));
    parts.push(`<line x1="${px}" y1="${M.top}" x2="${px}" y2="${M.top + PH}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${px}" y="${M.top + PH + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  entries.forEach(([name, v], i) => {
    const y = M.top + i * band;
    const x0 = x(Math.min(0, v));
    const w = Math.abs(x(v) - x(0));
    parts.push(`<rect x="${fmt(x0)}" y="${fmt(y + band * 0.15)}" width="${fmt(w)}" height="${fmt(band * 0.7)}" fill="${COLORS[0]}"/>`);
    const label = name.length > 20 ? `${name.slice(0, 19)}…` : name;
    parts.push(`<text x="${left - 6}" y="${fmt(y + band / 2)}" text-anchor="end" dominant-baseline="middle">${xmlEscape(label)}</text>`);
  });
  parts.push(`<line x1="${fmt(x(0))}" y1="${M.top}" x2="${fmt(x(0))}" y2="${M.top + PH}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" y1="${M.top + PH}" x2="${left + plotW}" y2="${M.top + PH}" stroke="#333"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${H - 12}" text-anchor="middle" font-size="12">${xmlEscape(xLabel)}</text>`);
  return frame(title, parts.join('\n'));
}

/** A confusion matrix: rows are actual classes, columns predicted; cells shaded by count. */
export function confusionMatrixChart(title: string, labels: string[], counts: number[][]): string {
  const k = labels.length;
  const size = Math.min(PW, PH);
  const cell = size / Math.max(k, 1);
  const x0 = M.left + (PW - size) / 2;
  const y0 = M.top;
  const max = Math.max(1, ...counts.flat());
  const parts: string[] = [];
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) {
      const v = counts[r]?.[c] ?? 0;
      const shade = v / max;
      const light = Math.round(255 - shade * 200);
      parts.push(`<rect x="${fmt(x0 + c * cell)}" y="${fmt(y0 + r * cell)}" width="${fmt(cell)}" height="${fmt(cell)}" fill="rgb(${light},${light},255)" stroke="#fff"/>`);
      if (k <= 12) {
        parts.push(`<text x="${fmt(x0 + (c + 0.5) * cell)}" y="${fmt(y0 + (r + 0.5) * cell)}" text-anchor="middle" dominant-baseline="middle" fill="${shade > 0.6 ? '#fff' : '#000'}">${v}</text>`);
      }
    }
    if (k <= 20) {
      parts.push(`<text x="${fmt(x0 - 6)}" y="${fmt(y0 + (r + 0.5) * cell)}" text-anchor="end" dominant-baseline="middle">${xmlEscape(labels[r]!)}</text>`);
      parts.push(`<text x="${fmt(x0 + (r + 0.5) * cell)}" y="${fmt(y0 + size + 14)}" text-anchor="middle">${xmlEscape(labels[r]!)}</text>`);
    }
  }
  parts.push(`<text x="${fmt(x0 + size / 2)}" y="${H - 8}" text-anchor="middle" font-size="12">Predicted label</text>`);
  // The axis title sits just left of the row labels (at most ~12 characters wide at this size).
  parts.push(`<text transform="translate(${fmt(Math.max(16, x0 - 90))} ${fmt(y0 + size / 2)}) rotate(-90)" text-anchor="middle" font-size="12">True label</text>`);
  return frame(title, parts.join('\n'));
}
