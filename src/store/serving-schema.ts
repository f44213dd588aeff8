/**
 * Kysely row types of the tables of migration 0005: the inference-log file index (prediction
 * and ground-truth label files). Part of the metadata database's `Database` type, so
 * `hangar db copy` carries them (listed in `TABLES_IN_DEPENDENCY_ORDER` too).
 */

/**
 * One Parquet file of an inference log, so monitors list files by model and time without
 * scanning folders. Written by the serving process (through the tracking server) or by the
 * labels route; removed with its file by the retention policy.
 */
export interface InferenceLogFilesTable {
  /** Random id, `ilf_…`. */
  file_id: string;
  /** Registered model name the rows belong to. */
  model_name: string;
  /** `predictions` or `labels`. */
  kind: string;
  /** UTC day of the rows, `YYYY-MM-DD` (the `date=` partition). */
  day: string;
  /** Smallest and largest row timestamp, epoch ms. */
  min_ts: number;
  max_ts: number;
  /** Number of rows in the file. */
  rows: number;
  /** Absolute local path of the file. */
  path: string;
  /** When the file was indexed, epoch ms. */
  created: number;
}

export interface ServingTables {
  inference_log_files: InferenceLogFilesTable;
}
