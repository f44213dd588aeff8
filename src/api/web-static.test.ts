import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from './server.js';
import { acceptsGzip, contentTypeOf, isReservedPath, lookupWebFile } from './web-static.js';
import { loadConfig } from '../core/config.js';
import { openStore, type Store } from '../store/index.js';
import { openLocalArtifactStore, type ArtifactStore } from '../artifacts/index.js';

const BIG_SCRIPT = Array.from({ length: 400 }, (_, i) => `export const value${i} = ${i};`).join('\n');

describe('web UI static files', () => {
  let dir: string;
  let web: string;
  let store: Store;
  let artifacts: ArtifactStore;
  let app: FastifyInstance;
  let bare: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-web-static-'));
    web = join(dir, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Hangar</title><div id="root"></div>');
    writeFileSync(join(web, 'assets', 'index-abc123.js'), 'console.log("ui")');
    writeFileSync(join(web, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(web, 'assets', 'vendor-def456.js'), BIG_SCRIPT);
    writeFileSync(join(dir, 'secret.txt'), 'outside the web root');
    writeFileSync(join(dir, 'web-other.txt'), 'a sibling whose name starts like the root');
    const config = loadConfig({ home: dir });
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
    app = await createServer({ config, store, artifacts, webRoot: web });
    bare = await createServer({ config, store, artifacts, webRoot: join(dir, 'not-built') });
  });
  afterAll(async () => {
    await app?.close();
    await bare?.close();
    await artifacts?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / with no-cache', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.body).toContain('<title>Hangar</title>');
    // The page may load and call only this server.
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves hashed assets with their content types and a long cache', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log("ui")');
    const css = await app.inject({ method: 'GET', url: '/assets/index-abc123.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const svg = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['cache-control']).toBe('no-cache');
  });

  it('gzips text assets for clients that accept it, and only for them', async () => {
    const zipped = await app.inject({ method: 'GET', url: '/assets/vendor-def456.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.statusCode).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.rawPayload.length);
    expect(zipped.rawPayload.length).toBeLessThan(Buffer.byteLength(BIG_SCRIPT) / 2);
    expect(gunzipSync(zipped.rawPayload).toString('utf8')).toBe(BIG_SCRIPT);
    const again = await app.inject({ method: 'GET', url: '/assets/vendor-def456.js', headers: { 'accept-encoding': 'gzip' } });
    expect(again.rawPayload.equals(zipped.rawPayload)).toBe(true);

    const plain = await app.inject({ method: 'GET', url: '/assets/vendor-def456.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(BIG_SCRIPT);
    expect(plain.headers.etag).not.toBe(zipped.headers.etag);
    const refused = await app.inject({ method: 'GET', url: '/assets/vendor-def456.js', headers: { 'accept-encoding': 'gzip;q=0, br' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    // Small files are not worth compressing.
    const small = await app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body).toBe('console.log("ui")');

    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('deflate, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('GZIP;Q=0')).toBe(false);
    expect(acceptsGzip('br')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });

  it('answers client routes with index.html (SPA fallback), query strings included', async () => {
    for (const url of ['/experiments/1', '/runs/abc?tab=metrics', '/models/my%20model', '/experiments/', '/models/sklearn.iris', '/models/a.b/versions/2']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.body).toContain('<div id="root">');
    }
  });

  it('answers a missing asset with the JSON 404, not HTML', async () => {
    for (const url of ['/assets/index-old999.js', '/assets/chunk', '/robots.txt', '/favicon.ico']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
    }
  });

  it('refuses path traversal, encoded or not', async () => {
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2E%2E/%2E%2E/secret.txt', '/..%2fsecret.txt', '/%2e%2e%5csecret.txt', '/a%00b', '/%E0%A4%A']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.body, url).not.toContain('outside the web root');
      expect([400, 404], url).toContain(r.statusCode);
      expect(r.headers['content-type'], url).toContain('application/json');
    }
    // The look-up itself, below fastify's own URL normalisation.
    expect((await lookupWebFile(web, '/../secret.txt')).kind).toBe('bad-path');
    expect((await lookupWebFile(web, '/%2e%2e/secret.txt')).kind).toBe('bad-path');
    expect((await lookupWebFile(web, '/../web-other.txt')).kind).toBe('bad-path');
    expect((await lookupWebFile(web, '/assets/../index.html')).kind).toBe('bad-path');
    expect((await lookupWebFile(web, 'relative.txt')).kind).toBe('bad-path');
  });

  it('leaves the API, health, metrics and other methods alone', async () => {
    const api = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
    const ajax = await app.inject({ method: 'GET', url: '/ajax-api/2.0/mlflow/nothing-here' });
    expect(ajax.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
    const exp = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get?experiment_id=0' });
    expect(exp.json()).toMatchObject({ experiment: { name: 'Default' } });
    expect((await app.inject({ method: 'GET', url: '/health' })).body).toBe('OK');
    expect((await app.inject({ method: 'GET', url: '/metrics' })).headers['content-type']).toContain('text/plain');
    const inv = await app.inject({ method: 'GET', url: '/invocations' });
    expect(inv.statusCode).toBe(404);
    expect(inv.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
    const post = await app.inject({ method: 'POST', url: '/experiments/1', payload: {} });
    expect(post.statusCode).toBe(404);
    expect(post.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
  });

  it('answers HEAD without a body and 304 for a matching ETag', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/assets/index-abc123.js' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const first = await app.inject({ method: 'GET', url: '/' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"/);
    const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('says how to build the UI when dist/web is missing', async () => {
    const r = await bare.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.body).toContain('npm run build');
    const api = await bare.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get?experiment_id=0' });
    expect(api.statusCode).toBe(200);
  });

  it('names content types and reserved paths', () => {
    expect(contentTypeOf('a/b/index.HTML')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('x.woff2')).toBe('font/woff2');
    expect(contentTypeOf('x.unknownext')).toBe('application/octet-stream');
    expect(contentTypeOf('noext')).toBe('application/octet-stream');
    for (const p of ['/api/2.0/mlflow/runs/get', '/ajax-api/2.0/x', '/api', '/health', '/metrics', '/invocations', '/version']) expect(isReservedPath(p), p).toBe(true);
    for (const p of ['/', '/experiments/1', '/healthy', '/apix', '/models/health']) expect(isReservedPath(p), p).toBe(false);
  });
});
