/**
 * The inference log seen from the metadata store: listing indexed files (what monitors read),
 * writing ground-truth labels as Parquet files beside the predictions, the retention policy,
 * and turning indexed locations into local paths DuckDB can read. Used by the tracking
 * server's routes and by tests; the serving process reaches the index through those routes.
 *
 * Where the log lives follows the artifact root: on local disk it is the folder
 * `<artifact root>/inference-log` and files are indexed by absolute path; with a remote
 * artifact root (`s3://…`) files are written locally, uploaded under
 * `<artifact root>/inference-log/` and indexed by their artifact URI, and readers download
 * them to a local cache first (DuckDB reads local files only).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactUriToStorePath, type ArtifactStore } from '../artifacts/index.js';
import type { Config } from '../core/config.js';
import { HangarError } from '../core/errors.js';
import { cacheDirOf, localCopy, withSharedDuckDB } from '../data/index.js';
import { ServingStore, type InferenceFileKind, type InferenceLogFile, type NewInferenceLogFile, type Store } from '../store/index.js';
import type { InferenceClient } from '../client/index.js';
import { utcDay, type InferenceIndex } from './inference-log.js';
import { INFERENCE_LOG_PREFIX, uniqueRel, type LogPublisher } from './log-publish.js';

/**
 * The local log root a server uses: `<artifact root>/inference-log` when artifacts are on local
 * disk, else `<home>/inference-log`, where the server stages label files before uploading them
 * to `<artifact root>/inference-log/` (see `inferenceLogUri`).
 */
export function inferenceLogRoot(config: Pick<Config, 'artifactsDestination' | 'home'>): string {
  const dest = config.artifactsDestination;
  if (dest.startsWith('file://')) return join(fileURLToPath(dest), 'inference-log');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(dest)) return join(resolve(dest), 'inference-log');
  return join(config.home, 'inference-log');
}

/** A file as monitors see it (the contract of S-common.md). */
export interface InferenceFileInfo {
  /** Absolute path of the Parquet file, or its artifact URI (`s3://…`) when the log is remote. */
  path: string;
  /** UTC day of its rows. */
  day: string;
  /** Row count. */
  rows: number;
  /** Smallest row timestamp, epoch ms. */
  minTs: number;
  /** Largest row timestamp, epoch ms. */
  maxTs: number;
}

/**
 * The indexed files of a model's inference log, oldest first. `from`/`to` (epoch ms) keep the
 * files with rows in `[from, to)`.
 */
export async function listInferenceLogFiles(
  store: Store,
  q: { model: string; kind: InferenceFileKind; from?: number; to?: number },
): Promise<InferenceFileInfo[]> {
  const files = await ServingStore.for(store).listFiles({ modelName: q.model, kind: q.kind, from: q.from, to: q.to });
  return files.map((f) => ({ path: f.path, day: f.day, rows: f.rows, minTs: f.minTs, maxTs: f.maxTs }));
}

/** An index that writes straight to a metadata store (the tracking server, tests). */
export function storeIndex(store: Store): InferenceIndex {
  const s = ServingStore.for(store);
  return {
    async addFiles(files) {
      await s.addFiles(files);
    },
  };
}

/** One ground-truth label. */
export interface LabelInput {
  /** The request id the prediction was logged with (`x-request-id`). */
  requestId: string;
  /** The true value: a number (regression, numeric classes) or a string class label. */
  label: number | string | boolean;
  /** When the truth was observed, epoch ms; default now. */
  timestamp?: number;
}

/** Most labels one call accepts. */
export const MAX_LABELS_PER_CALL = 100_000;

const MODEL_NAME = /^[^/\\\0]+$/;

/** INVALID_PARAMETER_VALUE unless `name` can name a folder of the log. */
export function checkModelName(name: string, field = 'model'): void {
  if (!MODEL_NAME.test(name) || name === '.' || name === '..') {
    throw new HangarError('INVALID_PARAMETER_VALUE', `'${name}' cannot name an inference log: no '/', '\\' or NUL, not '.' or '..'.`, { field });
  }
}

let seq = 0;

/**
 * Write labels as Parquet files (one per UTC day of their timestamps) under
 * `<root>/<model>/labels/date=YYYY-MM-DD/` with columns `request_id VARCHAR`, `label`
 * (DOUBLE when every label is a number or boolean, else VARCHAR) and `timestamp TIMESTAMP`,
 * and index them. With a `publisher` (a remote log) each file is uploaded to
 * `<log>/<model>/labels/date=…/` and indexed by its URI, and the local copy is removed. All
 * files are written (and uploaded) before any is indexed, and indexing is one transaction: a
 * failure leaves no index rows (and removes the files written, local and uploaded).
 */
export async function writeLabels(
  store: Store,
  root: string,
  model: string,
  labels: readonly LabelInput[],
  now: number = Date.now(),
  publisher?: LogPublisher,
): Promise<InferenceLogFile[]> {
  checkModelName(model);
  if (labels.length === 0) throw new HangarError('INVALID_PARAMETER_VALUE', 'labels must hold at least one label.', { field: 'labels' });
  if (labels.length > MAX_LABELS_PER_CALL) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `At most ${MAX_LABELS_PER_CALL} labels per call; got ${labels.length}.`, { field: 'labels' });
  }
  const numeric = labels.every((l) => typeof l.label === 'number' || typeof l.label === 'boolean');
  const byDay = new Map<string, LabelInput[]>();
  for (const l of labels) {
    const day = utcDay(l.timestamp ?? now);
    let g = byDay.get(day);
    if (g === undefined) byDay.set(day, (g = []));
    g.push(l);
  }
  const duck = await import('@duckdb/node-api');
  const written: NewInferenceLogFile[] = [];
  const locals: string[] = [];
  const uploaded: string[] = [];
  try {
    // A connection of the process's shared DuckDB; `labels` is a temp table, so it is this call's own.
    await withSharedDuckDB(async (con) => {
      for (const [day, group] of byDay) {
        await con.run(`create or replace temp table labels (request_id VARCHAR, label ${numeric ? 'DOUBLE' : 'VARCHAR'}, ts DOUBLE)`);
        const appender = await con.createAppender('labels');
        for (let off = 0; off < group.length; off += 2048) {
          const slice = group.slice(off, off + 2048);
          const chunk = duck.DuckDBDataChunk.create([duck.VARCHAR, numeric ? duck.DOUBLE : duck.VARCHAR, duck.DOUBLE], slice.length);
          chunk.setColumnValues(0, slice.map((l) => l.requestId));
          chunk.setColumnValues(1, slice.map((l) => (numeric ? Number(l.label) : String(l.label))));
          chunk.setColumnValues(2, slice.map((l) => l.timestamp ?? now));
          appender.appendDataChunk(chunk);
        }
        appender.flushSync();
        appender.closeSync();
        const dir = join(root, model, 'labels', `date=${day}`);
        await mkdir(dir, { recursive: true });
        const base = `${Date.now()}-${process.pid}${String(seq++).padStart(6, '0')}.parquet`;
        const path = join(dir, base);
        const tmp = join(dir, `.${base}.tmp`);
        await con.run(`copy (select request_id, label, epoch_ms(ts::BIGINT) as "timestamp" from labels) to '${tmp.replaceAll("'", "''")}' (format parquet)`);
        await rename(tmp, path);
        locals.push(path);
        let minTs = Infinity;
        let maxTs = -Infinity;
        for (const l of group) {
          const t = l.timestamp ?? now;
          if (t < minTs) minTs = t;
          if (t > maxTs) maxTs = t;
        }
        written.push({ modelName: model, kind: 'labels', day, minTs, maxTs, rows: group.length, path });
      }
    });
    // Uploads run after the DuckDB connection is closed: it is not held through network calls.
    if (publisher !== undefined) {
      for (const f of written) {
        f.path = await publisher.publish(f.path, uniqueRel(`${model}/labels/date=${f.day}/${basename(f.path)}`));
        uploaded.push(f.path);
      }
    }
    const indexed = await ServingStore.for(store).addFiles(written);
    // Remote log: the uploaded copies are the files now.
    if (publisher !== undefined) await Promise.all(locals.map((f) => rm(f, { force: true })));
    return indexed;
  } catch (e) {
    await Promise.all(locals.map((f) => rm(f, { force: true })));
    await Promise.all(uploaded.map((uri) => publisher?.remove?.(uri).catch(() => undefined)));
    throw e;
  }
}

/** What a prune removed. */
export interface PruneReport {
  /** Files deleted (with their index rows). */
  files: number;
  /** Rows those files held. */
  rows: number;
}

/** Where the log's remote files are and where readers cache them (servers with a remote artifact root). */
export interface LogFilesContext {
  /** The artifact store the indexed URIs point into. */
  artifacts: ArtifactStore;
  /** The local cache of downloaded files; default: `cacheDirOf` of the data capabilities (a temp folder). */
  cacheDir?: string | undefined;
}

/** The artifact-store path of an indexed location, or null for a local path or a URI outside the store. */
function storePathOf(location: string, ctx: LogFilesContext | undefined): string | null {
  if (isAbsolute(location) || ctx === undefined) return null;
  try {
    const p = artifactUriToStorePath(location, ctx.artifacts.rootUri, 'path');
    // Only the log's own folder: the index never leads outside it.
    return p !== null && p.startsWith(`${INFERENCE_LOG_PREFIX}/`) ? p : null;
  } catch {
    return null;
  }
}

/**
 * The cache key of the file at store path `p` of the artifact store at `rootUri`: the path under
 * a short digest of the root, so that servers on one machine (sharing the default cache) never
 * mistake each other's files for their own.
 */
export function cacheKeyOf(rootUri: string, p: string): string {
  return `${createHash('sha256').update(rootUri).digest('hex').slice(0, 16)}/${p}`;
}

/** Where a cached copy of the store path `p` lives. */
function cachePath(ctx: LogFilesContext, p: string): string {
  return join(cacheDirOf(ctx), ...cacheKeyOf(ctx.artifacts.rootUri, p).split('/'));
}

/**
 * The retention policy: delete the files (predictions and labels) whose newest row is older
 * than `olderThanMs` before `now`, then their index rows. Local files are removed from disk;
 * files indexed by an artifact URI under `artifacts` (a remote log) are deleted from the store,
 * with their cached copies. A file already gone still loses its index row. Only indexed files
 * under an absolute path, or under the given artifact store, are touched.
 */
export async function pruneInferenceLog(
  store: Store,
  options: { olderThanMs: number; now?: number; model?: string; artifacts?: ArtifactStore; cacheDir?: string },
): Promise<PruneReport> {
  if (!Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) {
    throw new HangarError('INVALID_PARAMETER_VALUE', 'older_than must be a non-negative duration.', { field: 'older_than' });
  }
  const s = ServingStore.for(store);
  const ctx: LogFilesContext | undefined = options.artifacts === undefined ? undefined : { artifacts: options.artifacts, cacheDir: options.cacheDir };
  const cutoff = (options.now ?? Date.now()) - options.olderThanMs;
  const files = await s.listFiles({ olderThan: cutoff, ...(options.model === undefined ? {} : { modelName: options.model }) });
  const removed: InferenceLogFile[] = [];
  for (const f of files) {
    if (isAbsolute(f.path)) {
      await rm(f.path, { force: true });
    } else {
      const p = storePathOf(f.path, ctx);
      if (p === null || ctx === undefined) continue;
      await ctx.artifacts.delete(p);
      await rm(cachePath(ctx, p), { force: true });
    }
    removed.push(f);
  }
  await s.deleteFiles(removed.map((f) => f.fileId));
  return { files: removed.length, rows: removed.reduce((n, f) => n + f.rows, 0) };
}

/** Downloads of one call to `localLogPaths` run this many at a time. */
const DOWNLOADS = 4;

/**
 * Local paths DuckDB can read for indexed log locations, in the given order: a local path as it
 * is (dropped when the file is gone), an artifact URI under `ctx.artifacts` as a cached copy
 * (downloaded once: files of the log never change after they are indexed; a download goes to a
 * temp name first). Locations that point nowhere readable (a missing object, a URI outside
 * the store, no `ctx`) are dropped, as missing local files are.
 */
export async function localLogPaths(locations: readonly string[], ctx?: LogFilesContext): Promise<string[]> {
  const out: Array<string | null> = locations.map(() => null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < locations.length) {
      const i = next++;
      const loc = locations[i]!;
      if (isAbsolute(loc)) {
        if (existsSync(loc)) out[i] = loc;
        continue;
      }
      const p = storePathOf(loc, ctx);
      if (p === null || ctx === undefined) continue;
      try {
        out[i] = await localCopy(ctx, p, cacheKeyOf(ctx.artifacts.rootUri, p));
      } catch (e) {
        if (!(e instanceof HangarError && e.code === 'RESOURCE_DOES_NOT_EXIST')) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOADS, locations.length) }, worker));
  return out.filter((p): p is string => p !== null);
}

/** An index that registers files through the tracking server (what `hangar serve` uses). */
export function restIndex(client: InferenceClient): InferenceIndex {
  return {
    async addFiles(files) {
      await client.registerFiles(files.map((f) => ({ model: f.modelName, kind: f.kind, day: f.day, minTs: f.minTs, maxTs: f.maxTs, rows: f.rows, path: f.path })));
    },
  };
}
