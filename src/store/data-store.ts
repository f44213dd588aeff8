/**
 * The dataset catalogue adapter: registered datasets and their immutable versions, on the same
 * Kysely engine as the metadata store. Storage primitives only; registration (reading the data,
 * profiling, expectations, the Parquet upload) lives in `src/data/datasets/`, which calls
 * `addVersion` once the file is in place so that a version row always points at a whole file.
 */
import { sql, type Kysely } from 'kysely';
import { HangarError, isHangarError, notFound } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { DataAssetVersionsTable, DataAssetsTable } from './data-schema.js';
import type { Engine } from './dialects/engine.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './port.js';
import type { Database } from './schema.js';
import { inTransaction } from './transaction.js';

type Db = Kysely<Database>;

/** A registered dataset. */
export interface DataAsset {
  name: string;
  description: string | null;
  tags: Record<string, string>;
  /** The highest version number ever created. */
  latestVersion: number;
  createdBy: string | null;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

/** One stored version of a dataset. JSON fields are kept as text; the domain parses them. */
export interface DataAssetVersion {
  name: string;
  version: number;
  digest: string;
  rowCount: number;
  /** JSON text: `[{name, type}]`. */
  schema: string;
  /** JSON text of the profile. */
  profile: string;
  sourceType: string;
  source: string;
  /** Artifact URI of the Parquet file. */
  uri: string;
  /** Path of the Parquet file relative to the artifact store root. */
  artifactPath: string;
  sizeBytes: number;
  /** JSON text of the expectations checked at ingestion, or null. */
  expectations: string | null;
  createdBy: string | null;
  creationTimestamp: number;
}

/** What `addVersion` stores; the version number is assigned by the store. */
export type NewDataAssetVersion = Omit<DataAssetVersion, 'version' | 'creationTimestamp'> & {
  /** Applied when the dataset is created by this call, or updated when given on a later one. */
  description?: string | null | undefined;
  /** Merged into the dataset's tags. */
  tags?: Record<string, string> | undefined;
};

function assetOf(r: DataAssetsTable): DataAsset {
  return {
    name: r.name,
    description: r.description,
    tags: JSON.parse(r.tags) as Record<string, string>,
    latestVersion: Number(r.latest_version),
    createdBy: r.created_by,
    creationTimestamp: Number(r.creation_timestamp),
    lastUpdatedTimestamp: Number(r.last_updated_timestamp),
  };
}

function versionOf(r: DataAssetVersionsTable): DataAssetVersion {
  return {
    name: r.name,
    version: Number(r.version),
    digest: r.digest,
    rowCount: Number(r.row_count),
    schema: r.schema,
    profile: r.profile,
    sourceType: r.source_type,
    source: r.source,
    uri: r.uri,
    artifactPath: r.artifact_path,
    sizeBytes: Number(r.size_bytes),
    expectations: r.expectations,
    createdBy: r.created_by,
    creationTimestamp: Number(r.creation_timestamp),
  };
}

/** Dataset catalogue storage on the metadata store's engine. */
export class DataStore {
  readonly #e: Engine;
  readonly #clock: Clock;

  constructor(engine: Engine, clock: Clock = systemClock) {
    this.#e = engine;
    this.#clock = clock;
  }

  /** The data store beside a metadata store opened by `openStore`; NOT_IMPLEMENTED for any other store. */
  static for(store: Store, clock?: Clock): DataStore {
    let engine: Engine | undefined;
    try {
      engine = KyselyStore.engineOf(store);
    } catch {
      engine = undefined;
    }
    if (engine === undefined) throw new HangarError('NOT_IMPLEMENTED', 'Datasets need a metadata store opened by openStore (SQLite or PostgreSQL).');
    return new DataStore(engine, clock);
  }

  #tx<T>(mode: 'read' | 'write', fn: (trx: Db) => Promise<T>): Promise<T> {
    return inTransaction(this.#e, mode, fn);
  }

  /**
   * Add a version to `name` (creating the dataset on its first version), numbered one above
   * the highest version ever created, in one transaction. When a version with the same digest
   * exists, nothing is written and that version is returned with `created: false` — also when
   * a concurrent registration of the same content committed first.
   */
  async addVersion(input: NewDataAssetVersion): Promise<{ version: DataAssetVersion; created: boolean }> {
    const existing = await this.findByDigest(input.name, input.digest);
    if (existing) return { version: existing, created: false };
    try {
      const version = await this.#tx('write', async (trx) => {
        const now = this.#clock.now();
        // Create the dataset row if needed (a concurrent first registration may do it at the same
        // time: the loser's insert does nothing), then lock it so versions are numbered one after another.
        await trx
          .insertInto('data_assets')
          .values({
            name: input.name,
            description: input.description ?? null,
            tags: '{}',
            latest_version: 0,
            created_by: input.createdBy,
            creation_timestamp: now,
            last_updated_timestamp: now,
          })
          .onConflict((oc) => oc.column('name').doNothing())
          .execute();
        const rows = await sql<DataAssetsTable>`select * from data_assets where name = ${input.name}${this.#e.forUpdate}`.execute(trx);
        const asset = rows.rows[0]!;
        const next = Number(asset.latest_version) + 1;
        const tags = { ...(JSON.parse(asset.tags) as Record<string, string>), ...input.tags };
        await trx
          .updateTable('data_assets')
          .set({
            latest_version: next,
            last_updated_timestamp: now,
            tags: JSON.stringify(tags),
            ...(input.description === undefined ? {} : { description: input.description }),
          })
          .where('name', '=', input.name)
          .execute();
        const row: DataAssetVersionsTable = {
          name: input.name,
          version: next,
          digest: input.digest,
          row_count: input.rowCount,
          schema: input.schema,
          profile: input.profile,
          source_type: input.sourceType,
          source: input.source,
          uri: input.uri,
          artifact_path: input.artifactPath,
          size_bytes: input.sizeBytes,
          expectations: input.expectations,
          created_by: input.createdBy,
          creation_timestamp: now,
        };
        await trx.insertInto('data_asset_versions').values(row).execute();
        return versionOf(row);
      });
      return { version, created: true };
    } catch (e) {
      // Lost a race to a registration of the same content: that version is the answer.
      if (isHangarError(e) && e.code === 'RESOURCE_ALREADY_EXISTS') {
        const winner = await this.findByDigest(input.name, input.digest);
        if (winner) return { version: winner, created: false };
      }
      throw e;
    }
  }

  /** The version of `name` with content `digest`, or null. */
  async findByDigest(name: string, digest: string): Promise<DataAssetVersion | null> {
    const row = await this.#tx('read', (trx) =>
      trx.selectFrom('data_asset_versions').selectAll().where('name', '=', name).where('digest', '=', digest).executeTakeFirst(),
    );
    return row ? versionOf(row) : null;
  }

  /** The dataset `name`; RESOURCE_DOES_NOT_EXIST when unknown. */
  async getAsset(name: string): Promise<DataAsset> {
    const row = await this.#tx('read', (trx) => trx.selectFrom('data_assets').selectAll().where('name', '=', name).executeTakeFirst());
    if (!row) throw notFound(`Dataset '${name}' does not exist.`);
    return assetOf(row);
  }

  /**
   * Datasets in name order (code-point order on both engines), optionally only names containing
   * `nameContains`, at most `maxResults` after `pageToken` (the last name of the previous page).
   */
  async listAssets(opts: { maxResults: number; pageToken?: string | undefined; nameContains?: string | undefined }): Promise<{ items: DataAsset[]; nextPageToken?: string }> {
    const rows = await this.#tx('read', (trx) => {
      let q = trx.selectFrom('data_assets').selectAll();
      if (opts.pageToken !== undefined) q = q.where(sql<boolean>`name ${this.#e.binaryCollation} > ${opts.pageToken}`);
      if (opts.nameContains !== undefined && opts.nameContains !== '') q = q.where(this.#e.like(sql`name`, `%${opts.nameContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, false));
      return q.orderBy(sql`name ${this.#e.binaryCollation}`).limit(opts.maxResults + 1).execute();
    });
    const items = rows.slice(0, opts.maxResults).map(assetOf);
    return rows.length > opts.maxResults ? { items, nextPageToken: items[items.length - 1]!.name } : { items };
  }

  /** Every version of `name`, newest first; RESOURCE_DOES_NOT_EXIST when the dataset is unknown. */
  async listVersions(name: string): Promise<DataAssetVersion[]> {
    await this.getAsset(name);
    const rows = await this.#tx('read', (trx) => trx.selectFrom('data_asset_versions').selectAll().where('name', '=', name).orderBy('version', 'desc').execute());
    return rows.map(versionOf);
  }

  /**
   * Version `version` of `name`, or its newest remaining version when `version` is undefined.
   * RESOURCE_DOES_NOT_EXIST naming the dataset or the version.
   */
  async getVersion(name: string, version?: number): Promise<DataAssetVersion> {
    const row = await this.#tx('read', (trx) => {
      const q = trx.selectFrom('data_asset_versions').selectAll().where('name', '=', name);
      return (version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version)).executeTakeFirst();
    });
    if (row) return versionOf(row);
    await this.getAsset(name);
    throw notFound(version === undefined ? `Dataset '${name}' has no versions.` : `Dataset '${name}' has no version ${version}.`);
  }

  /**
   * Delete one version, or the whole dataset with every version when `version` is undefined.
   * Returns the deleted versions (their files are the caller's to remove).
   */
  async delete(name: string, version?: number): Promise<DataAssetVersion[]> {
    return this.#tx('write', async (trx) => {
      const asset = await trx.selectFrom('data_assets').select('name').where('name', '=', name).executeTakeFirst();
      if (!asset) throw notFound(`Dataset '${name}' does not exist.`);
      let q = trx.selectFrom('data_asset_versions').selectAll().where('name', '=', name);
      if (version !== undefined) q = q.where('version', '=', version);
      const rows = await q.execute();
      if (version !== undefined) {
        if (rows.length === 0) throw notFound(`Dataset '${name}' has no version ${version}.`);
        await trx.deleteFrom('data_asset_versions').where('name', '=', name).where('version', '=', version).execute();
        await trx.updateTable('data_assets').set({ last_updated_timestamp: this.#clock.now() }).where('name', '=', name).execute();
      } else {
        await trx.deleteFrom('data_asset_versions').where('name', '=', name).execute();
        await trx.deleteFrom('data_assets').where('name', '=', name).execute();
      }
      return rows.map(versionOf);
    });
  }
}
