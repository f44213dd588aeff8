import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { applyFeatureServices, applyFeatureTables, computeFeatureTable } from '../../data/index.js';
import { noArtifacts } from '../../../test/support/engines.js';
import { writeParquet } from '../../data/online/test-support.js';
import { openStore } from '../../store/index.js';
import { openArtifactStore } from '../../artifacts/index.js';
import { defaultArtifactsDestination } from '../../core/config.js';
import { runCliAgainst, testIo } from '../test-support/cli.js';
import { parseTime } from './online.js';

const D0 = Date.parse('2024-03-01T00:00:00Z');
const HOUR = 3_600_000;

describe('hangar materialize / online', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    const store = await openStore(`sqlite:///${join(server.home, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:' });
    const artifacts = await openArtifactStore(defaultArtifactsDestination(server.home));
    const events = await writeParquet(
      join(server.home, 'events.parquet'),
      `select 'u' || (i % 3) as user_id, timestamp '2024-03-01' + to_hours(i) as ts, i::BIGINT as clicks, i / 10.0 as rate from range(12) r(i)`,
    );
    const ctx = { store, artifacts };
    await applyFeatureTables(ctx, [
      {
        name: 'user_clicks',
        keys: [{ name: 'user_id', type: 'string' }],
        timestampKey: 'ts',
        features: [
          { name: 'clicks', type: 'long' },
          { name: 'rate', type: 'double' },
        ],
        source: { kind: 'sql', sql: `select * from read_parquet('${events}')` },
        ttlMs: 2 * HOUR,
      },
    ]);
    await computeFeatureTable(ctx, 'user_clicks', { end: D0 + 24 * HOUR });
    await artifacts.close();
    await store.close();
  });
  afterAll(() => server.close());

  it('materialises a window with progress on stderr, then incrementally', async () => {
    const r = await runCliAgainst(server.url, ['materialize', '2024-03-01', '2024-03-01T05:00:00', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ results: [{ table: 'user_clicks', start: D0, end: D0 + 5 * HOUR, rows: 3, stored: 3 }] });
    expect(r.err).toContain('materialize: 0% (0/1 tables, next user_clicks)');
    expect(r.err).toContain('materialize: 100% (1/1 tables)');

    const inc = await runCliAgainst(server.url, ['materialize-incremental', String(D0 + 9 * HOUR), '--table', 'user_clicks']);
    expect(inc.code, inc.err).toBe(0);
    expect(inc.out).toMatch(/user_clicks\s+2024-03-01 05:00:00\s+2024-03-01 09:00:00\s+3\s+3/);
  });

  it('looks features up as a table and as JSON, with statuses', async () => {
    await runCliAgainst(server.url, ['materialize', '2024-03-01', '2024-03-01T12:00:00Z']);
    const t = await runCliAgainst(server.url, ['online', 'get', '--feature', 'user_clicks:clicks', '--feature', 'user_clicks:rate', '--entity', 'user_id=u0,nobody']);
    expect(t.code, t.err).toBe(0);
    // Hour 9 is u0's latest row, but the TTL (2 h) has long passed by now: OUTSIDE_MAX_AGE.
    expect(t.out).toMatch(/USER_ID\s+CLICKS\s+RATE/);
    expect(t.out).toMatch(/u0\s+\(OUTSIDE_MAX_AGE\)\s+\(OUTSIDE_MAX_AGE\)/);
    expect(t.out).toMatch(/nobody\s+\(NOT_FOUND\)\s+\(NOT_FOUND\)/);
    const j = await runCliAgainst(server.url, ['online', 'get', '--feature', 'user_clicks:clicks', '--entity', 'user_id=u1', '--full-feature-names', '--json']);
    expect(JSON.parse(j.out)).toMatchObject({ metadata: { feature_names: ['user_id', 'user_clicks__clicks'] }, results: [{ values: ['u1'] }, { statuses: ['OUTSIDE_MAX_AGE'], event_timestamps: ['2024-03-01T10:00:00Z'] }] });
  });

  it('lists the online tables', async () => {
    const r = await runCliAgainst(server.url, ['online', 'tables']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/user_clicks\s+user_id\s+2\s+7200000\s+2024-03-01/);
  });

  it('serves look-ups from the default online store of the same home with `online serve`, and stops on a signal', async () => {
    await runCliAgainst(server.url, ['materialize', '2024-03-01', '2024-03-01T12:00:00Z']);
    const { runCli } = await import('../program.js');
    const t = testIo();
    const exit = runCli(['online', 'serve', '--home', server.home, '--port', '0', '--json'], t.io);
    const out = await t.waitForOutput('}');
    const { url, online_store_type: type, online_store: where } = JSON.parse(out) as { url: string; online_store_type: string; online_store: string };
    expect(type).toBe('sqlite');
    // The file it resolved: online.db beside the home's metadata database.
    expect(where).toBe(`sqlite ${join(server.home, 'online.db')}`);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = JSON.stringify({ features: ['user_clicks:clicks', 'user_clicks:rate'], entities: { user_id: ['u0', 'u1', 'nobody'] } });
    const ask = (base: string) => fetch(`${base}/get-online-features`, { method: 'POST', body }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const got = await ask(url);
    expect(got.status).toBe(200);
    expect(got.text).toBe((await ask(server.url)).text);
    expect(got.text).toContain('"u1"');
    t.shutdown('SIGINT');
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('`online serve` resolves a feature service from the metadata database to the same bytes as its features', async () => {
    const store = await openStore(`sqlite:///${join(server.home, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:' });
    try {
      await applyFeatureServices({ store, artifacts: noArtifacts }, [{ name: 'clicks_v1', features: ['user_clicks:*'] }]);
    } finally {
      await store.close();
    }
    await runCliAgainst(server.url, ['materialize', '2024-03-01', '2024-03-01T12:00:00Z']);
    const { runCli } = await import('../program.js');
    const t = testIo();
    const exit = runCli(['online', 'serve', '--home', server.home, '--port', '0', '--json'], t.io);
    const { url } = JSON.parse(await t.waitForOutput('}')) as { url: string };
    try {
      const entities = { user_id: ['u2', 'nobody', 'u0'] };
      const ask = (body: unknown) => fetch(`${url}/get-online-features`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));
      const listed = await ask({ features: ['user_clicks:clicks', 'user_clicks:rate'], entities });
      expect(listed.status).toBe(200);
      expect(await ask({ feature_service: 'clicks_v1', entities })).toEqual(listed);
      const unknown = await ask({ feature_service: 'clicks_v2', entities });
      expect(unknown.status).toBe(400);
      expect(unknown.text).toContain("No feature service named 'clicks_v2'");
    } finally {
      t.shutdown('SIGINT');
      expect(await exit).toBe(0);
    }
  });

  it('`online serve` names the port already in use, and shows an example in --help', async () => {
    const { runCli } = await import('../program.js');
    const port = new URL(server.url).port;
    const t = testIo();
    expect(await runCli(['online', 'serve', '--home', server.home, '--port', port], t.io)).not.toBe(0);
    expect(t.err()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    const h = testIo();
    await runCli(['online', 'serve', '--help'], h.io);
    expect(h.out()).toContain('hangar online serve --online-store redis://127.0.0.1:6379');
    expect(h.out()).toMatch(/--port <port>.*\(default: 6566\)/);
  });

  it('fails with a message naming the problem', async () => {
    const badTime = await runCliAgainst(server.url, ['materialize', 'yesterday', 'now']);
    expect(badTime.code).not.toBe(0);
    expect(badTime.err).toContain("got 'yesterday'");
    const unknown = await runCliAgainst(server.url, ['online', 'get', '--feature', 'user_clicks:nope', '--entity', 'user_id=u1']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain("Unknown feature 'nope'");
    const missingTable = await runCliAgainst(server.url, ['materialize', '2024-03-01', 'now', '--table', 'nope']);
    expect(missingTable.code).not.toBe(0);
    expect(missingTable.err).toContain('tables[0]');
    const noFeature = await runCliAgainst(server.url, ['online', 'get', '--entity', 'user_id=u1']);
    expect(noFeature.code).not.toBe(0);
    expect(noFeature.err).toContain('--feature');
  });
});

describe('parseTime', () => {
  it('reads dates and times as UTC unless a zone is given', () => {
    expect(parseTime('2024-03-01')).toBe(D0);
    expect(parseTime('2024-03-01T01:00:00')).toBe(D0 + HOUR);
    expect(parseTime('2024-03-01T01:00:00+01:00')).toBe(D0);
    expect(parseTime(String(D0))).toBe(D0);
    expect(() => parseTime('soon')).toThrow(/ISO-8601/);
  });
});
