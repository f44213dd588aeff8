import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { applyFeatureServices, applyFeatureTables, computeFeatureTable, openOnlineStore } from '../../data/index.js';
import { openStore } from '../../store/index.js';
import { openArtifactStore } from '../../artifacts/index.js';
import { defaultArtifactsDestination } from '../../core/config.js';
import { driverStatsSpec, materializeDriverStats, writeParquet } from '../../data/online/test-support.js';
import { noArtifacts } from '../../../test/support/engines.js';
import { OnlineFeaturesClient } from '../../client/online.js';


describe('online look-up over REST', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    // Materialise into the store the server opens by default: online.db next to hangar.db.
    const store = await openOnlineStore({ type: 'sqlite' }, { home: server.home, backendStoreUri: `sqlite:///${join(server.home, 'hangar.db')}` });
    await materializeDriverStats(store, server.home);
    await store.close();
  });
  afterAll(() => server.close());

  const post = async (path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('answers the columnar response on the Hangar path and the Feast path alike', async () => {
    const body = { features: ['driver_stats:conv_rate', 'driver_stats:trips'], entities: { driver_id: [1001, 1002, 1003] } };
    const a = await post('/api/2.0/hangar/features/online/get', body);
    const b = await post('/get-online-features', body);
    expect(a.status).toBe(200);
    expect(b).toEqual(a);
    expect(a.json).toEqual({
      metadata: { feature_names: ['driver_id', 'conv_rate', 'trips'] },
      results: [
        { values: [1001, 1002, 1003], statuses: ['PRESENT', 'PRESENT', 'PRESENT'], event_timestamps: ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'] },
        { values: [0.7, null, null], statuses: ['PRESENT', 'NOT_FOUND', 'NULL_VALUE'], event_timestamps: ['2021-12-31T23:00:00Z', '1970-01-01T00:00:00Z', '2021-12-31T22:00:00Z'] },
        { values: [12, null, 3], statuses: ['PRESENT', 'NOT_FOUND', 'PRESENT'], event_timestamps: ['2021-12-31T23:00:00Z', '1970-01-01T00:00:00Z', '2021-12-31T22:00:00Z'] },
      ],
    });
    const full = await post('/get-online-features', { ...body, full_feature_names: true });
    expect((full.json.metadata as { feature_names: string[] }).feature_names).toEqual(['driver_id', 'driver_stats__conv_rate', 'driver_stats__trips']);
  });

  it('answers 400 naming the field for bad input', async () => {
    const cases: Array<[unknown, string]> = [
      [{ features: ['nope:x'], entities: { driver_id: [1] } }, 'features[0]'],
      [{ features: ['driver_stats:nope'], entities: { driver_id: [1] } }, "'nope'"],
      [{ features: ['driver_stats:conv_rate'], entities: { other: [1] } }, "entity key 'driver_id'"],
      [{ features: ['driver_stats:conv_rate'], entities: { driver_id: ['x'] } }, 'entities.driver_id[0]'],
      [{ features: ['driver_stats:conv_rate'] }, "'entities'"],
      [{ features: 'driver_stats:conv_rate', entities: { driver_id: [1] } }, "'features'"],
      ['{not json', 'Malformed JSON'],
    ];
    for (const [body, mention] of cases) {
      const r = await post('/api/2.0/hangar/features/online/get', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(r.json.message).toContain(mention);
    }
  });

  it('is reachable through the SDK, with rows and errors', async () => {
    const online = new OnlineFeaturesClient({ trackingUri: server.url });
    const r = await online.get({ features: ['driver_stats:conv_rate'], entities: { driver_id: [1001, 1002] } });
    expect(online.rows(r)).toEqual([
      { driver_id: 1001, conv_rate: 0.7 },
      { driver_id: 1002, conv_rate: null },
    ]);
    expect(r.results[1]!.statuses).toEqual(['PRESENT', 'NOT_FOUND']);
    await expect(online.get({ features: ['driver_stats:nope'], entities: { driver_id: [1] } })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    const { storeType, tables } = await online.tables();
    expect(storeType).toBe('sqlite');
    expect(tables.map((t) => [t.name, t.materializedEnd])).toEqual([['driver_stats', Date.parse('2022-01-01T00:00:00Z')]]);
  });

  it('lists what the online store holds', async () => {
    const res = await fetch(`${server.url}/api/2.0/hangar/features/online/tables`);
    expect(await res.json()).toEqual({
      store_type: 'sqlite',
      tables: [
        {
          name: 'driver_stats',
          keys: [{ name: 'driver_id', type: 'long' }],
          features: [
            { name: 'conv_rate', type: 'double' },
            { name: 'trips', type: 'long' },
          ],
          ttl_ms: 0,
          materialized_end: Date.parse('2022-01-01T00:00:00Z'),
          updated_at: expect.any(Number) as unknown,
        },
      ],
    });
  });

  it('resolves a feature service to the same answer, byte for byte, as listing its features', async () => {
    // Register the table and a service in the server's own metadata store, as `hangar features apply` would.
    const meta = await openStore(`sqlite:///${join(server.home, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:' });
    try {
      const ctx = { store: meta, artifacts: noArtifacts };
      await applyFeatureTables(ctx, [driverStatsSpec()]);
      await applyFeatureServices(ctx, [{ name: 'driver_activity_v1', features: ['driver_stats:trips', 'driver_stats:conv_rate'] }]);
    } finally {
      await meta.close();
    }
    const entities = { driver_id: [1003, 1001, 1002] };
    const raw = async (path: string, body: unknown): Promise<{ status: number; text: string }> => {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, text: await res.text() };
    };
    for (const full of [false, true]) {
      const listed = await raw('/get-online-features', { features: ['driver_stats:trips', 'driver_stats:conv_rate'], entities, full_feature_names: full });
      expect(listed.status).toBe(200);
      for (const path of ['/get-online-features', '/api/2.0/hangar/features/online/get']) {
        expect(await raw(path, { feature_service: 'driver_activity_v1', entities, full_feature_names: full })).toEqual(listed);
      }
    }
    const online = new OnlineFeaturesClient({ trackingUri: server.url });
    expect(online.rows(await online.get({ featureService: 'driver_activity_v1', entities: { driver_id: [1001] } }))).toEqual([{ driver_id: 1001, trips: 12, conv_rate: 0.7 }]);
    const unknown = await post('/get-online-features', { feature_service: 'driver_activity_v9', entities });
    expect(unknown).toMatchObject({ status: 400, json: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("No feature service named 'driver_activity_v9'") as unknown } });
    const both = await post('/get-online-features', { feature_service: 'driver_activity_v1', features: ['driver_stats:trips'], entities });
    expect(both).toMatchObject({ status: 400, json: { message: expect.stringContaining('not both') as unknown } });
  });

  it('keeps look-ups out of the audit trail', async () => {
    await post('/get-online-features', { features: ['driver_stats:conv_rate'], entities: { driver_id: [1001] } });
    await post('/api/2.0/hangar/features/online/get', { features: ['driver_stats:conv_rate'], entities: { driver_id: [1001] } });
    // A write is audited, so the trail is being kept.
    expect((await post('/api/2.0/mlflow/experiments/create', { name: 'audited' })).status).toBe(200);
    const res = await fetch(`${server.url}/api/2.0/hangar/audit/list?max_results=1000`);
    const { entries } = (await res.json()) as { entries?: Array<{ action: string }> };
    expect((entries ?? []).map((e) => e.action)).toContain('POST /api/2.0/mlflow/experiments/create');
    expect((entries ?? []).filter((e) => e.action.includes('online'))).toEqual([]);
  });
});

describe('materialisation over REST', () => {
  let server: TestServer;
  const D0 = Date.parse('2024-03-01T00:00:00Z');
  const HOUR = 3_600_000;

  beforeAll(async () => {
    server = await startTestServer();
    // Register and compute a feature table on the server's own metadata and artifact stores.
    const store = await openStore(`sqlite:///${join(server.home, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:' });
    const artifacts = await openArtifactStore(defaultArtifactsDestination(server.home));
    const events = await writeParquet(
      join(server.home, 'events.parquet'),
      `select 'u' || (i % 3) as user_id, timestamp '2024-03-01' + to_hours(i) as ts, i::BIGINT as clicks from range(12) r(i)`,
    );
    const ctx = { store, artifacts };
    await applyFeatureTables(ctx, [
      { name: 'user_clicks', keys: [{ name: 'user_id', type: 'string' }], timestampKey: 'ts', features: [{ name: 'clicks', type: 'long' }], source: { kind: 'sql', sql: `select * from read_parquet('${events}')` }, ttlMs: 0 },
    ]);
    await computeFeatureTable(ctx, 'user_clicks', { end: D0 + 24 * HOUR });
    await artifacts.close();
    await store.close();
  });
  afterAll(() => server.close());

  const post = async (path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${server.url}/api/2.0/hangar/features/online${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const clicks = async (): Promise<unknown[]> =>
    ((await post('/get', { features: ['user_clicks:clicks'], entities: { user_id: ['u0', 'u1', 'u2'] } })).json.results as Array<{ values: unknown[] }>)[1]!.values;

  it('materialises a window, then incrementally from its end, and looks the rows up at once', async () => {
    expect((await post('/materialize', { incremental: true, end: D0 + 6 * HOUR, dry_run: true })).json).toEqual({ results: [{ table: 'user_clicks', end: D0 + 6 * HOUR, rows: 0, stored: 0 }] });
    const full = await post('/materialize', { start: new Date(D0).toISOString(), end: D0 + 5 * HOUR });
    expect(full).toEqual({ status: 200, json: { results: [{ table: 'user_clicks', start: D0, end: D0 + 5 * HOUR, rows: 3, stored: 3 }] } });
    // Hours 0–4: u0 last at hour 3, u1 at 4, u2 at 2.
    expect(await clicks()).toEqual([3, 4, 2]);
    const inc = await post('/materialize', { incremental: true, end: D0 + 9 * HOUR, tables: ['user_clicks'] });
    expect(inc.json).toEqual({ results: [{ table: 'user_clicks', start: D0 + 5 * HOUR, end: D0 + 9 * HOUR, rows: 3, stored: 3 }] });
    expect(await clicks()).toEqual([6, 7, 8]);
  });

  it('answers 400 or 404 naming the field for a bad request', async () => {
    expect((await post('/materialize', { end: D0 })).json).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'start'") as unknown });
    expect((await post('/materialize', { start: 'yesterday', end: D0 })).json).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'start'") as unknown });
    expect((await post('/materialize', { start: D0, end: D0 })).json).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    const missing = await post('/materialize', { start: D0, end: D0 + HOUR, tables: ['user_clicks', 'nope'] });
    expect(missing).toMatchObject({ status: 404, json: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: expect.stringContaining('tables[1]') as unknown } });
  });
});
