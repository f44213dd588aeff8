import type { Table } from '../../data/index.js';
import { DEFAULT_DRIFT_SHARE, datasetVerdict, planColumns, type DatasetDrift, type DriftMethod } from '../stats/index.js';
import type { ColumnChart } from './column-task.js';
import { loadDriftTables } from './load-tables.js';
import { DriftPool, defaultThreads } from './pool.js';

/**
 * The drift between two files (`hangar monitor drift`): both are read at the same time (CSV
 * by the purpose-built reader on the worker threads, anything else through DuckDB, see
 * load-tables.ts), then every compared column is analysed on the same worker threads, and the
 * dataset verdict is taken over the column verdicts.
 */

/** What `runDrift` compares and how. */
export interface DriftRunOptions {
  /** The baseline (reference) file: .parquet or .csv, or a SQL query over files. */
  baseline: string;
  /** The current file, in the same forms. */
  current: string;
  /** Only these columns (default: every column in both files). */
  columns?: string[];
  /** Method for every column unless `methods` names it. */
  method?: DriftMethod;
  /** Per-column methods. */
  methods?: Record<string, DriftMethod>;
  /** Threshold for every column unless `thresholds` names it (default: the method's). */
  threshold?: number;
  /** Per-column thresholds. */
  thresholds?: Record<string, number>;
  /** Dataset verdict: drifted share of columns at which the dataset is drifted (default 0.5). */
  driftShare?: number;
  /** PSI and binning bins (default 10). */
  bins?: number;
  /** Worker threads (default: one per core). 1 computes on the calling thread. */
  threads?: number;
  /** Progress: a phase message, or columns done of total. */
  onProgress?: (p: { phase: string } | { done: number; total: number }) => void;
}

/** One input file's description in the report. */
export interface DriftInput {
  source: string;
  rows: number;
  columns: number;
}

/** The report of a drift run: the dataset verdict, each column's drift, and the chart data. */
export interface DriftReport extends DatasetDrift {
  baseline: DriftInput;
  current: DriftInput;
  /** Chart data per column, in the order of `columns`. */
  charts: Array<ColumnChart | null>;
  /**
   * Wall-clock milliseconds spent loading both files and computing the statistics, and the
   * process's CPU milliseconds (all threads, DuckDB's and the workers' included) in each phase:
   * on a busy machine the CPU figures move less than the wall-clock ones.
   */
  timings: { loadMs: number; statsMs: number; loadCpuMs: number; statsCpuMs: number };
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const inputOf = (t: Table): DriftInput => ({ source: t.source, rows: t.rows, columns: t.columns.length });

/**
 * Reads both files and computes the drift of every compared column.
 * Errors (HangarError): RESOURCE_DOES_NOT_EXIST for a missing file; INVALID_PARAMETER_VALUE for an
 * unknown format, a column missing from either file (named), a column numeric on one side and
 * categorical on the other, or a numeric-only method forced on a categorical column.
 */
export async function runDrift(options: DriftRunOptions): Promise<DriftReport> {
  const t0 = performance.now();
  const c0 = cpuMs();
  options.onProgress?.({ phase: `loading ${options.baseline} and ${options.current}` });
  // Two workers read the two files at once; the pool then grows to one worker per core, at
  // most one per column, for the statistics (or exactly --threads).
  const pool = new DriftPool(Math.min(options.threads ?? defaultThreads(2), 2));
  try {
    // The columns are read from each file by name only when listed, so a wide file with a few
    // compared columns loads only those.
    const [baseline, current] = await loadDriftTables(pool, [options.baseline, options.current], options.columns, (phase) => options.onProgress?.({ phase }));
    const loadMs = performance.now() - t0;
    const c1 = cpuMs();
    const plan = planColumns(baseline, current, { columns: options.columns, methods: options.methods, thresholds: options.thresholds });
    options.onProgress?.({ phase: `comparing ${plan.pairs.length} columns (${baseline.rows} baseline rows, ${current.rows} current rows)` });
    const t1 = performance.now();
    pool.grow(options.threads ?? defaultThreads(plan.pairs.length));
    const analyses = await pool.analyse(
      plan.pairs.map(([ref, cur]) => ({
        ref,
        cur,
        options: {
          method: options.methods?.[ref.name] ?? options.method,
          threshold: options.thresholds?.[ref.name] ?? options.threshold,
          bins: options.bins,
        },
      })),
      (done, total) => options.onProgress?.({ done, total }),
    );
    const statsMs = performance.now() - t1;
    const statsCpuMs = cpuMs() - c1;
    const verdict = datasetVerdict(
      analyses.map((a) => a.drift),
      plan.skipped,
      options.driftShare ?? DEFAULT_DRIFT_SHARE,
    );
    return { ...verdict, baseline: inputOf(baseline), current: inputOf(current), charts: analyses.map((a) => a.chart), timings: { loadMs, statsMs, loadCpuMs: c1 - c0, statsCpuMs } };
  } finally {
    await pool.close();
  }
}
