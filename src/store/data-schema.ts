/**
 * Kysely row types of the tables of migration 0003: versioned datasets and their versions
 * (issue 4). Part of the metadata database's `Database` type, so `hangar db copy` carries them
 * (they are listed in `TABLES_IN_DEPENDENCY_ORDER` too). `data-store.ts` maps them to domain
 * shapes. MLflow's own `datasets` table (run inputs) is a different thing: a run's record of
 * what it read, which may or may not be a registered dataset.
 */

/** A registered dataset: its name and what describes every version. */
export interface DataAssetsTable {
  name: string;
  description: string | null;
  /** JSON object of string tags. */
  tags: string;
  /** The highest version ever created (versions are never reused after a delete). */
  latest_version: number;
  created_by: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

/** One immutable version of a dataset: a Parquet file and what was measured on it. */
export interface DataAssetVersionsTable {
  name: string;
  version: number;
  /** Content digest (docs/datasets.md); unique per dataset, so identical content maps to one version. */
  digest: string;
  row_count: number;
  /** JSON array of `{name, type}` (DuckDB type names). */
  schema: string;
  /** JSON of the per-column profile. */
  profile: string;
  /** `file`, `sql` or `upload`: how the data arrived. */
  source_type: string;
  /** The file path or SQL text it was registered from. */
  source: string;
  /** The artifact URI of the Parquet file. */
  uri: string;
  /** The Parquet file's path relative to the artifact store root. */
  artifact_path: string;
  size_bytes: number;
  /** JSON of the expectations checked at ingestion, or null. */
  expectations: string | null;
  created_by: string | null;
  creation_timestamp: number;
}

/** The data capability's tables. */
export interface DataTables {
  data_assets: DataAssetsTable;
  data_asset_versions: DataAssetVersionsTable;
}
