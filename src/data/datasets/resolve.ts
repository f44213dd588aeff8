/**
 * Resolving a registered dataset version to a local Parquet file, for feature tables,
 * training and scoring.
 */
import { HangarError } from '../../core/errors.js';
import type { DataContext } from '../context.js';
import type { ResolvedDataset } from './types.js';

/**
 * The dataset `name` at `version` (default: the latest version), with a local Parquet path
 * DuckDB can read (downloaded to `ctx.cacheDir` first when the artifact store is remote).
 * Errors: RESOURCE_DOES_NOT_EXIST when the dataset or version is unknown.
 */
export function resolveDataset(ctx: DataContext, name: string, version?: number): Promise<ResolvedDataset> {
  void ctx;
  return Promise.reject(new HangarError('NOT_IMPLEMENTED', `Datasets are not available yet (resolving ${name}${version === undefined ? '' : `@${version}`}).`));
}
