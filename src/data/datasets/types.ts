/**
 * Domain shapes of versioned datasets (issue 4): what a registered version is, and what
 * `resolveDataset` hands to feature tables, training and scoring.
 */
import type { Expectations } from './expectations.js';
import type { DatasetProfile } from './profile.js';

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

/** A registered dataset (every version shares it). */
export interface DatasetInfo {
  name: string;
  description: string | null;
  tags: Record<string, string>;
  /** The highest version number ever created. */
  latestVersion: number;
  createdBy: string | null;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

/** How a version's data arrived. */
export type DatasetSourceType = 'file' | 'sql' | 'upload';

/** One immutable version of a dataset. */
export interface DatasetVersion {
  name: string;
  version: number;
  /** Content digest (docs/datasets.md). */
  digest: string;
  rowCount: number;
  schema: DatasetColumn[];
  profile: DatasetProfile;
  sourceType: DatasetSourceType;
  /** The file path or SQL text it was registered from (an upload's original file name). */
  source: string;
  /** Artifact URI of the Parquet file. */
  uri: string;
  /** The Parquet file's path under the artifact store root. */
  artifactPath: string;
  sizeBytes: number;
  /** The expectations that were checked before it was published, if any. */
  expectations: Expectations | null;
  createdBy: string | null;
  creationTimestamp: number;
}
