/**
 * The feature-store adapter: feature-table definitions, their computed versions, training sets
 * and feature services, on the same Kysely engine as the metadata store. Storage primitives only; the rules
 * (what a spec may say, how a version is computed, the point-in-time join) live in
 * `src/data/features/`, since the store layer may not import domain code.
 */
import { sql, type Kysely } from 'kysely';
import { HangarError, notFound } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Engine } from './dialects/engine.js';
import { inTransaction } from './transaction.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './port.js';
import type { Database } from './schema.js';
import type { FeatureServicesTable, FeatureTablesTable, FeatureTableVersionsTable, TrainingSetsTable } from './features-schema.js';

type Db = Kysely<Database>;

/** A registered feature table (its spec is opaque JSON here; `src/data/features/` parses it). */
export interface FeatureTableRecord {
  name: string;
  /** The spec as JSON text. */
  specJson: string;
  specDigest: string;
  description: string | null;
  owner: string | null;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  /** Highest computed version; 0 before the first compute. */
  latestVersion: number;
  /** Exclusive end (epoch ms) of the latest computed range, or null. */
  lastEnd: number | null;
}

/** One computed version of a feature table. */
export interface FeatureTableVersionRecord {
  name: string;
  version: number;
  mode: 'full' | 'incremental';
  /** Inclusive start of the range written (epoch ms), or null when unbounded. */
  startTs: number | null;
  /** Exclusive end of the range written (epoch ms), or null without a timestamp key. */
  endTs: number | null;
  /** Rows this version wrote. */
  rowCount: number;
  /** Rows of the table as of this version. */
  totalRows: number;
  /** Artifact path of this version's file. */
  path: string;
  /** Artifact paths of every file holding the table as of this version. */
  files: string[];
  digest: string;
  /** Columns and DuckDB types of the rows. */
  schema: Array<{ name: string; type: string }>;
  specDigest: string;
  creationTimestamp: number;
}

/** A version before the store numbers it. */
export type NewFeatureTableVersion = Omit<FeatureTableVersionRecord, 'name' | 'version' | 'creationTimestamp'>;

/** One feature-table version that fed a training set. */
export interface LineageEntry {
  table: string;
  version: number;
  digest: string;
  /** The feature columns taken from it (after renames). */
  features: string[];
  /**
   * The columns of the result that carry sensitive data (src/data/features/sensitive.ts), with
   * the `table:feature` they come from and the tag that made it sensitive. Absent in training
   * sets built before it was recorded.
   */
  sensitive?: Array<{ column: string; feature: string; tag: string; value: string; on: 'feature' | 'table' }>;
}

/** A stored training set. */
export interface TrainingSetRecord {
  id: string;
  /** The request (labels, lookups, exclude) as parsed JSON. */
  spec: Record<string, unknown>;
  /** Artifact path of the Parquet result, if stored under the artifact root. */
  path: string | null;
  /** A local output path it was also written to, if any. */
  output: string | null;
  rowCount: number;
  digest: string;
  schema: Array<{ name: string; type: string }>;
  lineage: LineageEntry[];
  runId: string | null;
  creationTimestamp: number;
}

/** A registered feature service (its spec is opaque JSON here; `src/data/features/` parses it). */
export interface FeatureServiceRecord {
  name: string;
  /** The spec as JSON text. */
  specJson: string;
  specDigest: string;
  description: string | null;
  owner: string | null;
  /** 1 when created; one more each time its content changed. */
  version: number;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

const toService = (r: FeatureServicesTable): FeatureServiceRecord => ({
  name: r.name,
  specJson: r.spec_json,
  specDigest: r.spec_digest,
  description: r.description,
  owner: r.owner,
  version: Number(r.version),
  creationTimestamp: Number(r.creation_timestamp),
  lastUpdatedTimestamp: Number(r.last_updated_timestamp),
});

const toTable = (r: FeatureTablesTable): FeatureTableRecord => ({
  name: r.name,
  specJson: r.spec_json,
  specDigest: r.spec_digest,
  description: r.description,
  owner: r.owner,
  creationTimestamp: Number(r.creation_timestamp),
  lastUpdatedTimestamp: Number(r.last_updated_timestamp),
  latestVersion: Number(r.latest_version),
  lastEnd: r.last_end === null ? null : Number(r.last_end),
});

const toVersion = (r: FeatureTableVersionsTable): FeatureTableVersionRecord => ({
  name: r.name,
  version: Number(r.version),
  mode: r.mode === 'incremental' ? 'incremental' : 'full',
  startTs: r.start_ts === null ? null : Number(r.start_ts),
  endTs: r.end_ts === null ? null : Number(r.end_ts),
  rowCount: Number(r.row_count),
  totalRows: Number(r.total_rows),
  path: r.path,
  files: JSON.parse(r.files_json) as string[],
  digest: r.digest,
  schema: JSON.parse(r.schema_json) as Array<{ name: string; type: string }>,
  specDigest: r.spec_digest,
  creationTimestamp: Number(r.creation_timestamp),
});

const toTrainingSet = (r: TrainingSetsTable): TrainingSetRecord => ({
  id: r.training_set_id,
  spec: JSON.parse(r.spec_json) as Record<string, unknown>,
  path: r.path,
  output: r.output,
  rowCount: Number(r.row_count),
  digest: r.digest,
  schema: JSON.parse(r.schema_json) as Array<{ name: string; type: string }>,
  lineage: JSON.parse(r.lineage_json) as LineageEntry[],
  runId: r.run_id,
  creationTimestamp: Number(r.creation_timestamp),
});

/** Feature-store storage on the metadata store's engine. */
export class FeatureStore {
  readonly #e: Engine;
  readonly #clock: Clock;

  constructor(engine: Engine, clock: Clock = systemClock) {
    this.#e = engine;
    this.#clock = clock;
  }

  /** The feature store beside a metadata store opened by `openStore`; NOT_IMPLEMENTED for other stores. */
  static for(store: Store, clock?: Clock): FeatureStore {
    let engine: Engine | undefined;
    try {
      engine = KyselyStore.engineOf(store);
    } catch {
      engine = undefined;
    }
    if (engine === undefined) throw new HangarError('NOT_IMPLEMENTED', 'Feature tables need a metadata store opened by openStore (SQLite or PostgreSQL).');
    return new FeatureStore(engine, clock);
  }

  #tx<T>(mode: 'read' | 'write', fn: (trx: Db) => Promise<T>): Promise<T> {
    return inTransaction(this.#e, mode, fn);
  }

  // --- definitions -------------------------------------------------------------------------------

  /**
   * Create or update a definition. Returns what happened: `created`, `changed` (the digest
   * differs) or `unchanged`. Computed versions are kept across changes; each records the spec
   * digest it was computed with.
   */
  upsertTable(input: { name: string; specJson: string; specDigest: string; description: string | null; owner: string | null }): Promise<{ status: 'created' | 'changed' | 'unchanged'; table: FeatureTableRecord }> {
    return this.#tx('write', async (trx) => {
      const now = this.#clock.now();
      const existing = await trx.selectFrom('feature_tables').selectAll().where('name', '=', input.name).executeTakeFirst();
      if (existing === undefined) {
        const row: FeatureTablesTable = {
          name: input.name,
          spec_json: input.specJson,
          spec_digest: input.specDigest,
          description: input.description,
          owner: input.owner,
          creation_timestamp: now,
          last_updated_timestamp: now,
          latest_version: 0,
          last_end: null,
        };
        await trx.insertInto('feature_tables').values(row).execute();
        return { status: 'created', table: toTable(row) };
      }
      if (existing.spec_digest === input.specDigest) return { status: 'unchanged', table: toTable(existing) };
      const updated = { spec_json: input.specJson, spec_digest: input.specDigest, description: input.description, owner: input.owner, last_updated_timestamp: now };
      await trx.updateTable('feature_tables').set(updated).where('name', '=', input.name).execute();
      return { status: 'changed', table: toTable({ ...existing, ...updated }) };
    });
  }

  /** A definition, or null. */
  async findTable(name: string): Promise<FeatureTableRecord | null> {
    const row = await this.#tx('read', (trx) => trx.selectFrom('feature_tables').selectAll().where('name', '=', name).executeTakeFirst());
    return row === undefined ? null : toTable(row);
  }

  /** A definition; RESOURCE_DOES_NOT_EXIST naming it when absent. */
  async getTable(name: string): Promise<FeatureTableRecord> {
    const t = await this.findTable(name);
    if (t === null) throw notFound(`Feature table '${name}' not found; register it with \`hangar features apply\`.`);
    return t;
  }

  /** Every definition, by name. */
  async listTables(): Promise<FeatureTableRecord[]> {
    const rows = await this.#tx('read', (trx) => trx.selectFrom('feature_tables').selectAll().orderBy(sql`name ${this.#e.binaryCollation}`).execute());
    return rows.map(toTable);
  }

  // --- versions ----------------------------------------------------------------------------------

  /**
   * Record a computed version as `latest_version + 1`, in one transaction with the table's new
   * `latest_version` and `last_end`. `expectedLatest` is the version the computation started
   * from: if another compute committed meanwhile, RESOURCE_CONFLICT (retry the compute).
   */
  addVersion(name: string, expectedLatest: number, v: NewFeatureTableVersion): Promise<FeatureTableVersionRecord> {
    return this.#tx('write', async (trx) => {
      const rows = await sql<{ latest_version: number }>`select latest_version from feature_tables where name = ${name}${this.#e.forUpdate}`.execute(trx);
      const current = rows.rows[0];
      if (current === undefined) throw notFound(`Feature table '${name}' not found.`);
      if (Number(current.latest_version) !== expectedLatest) {
        throw new HangarError('RESOURCE_CONFLICT', `Feature table '${name}' got version ${Number(current.latest_version)} while this compute ran from version ${expectedLatest}; run it again.`);
      }
      const now = this.#clock.now();
      const row: FeatureTableVersionsTable = {
        name,
        version: expectedLatest + 1,
        mode: v.mode,
        start_ts: v.startTs,
        end_ts: v.endTs,
        row_count: v.rowCount,
        total_rows: v.totalRows,
        path: v.path,
        files_json: JSON.stringify(v.files),
        digest: v.digest,
        schema_json: JSON.stringify(v.schema),
        spec_digest: v.specDigest,
        creation_timestamp: now,
      };
      await trx.insertInto('feature_table_versions').values(row).execute();
      await trx.updateTable('feature_tables').set({ latest_version: row.version, last_end: v.endTs, last_updated_timestamp: now }).where('name', '=', name).execute();
      return toVersion(row);
    });
  }

  /** One version (default: the latest); RESOURCE_DOES_NOT_EXIST when there is none. */
  async getVersion(name: string, version?: number): Promise<FeatureTableVersionRecord> {
    const row = await this.#tx('read', async (trx) => {
      let q = trx.selectFrom('feature_table_versions').selectAll().where('name', '=', name);
      q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
      return q.executeTakeFirst();
    });
    if (row === undefined) {
      throw notFound(version === undefined ? `Feature table '${name}' has no computed version; run \`hangar features compute ${name}\`.` : `Feature table '${name}' has no version ${version}.`);
    }
    return toVersion(row);
  }

  /** Every version of a table, oldest first. */
  async listVersions(name: string): Promise<FeatureTableVersionRecord[]> {
    const rows = await this.#tx('read', (trx) => trx.selectFrom('feature_table_versions').selectAll().where('name', '=', name).orderBy('version', 'asc').execute());
    return rows.map(toVersion);
  }

  // --- feature services --------------------------------------------------------------------------

  /**
   * Create or update a feature service. `created` (version 1), `changed` (the digest differs:
   * version + 1 and a new updated time) or `unchanged` (nothing written).
   */
  upsertService(input: { name: string; specJson: string; specDigest: string; description: string | null; owner: string | null }): Promise<{ status: 'created' | 'changed' | 'unchanged'; service: FeatureServiceRecord }> {
    return this.#tx('write', async (trx) => {
      const now = this.#clock.now();
      const rows = await sql<FeatureServicesTable>`select * from feature_services where name = ${input.name}${this.#e.forUpdate}`.execute(trx);
      const existing = rows.rows[0];
      if (existing === undefined) {
        const row: FeatureServicesTable = {
          name: input.name,
          spec_json: input.specJson,
          spec_digest: input.specDigest,
          description: input.description,
          owner: input.owner,
          version: 1,
          creation_timestamp: now,
          last_updated_timestamp: now,
        };
        await trx.insertInto('feature_services').values(row).execute();
        return { status: 'created', service: toService(row) };
      }
      if (existing.spec_digest === input.specDigest) return { status: 'unchanged', service: toService(existing) };
      const updated = { spec_json: input.specJson, spec_digest: input.specDigest, description: input.description, owner: input.owner, version: Number(existing.version) + 1, last_updated_timestamp: now };
      await trx.updateTable('feature_services').set(updated).where('name', '=', input.name).execute();
      return { status: 'changed', service: toService({ ...existing, ...updated }) };
    });
  }

  /** A feature service, or null. */
  async findService(name: string): Promise<FeatureServiceRecord | null> {
    const row = await this.#tx('read', (trx) => trx.selectFrom('feature_services').selectAll().where('name', '=', name).executeTakeFirst());
    return row === undefined ? null : toService(row);
  }

  /** A feature service; RESOURCE_DOES_NOT_EXIST naming it when absent. */
  async getService(name: string): Promise<FeatureServiceRecord> {
    const s = await this.findService(name);
    if (s === null) throw notFound(`Feature service '${name}' not found; register it with \`hangar features apply\`.`);
    return s;
  }

  /** Every feature service, by name. */
  async listServices(): Promise<FeatureServiceRecord[]> {
    const rows = await this.#tx('read', (trx) => trx.selectFrom('feature_services').selectAll().orderBy(sql`name ${this.#e.binaryCollation}`).execute());
    return rows.map(toService);
  }

  /** Delete a feature service; RESOURCE_DOES_NOT_EXIST when absent. */
  async deleteService(name: string): Promise<void> {
    await this.#tx('write', async (trx) => {
      const r = await trx.deleteFrom('feature_services').where('name', '=', name).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw notFound(`Feature service '${name}' not found.`);
    });
  }

  // --- training sets -----------------------------------------------------------------------------

  /** Record a training set (after its file is in place). */
  async addTrainingSet(t: Omit<TrainingSetRecord, 'creationTimestamp'>): Promise<TrainingSetRecord> {
    return this.#tx('write', async (trx) => {
      const row: TrainingSetsTable = {
        training_set_id: t.id,
        spec_json: JSON.stringify(t.spec),
        path: t.path,
        output: t.output,
        row_count: t.rowCount,
        digest: t.digest,
        schema_json: JSON.stringify(t.schema),
        lineage_json: JSON.stringify(t.lineage),
        run_id: t.runId,
        creation_timestamp: this.#clock.now(),
      };
      await trx.insertInto('training_sets').values(row).execute();
      return toTrainingSet(row);
    });
  }

  /** A training set; RESOURCE_DOES_NOT_EXIST when unknown. */
  async getTrainingSet(id: string): Promise<TrainingSetRecord> {
    const row = await this.#tx('read', (trx) => trx.selectFrom('training_sets').selectAll().where('training_set_id', '=', id).executeTakeFirst());
    if (row === undefined) throw notFound(`Training set '${id}' not found.`);
    return toTrainingSet(row);
  }

  /** Training sets, newest first. */
  async listTrainingSets(maxResults = 100): Promise<TrainingSetRecord[]> {
    const rows = await this.#tx('read', (trx) => trx.selectFrom('training_sets').selectAll().orderBy('creation_timestamp', 'desc').limit(maxResults).execute());
    return rows.map(toTrainingSet);
  }
}
