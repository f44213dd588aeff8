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
import { ServingStore, type Store } from '../../store/index.js';
import type { MonitorDefinition } from './spec.js';

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

/**
 * The monitor's source relation. `from` (epoch ms) lets the file index skip files with older
 * rows. `logRoot` is the default inference-log root (`<artifact root>/inference-log`); `files`
 * reaches files indexed in a remote artifact store.
 */
export async function sourceRelation(def: MonitorDefinition, store: Store | null, logRoot: string | null, from?: number, files?: LogFilesContext): Promise<Relation> {
  if ('table' in def.source) return tableRelation(def.source.table, 'source.table');
  const model = def.source.inference_log.model;
  const root = def.source.inference_log.root ?? logRoot ?? null;
  if (root === null && (store === null || files === undefined)) throw invalidParam('The inference-log root is unknown: set source.inference_log.root (the artifact root is not on local disk).', 'source.inference_log.root');
  const predictions = await logFiles(store, root, model, 'predictions', from, files);
  if (predictions.length === 0) return null;
  const preds = `read_parquet([${predictions.map(lit).join(', ')}], union_by_name = true)`;
  const labels = await logFiles(store, root, model, 'labels', undefined, files);
  if (labels.length === 0) return `(select *, null::VARCHAR as label from ${preds})`;
  const lab = `read_parquet([${labels.map(lit).join(', ')}], union_by_name = true)`;
  // Labels can be posted again for a request; the newest one counts.
  return `(select p.*, l.label from ${preds} as p left join (select request_id, arg_max(label, timestamp) as label from ${lab} group by request_id) as l on p.request_id = l.request_id)`;
}
