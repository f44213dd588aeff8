/**
 * The dataset catalogue beyond registration: look-ups, listings, deletes and exports.
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { invalidParam, notFound } from '../../core/errors.js';
import { DataStore, type DataAsset } from '../../store/data-store.js';
import type { DataContext } from '../context.js';
import { sqlString } from '../table.js';
import { withDuck } from './duck.js';
import { resolveDataset, versionFromRow } from './resolve.js';
import type { DatasetInfo, DatasetVersion } from './types.js';

function infoOf(a: DataAsset): DatasetInfo {
  return { ...a };
}

/** The dataset `name`; RESOURCE_DOES_NOT_EXIST when unknown. */
export async function getDataset(ctx: DataContext, name: string): Promise<DatasetInfo> {
  return infoOf(await DataStore.for(ctx.store).getAsset(name));
}

/** Datasets in name order, paged (`pageToken` is the previous page's `nextPageToken`). */
export async function listDatasets(
  ctx: DataContext,
  opts: { maxResults?: number | undefined; pageToken?: string | undefined; nameContains?: string | undefined } = {},
): Promise<{ datasets: DatasetInfo[]; nextPageToken?: string }> {
  const page = await DataStore.for(ctx.store).listAssets({ maxResults: opts.maxResults ?? 100, pageToken: opts.pageToken, nameContains: opts.nameContains });
  return { datasets: page.items.map(infoOf), ...(page.nextPageToken === undefined ? {} : { nextPageToken: page.nextPageToken }) };
}

/** Every version of `name`, newest first. */
export async function listDatasetVersions(ctx: DataContext, name: string): Promise<DatasetVersion[]> {
  return (await DataStore.for(ctx.store).listVersions(name)).map(versionFromRow);
}

/** Version `version` of `name` (the latest when undefined), or the version with content `digest`. */
export async function getDatasetVersion(ctx: DataContext, name: string, by: { version?: number | undefined; digest?: string | undefined } = {}): Promise<DatasetVersion> {
  const store = DataStore.for(ctx.store);
  if (by.digest !== undefined) {
    const found = await store.findByDigest(name, by.digest);
    if (found === null) {
      await store.getAsset(name);
      throw notFound(`Dataset '${name}' has no version with digest ${by.digest}.`);
    }
    if (by.version !== undefined && found.version !== by.version) throw invalidParam(`Dataset '${name}' version ${by.version} does not have digest ${by.digest}.`, 'digest');
    return versionFromRow(found);
  }
  return versionFromRow(await store.getVersion(name, by.version));
}

/**
 * Delete version `version` of `name`, or the whole dataset when it is undefined. The rows go
 * first (in one transaction), then the files; a file that cannot be deleted is left for
 * `hangar gc` rather than failing a delete that already happened. Returns the deleted versions.
 */
export async function deleteDataset(ctx: DataContext, name: string, version?: number): Promise<DatasetVersion[]> {
  const deleted = await DataStore.for(ctx.store).delete(name, version);
  for (const v of deleted) await ctx.artifacts.delete(v.artifactPath).catch(() => undefined);
  return deleted.map(versionFromRow);
}

/**
 * Write a version to `outPath`: Parquet copied as stored for `.parquet`, converted by DuckDB for
 * `.csv`. Written to a temp name beside the target and renamed, so the target is whole or absent.
 */
export async function exportDataset(ctx: DataContext, name: string, version: number | undefined, outPath: string): Promise<{ path: string; version: number; rowCount: number }> {
  const resolved = await resolveDataset(ctx, name, version);
  const target = resolve(outPath);
  const ext = extname(target).toLowerCase();
  if (ext !== '.parquet' && ext !== '.csv') throw invalidParam(`Cannot export to '${outPath}': use a .parquet or .csv file name.`, 'out');
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    if (ext === '.parquet') await copyFile(resolved.localPath, tmp);
    else await withDuck((con) => con.run(`copy (select * from read_parquet(${sqlString(resolved.localPath)})) to ${sqlString(tmp)} (format csv, header true)`));
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { path: target, version: resolved.version, rowCount: resolved.rowCount };
}
