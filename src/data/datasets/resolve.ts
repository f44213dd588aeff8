/**
 * Reading the dataset catalogue: versions as domain shapes, and resolving a version to a local
 * Parquet file for feature tables, training and scoring.
 */
import { DataStore, type DataAssetVersion } from '../../store/data-store.js';
import type { DataContext } from '../context.js';
import type { Expectations } from './expectations.js';
import { localCopy } from './files.js';
import type { DatasetProfile } from './profile.js';
import type { DatasetColumn, DatasetVersion, ResolvedDataset } from './types.js';

/** A stored version row as the domain shape (JSON fields parsed). */
export function versionFromRow(r: DataAssetVersion): DatasetVersion {
  return {
    name: r.name,
    version: r.version,
    digest: r.digest,
    rowCount: r.rowCount,
    schema: JSON.parse(r.schema) as DatasetColumn[],
    profile: JSON.parse(r.profile) as DatasetProfile,
    sourceType: r.sourceType as DatasetVersion['sourceType'],
    source: r.source,
    uri: r.uri,
    artifactPath: r.artifactPath,
    sizeBytes: r.sizeBytes,
    expectations: r.expectations === null ? null : (JSON.parse(r.expectations) as Expectations),
    createdBy: r.createdBy,
    creationTimestamp: r.creationTimestamp,
  };
}

/**
 * The dataset `name` at `version` (default: the latest version), with a local Parquet path
 * DuckDB can read (downloaded to `ctx.cacheDir` first when the artifact store is remote; a
 * cached copy of the right size is reused). Errors: RESOURCE_DOES_NOT_EXIST when the dataset
 * or version is unknown.
 */
export async function resolveDataset(ctx: DataContext, name: string, version?: number): Promise<ResolvedDataset> {
  const v = await DataStore.for(ctx.store).getVersion(name, version);
  const localPath = await localCopy(ctx, v.artifactPath, `${name}/${v.digest}.parquet`, v.sizeBytes);
  return { name: v.name, version: v.version, digest: v.digest, rowCount: v.rowCount, schema: JSON.parse(v.schema) as DatasetColumn[], uri: v.uri, localPath };
}
