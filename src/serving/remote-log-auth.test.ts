/**
 * A remote inference log on an `--auth` tracking server: `hangar serve` publishes through the
 * artifact proxy with its token (MLFLOW_TRACKING_TOKEN in the CLI) when its principal may edit
 * the model, and a token holder without that right can neither upload nor replace the log's
 * files. An indexed file takes a re-upload of the same bytes (a restarted writer's retry) only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openS3ArtifactStore, type ArtifactStore } from '../artifacts/index.js';
import { startFakeS3, type FakeS3 } from '../artifacts/test-support/fake-s3.js';
import { HangarClient, InferenceClient } from '../client/index.js';
import { createServer } from '../api/server.js';
import { loadConfig } from '../core/config.js';
import { governanceFor } from '../governance/index.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/port.js';
import { restPublisher } from './log-publish.js';
import { startServe } from './serve.js';
import { registerTabular, trainGbdt } from './test-support/models.js';
import { filesUnder } from './test-support/files.js';

describe('the remote inference log on an --auth server (SQLite, S3)', () => {
  let fake: FakeS3;
  let dir: string;
  let store: Store;
  let s3: ArtifactStore;
  let app: FastifyInstance;
  let url: string;
  const tokens: Record<string, string> = {};
  const prefix = `hangar-auth-log-${process.pid}-${Date.now()}`;
  const name = `authlog-${Date.now()}`;

  beforeAll(async () => {
    fake = await startFakeS3();
    dir = mkdtempSync(join(tmpdir(), 'hangar-remote-log-auth-'));
    const dest = `s3://${fake.bucket}/${prefix}`;
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    s3 = await openS3ArtifactStore(dest, fake.options);
    app = await createServer({ config: loadConfig({ home: dir, auth: true, artifactsDestination: dest, logLevel: 'silent' }), store, artifacts: s3, logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const gov = governanceFor(store);
    for (const user of ['alice', 'bob']) tokens[user] = (await gov.createToken({ principal: user })).token;
    // Alice creates the model, so she holds CAN_MANAGE on it; bob holds the default CAN_READ.
    const client = new HangarClient({ trackingUri: url, token: tokens.alice, maxRetries: 0 });
    const experimentId = await client.createExperiment(`auth-log-${Date.now()}`);
    await registerTabular(client, experimentId, name, await trainGbdt({ seed: 5, iterations: 5 }));
    await client.setRegisteredModelAlias(name, 'champion', 1);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await s3?.close();
    await store?.close();
    await fake?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function serveAndFlush(token: string, spool: string): Promise<string> {
    const serve = await startServe({
      modelUri: `models:/${name}@champion`,
      trackingUri: url,
      token,
      host: '127.0.0.1',
      port: 0,
      pollMs: 0,
      inferenceLog: { root: spool, flushIntervalMs: 3_600_000 },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${serve.url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'hangar-event-time': '2026-04-01T10:00:00Z' },
          body: JSON.stringify({ dataframe_records: [{ distance: 300 + i * 100, origin: 'JFK' }] }),
        });
        expect(r.status, await r.text()).toBe(200);
      }
      await serve.inferenceLog!.flush().catch(() => undefined);
      return await serve.metrics.text();
    } finally {
      await serve.close().catch(() => undefined);
    }
  }

  it("serves with the editor's token: files are uploaded and indexed", async () => {
    const spool = join(dir, 'spool-alice');
    const metrics = await serveAndFlush(tokens.alice!, spool);
    expect(metrics).toMatch(/hangar_inference_log_upload_failures_total 0/);
    expect(filesUnder(spool).filter((f) => f.endsWith('.parquet'))).toEqual([]);
    const files = await new InferenceClient({ trackingUri: url, token: tokens.alice, maxRetries: 0 }).listFiles(name);
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(3);
    expect(files.every((f) => f.path.startsWith(`s3://${fake.bucket}/${prefix}/inference-log/${name}/date=2026-04-01/`))).toBe(true);
  }, 60_000);

  it("a token without CAN_EDIT on the model cannot upload: the files stay in the spool and the failure is counted", async () => {
    const spool = join(dir, 'spool-bob');
    const metrics = await serveAndFlush(tokens.bob!, spool);
    expect(metrics).toMatch(/hangar_inference_log_upload_failures_total [1-9]/);
    expect(filesUnder(spool).filter((f) => f.endsWith('.parquet')).length).toBeGreaterThan(0);
    const bob = new InferenceClient({ trackingUri: url, token: tokens.bob, maxRetries: 0 });
    const local = join(dir, 'forged.parquet');
    writeFileSync(local, 'forged');
    await expect(bob.uploadLogFile(local, `inference-log/${name}/date=2026-04-01/forged.parquet`)).rejects.toMatchObject({
      serverCode: 'PERMISSION_DENIED',
      message: expect.stringContaining(`inference-log/${name}/date=2026-04-01/forged.parquet`),
    });
  }, 60_000);

  it('an indexed file takes the same bytes again (a retry) and refuses others, even from its writer', async () => {
    const inference = new InferenceClient({ trackingUri: url, token: tokens.alice, maxRetries: 0 });
    const publisher = restPublisher(inference, (await inference.config()).logUri!);
    const local = join(dir, 'retry.parquet');
    writeFileSync(local, 'first bytes');
    const rel = `${name}/date=2026-04-02/retry-abc.parquet`;
    const uri = await publisher.publish(local, rel);
    await inference.registerFiles([{ model: name, kind: 'predictions', day: '2026-04-02', minTs: 0, maxTs: 1, rows: 1, path: uri }]);
    await expect(publisher.publish(local, rel)).resolves.toBe(uri);
    writeFileSync(local, 'other bytes');
    await expect(publisher.publish(local, rel)).rejects.toMatchObject({ serverCode: 'RESOURCE_ALREADY_EXISTS', message: expect.stringContaining(`inference-log/${rel}`) });
    const stored = await s3.get(`inference-log/${rel}`);
    const chunks: Buffer[] = [];
    for await (const c of stored) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('first bytes');
  }, 60_000);
});
