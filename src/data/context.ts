/**
 * What the data capabilities (datasets, feature tables, the online store) need from the
 * platform: the metadata store for their catalogue rows and the artifact store for the Parquet
 * files. Built once by the server or the CLI and passed down; domain code never opens stores.
 */
import type { ArtifactStore } from '../artifacts/index.js';
import type { Store } from '../store/index.js';

/** The stores the data capabilities work on. */
export interface DataContext {
  /** The metadata store (SQLite or PostgreSQL, opened by `openStore`); catalogue rows live here. */
  store: Store;
  /** Where dataset and feature Parquet files are kept (local disk or S3). */
  artifacts: ArtifactStore;
  /**
   * A local directory for copies of remote Parquet files, since DuckDB reads local files only
   * (its httpfs extension cannot be downloaded at run time). Default: a `hangar-data-cache`
   * folder under the operating system's temp directory. Unused when the artifact store is on
   * local disk: its files are read in place.
   */
  cacheDir?: string;
}
