/**
 * The inference log with an S3 artifact root (s3rver in process): `hangar serve` spools its
 * Parquet files, uploads them through the tracking server, indexes them by URI and empties the
 * spool; labels go to S3 too; a monitor reads both through the artifact cache and writes its
 * tables and report to S3; retention deletes the objects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openS3ArtifactStore, type ArtifactStore } from '../artifacts/index.js';
import { startFakeS3, type FakeS3 } from '../artifacts/test-support/fake-s3.js';
import { HangarClient, InferenceClient, MonitorsClient } from '../client/index.js';
import { storeEngines } from '../../test/support/engines.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { startServe } from './serve.js';
import { registerTabular, trainGbdt } from './test-support/models.js';
import { filesUnder } from './test-support/files.js';

describe.each(storeEngines())('the inference log and monitor outputs on an S3 artifact root, metadata $title', (engine) => {
  if (engine.skip) {
    it.skip('needs PostgreSQL', () => {});
    return;
  }
  let fake: FakeS3;
  let server: TestServer;
  let s3: ArtifactStore;
  let dir: string;
  const prefix = `hangar-log-${process.pid}-${Date.now()}`;
  const name = `remote-${Date.now()}`;

  beforeAll(async () => {
    fake = await startFakeS3();
    dir = mkdtempSync(join(tmpdir(), 'hangar-remote-log-'));
    server = await startTestServer({ artifactsDestination: `s3://${fake.bucket}/${prefix}`, s3: fake.options, backendStoreUri: await engine.open(dir) });
    s3 = await openS3ArtifactStore(`s3://${fake.bucket}/${prefix}`, fake.options);
    const client = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
    const experimentId = await client.createExperiment(`remote-log-${Date.now()}`);
    await registerTabular(client, experimentId, name, await trainGbdt({ seed: 3, iterations: 5 }));
    await client.setRegisteredModelAlias(name, 'champion', 1);
  }, 60_000);
  afterAll(async () => {
    await s3?.close();
    await server?.close();
    await fake?.close();
    await engine.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve → log → upload → index → labels → monitor → retention, nothing left on local disk', async () => {
    const inference = new InferenceClient({ trackingUri: server.url, maxRetries: 0 });
    const config = await inference.config();
    expect(config.logUri).toBe(`s3://${fake.bucket}/${prefix}/inference-log`);

    const spool = join(dir, 'spool');
    const serve = await startServe({
      modelUri: `models:/${name}@champion`,
      trackingUri: server.url,
      host: '127.0.0.1',
      port: 0,
      pollMs: 0,
      inferenceLog: { root: spool, flushIntervalMs: 3_600_000 },
    });
    const day1 = Date.parse('2026-04-01T10:00:00Z');
    const day2 = Date.parse('2026-04-02T10:00:00Z');
    const ids: Array<{ id: string; ts: number; late: number }> = [];
    try {
      for (let i = 0; i < 12; i++) {
        const ts = i < 6 ? day1 + i * 60_000 : day2 + i * 60_000;
        const r = await fetch(`${serve.url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `rq-${i}`, 'hangar-event-time': String(ts) },
          body: JSON.stringify({ dataframe_records: [{ distance: 300 + i * 150, origin: i % 2 === 0 ? 'JFK' : 'LAX' }] }),
        });
        expect(r.status, await r.text()).toBe(200);
        ids.push({ id: `rq-${i}`, ts, late: i % 3 === 0 ? 1 : 0 });
      }
      await serve.inferenceLog!.flush();
      const metrics = await serve.metrics.text();
      expect(metrics).toMatch(/hangar_inference_log_upload_failures_total 0/);
      expect(metrics).toMatch(/hangar_inference_log_unindexed_rows 0/);
    } finally {
      await serve.close();
    }
    // Uploaded and indexed: the spool is empty, the index holds S3 URIs of objects that exist.
    expect(filesUnder(spool).filter((f) => f.endsWith('.parquet') || f.endsWith('.json'))).toEqual([]);
    const files = await inference.listFiles(name);
    expect(files.map((f) => f.day)).toEqual(['2026-04-01', '2026-04-02']);
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(12);
    for (const f of files) {
      expect(f.path).toMatch(new RegExp(`^s3://${fake.bucket}/${prefix}/inference-log/${name}/date=${f.day}/[^/]+\\.parquet$`));
      expect((await s3.stat(f.path.slice(`s3://${fake.bucket}/${prefix}/`.length)))?.isDir).toBe(false);
    }

    // Labels are written to S3 as well, and the server's staging folder is left empty.
    const labelled = await inference.logLabels(
      name,
      ids.map((x) => ({ requestId: x.id, label: x.late, timestamp: x.ts + 3_600_000 })),
    );
    expect(labelled.files.map((f) => f.path).every((p) => p.startsWith(`s3://${fake.bucket}/${prefix}/inference-log/${name}/labels/date=`))).toBe(true);
    expect(filesUnder(join(server.home, 'inference-log')).filter((f) => f.endsWith('.parquet'))).toEqual([]);

    // A monitor reads the log through the artifact cache; its tables and report are objects in S3.
    const monitors = new MonitorsClient({ trackingUri: server.url, maxRetries: 0 });
    await monitors.create({
      name: `${name}-daily`,
      source: { inference_log: { model: name } },
      profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION', prediction_col: 'prediction_proba', label_col: 'label' },
    } as Parameters<MonitorsClient['create']>[0]);
    const run = await monitors.run(`${name}-daily`);
    expect(run.errorMessage).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    const table = await monitors.profileMetrics(`${name}-daily`, { columnName: ':table', modelId: '*', wholeTable: true, logType: 'INPUT' });
    expect(table.map((r) => r.count)).toEqual([6, 6]);
    expect(table.map((r) => r.labeled_count)).toEqual([6, 6]);
    const summary = run.summary as { profile_path: string; drift_path: string; report_path: string };
    for (const p of [summary.profile_path, summary.drift_path, summary.report_path]) expect((await s3.stat(p))?.isDir).toBe(false);
    expect(await monitors.report(run.runId)).toMatch(/<html/);

    // Retention deletes the objects, not only the index rows.
    const pruned = await inference.prune({ olderThanMs: 0, model: name });
    expect(pruned).toEqual({ files: 4, rows: 24 });
    expect(await inference.listFiles(name)).toEqual([]);
    for (const f of [...files.map((x) => x.path), ...labelled.files.map((x) => x.path)]) {
      expect(await s3.stat(f.slice(`s3://${fake.bucket}/${prefix}/`.length))).toBeNull();
    }
  }, 120_000);

  it('refuses to index a URI outside the log, naming the field', async () => {
    const inference = new InferenceClient({ trackingUri: server.url, maxRetries: 0 });
    await expect(
      inference.registerFiles([{ model: name, kind: 'predictions', day: '2026-04-01', minTs: 0, maxTs: 1, rows: 1, path: `s3://${fake.bucket}/${prefix}/datasets/x.parquet` }]),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('files[0].path') });
    await expect(
      inference.registerFiles([{ model: name, kind: 'predictions', day: '2026-04-01', minTs: 0, maxTs: 1, rows: 1, path: `s3://${fake.bucket}/${prefix}/inference-log/${name}/../x.parquet` }]),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    // Another model's folder: retention of this model must never reach it.
    await expect(
      inference.registerFiles([{ model: name, kind: 'predictions', day: '2026-04-01', minTs: 0, maxTs: 1, rows: 1, path: `s3://${fake.bucket}/${prefix}/inference-log/other/date=2026-04-01/x.parquet` }]),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining(`inference-log/${name}/`) });
    const ok = await inference.registerFiles([
      { model: name, kind: 'predictions', day: '2026-04-01', minTs: 0, maxTs: 1, rows: 1, path: `s3://${fake.bucket}/${prefix}/inference-log/${name}/date=2026-04-01/by-hand.parquet` },
    ]);
    expect(ok).toHaveLength(1);
  });
});
