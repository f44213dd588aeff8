/**
 * Domain shapes of versioned datasets (issue 4): what a registered version is, and what
 * `resolveDataset` hands to feature tables, training and scoring.
 */

/** One column of a dataset's schema. */
export interface DatasetColumn {
  /** Column name as in the Parquet file. */
  name: string;
  /** DuckDB's type name, e.g. `BIGINT`, `DOUBLE`, `VARCHAR`, `TIMESTAMP`, `DATE`, `BOOLEAN`. */
  type: string;
}

/** A dataset version resolved to a Parquet file that DuckDB can read. */
export interface ResolvedDataset {
  /** Dataset name. */
  name: string;
  /** Version number, 1-based. */
  version: number;
  /** Content digest of the version (see docs/datasets.md). */
  digest: string;
  /** Number of rows. */
  rowCount: number;
  /** Columns in file order. */
  schema: DatasetColumn[];
  /** The artifact URI of the Parquet file, e.g. `file:///…/datasets/flights/v1/data.parquet` or `s3://…`. */
  uri: string;
  /** A Parquet file on local disk: the file itself on a local artifact store, a cached copy for S3. */
  localPath: string;
}
