/**
 * Plain-text tables for the CLI's read commands. Written by hand because it is twenty lines:
 * columns are padded to the widest cell, long cells are cut with an ellipsis, and nothing is
 * coloured, so the output pastes cleanly into issues and pipes into `column`, `grep` or `awk`.
 */

export interface TableOptions {
  /** Longest a cell may be before it is cut. Default 60. */
  maxCellWidth?: number;
  /** Printed instead of an empty table. Default `(none)`. */
  empty?: string;
}

export function formatTable(headers: string[], rows: Array<Array<string | number | null | undefined>>, opts: TableOptions = {}): string {
  if (rows.length === 0) return `${opts.empty ?? '(none)'}\n`;
  const max = opts.maxCellWidth ?? 60;
  const cells = rows.map((r) => headers.map((_, i) => cut(oneLine(r[i]), max)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(headers), ...cells.map(line)].join('\n')}\n`;
}

/** Aligned `label  value` lines, for showing one entity. */
export function formatFields(fields: Array<[string, string | number | null | undefined]>): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return `${fields.map(([k, v]) => `${k.padEnd(width)}  ${oneLine(v)}`.trimEnd()).join('\n')}\n`;
}

/** Epoch ms as `YYYY-MM-DD HH:MM:SS` in UTC (the same text on every machine). */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** A metric value short enough for a table cell. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

function oneLine(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  return String(v).replace(/\s*\n\s*/g, ' ');
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(max - 1, 1))}…`;
}
