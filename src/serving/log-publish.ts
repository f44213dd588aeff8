/**
 * Where finished inference-log files go when the log is not on the writer's disk: a server
 * whose artifact root is remote (`s3://…`) keeps its inference log under
 * `<artifact root>/inference-log/`. The writer (a serving process, or the tracking server for
 * labels) writes each Parquet file locally first, publishes it through one of these, and only
 * then indexes it under the URI the publisher returns. Publishing the same file again writes
 * the same object, so a retry after a lost answer is harmless; once the file is indexed the
 * server keeps the object and answers a re-upload of the same bytes as a success (other bytes
 * are RESOURCE_ALREADY_EXISTS), so a restarted writer's retry still succeeds.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { ArtifactStore } from '../artifacts/index.js';
import { checkArtifactPath } from '../artifacts/index.js';
import type { InferenceClient } from '../client/index.js';
import type { NewInferenceLogFile } from '../store/index.js';
import type { InferenceIndex } from './inference-log.js';

/** The folder of the inference log under the artifact root. */
export const INFERENCE_LOG_PREFIX = 'inference-log';

/** Copies finished log files to the log's remote home. */
export interface LogPublisher {
  /** The URI of the log, e.g. `s3://bucket/prefix/inference-log`; indexed files are under it. */
  readonly uri: string;
  /**
   * Copy the local file `localPath` to `rel` under the log (`<model>/date=YYYY-MM-DD/<name>.parquet`
   * or `<model>/labels/date=…/<name>.parquet`) and resolve to the URI to index. Throws what the
   * store or the server answered (the caller keeps the file and retries).
   */
  publish(localPath: string, rel: string): Promise<string>;
  /** Delete a published file by the URI `publish` returned (undoing a publish that was never indexed). */
  remove?(uri: string): Promise<void>;
}

/** True when an artifact store keeps its files on this machine's disk. */
export function isLocalArtifactStore(artifacts: Pick<ArtifactStore, 'rootUri'>): boolean {
  return artifacts.rootUri.startsWith('file:');
}

/** The URI of the inference log under an artifact root URI. */
export function inferenceLogUri(rootUri: string): string {
  return `${rootUri.replace(/\/+$/, '')}/${INFERENCE_LOG_PREFIX}`;
}

/** The artifact path of a file `rel` of the log. */
export function logArtifactPath(rel: string): string {
  return checkArtifactPath(`${INFERENCE_LOG_PREFIX}/${rel}`, { field: 'path' });
}

/**
 * `rel` with a random tag before `.parquet`: writers on several machines name files by time and
 * a sequence number, which two of them can share; the tag keeps their objects apart in the
 * shared log (a collision would replace one file with another and lose its rows).
 */
export function uniqueRel(rel: string): string {
  const tag = randomBytes(6).toString('hex');
  return rel.endsWith('.parquet') ? `${rel.slice(0, -'.parquet'.length)}-${tag}.parquet` : `${rel}-${tag}`;
}

/** Publish straight into an artifact store (the tracking server, tests). */
export function artifactPublisher(artifacts: ArtifactStore): LogPublisher {
  const uri = inferenceLogUri(artifacts.rootUri);
  return {
    uri,
    async publish(localPath, rel) {
      await artifacts.put(logArtifactPath(rel), createReadStream(localPath));
      return `${uri}/${rel}`;
    },
    async remove(fileUri) {
      if (fileUri.startsWith(`${uri}/`)) await artifacts.delete(logArtifactPath(fileUri.slice(uri.length + 1)));
    },
  };
}

/**
 * Publish through the tracking server's artifact upload route (`PUT
 * /api/2.0/mlflow-artifacts/artifacts/inference-log/…`): what `hangar serve` uses, so a serving
 * process needs neither the server's disk nor storage credentials. `uri` is the log's URI as
 * the server reports it (`GET /api/2.0/hangar/inference/config`).
 */
export function restPublisher(client: InferenceClient, uri: string): LogPublisher {
  const base = uri.replace(/\/+$/, '');
  return {
    uri: base,
    async publish(localPath, rel) {
      await client.uploadLogFile(localPath, logArtifactPath(rel));
      return `${base}/${rel}`;
    },
  };
}

export interface UploadingIndexOptions {
  /** The local folder the inference log writes its files under (the spool). */
  root: string;
  /** Where files go before they are indexed. */
  publisher: LogPublisher;
  /** Where uploaded files are indexed (by their URI). */
  index: InferenceIndex;
  /** The writer's id (cluster worker): recovery after a restart takes only this writer's files. Default 0. */
  writerId?: number;
  /** Called with the number of files whose upload failed (for `/metrics`). */
  onUploadFailure?: (files: number) => void;
  /** Called after every attempt with the rows on local disk waiting to be uploaded or indexed. */
  onWaiting?: (rows: number) => void;
  /** Log lines. */
  log?: (line: string) => void;
}

interface Waiting {
  file: NewInferenceLogFile;
  /** The file's path relative to the spool, `/`-separated: its place in the remote log. */
  rel: string;
  /** Set once uploaded. */
  uri?: string;
  sidecar: string;
}

const SIDE = '.json';

/** The sidecar recording what a spooled file will be indexed as (so a restart can finish the job). */
function sidecarOf(local: string): string {
  return join(dirname(local), `.${basename(local)}${SIDE}`);
}

/**
 * The index a serving process uses when the log is remote: each file the inference log hands
 * over is uploaded (`publisher`), then indexed by its URI, then removed from the local spool.
 * A failed upload or index throws, so the inference log keeps the files and hands them over
 * again on its next flush (files uploaded already are not sent twice); acknowledged rows never
 * leave the local disk before they are indexed. Each spooled file has a sidecar
 * (`.<name>.json`) with its index entry, so files left by a process that stopped before
 * indexing them are picked up by the next one with the same writer id. Indexing a file that a
 * lost answer had indexed already counts as done.
 */
export class UploadingIndex implements InferenceIndex {
  readonly #o: UploadingIndexOptions;
  readonly #waiting = new Map<string, Waiting>();
  #recovered = false;
  #uploadFailures = 0;
  #chain: Promise<void> = Promise.resolve();
  /** Files modified after this belong to this process's own flushes, never to recovery. */
  readonly #started = Date.now();

  constructor(options: UploadingIndexOptions) {
    this.#o = options;
  }

  /** Files whose upload failed, since start. */
  get uploadFailures(): number {
    return this.#uploadFailures;
  }

  /** Rows on local disk waiting to be uploaded or indexed. */
  get waitingRows(): number {
    let n = 0;
    for (const w of this.#waiting.values()) n += w.file.rows;
    return n;
  }

  /**
   * Pick up what an earlier process of this writer left in the spool and upload and index it
   * now, without waiting for the first flush (a restarted server may get no traffic for a
   * while). Throws like `addFiles`; the files then wait for the next call.
   */
  resume(): Promise<void> {
    return this.addFiles([]);
  }

  /** Upload and index `files` (and any still waiting). Calls run one at a time. */
  addFiles(files: readonly NewInferenceLogFile[]): Promise<void> {
    const run = this.#chain.then(() => this.#addFiles(files));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #addFiles(files: readonly NewInferenceLogFile[]): Promise<void> {
    if (!this.#recovered) {
      this.#recovered = true;
      await this.#recover(new Set(files.map((f) => f.path)));
    }
    for (const f of files) {
      if (this.#waiting.has(f.path)) continue;
      const w: Waiting = { file: f, rel: uniqueRel(relative(this.#o.root, f.path).split(sep).join('/')), sidecar: sidecarOf(f.path) };
      // The sidecar keeps the remote name too: a retry by a restarted process replaces the same object.
      await writeFile(w.sidecar, JSON.stringify({ ...f, writerId: this.#o.writerId ?? 0, rel: w.rel }));
      this.#waiting.set(f.path, w);
    }
    try {
      await this.#drain();
    } finally {
      this.#o.onWaiting?.(this.waitingRows);
    }
  }

  /** Upload what is not uploaded, then index everything uploaded; throws (keeping the rest) on the first failure. */
  async #drain(): Promise<void> {
    for (const w of this.#waiting.values()) {
      if (w.uri !== undefined) continue;
      if ((await stat(w.file.path).catch(() => null))?.isFile() !== true) {
        // The spooled file is gone (removed by hand, or taken by another process with the same writer id).
        this.#o.log?.(`inference log: ${w.file.path} disappeared before it was uploaded; ${w.file.rows} rows not indexed`);
        this.#waiting.delete(w.file.path);
        await rm(w.sidecar, { force: true });
        continue;
      }
      try {
        w.uri = await this.#o.publisher.publish(w.file.path, w.rel);
      } catch (e) {
        this.#uploadFailures++;
        this.#o.onUploadFailure?.(1);
        throw new Error(`upload of ${w.rel} to ${this.#o.publisher.uri} failed: ${(e as Error).message}`, { cause: e });
      }
    }
    const ready = [...this.#waiting.values()].filter((w) => w.uri !== undefined);
    if (ready.length === 0) return;
    const entry = (w: Waiting): NewInferenceLogFile => ({ ...w.file, path: w.uri! });
    try {
      await this.#o.index.addFiles(ready.map(entry));
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      // A retry after an answer that was lost: index one by one, counting the ones already there as done.
      for (const w of ready) {
        try {
          await this.#o.index.addFiles([entry(w)]);
        } catch (e1) {
          if (!isAlreadyExists(e1)) throw e1;
        }
        await this.#done(w);
      }
      return;
    }
    for (const w of ready) await this.#done(w);
  }

  async #done(w: Waiting): Promise<void> {
    this.#waiting.delete(w.file.path);
    await rm(w.file.path, { force: true });
    await rm(w.sidecar, { force: true });
  }

  /** Queue the files a previous process of this writer left in the spool (`skip`: files being handed over now). */
  async #recover(skip: ReadonlySet<string>): Promise<void> {
    const writer = this.#o.writerId ?? 0;
    const sidecars: string[] = [];
    const parquet: string[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory() && depth < 4) await walk(p, depth + 1);
        else if (e.isFile() && e.name.startsWith('.') && e.name.endsWith(`.parquet${SIDE}`)) sidecars.push(p);
        else if (e.isFile() && !e.name.startsWith('.') && e.name.endsWith('.parquet')) parquet.push(p);
      }
    };
    await walk(this.#o.root, 0);
    let files = 0;
    let rows = 0;
    // A file written just before a crash, before its sidecar: its entry is read back from the file.
    const withSidecar = new Set(sidecars.map((side) => join(dirname(side), basename(side).slice(1, -SIDE.length))));
    for (const local of parquet.sort()) {
      if (withSidecar.has(local) || skip.has(local) || this.#waiting.has(local)) continue;
      const file = await this.#entryOf(local, writer);
      if (file === null) continue;
      const w: Waiting = { file, rel: uniqueRel(relative(this.#o.root, local).split(sep).join('/')), sidecar: sidecarOf(local) };
      await writeFile(w.sidecar, JSON.stringify({ ...file, writerId: writer, rel: w.rel }));
      this.#waiting.set(local, w);
      files++;
      rows += file.rows;
    }
    for (const side of sidecars.sort()) {
      const local = join(dirname(side), basename(side).slice(1, -SIDE.length));
      if (skip.has(local) || this.#waiting.has(local)) continue;
      let meta: NewInferenceLogFile & { writerId?: number; rel?: string };
      try {
        meta = JSON.parse(await readFile(side, 'utf8')) as NewInferenceLogFile & { writerId?: number; rel?: string };
      } catch {
        continue;
      }
      if ((meta.writerId ?? 0) !== writer) continue;
      if ((await stat(local).catch(() => null))?.isFile() !== true) {
        await rm(side, { force: true });
        continue;
      }
      const { writerId: _w, rel, ...file } = meta;
      this.#waiting.set(local, { file: { ...file, path: local }, rel: rel ?? uniqueRel(relative(this.#o.root, local).split(sep).join('/')), sidecar: side });
      files++;
      rows += file.rows;
    }
    if (files > 0) this.#o.log?.(`inference log: ${files} files (${rows} rows) left in ${this.#o.root} by an earlier process will be uploaded and indexed`);
  }

  /**
   * The index entry of a spooled prediction file that has no sidecar, read from its place
   * (`<model>/date=YYYY-MM-DD/<ms>-<seq>.parquet`, the writer id being `seq / 1e6`) and its
   * rows (count and `timestamp` range); null when it is not this writer's, is newer than this
   * process (a flush in progress owns it), or cannot be read.
   */
  async #entryOf(local: string, writer: number): Promise<NewInferenceLogFile | null> {
    const parts = relative(this.#o.root, local).split(sep);
    const name = /^\d+-(\d+)\.parquet$/.exec(parts[2] ?? '');
    const day = /^date=(\d{4}-\d{2}-\d{2})$/.exec(parts[1] ?? '');
    if (parts.length !== 3 || name === null || day === null || Math.floor(Number(name[1]) / 1_000_000) !== writer) return null;
    const info = await stat(local).catch(() => null);
    if (info === null || info.mtimeMs >= this.#started) return null;
    try {
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
      try {
        const con = await instance.connect();
        try {
          const sql = `select count(*)::DOUBLE as n, epoch_ms(min("timestamp"))::DOUBLE as lo, epoch_ms(max("timestamp"))::DOUBLE as hi from read_parquet('${local.replaceAll("'", "''")}', hive_partitioning = false)`;
          const row = (await con.runAndReadAll(sql)).getRowObjectsJS()[0] as { n: number; lo: number | null; hi: number | null };
          if (row.n === 0 || row.lo === null || row.hi === null) return null;
          return { modelName: parts[0]!, kind: 'predictions', day: day[1]!, minTs: row.lo, maxTs: row.hi, rows: row.n, path: local };
        } finally {
          con.closeSync();
        }
      } finally {
        instance.closeSync();
      }
    } catch (e) {
      this.#o.log?.(`inference log: ${local} has no index entry and cannot be read (${(e as Error).message}); left in place`);
      return null;
    }
  }
}

function isAlreadyExists(e: unknown): boolean {
  return typeof e === 'object' && e !== null && ((e as { code?: unknown }).code === 'RESOURCE_ALREADY_EXISTS' || (e as { serverCode?: unknown }).serverCode === 'RESOURCE_ALREADY_EXISTS');
}
