/**
 * The feature server (`hangar online serve`) against the tracking server's look-up route on the
 * same online store: same bytes for good and bad bodies; its own 404, 413, health and metrics;
 * tables materialised after it started. SQLite always, Redis when the test run found it.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { redisSkipReason, redisUrl } from '../../../test/support/services.js';
import { startFeatureServer, type FeatureServer } from './feature-server.js';
import { OnlineFeatures } from './lookup.js';
import { openOnlineStore } from './open.js';
import type { OnlineStore } from './port.js';
import { DRIVER_STATS_END, materializeDriverStats } from './test-support.js';


async function post(base: string, path: string, body: unknown): Promise<{ status: number; type: string | null; length: string | null; text: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type'), length: res.headers.get('content-length'), text: await res.text() };
}

const GET = '/api/2.0/hangar/features/online/get';
const FEAST = '/get-online-features';

describe('feature server on SQLite, beside the tracking server', () => {
  let tracking: TestServer;
  let store: OnlineStore;
  let features: FeatureServer;

  beforeAll(async () => {
    tracking = await startTestServer();
    // The store the tracking server opens by default: online.db next to hangar.db.
    store = await openOnlineStore({ type: 'sqlite' }, { home: tracking.home, backendStoreUri: `sqlite:///${join(tracking.home, 'hangar.db')}` });
    await materializeDriverStats(store, tracking.home, 'driver_stats');
    features = await startFeatureServer({ online: new OnlineFeatures(store), host: '127.0.0.1', port: 0, bodyLimitBytes: 4096 });
  });
  afterAll(async () => {
    await features?.close();
    await store?.close();
    await tracking?.close();
  });

  it('answers the same bytes as the tracking server on both paths', async () => {
    const bodies = [
      { features: ['driver_stats:conv_rate', 'driver_stats:trips'], entities: { driver_id: [1001, 1002, 1003] } },
      { features: ['driver_stats:trips'], entities: { driver_id: [1003, null] }, full_feature_names: true },
      { features: ['driver_stats:trips', 'driver_stats:conv_rate'], entities: { driver_id: [] } },
    ];
    for (const body of bodies) {
      const want = await post(tracking.url, GET, body);
      expect(want.status).toBe(200);
      for (const path of [GET, FEAST]) {
        const got = await post(features.url, path, body);
        expect(got.status, path).toBe(200);
        expect(got.type).toBe('application/json');
        // A declared length, not chunked framing.
        expect(got.length).toBe(String(Buffer.byteLength(got.text)));
        expect(got.text).toBe(want.text);
      }
    }
    expect(JSON.parse((await post(features.url, FEAST, bodies[0])).text).results[1]).toEqual({
      values: [0.7, null, null],
      statuses: ['PRESENT', 'NOT_FOUND', 'NULL_VALUE'],
      event_timestamps: ['2021-12-31T23:00:00Z', '1970-01-01T00:00:00Z', '2021-12-31T22:00:00Z'],
    });
  });

  it('answers 400 naming the field for bad bodies, in the same bytes as the tracking server', async () => {
    const cases: Array<[unknown, string]> = [
      [{ features: ['nope:x'], entities: { driver_id: [1] } }, 'features[0]'],
      [{ features: ['driver_stats:nope'], entities: { driver_id: [1] } }, "'nope'"],
      [{ features: ['driver_stats:conv_rate'], entities: { other: [1] } }, "entity key 'driver_id'"],
      [{ features: ['driver_stats:conv_rate'], entities: { driver_id: ['x'] } }, 'entities.driver_id[0]'],
      [{ features: ['driver_stats:conv_rate'], entities: { driver_id: [1, 2], x: [1] } }, 'entities.x'],
      [{ features: ['driver_stats:conv_rate'] }, "'entities'"],
      [{ features: 'driver_stats:conv_rate', entities: { driver_id: [1] } }, "'features'"],
      [{ features: [1], entities: { driver_id: [1] } }, "'features.0'"],
      [{ entities: { driver_id: [1] }, feature_service: 'svc' }, "'svc'"],
      [{ entities: { driver_id: 1 }, features: ['driver_stats:trips'] }, "'entities.driver_id'"],
      [[1, 2], "'(body)'"],
      ['', "'entities'"],
      ['{not json', 'Malformed JSON'],
    ];
    for (const [body, mention] of cases) {
      const want = await post(tracking.url, FEAST, body);
      const got = await post(features.url, FEAST, body);
      expect(got.status, JSON.stringify(body)).toBe(400);
      const json = JSON.parse(got.text) as { error_code: string; message: string };
      expect(json.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(json.message).toContain(mention);
      expect(got.text, JSON.stringify(body)).toBe(want.text);
    }
  });

  it('answers the 404 envelope for unknown paths and methods', async () => {
    const r = await fetch(`${features.url}/nowhere?x=1`);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error_code: 'ENDPOINT_NOT_FOUND', message: 'No endpoint for GET /nowhere.' });
    const m = await fetch(`${features.url}${FEAST}`);
    expect(m.status).toBe(404);
    expect(((await m.json()) as { error_code: string }).error_code).toBe('ENDPOINT_NOT_FOUND');
    // The materialisation route stays on the tracking server.
    const mat = await post(features.url, '/api/2.0/hangar/features/online/materialize', { end: DRIVER_STATS_END });
    expect(mat.status).toBe(404);
  });

  it('answers 413 for a body over the limit, declared or streamed, and keeps serving', async () => {
    const big = JSON.stringify({ features: ['driver_stats:trips'], entities: { driver_id: Array.from({ length: 2000 }, (_, i) => i) } });
    const r = await post(features.url, FEAST, big);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toEqual({ error_code: 'PAYLOAD_TOO_LARGE', message: "Request body exceeds the server's limit of 4096 bytes." });
    // Chunked, without a content-length: the limit is counted as the body arrives.
    const chunks = [big.slice(0, 3000), big.slice(3000)];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const s of chunks) c.enqueue(new TextEncoder().encode(s));
        c.close();
      },
    });
    const s = await fetch(`${features.url}${FEAST}`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(s.status).toBe(413);
    expect(((await s.json()) as { error_code: string }).error_code).toBe('PAYLOAD_TOO_LARGE');
    expect((await post(features.url, FEAST, { features: ['driver_stats:trips'], entities: { driver_id: [1001] } })).status).toBe(200);
  });

  it('serves a table materialised after it started, within the metadata TTL', async () => {
    const body = { features: ['late_stats:trips'], entities: { driver_id: [1001] } };
    const before = await post(features.url, FEAST, body);
    expect(before.status).toBe(400);
    expect(before.text).toContain('late_stats');
    // Another store handle, as the tracking server materialises with its own.
    const writer = await openOnlineStore({ type: 'sqlite' }, { home: tracking.home, backendStoreUri: `sqlite:///${join(tracking.home, 'hangar.db')}` });
    try {
      await materializeDriverStats(writer, tracking.home, 'late_stats');
    } finally {
      await writer.close();
    }
    const t0 = Date.now();
    let got = await post(features.url, FEAST, body);
    while (got.status !== 200 && Date.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 50));
      got = await post(features.url, FEAST, body);
    }
    expect(got.status).toBe(200);
    // The metadata cache expires after 1 s; allow for a busy machine, not for a stale cache.
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(got.text).toBe((await post(tracking.url, FEAST, body)).text);
  });

  it('survives clients that hang up mid-body or send garbage, and keeps serving', async () => {
    const { connect } = await import('node:net');
    const { port } = new URL(features.url);
    const send = (text: string): Promise<string> =>
      new Promise((resolve) => {
        const sock = connect(Number(port), '127.0.0.1', () => {
          sock.write(text);
          // Hang up before the declared body has arrived.
          setTimeout(() => sock.destroy(), 50);
        });
        let got = '';
        sock.on('data', (d) => (got += String(d)));
        sock.on('close', () => resolve(got));
        sock.on('error', () => resolve(got));
      });
    await send(`POST ${FEAST} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"fea`);
    expect(await send('GARBAGE\r\n\r\n')).toContain('400');
    const ok = await post(features.url, FEAST, { features: ['driver_stats:trips'], entities: { driver_id: [1001] } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${features.url}/health`, { method: 'HEAD' })).status).toBe(200);
  });

  it('answers /health and counts look-ups in /metrics', async () => {
    const h = await fetch(`${features.url}/health`);
    expect(h.status).toBe(200);
    expect(await h.text()).toBe('OK');
    const m = await fetch(`${features.url}/metrics`);
    expect(m.status).toBe(200);
    const text = await m.text();
    expect(text).toMatch(/hangar_feature_server_requests_total\{route="get",status="200"\} [1-9]/);
    expect(text).toMatch(/hangar_feature_server_requests_total\{route="get",status="400"\} [1-9]/);
    expect(text).toMatch(/hangar_feature_server_request_duration_seconds_count\{route="get"\} [1-9]/);
  });
});

describe.skipIf(redisUrl === null)(`feature server on Redis${redisUrl === null ? ` (skipped: ${redisSkipReason})` : ''}`, () => {
  it('answers the look-up service’s bytes on both paths', async () => {
    const prefix = `hangar-test:${randomBytes(6).toString('hex')}:`;
    const store = await openOnlineStore({ type: 'redis', url: redisUrl!, keyPrefix: prefix }, { home: tmpdir() });
    const { mkdtemp, rm } = await import('node:fs/promises');
    const dir = await mkdtemp(join(tmpdir(), 'hangar-fs-redis-'));
    let server: FeatureServer | undefined;
    try {
      await materializeDriverStats(store, dir, 'driver_stats');
      server = await startFeatureServer({ online: new OnlineFeatures(store), host: '127.0.0.1', port: 0 });
      const body = { features: ['driver_stats:conv_rate', 'driver_stats:trips'], entities: { driver_id: [1001, 1002, 1003] } };
      // What the tracking server's route sends: the service's bytes, from a second handle on the store.
      const other = await openOnlineStore({ type: 'redis', url: redisUrl!, keyPrefix: prefix }, { home: tmpdir() });
      const want = (await new OnlineFeatures(other).getJson({ features: body.features, entities: body.entities }).finally(() => other.close())).toString('utf8');
      for (const path of [GET, FEAST]) {
        const got = await post(server.url, path, body);
        expect(got.status).toBe(200);
        expect(got.text).toBe(want);
      }
      expect(JSON.parse(want).results[2].values).toEqual([12, null, 3]);
    } finally {
      await server?.close();
      await store.deleteTable('driver_stats');
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
