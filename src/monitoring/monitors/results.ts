/**
 * The metric tables on disk: each run writes one Parquet file per table under the artifact root,
 * `monitors/<monitor>/<monitor>_profile_metrics/<run id>.parquet` (and `_drift_metrics`), staged
 * in a temp directory and handed to the artifact store, whose `put` replaces atomically. Readers
 * union a monitor's files and keep, per key, the row of the newest run, so a window recomputed
 * by a later run (late labels) shows its latest figures.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactStore } from '../../artifacts/index.js';
import { localCopy } from '../../data/index.js';
import { cacheKeyOf } from '../../serving/index.js';
import { withDuck } from './duck.js';
import { ident, lit } from './source.js';
import { DRIFT_KEY, DRIFT_METRICS, PROFILE_KEY, PROFILE_METRICS, type DriftRow, type ProfileRow } from './tables.js';

export type MetricsTable = 'profile' | 'drift';

/** Where a monitor's files live in the artifact store. */
export function monitorDir(monitor: string): string {
  return `monitors/${monitor}`;
}

export function tablePath(monitor: string, table: MetricsTable, runId: string): string {
  return `${monitorDir(monitor)}/${monitor}_${table}_metrics/${runId}.parquet`;
}

const HEAD_PROFILE: ReadonlyArray<readonly [string, string]> = [
  ['window_start', 'BIGINT'],
  ['window_end', 'BIGINT'],
  ['granularity', 'VARCHAR'],
  ['slice_key', 'VARCHAR'],
  ['slice_value', 'VARCHAR'],
  ['column_name', 'VARCHAR'],
  ['log_type', 'VARCHAR'],
  ['model_id', 'VARCHAR'],
  ['data_type', 'VARCHAR'],
  ['monitor_version', 'BIGINT'],
  ['monitor_run_id', 'VARCHAR'],
  ['computed_at', 'BIGINT'],
];
const HEAD_DRIFT: ReadonlyArray<readonly [string, string]> = [
  ['window_start', 'BIGINT'],
  ['window_end', 'BIGINT'],
  ['window_cmp_start', 'BIGINT'],
  ['window_cmp_end', 'BIGINT'],
  ['drift_type', 'VARCHAR'],
  ['granularity', 'VARCHAR'],
  ['slice_key', 'VARCHAR'],
  ['slice_value', 'VARCHAR'],
  ['column_name', 'VARCHAR'],
  ['data_type', 'VARCHAR'],
  ['model_id', 'VARCHAR'],
  ['monitor_version', 'BIGINT'],
  ['monitor_run_id', 'VARCHAR'],
  ['computed_at', 'BIGINT'],
];

/** JSON cannot carry ±Infinity (a χ² statistic can be one): doubles travel as text and are cast back. */
function jsonValue(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

const STRUCT_PAIR = 'STRUCT(statistic DOUBLE, pvalue DOUBLE)';

/** read_json's declared type of a column, and the expression that gives the file its real type. */
function columnIo(name: string, type: string): { declared: string; expr: string } {
  const id = ident(name);
  if (type === 'DOUBLE') return { declared: 'VARCHAR', expr: `${id}::DOUBLE as ${id}` };
  if (type === STRUCT_PAIR) {
    return { declared: 'STRUCT(statistic VARCHAR, pvalue VARCHAR)', expr: `case when ${id} is null then null else {'statistic': ${id}.statistic::DOUBLE, 'pvalue': ${id}.pvalue::DOUBLE} end as ${id}` };
  }
  return { declared: type, expr: id };
}

const ts = (col: string) => `make_timestamp(${col} * 1000)`;
const windowStruct = (s: string, e: string, as: string) => `case when ${s} is null then null else {'start': ${ts(s)}, 'end': ${ts(e)}} end as ${as}`;

/** A new folder to stage a file in before it goes to the artifact store: under `cacheDir/staging`, else the temp folder. */
async function stagingDir(cacheDir: string | undefined): Promise<string> {
  const staging = cacheDir === undefined ? tmpdir() : join(cacheDir, 'staging');
  await mkdir(staging, { recursive: true });
  return mkdtemp(join(staging, 'hangar-monitor-'));
}

/**
 * Write one run's rows of a table to the artifact store; returns its path. An empty table is
 * still written (with its schema). The file is staged under `cacheDir` (default: the temp folder).
 */
export async function writeTable(artifacts: ArtifactStore, monitor: string, table: MetricsTable, runId: string, rows: ReadonlyArray<ProfileRow | DriftRow>, cacheDir?: string): Promise<string> {
  const head = table === 'profile' ? HEAD_PROFILE : HEAD_DRIFT;
  const metrics = table === 'profile' ? PROFILE_METRICS : DRIFT_METRICS;
  const dir = await stagingDir(cacheDir);
  try {
    const json = join(dir, 'rows.jsonl');
    await writeFile(json, rows.map((r) => JSON.stringify(r, jsonValue)).join('\n') + '\n');
    const cols = [...head, ...metrics];
    const declared = cols.map(([n, t]) => `${lit(n)}: ${lit(columnIo(n, t).declared)}`).join(', ');
    const select = [
      windowStruct('window_start', 'window_end', '"window"'),
      ...(table === 'drift' ? [windowStruct('window_cmp_start', 'window_cmp_end', 'window_cmp')] : []),
      ...cols.filter(([n]) => !n.startsWith('window_')).map(([n, t]) => columnIo(n, t).expr),
    ];
    const parquet = join(dir, 'table.parquet');
    await withDuck(async (duck) => {
      const from = rows.length === 0 ? `(select ${cols.map(([n, t]) => `null::${columnIo(n, t).declared} as ${ident(n)}`).join(', ')} limit 0)` : `read_json(${lit(json)}, format = 'newline_delimited', columns = {${declared}})`;
      await duck.run(`copy (select ${select.join(', ')} from ${from}) to ${lit(parquet)} (format parquet)`);
    });
    const path = tablePath(monitor, table, runId);
    await artifacts.put(path, createReadStream(parquet));
    return path;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Filters of a metrics query; each absent filter matches everything. */
export interface MetricsQuery {
  granularity?: string;
  column_name?: string;
  /** `null` = whole-table rows only. */
  slice_key?: string | null;
  slice_value?: string;
  model_id?: string;
  /** Profile rows: INPUT or BASELINE. */
  log_type?: string;
  /** Drift rows: CONSECUTIVE or BASELINE. */
  drift_type?: string;
  /** Windows starting at or after / before these times (epoch ms). */
  from?: number;
  to?: number;
  /** At most this many rows, newest windows kept (default 10 000). */
  max_results?: number;
}

/** Downloads of one `readTable` call run this many at a time. */
const DOWNLOADS = 4;

/**
 * Local paths of a monitor's table files: on a local artifact store the files themselves; on a
 * remote one cached copies under `cacheDir` (a run's file is written once and never changes,
 * so a copy is downloaded once, however often the table is read). Files removed by hand are
 * left out, so the other runs stay readable.
 */
async function localTableFiles(artifacts: ArtifactStore, paths: readonly string[], cacheDir: string | undefined): Promise<string[]> {
  const out: Array<string | null> = paths.map(() => null);
  const local = artifacts.rootUri.startsWith('file:');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      const p = paths[i]!;
      try {
        const file = await localCopy({ artifacts, cacheDir }, p, cacheKeyOf(artifacts.rootUri, p));
        if (!local || existsSync(file)) out[i] = file;
      } catch (e) {
        if (!(e instanceof Error && 'code' in e && (e as { code: string }).code === 'RESOURCE_DOES_NOT_EXIST')) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOADS, paths.length) }, worker));
  return out.filter((f): f is string => f !== null);
}

/**
 * The merged table of a monitor from the files of its runs (oldest first): newest run per key,
 * windows ascending. Windows come back as `{start, end}` in epoch ms. `cacheDir` holds copies
 * of remote files (the server passes `<home>/cache/data`; default: the data capabilities' cache
 * under the temp directory).
 */
export async function readTable(artifacts: ArtifactStore, table: MetricsTable, paths: readonly string[], q: MetricsQuery = {}, cacheDir?: string): Promise<Array<Record<string, unknown>>> {
  if (paths.length === 0) return [];
  const local = await localTableFiles(artifacts, paths, cacheDir);
  if (local.length === 0) return [];
  const sql = querySql(table, `read_parquet([${local.map(lit).join(', ')}], union_by_name = true)`, q);
  const rows = await withDuck((duck) => duck.rows(sql));
  return rows.reverse();
}

/** The query `readTable` runs over `relation` (newest run per key, filtered, newest windows first). */
function querySql(table: MetricsTable, relation: string, q: MetricsQuery): string {
  const where: string[] = [];
  const eq = (col: string, v: string | undefined) => {
    if (v !== undefined) where.push(`${ident(col)} = ${lit(v)}`);
  };
  eq('granularity', q.granularity);
  eq('column_name', q.column_name);
  eq('model_id', q.model_id);
  eq('log_type', table === 'profile' ? q.log_type : undefined);
  eq('drift_type', table === 'drift' ? q.drift_type : undefined);
  if (q.slice_key === null) where.push('slice_key is null');
  else eq('slice_key', q.slice_key);
  eq('slice_value', q.slice_value);
  if (q.from !== undefined) where.push(`"window"."start" >= ${ts(String(Math.trunc(q.from)))}`);
  if (q.to !== undefined) where.push(`"window"."start" < ${ts(String(Math.trunc(q.to)))}`);
  const limit = q.max_results ?? 10_000;
  return (
    `${newestPerKey(table, relation, where)} ` +
    `order by "window"."start" desc nulls last, granularity, slice_key nulls first, slice_value nulls first, column_name, model_id limit ${limit}`
  );
}

/** The rows of `relation` matching every condition of `where`, the newest run's row per key. */
function newestPerKey(table: MetricsTable, relation: string, where: readonly string[]): string {
  const key = (table === 'profile' ? PROFILE_KEY : DRIFT_KEY).map((k) => (k === 'window_start' ? '"window"."start"' : ident(k)));
  return (
    `select * exclude (rn) from (select *, row_number() over (partition by ${key.join(', ')} order by computed_at desc, monitor_run_id desc) as rn ` +
    `from ${relation}${where.length > 0 ? ` where ${where.join(' and ')}` : ''}) where rn = 1`
  );
}

/**
 * Write the merged rows (newest run per key) of the given run files, for the windows starting
 * at or after `from` (null: every row), as one file at `dest`, and answer `queries` over those
 * rows as `readTable` over that file would (in the same step, so the file need not be read
 * back). Returns null, writing nothing, when there are no files or one of them is missing: a
 * merge must never leave rows out silently.
 */
export async function mergeTables(
  artifacts: ArtifactStore,
  table: MetricsTable,
  paths: readonly string[],
  from: number | null,
  dest: string,
  cacheDir?: string,
  queries: readonly MetricsQuery[] = [],
): Promise<Array<Array<Record<string, unknown>>> | null> {
  if (paths.length === 0) return null;
  const local = await localTableFiles(artifacts, paths, cacheDir);
  if (local.length < paths.length) return null;
  const dir = await stagingDir(cacheDir);
  try {
    const parquet = join(dir, 'table.parquet');
    const where = from === null ? [] : [`"window"."start" >= ${ts(String(Math.trunc(from)))}`];
    const rows = newestPerKey(table, `read_parquet([${local.map(lit).join(', ')}], union_by_name = true)`, where);
    const answers = await withDuck(async (duck) => {
      await duck.run(`create temp table merged as ${rows}`);
      await duck.run(`copy merged to ${lit(parquet)} (format parquet)`);
      const out: Array<Array<Record<string, unknown>>> = [];
      for (const q of queries) out.push((await duck.rows(querySql(table, 'merged', q))).reverse());
      return out;
    });
    await artifacts.put(dest, createReadStream(parquet));
    return answers;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
