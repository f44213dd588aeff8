/**
 * The metric-table reads of one monitor run (its alert rules, its report), from only the run
 * files that can hold the windows they need. Each run file records, through its run's summary,
 * the newest window start any of its rows can have (`bound`): a run computes windows up to the
 * newest row it analysed (a Snapshot run: one window at its start). So the merged rows of every
 * window starting at or after a time T come from the files whose bound is at least T, and
 * reading just those files gives exactly what reading every file gives for those windows. A rule
 * needs its newest N rows: it reads back far enough for N windows, and further (doubling the
 * look-back) only while fewer than N rows qualify, up to every file.
 *
 * Each run also writes a **recent** file per table: the merged rows of the newest windows (the
 * report's 30), built from the previous run's recent file and its own file when the previous
 * run's covers every earlier run, else from the run files that can hold those windows. Reads
 * within those windows then take that one file.
 */
import type { ArtifactStore } from '../../artifacts/index.js';
import { readTable, type MetricsQuery, type MetricsTable } from './results.js';
import { GRANULARITY_MS } from './source.js';
import type { Granularity } from './spec.js';

type Row = Record<string, unknown>;

/** One run's file of a table and the newest window start its rows can have (epoch ms; Infinity when unknown). */
export interface RunFile {
  path: string;
  bound: number;
}

/** What a run summary says about its files (the fields `runFiles` needs). */
export interface RunFilesSummary {
  profile_path?: unknown;
  drift_path?: unknown;
  profile_rows?: unknown;
  drift_rows?: unknown;
  newest?: unknown;
}

/**
 * The files of `table` of a monitor's successful runs, oldest first, with their bounds. A run
 * with no rows in the table is left out; a run whose summary lacks `newest` gets an unknown
 * bound (always read).
 */
export function runFiles(runs: ReadonlyArray<{ startTimestamp: number; summary: unknown }>, table: MetricsTable): RunFile[] {
  const out: RunFile[] = [];
  for (const r of runs) {
    const s = (r.summary ?? {}) as RunFilesSummary;
    const path = table === 'profile' ? s.profile_path : s.drift_path;
    if (typeof path !== 'string') continue;
    if ((table === 'profile' ? s.profile_rows : s.drift_rows) === 0) continue;
    // A Snapshot run analyses no timestamps (newest null): its one window starts at the run's start.
    const bound = typeof s.newest === 'number' ? s.newest : s.newest === null ? r.startTimestamp : Infinity;
    out.push({ path, bound });
  }
  return out;
}

/**
 * Where to start reading for the newest `windows` windows: that many windows of `granularity`
 * before the newest bound, or, without a granularity (Snapshot: one window per run), the bound
 * of the `windows`-th newest file. Undefined: read everything.
 */
export function lookbackStart(files: readonly RunFile[], granularity: string | null | undefined, windows: number): number | undefined {
  const bounds = files
    .map((f) => f.bound)
    .filter(Number.isFinite)
    .sort((a, b) => b - a);
  if (bounds.length === 0) return undefined;
  if (granularity !== null && granularity !== undefined && granularity in GRANULARITY_MS) return bounds[0]! - windows * GRANULARITY_MS[granularity as Granularity];
  return bounds.length > windows ? bounds[windows - 1] : undefined;
}

/** A file holding the merged rows of every window starting at or after `from` (null: of all windows). */
export interface RecentFile {
  path: string;
  from: number | null;
}

/**
 * What a pass over the files reads by (`key`, `base`): model, log type and drift type are
 * filtered from its rows after, and the limit applied after that.
 */
export function passOf(q: MetricsQuery): { key: string; base: MetricsQuery } {
  const { model_id: _m, log_type: _l, drift_type: _d, max_results: _n, ...base } = q;
  return { key: JSON.stringify(Object.entries(base).sort(([a], [b]) => a.localeCompare(b))), base };
}

/** The query a pass over a recent file runs. */
export function recentQuery(base: MetricsQuery, recent: { from: number | null }): MetricsQuery {
  return { ...base, ...(recent.from === null ? {} : { from: recent.from }), max_results: Number.MAX_SAFE_INTEGER };
}

/** Rows of a pass over a recent file, answered when the file was built (see `mergeTables`). */
export interface RecentPass {
  /** `passOf(query).key`. */
  key: string;
  rows: Row[];
}

interface Pass {
  table: MetricsTable;
  key: string;
  /** Rows of windows starting at or after this are exact; null: every file was read, with no window filter. */
  from: number | null;
  rows: Promise<Row[]>;
}

/**
 * The reads of one run over fixed sets of run files. Queries that differ only in model, log type
 * or drift type share one pass over the files (those columns are part of the tables' key, so
 * filtering after "newest run per key" gives what filtering before it would); a pass that reached
 * further back serves a later query that needs less.
 */
export class MetricReads {
  readonly #artifacts: ArtifactStore;
  readonly #files: Record<MetricsTable, RunFile[]>;
  readonly #cacheDir: string | undefined;
  readonly #recent: Partial<Record<MetricsTable, RecentFile>>;
  readonly #passes: Pass[] = [];
  /** Files read so far (a file read by two passes counts twice). */
  filesRead = 0;

  constructor(
    artifacts: ArtifactStore,
    files: Record<MetricsTable, RunFile[]>,
    cacheDir?: string,
    recent: Partial<Record<MetricsTable, RecentFile>> = {},
    answered: Partial<Record<MetricsTable, readonly RecentPass[]>> = {},
  ) {
    this.#artifacts = artifacts;
    this.#files = files;
    this.#cacheDir = cacheDir;
    this.#recent = recent;
    // Passes over a recent file answered while it was built: no file is read for them.
    for (const table of ['profile', 'drift'] as const) {
      const file = recent[table];
      if (file === undefined) continue;
      for (const p of answered[table] ?? []) this.#passes.push({ table, key: p.key, from: file.from, rows: Promise.resolve(p.rows) });
    }
  }

  /** Count files read outside this object (building the recent files). */
  count(files: number): void {
    this.filesRead += files;
  }

  /** The files of a table. */
  files(table: MetricsTable): readonly RunFile[] {
    return this.#files[table];
  }

  /**
   * Rows matching `q` of every window starting at or after `from` (undefined: all windows), as
   * `readTable` over every file would give them; older windows may come too. `complete`: every
   * file was read without a window filter.
   */
  async since(table: MetricsTable, q: MetricsQuery, from: number | undefined): Promise<{ rows: Row[]; complete: boolean }> {
    const { model_id, log_type, drift_type, max_results } = q;
    const { key, base } = passOf(q);
    const files = this.#files[table];
    const included = from === undefined ? files : files.filter((f) => f.bound >= from);
    const passFrom = included.length === files.length ? null : from!;
    let pass = this.#passes.find((p) => p.table === table && p.key === key && (p.from === null || (from !== undefined && p.from <= from)));
    const recent = this.#recent[table];
    if (pass === undefined && recent !== undefined && (recent.from === null || (from !== undefined && recent.from <= from))) {
      // The recent file holds the merged rows of these windows: one file instead of the runs'.
      this.filesRead += 1;
      const rows = readTable(this.#artifacts, table, [recent.path], recentQuery(base, recent), this.#cacheDir);
      pass = { table, key, from: recent.from, rows };
      this.#passes.push(pass);
    }
    if (pass === undefined) {
      this.filesRead += included.length;
      const rows = readTable(this.#artifacts, table, included.map((f) => f.path), { ...base, ...(passFrom === null ? {} : { from: passFrom }), max_results: Number.MAX_SAFE_INTEGER }, this.#cacheDir);
      pass = { table, key, from: passFrom, rows };
      this.#passes.push(pass);
    }
    const rows = (await pass.rows).filter(
      (r) => (model_id === undefined || r.model_id === model_id) && (log_type === undefined || r.log_type === log_type) && (drift_type === undefined || r.drift_type === drift_type),
    );
    const limit = max_results ?? 10_000;
    return { rows: rows.length > limit ? rows.slice(rows.length - limit) : rows, complete: pass.from === null };
  }

  /**
   * The rows of `q` reaching back at least to `from`, and further while `enough(rows)` is false
   * (doubling the distance back from the newest bound), until every file is read.
   */
  async newest(table: MetricsTable, q: MetricsQuery, from: number | undefined, enough: (rows: Row[]) => boolean): Promise<Row[]> {
    const top = Math.max(...this.#files[table].map((f) => f.bound).filter(Number.isFinite));
    for (;;) {
      const { rows, complete } = await this.since(table, q, from);
      if (complete || from === undefined || enough(rows)) return rows;
      from = Number.isFinite(top) ? top - 2 * Math.max(1, top - from) : undefined;
    }
  }
}

/** Keep the rows of the newest `windows` window starts (rows without a window are dropped). */
export function newestWindows(rows: readonly Row[], windows: number): Row[] {
  const start = (r: Row): number | null => (r.window as { start: number } | null)?.start ?? null;
  const starts = [...new Set(rows.map(start).filter((s): s is number => s !== null))].sort((a, b) => b - a);
  if (starts.length === 0) return [];
  const min = starts[Math.min(windows, starts.length) - 1]!;
  return rows.filter((r) => (start(r) ?? -Infinity) >= min);
}
