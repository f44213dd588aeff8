/**
 * Where a monitor's rows come from, as one DuckDB relation: an inference log (prediction files
 * of a model, left-joined with its label files by request id, the newest label winning) or a
 * Parquet/CSV table. Inference-log files are found through the metadata store's file index
 * (migration 0005), falling back to the log folder for files that were never indexed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { invalidParam, notFound } from '../../core/errors.js';
import { localLogPaths, type LogFilesContext } from '../../serving/index.js';
import { MonitoringStore, ServingStore, type Store } from '../../store/index.js';
import type { Granularity, MonitorDefinition } from './spec.js';

/** A SQL string literal. */
export const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;
/** A SQL identifier. */
export const ident = (s: string): string => `"${s.replaceAll('"', '""')}"`;

/** A relation over files: a `select` to use as a subquery, or null when there are no rows yet. */
export type Relation = string | null;

/** The DuckDB table expression of one data file or glob, chosen by extension. */
export function tableRelation(path: string, field: string): string {
  const abs = resolve(path);
  const ext = extname(abs).toLowerCase();
  const isGlob = /[*?[]/.test(abs);
  if (!isGlob && !existsSync(abs)) throw notFound(`No such data file: ${path} (${field}).`);
  if (ext === '.parquet' || ext === '.pq') return `(select * from read_parquet(${lit(abs)}, union_by_name = true))`;
  if (ext === '.csv' || ext === '.tsv') return `(select * from read_csv(${lit(abs)}, header = true))`;
  throw invalidParam(`Cannot read '${path}': known data formats are .parquet and .csv.`, field);
}

function listParquet(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const day of readdirSync(dir, { withFileTypes: true })) {
    if (!day.isDirectory() || !day.name.startsWith('date=')) continue;
    for (const f of readdirSync(join(dir, day.name))) if (f.endsWith('.parquet')) out.push(join(dir, day.name, f));
  }
  return out.sort();
}

/**
 * The inference log's files of a model as local paths: from the index (files indexed by an
 * artifact URI, a remote log, are read through `files`' cache), else from its folder.
 */
async function logFiles(store: Store | null, root: string | null, model: string, kind: 'predictions' | 'labels', from: number | undefined, files?: LogFilesContext): Promise<string[]> {
  if (store !== null) {
    try {
      const indexed = await ServingStore.for(store).listFiles({ modelName: model, kind, ...(from === undefined ? {} : { from }) });
      const paths = await localLogPaths(indexed.map((f) => f.path), files);
      if (paths.length > 0) return paths;
    } catch (e) {
      if (!(e instanceof Error && 'code' in e && (e as { code: string }).code === 'NOT_IMPLEMENTED')) throw e;
    }
  }
  if (root === null) return [];
  return listParquet(kind === 'predictions' ? join(root, model) : join(root, model, 'labels'));
}

const DAY_MS = 86_400_000;
/** The longest a window of each granularity can be, ms. */
export const GRANULARITY_MS: Record<Granularity, number> = {
  '5 minutes': 300_000,
  '30 minutes': 1_800_000,
  '1 hour': 3_600_000,
  '1 day': DAY_MS,
  '1 week': 7 * DAY_MS,
  '2 weeks': 14 * DAY_MS,
  '3 weeks': 21 * DAY_MS,
  '4 weeks': 28 * DAY_MS,
  '1 month': 31 * DAY_MS,
  '1 year': 366 * DAY_MS,
};

/**
 * Where a later run's rows can start: a run after the first recomputes the windows from the one
 * holding the watermark or `refresh_days` before the newest row, whichever is earlier; rows
 * older than `refresh_days` and one whole window before the watermark never reach a window it
 * computes. Undefined for a first run (no watermark) or a monitor not in the store.
 */
async function resumeFrom(def: MonitorDefinition, store: Store): Promise<number | undefined> {
  if (def.profile.type === 'Snapshot') return undefined;
  let watermark: number | null;
  try {
    watermark = (await MonitoringStore.for(store).getMonitor(def.name)).watermark;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'RESOURCE_DOES_NOT_EXIST' || code === 'NOT_IMPLEMENTED') return undefined;
    throw e;
  }
  if (watermark === null) return undefined;
  const window = Math.max(...def.profile.granularities.map((g) => GRANULARITY_MS[g]));
  return watermark - def.refresh_days * DAY_MS - window;
}

/**
 * The monitor's source relation. `from` (epoch ms) lets the file index skip files with older
 * rows; without it, a monitor that has run before reads only the files a later run can need
 * (see `resumeFrom`), so a long log costs each daily run only its last days. `logRoot` is the
 * default inference-log root (`<artifact root>/inference-log`); `files` reaches files indexed
 * in a remote artifact store.
 */
export async function sourceRelation(def: MonitorDefinition, store: Store | null, logRoot: string | null, from?: number, files?: LogFilesContext): Promise<Relation> {
  if ('table' in def.source) return tableRelation(def.source.table, 'source.table');
  if (from === undefined && store !== null) from = await resumeFrom(def, store);
  const model = def.source.inference_log.model;
  const root = def.source.inference_log.root ?? logRoot ?? null;
  if (root === null && (store === null || files === undefined)) throw invalidParam('The inference-log root is unknown: set source.inference_log.root (the artifact root is not on local disk).', 'source.inference_log.root');
  const predictions = await logFiles(store, root, model, 'predictions', from, files);
  if (predictions.length === 0) return null;
  const preds = `read_parquet([${predictions.map(lit).join(', ')}], union_by_name = true)`;
  // A label is observed after its prediction: label files older than `from` hold no label of a row read here.
  const labels = await logFiles(store, root, model, 'labels', from, files);
  if (labels.length === 0) return `(select *, null::VARCHAR as label from ${preds})`;
  const lab = `read_parquet([${labels.map(lit).join(', ')}], union_by_name = true)`;
  // Labels can be posted again for a request; the newest one counts.
  return `(select p.*, l.label from ${preds} as p left join (select request_id, arg_max(label, timestamp) as label from ${lab} group by request_id) as l on p.request_id = l.request_id)`;
}
