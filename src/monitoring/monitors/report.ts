/**
 * The HTML report of a monitor run: one inline-SVG line chart per metric over the windows (table
 * metrics, model quality, operations, drift per column), each alert rule's series with its
 * threshold and the violating windows marked. Self-contained: no script, no external resource.
 */
import type { RuleEvaluation } from './alerts.js';

export interface Series {
  title: string;
  points: Array<{ t: number; v: number | null; alert?: boolean }>;
  threshold?: number;
  note?: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

function day(t: number): string {
  return new Date(t).toISOString().replace('T', ' ').slice(0, 16).replace(' 00:00', '');
}

/** One line chart as an SVG element; gaps where a window has no value. */
export function lineChart(s: Series): string {
  const W = 640;
  const H = 190;
  const L = 64;
  const R = 16;
  const T = 26;
  const B = 34;
  const pts = s.points.filter((p) => p.v !== null && Number.isFinite(p.v)) as Array<{ t: number; v: number; alert?: boolean }>;
  const head = `<text x="${L}" y="16" font-size="13" font-weight="600">${esc(s.title)}</text>`;
  if (pts.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="60" role="img">${head}<text x="${L}" y="42" font-size="12" fill="#777">no values in these windows</text></svg>`;
  const ts = s.points.map((p) => p.t);
  const t0 = Math.min(...ts);
  const t1 = Math.max(...ts);
  let lo = Math.min(...pts.map((p) => p.v), s.threshold ?? Infinity);
  let hi = Math.max(...pts.map((p) => p.v), s.threshold ?? -Infinity);
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.1 + 1;
    hi += Math.abs(hi) * 0.1 + 1;
  }
  const x = (t: number) => (t1 === t0 ? L + (W - L - R) / 2 : L + ((t - t0) / (t1 - t0)) * (W - L - R));
  const y = (v: number) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const parts: string[] = [head];
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/>`);
  for (const v of [lo, (lo + hi) / 2, hi]) parts.push(`<text x="${L - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${fmt(v)}</text>`);
  parts.push(`<text x="${L}" y="${H - B + 16}" font-size="10">${day(t0)}</text><text x="${W - R}" y="${H - B + 16}" font-size="10" text-anchor="end">${day(t1)}</text>`);
  if (s.threshold !== undefined) {
    parts.push(`<line x1="${L}" y1="${y(s.threshold)}" x2="${W - R}" y2="${y(s.threshold)}" stroke="#c0392b" stroke-dasharray="5 4"/><text x="${W - R}" y="${y(s.threshold) - 4}" font-size="10" text-anchor="end" fill="#c0392b">threshold ${fmt(s.threshold)}</text>`);
  }
  // One polyline per run of consecutive windows with values.
  let run: string[] = [];
  const flush = () => {
    if (run.length > 1) parts.push(`<polyline fill="none" stroke="#2c7fb8" stroke-width="1.6" points="${run.join(' ')}"/>`);
    run = [];
  };
  for (const p of s.points) {
    if (p.v === null || !Number.isFinite(p.v)) flush();
    else run.push(`${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
  }
  flush();
  for (const p of pts) {
    parts.push(
      p.alert === true
        ? `<circle cx="${x(p.t).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="4.5" fill="#c0392b"><title>${esc(`${day(p.t)}: ${fmt(p.v)} (violates)`)}</title></circle>`
        : `<circle cx="${x(p.t).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="2.5" fill="#2c7fb8"><title>${esc(`${day(p.t)}: ${fmt(p.v)}`)}</title></circle>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(s.title)}">${parts.join('')}</svg>`;
}

export interface ReportInput {
  monitor: string;
  runId: string;
  startedAt: number;
  granularity: string | null;
  summary: Record<string, unknown>;
  profile: ReadonlyArray<Record<string, unknown>>;
  drift: ReadonlyArray<Record<string, unknown>>;
  evaluations: RuleEvaluation[];
}

const TABLE_METRICS = [
  'count',
  'accuracy_score',
  'precision_score',
  'recall_score',
  'f1_score',
  'roc_auc',
  'log_loss',
  'root_mean_squared_error',
  'mean_absolute_error',
  'r2_score',
  'throughput_per_second',
  'error_rate',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
];

const start = (r: Record<string, unknown>): number => (r.window as { start: number } | null)?.start ?? 0;

/** Render the report (rows: the merged tables of the report's granularity, all models together, no slice). */
export function renderReport(input: ReportInput): string {
  const sections: string[] = [];
  const table = input.profile.filter((r) => r.column_name === ':table' && r.model_id === '*' && r.slice_key === null && r.log_type === 'INPUT');
  const series = (rows: ReadonlyArray<Record<string, unknown>>, metric: string) => rows.map((r) => ({ t: start(r), v: typeof r[metric] === 'number' ? (r[metric] as number) : null }));

  if (input.evaluations.length > 0) {
    const charts = input.evaluations.map((e) => {
      const flagged = new Set(e.windows.filter((w) => w.violated).map((w) => w.start));
      const pts = [...e.windows].reverse().map((w) => ({ t: w.start, v: w.value, alert: flagged.has(w.start) }));
      const verdict = e.violated ? 'FIRED' : 'not violated';
      return `<h3>${esc(e.rule)}: ${esc(verdict)}</h3><p>${esc(`${e.metric} ${e.direction} ${e.threshold} in ${e.violations} of the last ${e.evaluated} windows (newest ${e.newestViolated ? 'violates' : 'does not violate'}).`)}</p>${lineChart({ title: e.metric, points: pts, threshold: e.threshold })}`;
    });
    sections.push(`<h2>Alert rules</h2>${charts.join('')}`);
  }
  const tableCharts = TABLE_METRICS.filter((m) => table.some((r) => typeof r[m] === 'number')).map((m) => lineChart({ title: m, points: series(table, m) }));
  sections.push(`<h2>Table metrics</h2>${tableCharts.join('') || '<p>No windows yet.</p>'}`);

  const driftType = input.drift.some((r) => r.drift_type === 'BASELINE') ? 'BASELINE' : 'CONSECUTIVE';
  const drift = input.drift.filter((r) => r.drift_type === driftType && r.model_id === '*' && r.slice_key === null);
  const cols = [...new Set(drift.map((r) => String(r.column_name)))].filter((c) => c !== ':table');
  const driftTable = drift.filter((r) => r.column_name === ':table');
  const driftCharts = [
    lineChart({ title: 'share of drifted columns', points: series(driftTable, 'drifted_columns_share'), threshold: 0.5 }),
    ...cols.map((c) => {
      const rows = drift.filter((r) => r.column_name === c);
      const threshold = rows.find((r) => typeof r.drift_threshold === 'number' && r.drift_method !== 'ks' && r.drift_method !== 'chisquare' && r.drift_method !== 'ztest')?.drift_threshold as number | undefined;
      const pts = rows.map((r) => ({ t: start(r), v: typeof r.js_distance === 'number' ? r.js_distance : null, alert: r.drift_detected === true }));
      return lineChart({ title: `${c}: Jensen–Shannon distance`, points: pts, ...(threshold === undefined ? {} : { threshold }) });
    }),
  ];
  sections.push(`<h2>Drift (${driftType === 'BASELINE' ? 'against the baseline' : 'against the previous window'})</h2><p>Red points: Evidently's default test for the column found drift in that window.</p>${driftCharts.join('')}`);

  const facts = Object.entries(input.summary)
    .filter(([, v]) => v === null || typeof v !== 'object')
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(`Monitor ${input.monitor}, run ${input.runId}`)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:720px}svg{display:block;margin:8px 0 18px}th{text-align:left;padding-right:12px;font-weight:500;color:#555}</style></head>
<body><h1>${esc(`Monitor ${input.monitor}`)}</h1><p>${esc(`Run ${input.runId}, started ${new Date(input.startedAt).toISOString()}; windows of ${input.granularity ?? 'one snapshot'}, all models, whole table.`)}</p>
<table>${facts}</table>${sections.join('\n')}</body></html>`;
}
