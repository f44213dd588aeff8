import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { invalidParam } from '../../core/errors.js';
import type { ColumnDrift } from '../stats/index.js';
import type { ColumnChart } from './column-task.js';
import type { DriftReport } from './run-drift.js';

/**
 * The drift report as text (one row per column, then the dataset verdict), as JSON, and as a
 * self-contained HTML page: the table and one inline SVG chart per column, no external assets.
 */

/** A statistic or p-value for a table cell: 4 significant digits, `inf`, or empty. */
export function formatStat(v: number | null): string {
  if (v === null) return '';
  if (v === Infinity) return 'inf';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e6) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

const verdictOf = (c: ColumnDrift): string => (c.empty ? 'empty' : c.drifted ? 'DRIFT' : 'ok');

/** The rows of the report table: column, type, method, statistic, p-value, threshold, verdict. */
export function reportRows(report: DriftReport): string[][] {
  return report.columns.map((c) => [c.column, c.type, c.method, formatStat(c.statistic), formatStat(c.pvalue), formatStat(c.threshold), verdictOf(c)]);
}

export const REPORT_HEADERS = ['column', 'type', 'method', 'statistic', 'p-value', 'threshold', 'verdict'];

/** One line with the dataset verdict. */
export function datasetLine(report: DriftReport): string {
  const pct = (x: number): string => `${Number((x * 100).toFixed(1))}%`;
  return (
    `Dataset drift: ${report.drifted ? 'DETECTED' : 'not detected'} — ${report.driftedColumns} of ${report.columns.length} columns drifted ` +
    `(${pct(report.share)}; threshold ${pct(report.driftShare)})`
  );
}

/** The report as JSON-ready data: non-finite numbers become strings ("Infinity"), charts are left out. */
export function reportJson(report: DriftReport): unknown {
  const fix = (v: number | null): number | string | null => (v === null || Number.isFinite(v) ? v : String(v));
  return {
    drifted: report.drifted,
    drifted_columns: report.driftedColumns,
    columns_compared: report.columns.length,
    share: report.share,
    drift_share: report.driftShare,
    baseline: report.baseline,
    current: report.current,
    skipped: report.skipped,
    columns: report.columns.map((c) => ({
      column: c.column,
      type: c.type,
      method: c.method,
      statistic: fix(c.statistic),
      pvalue: fix(c.pvalue),
      threshold: c.threshold,
      drifted: c.drifted,
      empty: c.empty,
      nunique: c.nunique,
      reference_rows: c.referenceRows,
      current_rows: c.currentRows,
      reference_missing: c.referenceMissing,
      current_missing: c.currentMissing,
    })),
    timings_ms: {
      load: Math.round(report.timings.loadMs),
      stats: Math.round(report.timings.statsMs),
      load_cpu: Math.round(report.timings.loadCpuMs),
      stats_cpu: Math.round(report.timings.statsCpuMs),
    },
  };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const BASE = '#4c78a8';
const CUR = '#f58518';
const W = 420;
const H = 180;
const PAD = { l: 44, r: 8, t: 10, b: 34 };

function axisLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

/** An inline SVG of one column's chart (baseline blue, current orange), with a text title for screen readers. */
export function chartSvg(column: string, chart: ColumnChart): string {
  const ymax = Math.max(1e-12, ...chart.ref, ...chart.cur);
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const y = (v: number): number => PAD.t + ih - (v / ymax) * ih;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">`,
    `<title>${esc(column)}: baseline and current distributions</title>`,
    `<line x1="${PAD.l}" y1="${PAD.t + ih}" x2="${W - PAD.r}" y2="${PAD.t + ih}" stroke="#888"/>`,
    `<text x="${PAD.l - 4}" y="${PAD.t + 8}" font-size="10" text-anchor="end">${(ymax * 100).toFixed(1)}%</text>`,
    `<text x="${PAD.l - 4}" y="${PAD.t + ih}" font-size="10" text-anchor="end">0</text>`,
  ];
  const n = chart.ref.length;
  const slot = iw / Math.max(1, n);
  if (chart.kind === 'histogram') {
    // Overlaid: the baseline as filled bars, the current as an outlined step on top.
    for (let i = 0; i < n; i++) {
      const x = PAD.l + i * slot;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y(chart.ref[i]!).toFixed(1)}" width="${Math.max(0.5, slot - 0.5).toFixed(1)}" height="${(PAD.t + ih - y(chart.ref[i]!)).toFixed(1)}" fill="${BASE}" fill-opacity="0.55"/>`);
    }
    let d = `M${PAD.l},${PAD.t + ih}`;
    for (let i = 0; i < n; i++) {
      const x = PAD.l + i * slot;
      d += ` L${x.toFixed(1)},${y(chart.cur[i]!).toFixed(1)} L${(x + slot).toFixed(1)},${y(chart.cur[i]!).toFixed(1)}`;
    }
    d += ` L${(PAD.l + n * slot).toFixed(1)},${PAD.t + ih}`;
    parts.push(`<path d="${d}" fill="${CUR}" fill-opacity="0.25" stroke="${CUR}" stroke-width="1.5"/>`);
    parts.push(`<text x="${PAD.l}" y="${H - 20}" font-size="10">${esc(axisLabel(chart.edges[0]!))}</text>`);
    parts.push(`<text x="${W - PAD.r}" y="${H - 20}" font-size="10" text-anchor="end">${esc(axisLabel(chart.edges[chart.edges.length - 1]!))}</text>`);
  } else {
    const bw = Math.max(1, (slot - 4) / 2);
    for (let i = 0; i < n; i++) {
      const x = PAD.l + i * slot + 2;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y(chart.ref[i]!).toFixed(1)}" width="${bw.toFixed(1)}" height="${(PAD.t + ih - y(chart.ref[i]!)).toFixed(1)}" fill="${BASE}"><title>${esc(chart.labels[i]!)} baseline ${(chart.ref[i]! * 100).toFixed(2)}%</title></rect>`);
      parts.push(`<rect x="${(x + bw).toFixed(1)}" y="${y(chart.cur[i]!).toFixed(1)}" width="${bw.toFixed(1)}" height="${(PAD.t + ih - y(chart.cur[i]!)).toFixed(1)}" fill="${CUR}"><title>${esc(chart.labels[i]!)} current ${(chart.cur[i]! * 100).toFixed(2)}%</title></rect>`);
      if (n <= 12) {
        const label = chart.labels[i]!.length > 10 ? `${chart.labels[i]!.slice(0, 9)}…` : chart.labels[i]!;
        parts.push(`<text x="${(x + bw).toFixed(1)}" y="${H - 20}" font-size="9" text-anchor="middle">${esc(label)}</text>`);
      }
    }
  }
  parts.push(`<rect x="${PAD.l}" y="${H - 12}" width="10" height="8" fill="${BASE}"/><text x="${PAD.l + 14}" y="${H - 4}" font-size="10">baseline</text>`);
  parts.push(`<rect x="${PAD.l + 80}" y="${H - 12}" width="10" height="8" fill="${CUR}"/><text x="${PAD.l + 94}" y="${H - 4}" font-size="10">current</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** The whole report as one HTML page (no scripts, no external assets). */
export function reportHtml(report: DriftReport, generatedAt: Date = new Date()): string {
  const rows = reportRows(report)
    .map((r, i) => `<tr class="${report.columns[i]!.drifted ? 'drift' : ''}">${r.map((c, k) => (k === 0 ? `<td><a href="#col-${i}">${esc(c)}</a></td>` : `<td>${esc(c)}</td>`)).join('')}</tr>`)
    .join('\n');
  const charts = report.columns
    .map((c, i) => {
      const chart = report.charts[i];
      const stat = `${esc(c.method)} ${esc(formatStat(c.statistic))}${c.pvalue === null ? '' : `, p = ${esc(formatStat(c.pvalue))}`}`;
      return (
        `<section id="col-${i}"><h3>${esc(c.column)} <span class="${c.drifted ? 'bad' : 'good'}">${esc(verdictOf(c))}</span></h3>` +
        `<p>${esc(c.type)}; ${stat}; threshold ${esc(formatStat(c.threshold))}; ${c.referenceRows} baseline and ${c.currentRows} current values` +
        `${c.referenceMissing + c.currentMissing > 0 ? ` (${c.referenceMissing} and ${c.currentMissing} missing)` : ''}</p>` +
        `${chart ? chartSvg(c.column, chart) : '<p>No values to chart.</p>'}</section>`
      );
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hangar drift report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left}
tr.drift td{background:#fde8e0}.bad{color:#b3261e}.good{color:#2e7d32}
section{display:inline-block;vertical-align:top;margin:0 1.5rem 1.5rem 0;max-width:440px}h3{margin:.2rem 0}p{margin:.2rem 0;font-size:.85rem}
</style></head><body>
<h1>Drift report</h1>
<p>Baseline <code>${esc(report.baseline.source)}</code> (${report.baseline.rows} rows) · current <code>${esc(report.current.source)}</code> (${report.current.rows} rows) · generated ${esc(generatedAt.toISOString())}</p>
<h2 class="${report.drifted ? 'bad' : 'good'}">${esc(datasetLine(report))}</h2>
${report.skipped.length > 0 ? `<p>Not compared (in one file only): ${esc(report.skipped.join(', '))}</p>` : ''}
<table><thead><tr>${REPORT_HEADERS.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows}
</tbody></table>
${charts}
</body></html>
`;
}

/** Writes the HTML report to `path` atomically (a temp name in the same folder, then a rename). */
export async function writeReportHtml(path: string, report: DriftReport): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, reportHtml(report), 'utf8');
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw invalidParam(`Cannot write the HTML report to '${path}': ${(e as Error).message}`, 'html');
  }
}
