import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangarClient, InferenceClient } from '../../client/index.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { registerTabular, syntheticRows, trainGbdt } from '../../serving/test-support/models.js';
import { runCliAgainst, testIo } from '../test-support/cli.js';

let server: TestServer;
let client: HangarClient;
let dir: string;
const name = `cli-serve-${Date.now()}`;

beforeAll(async () => {
  server = await startTestServer();
  client = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
  dir = await mkdtemp(join(tmpdir(), 'hangar-cli-serving-'));
  const experimentId = await client.createExperiment(`cli-serving-${Date.now()}`);
  await registerTabular(client, experimentId, name, await trainGbdt({ seed: 3 }));
  await client.setRegisteredModelAlias(name, 'champion', 1);
}, 60_000);
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function readParquet(path: string): Promise<Array<Record<string, unknown>>> {
  const duck = await import('@duckdb/node-api');
  const inst = await duck.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    return (await con.runAndReadAll(`select * from read_parquet('${path}')`)).getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

describe('hangar predict', () => {
  it('scores a CSV file to Parquet with the input columns, prediction and probability', async () => {
    const rows = syntheticRows(500, 11);
    const csv = join(dir, 'in.csv');
    await writeFile(csv, `distance,origin,extra\n${rows.map((r) => `${r.distance},${r.origin},x`).join('\n')}\n`);
    const out = join(dir, 'out', 'scored.parquet');
    const r = await runCliAgainst(server.url, ['predict', `models:/${name}@champion`, '--data', csv, '--out', out, '--batch-rows', '128', '--json']);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as { rows: number; version: string; columns_added: string[]; rows_per_second: number };
    expect(result).toMatchObject({ rows: 500, version: '1', columns_added: ['prediction', 'probability'] });
    expect(r.err).toContain('scoring 100%');
    const scored = await readParquet(out);
    expect(scored).toHaveLength(500);
    expect(Object.keys(scored[0]!)).toEqual(['distance', 'origin', 'extra', 'prediction', 'probability']);
    // The label is the class whose probability wins.
    for (const row of scored.slice(0, 20)) {
      expect(row.prediction === 1 ? (row.probability as number) > 0.5 : (row.probability as number) <= 0.5).toBe(true);
      expect(row.extra).toBe('x');
    }
  });

  it('names a missing column and writes nothing', async () => {
    const csv = join(dir, 'bad.csv');
    await writeFile(csv, 'distance\n100\n');
    const out = join(dir, 'never.parquet');
    const r = await runCliAgainst(server.url, ['predict', `models:/${name}@champion`, '--data', csv, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/INVALID_PARAMETER_VALUE: .*origin/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(out)).toBe(false);
  });
});

describe('hangar serve and hangar inference-log', () => {
  it('serves until shut down, logs the requests, and takes labels from a file', async () => {
    const t = testIo({ MLFLOW_TRACKING_URI: server.url });
    const { runCli } = await import('../program.js');
    const exit = runCli(['serve', `models:/${name}@champion`, '--port', '0', '--log-flush-interval', '1h'], t.io);
    const out = await t.waitForOutput(' on http://');
    const url = /on (http:\/\/[\d.:]+)/.exec(out)![1]!;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dataframe_records: [{ distance: 100 * i, origin: 'SFO' }] }) });
      expect(r.status).toBe(200);
      ids.push(r.headers.get('x-request-id')!);
    }
    t.shutdown();
    expect(await exit).toBe(0);
    // Shutdown flushed the buffer.
    const inference = new InferenceClient({ trackingUri: server.url, maxRetries: 0 });
    const files = await inference.listFiles(name);
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(5);

    const labels = join(dir, 'labels.csv');
    await writeFile(labels, `request_id,label\n${ids.map((id, i) => `${id},${i % 2}`).join('\n')}\n`);
    const sent = await runCliAgainst(server.url, ['inference-log', 'labels', name, '--file', labels, '--json']);
    expect(sent.code, sent.err).toBe(0);
    expect(JSON.parse(sent.out)).toEqual({ model: name, labels: 5, files: 1 });

    const listed = await runCliAgainst(server.url, ['inference-log', 'list', name, '--kind', 'labels', '--json']);
    expect((JSON.parse(listed.out) as { files: unknown[] }).files).toHaveLength(1);

    const pruned = await runCliAgainst(server.url, ['inference-log', 'prune', '--older-than', '0', '--model', name, '--json']);
    expect(pruned.code, pruned.err).toBe(0);
    expect(JSON.parse(pruned.out)).toEqual({ files: files.length + 1, rows: 10 });
  }, 60_000);

  it('refuses a flavor it cannot run, naming the flavors it can', async () => {
    const pkg = join(dir, 'sklearn-model');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, 'MLmodel'), 'flavors:\n  python_function: {loader_module: mlflow.sklearn}\n  sklearn: {pickled_model: model.pkl}\n');
    const t = testIo({ MLFLOW_TRACKING_URI: server.url });
    const { runCli } = await import('../program.js');
    const code = await runCli(['serve', pkg, '--port', '0'], t.io);
    expect(code).toBe(1);
    expect(t.err()).toMatch(/python_function, sklearn; Hangar runs hangar\.tabular, onnx/);
  });
});
