/**
 * Serves the built web UI (`dist/web/`, made by `npm run build`) from the tracking server: the
 * files themselves, and `index.html` for any other page path so the UI's client-side routes
 * work when opened or reloaded directly. A small handler of our own rather than a static-file
 * plugin: the UI is a handful of files, and the rules below are all it needs.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const gzipAsync = promisify(gzipCallback);

/**
 * Where `npm run build` puts the UI. The same relative path holds from `src/api/` (tests) and
 * from `dist/api/` (the built server), since both sit two levels below the package root.
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Paths the UI never answers: the APIs and the operational endpoints keep their own 404s. */
const RESERVED = ['/api/', '/ajax-api/', '/health', '/metrics', '/invocations', '/version'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page loads its script and stylesheet from this server only and talks to this server only;
 * a policy that says so keeps injected markup from running or sending data elsewhere.
 */
const PAGE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/** Vite names every file under `assets/` by its content hash, so those can be cached for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The content type for a file name; `application/octet-stream` when the extension is unknown. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** True for paths the UI must leave alone (`/api/…`, `/ajax-api/…`, `/health`, `/metrics`, …). */
export function isReservedPath(path: string): boolean {
  return RESERVED.some((r) => (r.endsWith('/') ? path.startsWith(r) || path === r.slice(0, -1) : path === r || path.startsWith(`${r}/`)));
}

/** What the handler decided for one request path. */
export type WebLookup =
  | { kind: 'file'; file: string; size: number; mtimeMs: number; cacheControl: string }
  | { kind: 'not-built' }
  | { kind: 'bad-path' }
  | { kind: 'not-found' };

async function fileAt(path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Map a URL path (without the query) to a file under `root`. A path that decodes badly, holds a
 * NUL or a backslash, or resolves outside `root` is `bad-path`. A missing file falls back to
 * `index.html` (a client route), except under `assets/` and for top-level names with an
 * extension (`/robots.txt`): those are `not-found`, so a stale page never gets HTML where it
 * asked for a script.
 */
export async function lookupWebFile(root: string, urlPath: string): Promise<WebLookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { kind: 'bad-path' };
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return { kind: 'bad-path' };
  const base = resolve(root);
  const target = resolve(base, `.${decoded}`);
  if (target !== base && !target.startsWith(base + sep)) return { kind: 'bad-path' };
  if (decoded.split('/').some((segment) => segment === '..')) return { kind: 'bad-path' };

  const indexFile = resolve(base, 'index.html');
  const index = await fileAt(indexFile);
  if (index === undefined) return { kind: 'not-built' };

  if (target !== base && !decoded.endsWith('/')) {
    const found = await fileAt(target);
    if (found !== undefined) {
      const cacheControl = decoded.startsWith('/assets/') ? IMMUTABLE : 'no-cache';
      return { kind: 'file', file: target, ...found, cacheControl };
    }
    // Build output is `assets/*` and a few top-level files; a deeper path is a page even with a
    // dot in it (`/models/sklearn.iris`).
    const topLevelFile = decoded.lastIndexOf('/') === 0 && decoded.includes('.');
    if (decoded.startsWith('/assets/') || topLevelFile) return { kind: 'not-found' };
  }
  return { kind: 'file', file: indexFile, ...index, cacheControl: 'no-cache' };
}

/** Text files above this size go out gzip-compressed to clients that accept it. */
const GZIP_MIN_BYTES = 1024;
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg\+xml)/;
/** Compressed copies by file, reused while the file's size and mtime stay the same. */
const GZIP_CACHE = new Map<string, { size: number; mtimeMs: number; body: Buffer }>();

/** True when an Accept-Encoding header admits gzip (and does not give it q=0). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

async function gzipped(file: string, size: number, mtimeMs: number): Promise<Buffer> {
  const hit = GZIP_CACHE.get(file);
  if (hit !== undefined && hit.size === size && hit.mtimeMs === mtimeMs) return hit.body;
  const body = await gzipAsync(await readFile(file), { level: 9 });
  if (GZIP_CACHE.size >= 256) GZIP_CACHE.clear();
  GZIP_CACHE.set(file, { size, mtimeMs, body });
  return body;
}

const NOT_BUILT =
  'The Hangar web UI is not built on this server.\n' +
  'Build it with `npm run build` (or `npm ci`, which builds it too) in the Hangar checkout, then reload this page.\n' +
  'The APIs under /api/2.0/ work without it.\n';

/**
 * Answer a GET or HEAD for a UI path, or return false when the request is not the UI's
 * (another method, or a reserved API path), leaving the caller's 404 to answer it.
 */
export async function serveWeb(root: string, req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const urlPath = req.url.split('?')[0] ?? '/';
  if (isReservedPath(urlPath)) return false;
  const found = await lookupWebFile(root, urlPath);
  switch (found.kind) {
    case 'bad-path':
      await reply.status(400).send({ error_code: 'BAD_REQUEST', message: `Not a valid path: ${urlPath}` });
      return true;
    case 'not-found':
      return false;
    case 'not-built':
      await reply.status(404).type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT);
      return true;
    case 'file': {
      const type = contentTypeOf(found.file);
      const gzip = found.size >= GZIP_MIN_BYTES && COMPRESSIBLE.test(type) && acceptsGzip(req.headers['accept-encoding']);
      const etag = `W/"${found.size.toString(16)}-${Math.floor(found.mtimeMs).toString(16)}${gzip ? '-gz' : ''}"`;
      reply.header('cache-control', found.cacheControl).header('etag', etag).header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding');
      if (req.headers['if-none-match'] === etag) {
        await reply.status(304).send();
        return true;
      }
      if (type.startsWith('text/html')) reply.header('content-security-policy', PAGE_POLICY).header('referrer-policy', 'same-origin');
      reply.type(type);
      if (gzip) {
        const body = await gzipped(found.file, found.size, found.mtimeMs);
        reply.header('content-encoding', 'gzip').header('content-length', body.length);
        await reply.send(req.method === 'HEAD' ? '' : body);
        return true;
      }
      reply.header('content-length', found.size);
      await reply.send(req.method === 'HEAD' ? '' : createReadStream(found.file));
      return true;
    }
  }
}
