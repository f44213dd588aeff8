/**
 * Kysely row types of the tables of migrations 0004 (feature-table definitions, versions and
 * training sets) and 0009 (feature services), issue 4. Part of the metadata database's `Database` type, so `hangar db copy`
 * carries them (they are listed in `TABLES_IN_DEPENDENCY_ORDER` too). `features-store.ts` maps
 * them to domain shapes.
 */

/** One registered feature table: its definition as code, as `hangar features apply` left it. */
export interface FeatureTablesTable {
  name: string;
  /** The `FeatureTableSpec` as JSON. */
  spec_json: string;
  /** sha256 of the canonical spec JSON; apply compares it to report changed/unchanged. */
  spec_digest: string;
  description: string | null;
  owner: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
  /** Highest version computed; 0 before the first compute. */
  latest_version: number;
  /** End (epoch ms, exclusive) of the latest computed time range; null before the first compute or for tables without a timestamp key. */
  last_end: number | null;
}

/** One computed version of a feature table's offline rows. */
export interface FeatureTableVersionsTable {
  name: string;
  version: number;
  /** `full` (replaces everything before it) or `incremental` (adds rows of a new time range). */
  mode: string;
  /** Start of the time range written (epoch ms, inclusive); null when unbounded. */
  start_ts: number | null;
  /** End of the time range written (epoch ms, exclusive); null for tables without a timestamp key. */
  end_ts: number | null;
  /** Rows this version wrote. */
  row_count: number;
  /** Rows of the table as of this version (all files). */
  total_rows: number;
  /** Artifact path of the Parquet file this version wrote. */
  path: string;
  /** Artifact paths of every file holding the table's rows as of this version, as a JSON array. */
  files_json: string;
  /** Digest of the rows this version wrote. */
  digest: string;
  /** Column names and DuckDB types, as JSON `[{name, type}]`. */
  schema_json: string;
  /** The spec digest the version was computed with. */
  spec_digest: string;
  creation_timestamp: number;
}

/** One point-in-time training set and its lineage. */
export interface TrainingSetsTable {
  training_set_id: string;
  /** The request (labels, lookups, exclude) as JSON. */
  spec_json: string;
  /** Artifact path of the Parquet result, when it was stored under the artifact root. */
  path: string | null;
  /** Where else the result was written (a local `--out` path), if anywhere. */
  output: string | null;
  row_count: number;
  digest: string;
  /** Output columns as JSON `[{name, type}]`. */
  schema_json: string;
  /** Feature-table versions that fed it, JSON `[{table, version, digest, features}]`. */
  lineage_json: string;
  /** The run it was logged to as dataset inputs, if any. */
  run_id: string | null;
  creation_timestamp: number;
}

/** One feature service: a named list of feature references (migration 0009). */
export interface FeatureServicesTable {
  name: string;
  /** The `FeatureServiceSpec` as canonical JSON, its `table:*` references expanded. */
  spec_json: string;
  /** sha256 of `spec_json`; apply compares it to report changed/unchanged. */
  spec_digest: string;
  description: string | null;
  owner: string | null;
  /** 1 when created, one more at each change of content. */
  version: number;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

/** The tables of migrations 0004 and 0009. */
export interface FeatureStoreTables {
  feature_tables: FeatureTablesTable;
  feature_table_versions: FeatureTableVersionsTable;
  training_sets: TrainingSetsTable;
  feature_services: FeatureServicesTable;
}
