/**
 * Where feature Parquet files are read and written: DuckDB works on local files only, so a
 * file under a local artifact root is read in place and one on S3 is copied to a cache first.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { DataContext } from '../context.js';

/** The local directory of a `file://` artifact root, or null for a remote store. */
export function localRoot(ctx: DataContext): string | null {
  return ctx.artifacts.rootUri.startsWith('file:') ? fileURLToPath(ctx.artifacts.rootUri) : null;
}

/** The artifact URI of a path under the root. */
export function artifactUri(ctx: DataContext, path: string): string {
  return `${ctx.artifacts.rootUri.replace(/\/+$/, '')}/${path}`;
}

/**
 * A local path holding the artifact at `path`: the file itself on a local root, else a copy in
 * `ctx.cacheDir` (default `<tmp>/hangar-data-cache`). Artifact files are written once under
 * fresh names, so a cached copy never goes stale.
 */
export async function localFile(ctx: DataContext, path: string): Promise<string> {
  const root = localRoot(ctx);
  if (root !== null) return join(root, ...path.split('/'));
  const target = join(ctx.cacheDir ?? join(tmpdir(), 'hangar-data-cache'), ...path.split('/'));
  if (existsSync(target)) return target;
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await pipeline(await ctx.artifacts.get(path), createWriteStream(tmp));
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
  return target;
}

/** Upload a local file to `path` under the artifact root (the store writes it atomically). */
export async function putFile(ctx: DataContext, path: string, local: string): Promise<void> {
  await ctx.artifacts.put(path, createReadStream(local));
}

/** sha256 of a file, 16 hex characters. */
export async function fileDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex').slice(0, 16);
}
