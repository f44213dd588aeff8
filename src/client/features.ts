/**
 * The feature-store part of the SDK: register feature tables and feature services (as
 * `hangar features apply`), compute versions, read the catalogue, and build point-in-time
 * training sets on the server.
 *
 * ```ts
 * import { FeaturesClient } from 'hangar/client';
 * const features = new FeaturesClient({ trackingUri: 'http://127.0.0.1:5000', token });
 * await features.apply([{ name: 'origin_daily', keys: ['origin'], timestampKey: 'day_end', features: { rate: 'double' }, source: 'select …', ttl: '7d' }]);
 * await features.compute('origin_daily');
 * const ts = await features.createTrainingSet({ labels: { dataset: 'flights' }, lookups: [{ table: 'origin_daily', timestampLookupKey: 'date' }] });
 * ```
 */
import { Transport, transportFor, type HangarClientOptions, type Query } from './http.js';

const HANGAR = '/api/2.0/hangar/features';

type Wire = Record<string, unknown>;

/** A feature table definition as sent to `apply` (the same shape as in a definitions module or `features.yaml`). */
export interface FeatureTableDefinition {
  name: string;
  keys: Array<string | { name: string; type: 'string' | 'long' }>;
  timestampKey?: string;
  createdTimestampKey?: string;
  features: Array<{ name: string; type: 'double' | 'long' | 'boolean' | 'string' | 'timestamp'; description?: string; tags?: Record<string, string> }> | Record<string, 'double' | 'long' | 'boolean' | 'string' | 'timestamp'>;
  /** SQL text (on the server), `{sql}`, or `{transform: '/absolute/module.js'}`. */
  source: string | { sql: string } | { transform: string; export?: string; input?: string };
  /** `'7d'`, `'12h'`, `'30m'`, or 0 (never expires). */
  ttl?: string | number;
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}

/** A feature service definition as sent to `apply`: a name and `table:feature` references (`table:*` for every feature of a table). */
export interface FeatureServiceDefinition {
  name: string;
  features: string[];
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}

/** What `apply` did to one feature service. */
export interface FeatureServiceApplyResult {
  name: string;
  status: 'created' | 'changed' | 'unchanged';
  /** The version it has now (with `dryRun`, the one it would have). */
  version: number;
  /** Its references, `table:*` expanded. */
  features: string[];
}

/** A registered feature service. */
export interface FeatureServiceInfo {
  name: string;
  /** `table:feature` references in answer order, `table:*` expanded when applied. */
  features: string[];
  description: string | null;
  owner: string | null;
  tags: Record<string, string>;
  /** 1 when created; one more each time its content changed. */
  version: number;
  /** The sensitive features among `features`, marked as on their tables (from the tables' current tags). */
  sensitiveFeatures: SensitiveFeatureInfo[];
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

/** A feature that carries sensitive data, as the server's rule (docs/features.md) finds it. */
export interface SensitiveFeatureInfo {
  /** The reference, `table:feature`. */
  feature: string;
  /** The tag key and value that made it sensitive. */
  tag: string;
  value: string;
  /** Whether the tag is on the feature or on its whole table. */
  on: 'feature' | 'table';
  /** One sentence, e.g. `tag pii=true on the feature`. */
  reason: string;
}

/** One feature-table version that fed a training set. */
export interface TrainingSetLineageEntry {
  table: string;
  version: number;
  digest: string;
  /** The columns taken from it (after renames). */
  features: string[];
  /** Result columns that come from sensitive features; absent for training sets built before it was recorded. */
  sensitive?: Array<{ column: string; feature: string; tag: string; value: string; on: 'feature' | 'table' }>;
}

/** A registered feature table. */
export interface FeatureTableInfo {
  name: string;
  /** The validated spec (keys, timestampKey, features, source, ttlMs, …). */
  spec: Record<string, unknown>;
  /** TTL as a duration (`7d`, `0` = never). */
  ttl: string;
  description: string | null;
  owner: string | null;
  /** 0 before the first compute. */
  latestVersion: number;
  /** Exclusive end (epoch ms) of the latest computed range. */
  lastEnd: number | null;
  /** The features its sensitive-data tags mark (its own tags or the table's), in feature order. */
  sensitiveFeatures: SensitiveFeatureInfo[];
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

/** One computed version. */
export interface FeatureTableVersionInfo {
  name: string;
  version: number;
  mode: 'full' | 'incremental';
  start: number | null;
  end: number | null;
  rowCount: number;
  totalRows: number;
  files: string[];
  digest: string;
  schema: Array<{ name: string; type: string }>;
  creationTimestamp: number;
}

/** One feature lookup of a training set. */
export interface FeatureLookupInput {
  table: string;
  features?: string[];
  rename?: Record<string, string>;
  lookupKey?: string | string[];
  timestampLookupKey?: string;
  version?: number;
}

/** A training set and its lineage. */
export interface TrainingSetInfo {
  id: string;
  request: Record<string, unknown>;
  /** Artifact URI of the Parquet result. */
  uri: string | null;
  rowCount: number;
  digest: string;
  schema: Array<{ name: string; type: string }>;
  lineage: TrainingSetLineageEntry[];
  runId: string | null;
  creationTimestamp: number;
}

const num = (v: unknown): number => Number(v ?? 0);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function tableFrom(w: Wire): FeatureTableInfo {
  return {
    name: String(w.name),
    spec: (w.spec ?? {}) as Record<string, unknown>,
    ttl: String(w.ttl ?? '0'),
    description: (w.description as string | null | undefined) ?? null,
    owner: (w.owner as string | null | undefined) ?? null,
    latestVersion: num(w.latest_version),
    lastEnd: numOrNull(w.last_end),
    sensitiveFeatures: (w.sensitive_features ?? []) as SensitiveFeatureInfo[],
    creationTimestamp: num(w.creation_timestamp),
    lastUpdatedTimestamp: num(w.last_updated_timestamp),
  };
}

function serviceFrom(w: Wire): FeatureServiceInfo {
  return {
    name: String(w.name),
    features: (w.features ?? []) as string[],
    description: (w.description as string | null | undefined) ?? null,
    owner: (w.owner as string | null | undefined) ?? null,
    tags: (w.tags ?? {}) as Record<string, string>,
    version: num(w.version),
    sensitiveFeatures: (w.sensitive_features ?? []) as SensitiveFeatureInfo[],
    creationTimestamp: num(w.creation_timestamp),
    lastUpdatedTimestamp: num(w.last_updated_timestamp),
  };
}

function versionFrom(w: Wire): FeatureTableVersionInfo {
  return {
    name: String(w.name),
    version: num(w.version),
    mode: w.mode === 'incremental' ? 'incremental' : 'full',
    start: numOrNull(w.start),
    end: numOrNull(w.end),
    rowCount: num(w.row_count),
    totalRows: num(w.total_rows),
    files: (w.files ?? []) as string[],
    digest: String(w.digest ?? ''),
    schema: (w.schema ?? []) as Array<{ name: string; type: string }>,
    creationTimestamp: num(w.creation_timestamp),
  };
}

function trainingSetFrom(w: Wire): TrainingSetInfo {
  return {
    id: String(w.training_set_id),
    request: (w.request ?? {}) as Record<string, unknown>,
    uri: (w.uri as string | null | undefined) ?? null,
    rowCount: num(w.row_count),
    digest: String(w.digest ?? ''),
    schema: (w.schema ?? []) as TrainingSetInfo['schema'],
    lineage: (w.lineage ?? []) as TrainingSetInfo['lineage'],
    runId: (w.run_id as string | null | undefined) ?? null,
    creationTimestamp: num(w.creation_timestamp),
  };
}

/** Feature tables and training sets over `/api/2.0/hangar/features`. Failures are ApiErrors naming the field. */
export class FeaturesClient {
  private readonly http: Transport;

  /** Its own connection settings, as `HangarClient` takes them (`trackingUri`, `token`, retries). */
  constructor(options: string | HangarClientOptions | Transport) {
    if (options instanceof Transport) {
      this.http = options;
      return;
    }
    // Computing a table or a training set can take minutes on large data.
    this.http = transportFor(options, { timeoutMs: 600_000, userAgent: 'hangar-client/features' });
  }

  private read<T>(path: string, query: Query): Promise<T> {
    return this.http.json<T>('GET', `${HANGAR}${path}`, { query, idempotent: true });
  }

  private post<T>(path: string, json: unknown, idempotent = false): Promise<T> {
    return this.http.json<T>('POST', `${HANGAR}${path}`, { json, idempotent });
  }

  /**
   * Register or update definitions (`feast apply`); each comes back created, changed or
   * unchanged. Services in `options.services` are registered after the tables and may refer to
   * them; use {@link applyAll} to see their results too. Admins only with `--auth`.
   */
  async apply(tables: FeatureTableDefinition[], options: { dryRun?: boolean; services?: FeatureServiceDefinition[] } = {}): Promise<Array<{ name: string; status: 'created' | 'changed' | 'unchanged' }>> {
    return (await this.applyAll({ tables, ...options })).tables;
  }

  /** Register or update tables and services in one call; every service is checked before anything is written. */
  async applyAll(definitions: { tables?: FeatureTableDefinition[]; services?: FeatureServiceDefinition[]; dryRun?: boolean }): Promise<{ tables: Array<{ name: string; status: 'created' | 'changed' | 'unchanged' }>; services: FeatureServiceApplyResult[] }> {
    const r = await this.post<{ results?: Array<{ name: string; status: 'created' | 'changed' | 'unchanged' }>; services?: FeatureServiceApplyResult[] }>(
      '/tables/apply',
      { tables: definitions.tables ?? [], ...(definitions.services === undefined ? {} : { services: definitions.services }), dry_run: definitions.dryRun === true },
      true,
    );
    return { tables: r.results ?? [], services: r.services ?? [] };
  }

  /** Every registered feature service, by name. */
  async listServices(): Promise<FeatureServiceInfo[]> {
    const r = await this.read<{ feature_services?: Wire[] }>('/services/list', {});
    return (r.feature_services ?? []).map(serviceFrom);
  }

  /** One feature service. RESOURCE_DOES_NOT_EXIST when unknown. */
  async getService(name: string): Promise<FeatureServiceInfo> {
    const r = await this.read<{ feature_service: Wire }>('/services/get', { name });
    return serviceFrom(r.feature_service);
  }

  /** Delete a feature service (its tables stay). RESOURCE_DOES_NOT_EXIST when unknown; admins only with `--auth`. */
  async deleteService(name: string): Promise<void> {
    await this.post('/services/delete', { name });
  }

  /** Every registered table. */
  async list(): Promise<FeatureTableInfo[]> {
    const r = await this.read<{ feature_tables?: Wire[] }>('/tables/list', {});
    return (r.feature_tables ?? []).map(tableFrom);
  }

  /** One table and its versions, oldest first. RESOURCE_DOES_NOT_EXIST when unknown. */
  async get(name: string): Promise<{ table: FeatureTableInfo; versions: FeatureTableVersionInfo[] }> {
    const r = await this.read<{ feature_table: Wire; versions?: Wire[] }>('/tables/get', { name });
    return { table: tableFrom(r.feature_table), versions: (r.versions ?? []).map(versionFrom) };
  }

  /** Compute a new version (incremental from the last end unless `full`). */
  async compute(name: string, options: { start?: number | string; end?: number | string; full?: boolean } = {}): Promise<{ version: FeatureTableVersionInfo; reason?: string }> {
    const r = await this.post<{ version: Wire; reason?: string }>('/tables/compute', { name, ...options });
    return { version: versionFrom(r.version), ...(r.reason === undefined ? {} : { reason: r.reason }) };
  }

  /** Build a point-in-time training set on the server; with `runId`, its lineage is logged to that run. */
  async createTrainingSet(request: { labels: string | { dataset: string; version?: number }; lookups: FeatureLookupInput[]; exclude?: string[]; runId?: string }): Promise<TrainingSetInfo> {
    const { runId, ...rest } = request;
    const r = await this.post<{ training_set: Wire }>('/training-sets/create', { ...rest, ...(runId === undefined ? {} : { run_id: runId }) });
    return trainingSetFrom(r.training_set);
  }

  /** A training set and its lineage. */
  async getTrainingSet(id: string): Promise<TrainingSetInfo> {
    const r = await this.read<{ training_set: Wire }>('/training-sets/get', { training_set_id: id });
    return trainingSetFrom(r.training_set);
  }
}
