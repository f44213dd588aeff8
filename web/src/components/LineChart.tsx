import { useState, type MouseEvent } from 'react';
import { formatValue } from '../lib/format.ts';
import { niceTicks } from '../lib/ticks.ts';

/** One plotted point. */
export interface ChartPoint {
  x: number;
  y: number;
}

/** One line of a chart with several: its name (shown in the legend), points sorted by x, and colour. */
export interface ChartSeries {
  name: string;
  points: ChartPoint[];
  colour: string;
  /** A dash pattern, for when there are more lines than colours. */
  dash?: string;
}

/**
 * Line colours for charts with several series (Tableau's ten). A page that draws several charts
 * of the same things (runs) gives each thing one colour, with `seriesStyle`, so it reads the
 * same in every chart.
 */
export const SERIES_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** The colour and dash of the `i`-th series: past ten, the colours repeat with a dash. */
export function seriesStyle(i: number): { colour: string; dash?: string } {
  const colour = SERIES_COLOURS[i % SERIES_COLOURS.length] as string;
  const round = Math.floor(i / SERIES_COLOURS.length);
  return round === 0 ? { colour } : { colour, dash: round === 1 ? '6 3' : '2 3' };
}

const W = 480;
const H = 220;
const PAD = { left: 56, right: 14, top: 12, bottom: 32 };

function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - d, hi + d];
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/**
 * A line chart as inline SVG: axes with round ticks, the lines, and the nearest point's value on
 * hover. Give either `points` (one series, drawn in the accent colour) or `series` (one line per
 * series with a legend; the hover names the series). Points must be sorted by x. Drawn by hand:
 * the UI needs few chart types and no chart library.
 */
export function LineChart({ points, series, title, xLabel }: { points?: ChartPoint[]; series?: ChartSeries[]; title: string; xLabel: string }) {
  const [hover, setHover] = useState<{ s: number; i: number } | undefined>(undefined);
  const multi = series !== undefined;
  const lines = (series ?? [{ name: title, points: points ?? [], colour: '' }]).filter((s) => s.points.length > 0);
  const all = lines.flatMap((s) => s.points);
  if (all.length === 0) return <p className="muted">No plottable values for {title}.</p>;

  // The x axis runs from the first x to the last, unpadded; y gets a margin (extent).
  let x0 = Math.min(...lines.map((s) => s.points[0]!.x));
  let x1 = Math.max(...lines.map((s) => s.points[s.points.length - 1]!.x));
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const [y0, y1] = extent(all.map((p) => p.y));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * innerW;
  const sy = (y: number) => PAD.top + innerH - ((y - y0) / (y1 - y0)) * innerH;

  const pathOf = (pts: ChartPoint[]) => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
  const xTicks = niceTicks(x0, x1, 6).filter((t) => t >= x0 && t <= x1 && (x1 - x0 > 10 || Number.isInteger(t)));
  const yTicks = niceTicks(y0, y1, 5).filter((t) => t >= y0 && t <= y1);

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = ((e.clientX - box.left) / box.width) * W;
    const y = ((e.clientY - box.top) / box.height) * H;
    // One line: the point nearest in x. Several: nearest on the plane, x counting more than y.
    let best: { s: number; i: number; d: number } | undefined;
    lines.forEach((s, si) =>
      s.points.forEach((p, i) => {
        const d = multi ? Math.hypot(sx(p.x) - x, (sy(p.y) - y) / 4) : Math.abs(sx(p.x) - x);
        if (best === undefined || d < best.d) best = { s: si, i, d };
      }),
    );
    setHover(best === undefined ? undefined : { s: best.s, i: best.i });
  };
  const hs = hover === undefined ? undefined : lines[hover.s];
  const h = hover === undefined ? undefined : hs?.points[hover.i];
  const hoverText = h === undefined ? '' : `${multi ? `${hs?.name ?? ''} · ` : ''}${xLabel} ${formatValue(h.x)}: ${formatValue(h.y)}`;
  const flip = h !== undefined && sx(h.x) > W - (multi ? 220 : 160);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} by ${xLabel}`} onMouseMove={onMove} onMouseLeave={() => setHover(undefined)}>
        <g className="axis">
          <line x1={PAD.left} y1={PAD.top + innerH} x2={W - PAD.right} y2={PAD.top + innerH} />
          <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + innerH} />
          {xTicks.map((t) => (
            <g key={`x${t}`}>
              <line x1={sx(t)} y1={PAD.top + innerH} x2={sx(t)} y2={PAD.top + innerH + 4} />
              <text x={sx(t)} y={PAD.top + innerH + 16} textAnchor="middle">
                {formatValue(t)}
              </text>
            </g>
          ))}
          {yTicks.map((t) => (
            <g key={`y${t}`}>
              <line className="grid" x1={PAD.left} y1={sy(t)} x2={W - PAD.right} y2={sy(t)} />
              <text x={PAD.left - 6} y={sy(t) + 4} textAnchor="end">
                {formatValue(t)}
              </text>
            </g>
          ))}
          <text x={PAD.left + innerW / 2} y={H - 3} textAnchor="middle" className="axis-label">
            {xLabel}
          </text>
        </g>
        {multi
          ? lines.map((s, si) => (
              <g key={si} data-series={s.name}>
                <path className="line" d={pathOf(s.points)} style={{ stroke: s.colour, strokeDasharray: s.dash }} />
                {s.points.length === 1 && <circle className="dot" cx={sx(s.points[0]!.x)} cy={sy(s.points[0]!.y)} r={3} style={{ fill: s.colour }} />}
              </g>
            ))
          : lines.map((s, si) => (
              <g key={si}>
                <path className="line" d={pathOf(s.points)} />
                {s.points.length === 1 && <circle className="dot" cx={sx(s.points[0]!.x)} cy={sy(s.points[0]!.y)} r={3} />}
              </g>
            ))}
        {h !== undefined && (
          <g className="hover">
            <line x1={sx(h.x)} y1={PAD.top} x2={sx(h.x)} y2={PAD.top + innerH} />
            <circle cx={sx(h.x)} cy={sy(h.y)} r={3.5} style={multi ? { fill: hs?.colour } : undefined} />
            <text x={flip ? sx(h.x) - 6 : sx(h.x) + 6} y={PAD.top + 12} textAnchor={flip ? 'end' : 'start'}>
              {hoverText}
            </text>
          </g>
        )}
      </svg>
      {multi && (
        <div className="legend" aria-label={`${title} legend`}>
          {lines.map((s, si) => (
            <span key={si}>
              <span className="swatch" style={{ background: s.colour }} /> {s.name}
            </span>
          ))}
        </div>
      )}
    </figure>
  );
}
