/**
 * The server's monitors keep their cached copies of remote files under the Hangar home
 * (`<home>/cache/data`), not in the temp folder: a run on an S3 artifact root (s3rver in
 * process) downloads its metric files there.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeS3, type FakeS3 } from '../../artifacts/test-support/fake-s3.js';
import { MonitorsClient } from '../../client/index.js';
import { cacheKeyOf } from '../../serving/index.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { writeBaselineFixture } from './test-data.js';

describe('the monitor cache of a server', () => {
  let fake: FakeS3;
  let server: TestServer;
  let dir: string;
  const root = () => `s3://${fake.bucket}/cache-home-${process.pid}-${Date.now()}`;
  let rootUri: string;

  beforeAll(async () => {
    fake = await startFakeS3();
    dir = mkdtempSync(join(tmpdir(), 'hangar-mon-cache-'));
    rootUri = root();
    server = await startTestServer({ artifactsDestination: rootUri, s3: fake.options });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lives under <home>/cache/data', async () => {
    const table = join(dir, 'table.parquet');
    await writeBaselineFixture(table, 200);
    const monitors = new MonitorsClient({ trackingUri: server.url, maxRetries: 0 });
    await monitors.create({ name: 'cached', source: { table }, profile: { type: 'Snapshot' }, columns: ['x'], alert_rules: [{ name: 'rows', metric: 'count', threshold: 10 }] });
    for (let i = 0; i < 2; i++) expect((await monitors.run('cached')).status).toBe('SUCCEEDED');
    expect((await monitors.profileMetrics('cached', { columnName: 'x' })).length).toBeGreaterThan(0);

    // Cached copies are named by a digest of the artifact root, then the store path.
    const digest = cacheKeyOf(rootUri, 'x').split('/')[0]!;
    const cached = join(server.home, 'cache', 'data', digest, 'monitors', 'cached');
    expect(readdirSync(cached, { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length).toBeGreaterThan(0);
    expect(existsSync(join(tmpdir(), 'hangar-data-cache', digest))).toBe(false);
  });
});
