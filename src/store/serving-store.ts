/**
 * The inference-log file index on the metadata store's engine: one row per Parquet file of
 * predictions or labels (migration 0005). Storage primitives only; where files live and how
 * they are written is `src/serving/`'s business.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { HangarError } from '../core/errors.js';
import type { Engine } from './dialects/engine.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './port.js';
import type { Database } from './schema.js';
import type { InferenceLogFilesTable } from './serving-schema.js';
import { inTransaction } from './transaction.js';

/** What an inference-log file holds. */
export type InferenceFileKind = 'predictions' | 'labels';

/** One indexed inference-log file. */
export interface InferenceLogFile {
  /** `ilf_…`. */
  fileId: string;
  /** Registered model name. */
  modelName: string;
  kind: InferenceFileKind;
  /** UTC day of its rows, `YYYY-MM-DD`. */
  day: string;
  /** Smallest row timestamp, epoch ms. */
  minTs: number;
  /** Largest row timestamp, epoch ms. */
  maxTs: number;
  /** Row count. */
  rows: number;
  /** Absolute local path. */
  path: string;
  /** When it was indexed, epoch ms. */
  created: number;
}

/** A file to index (the id and creation time are assigned). */
export type NewInferenceLogFile = Omit<InferenceLogFile, 'fileId' | 'created'>;

/** Filters for listing files. */
export interface InferenceFileQuery {
  /** Registered model name; all models when absent. */
  modelName?: string;
  kind?: InferenceFileKind;
  /** Only files with rows at or after this time (epoch ms): `maxTs >= from`. */
  from?: number;
  /** Only files with rows before this time (epoch ms): `minTs < to`. */
  to?: number;
  /** Only files whose newest row is older than this (epoch ms): `maxTs < olderThan`. */
  olderThan?: number;
}

function toFile(r: InferenceLogFilesTable): InferenceLogFile {
  return {
    fileId: r.file_id,
    modelName: r.model_name,
    kind: r.kind as InferenceFileKind,
    day: r.day,
    minTs: Number(r.min_ts),
    maxTs: Number(r.max_ts),
    rows: Number(r.rows),
    path: r.path,
    created: Number(r.created),
  };
}

/** The inference-log file index beside a metadata store. */
export class ServingStore {
  readonly #e: Engine;

  constructor(engine: Engine) {
    this.#e = engine;
  }

  /** The index on the engine of a store opened by `openStore`; NOT_IMPLEMENTED for other stores. */
  static for(store: Store): ServingStore {
    let engine: Engine | undefined;
    try {
      engine = KyselyStore.engineOf(store);
    } catch {
      engine = undefined;
    }
    if (engine === undefined) throw new HangarError('NOT_IMPLEMENTED', 'The inference-log index needs a metadata store opened by openStore (SQLite or PostgreSQL).');
    return new ServingStore(engine);
  }

  /**
   * Index files in one transaction. A path indexed already is RESOURCE_ALREADY_EXISTS (the
   * whole batch is rolled back).
   */
  addFiles(files: readonly NewInferenceLogFile[], now: number = Date.now()): Promise<InferenceLogFile[]> {
    return inTransaction(this.#e, 'write', async (trx) => {
      const rows: InferenceLogFilesTable[] = files.map((f) => ({
        file_id: `ilf_${randomBytes(8).toString('hex')}`,
        model_name: f.modelName,
        kind: f.kind,
        day: f.day,
        min_ts: f.minTs,
        max_ts: f.maxTs,
        rows: f.rows,
        path: f.path,
        created: now,
      }));
      if (rows.length > 0) await trx.insertInto('inference_log_files').values(rows).execute();
      return rows.map(toFile);
    });
  }

  /** Files matching the query, oldest rows first. */
  listFiles(q: InferenceFileQuery): Promise<InferenceLogFile[]> {
    return inTransaction(this.#e, 'read', async (trx) => {
      let s = (trx as unknown as Kysely<Database>).selectFrom('inference_log_files').selectAll();
      if (q.modelName !== undefined) s = s.where('model_name', '=', q.modelName);
      if (q.kind !== undefined) s = s.where('kind', '=', q.kind);
      if (q.from !== undefined) s = s.where('max_ts', '>=', q.from);
      if (q.to !== undefined) s = s.where('min_ts', '<', q.to);
      if (q.olderThan !== undefined) s = s.where('max_ts', '<', q.olderThan);
      const rows = await s.orderBy('min_ts').orderBy('file_id').execute();
      return rows.map(toFile);
    });
  }

  /** The indexed file at exactly `path` (an absolute local path or an artifact URI), or undefined. */
  fileByPath(path: string): Promise<InferenceLogFile | undefined> {
    return inTransaction(this.#e, 'read', async (trx) => {
      const row = await (trx as unknown as Kysely<Database>).selectFrom('inference_log_files').selectAll().where('path', '=', path).executeTakeFirst();
      return row === undefined ? undefined : toFile(row);
    });
  }

  /** Remove index rows by id (the caller deletes the files); returns how many were removed. */
  deleteFiles(fileIds: readonly string[]): Promise<number> {
    if (fileIds.length === 0) return Promise.resolve(0);
    return inTransaction(this.#e, 'write', async (trx) => {
      const r = await trx.deleteFrom('inference_log_files').where('file_id', 'in', [...fileIds]).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }
}
