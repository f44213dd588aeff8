/**
 * Dataset files in the artifact store: where a version's Parquet file lives, and a local path
 * DuckDB can read for it (the file itself on local disk, a cached copy for S3).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { DataContext } from '../context.js';

/** Where dataset files live under the artifact store root. */
export const DATASETS_PREFIX = 'datasets';

/**
 * The artifact path of a version's file. Content-addressed (by digest), so a registration that
 * loses a race to identical content replaces the winner's file with one of the same content, and a failed registration never touches another version's file.
 */
export function versionArtifactPath(name: string, digest: string): string {
  return `${DATASETS_PREFIX}/${name}/${digest}/data.parquet`;
}

/** The artifact URI of `path` under the store's root. */
export function artifactUri(ctx: DataContext, path: string): string {
  return `${ctx.artifacts.rootUri.replace(/\/+$/, '')}/${path}`;
}

/** The local directory of a local-disk artifact store, or null for a remote one. */
export function localRoot(ctx: Pick<DataContext, 'artifacts'>): string | null {
  return ctx.artifacts.rootUri.startsWith('file:') ? fileURLToPath(ctx.artifacts.rootUri) : null;
}

/** The cache directory for remote files. */
export function cacheDirOf(ctx: Pick<DataContext, 'cacheDir'>): string {
  return ctx.cacheDir ?? join(tmpdir(), 'hangar-data-cache');
}

/**
 * A local path holding the artifact at `path`: the file itself on a local store; on a remote
 * store a copy under the cache (`cacheKey` names it; an existing copy of `size` bytes is reused;
 * a download goes to a temp name first, so a half-written copy is never used).
 */
export async function localCopy(ctx: Pick<DataContext, 'artifacts' | 'cacheDir'>, path: string, cacheKey: string, size?: number): Promise<string> {
  const root = localRoot(ctx);
  if (root !== null) return join(root, ...path.split('/'));
  const target = join(cacheDirOf(ctx), ...cacheKey.split('/'));
  const existing = await stat(target).catch(() => null);
  if (existing?.isFile() && (size === undefined || existing.size === size)) return target;
  await mkdir(join(target, '..'), { recursive: true });
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await pipeline(await ctx.artifacts.get(path), createWriteStream(tmp));
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return target;
}
