import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangarClient, InferenceClient } from '../client/index.js';
import { tabularLoaded, type TabularModel } from '../models/index.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { startServe, type RunningServe } from './serve.js';
import { registerOnnx, registerTabular, trainGbdt } from './test-support/models.js';

let server: TestServer;
let client: HangarClient;
let inference: InferenceClient;
let experimentId: string;
let v1: TabularModel;
let v2: TabularModel;
const name = `serve-${Date.now()}`;

beforeAll(async () => {
  server = await startTestServer();
  client = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
  inference = new InferenceClient({ trackingUri: server.url, maxRetries: 0 });
  experimentId = await client.createExperiment(`serving-${Date.now()}`);
  v1 = await trainGbdt({ seed: 7 });
  // Version 2 predicts string labels, so the log writes its rows to files of their own.
  v2 = await trainGbdt({ seed: 8, iterations: 10, classLabels: ['on_time', 'late'] });
  await registerTabular(client, experimentId, name, v1);
  await registerTabular(client, experimentId, name, v2);
  await client.setRegisteredModelAlias(name, 'champion', 1);
}, 60_000);
afterAll(async () => {
  await server.close();
});

async function post(url: string, body: string, contentType = 'application/json', headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

async function parquetRows(path: string): Promise<Array<Record<string, unknown>>> {
  const duck = await import('@duckdb/node-api');
  const inst = await duck.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    return (await con.runAndReadAll(`select * from read_parquet('${path}', hive_partitioning = false)`)).getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

async function describeParquet(path: string): Promise<Record<string, string>> {
  const duck = await import('@duckdb/node-api');
  const inst = await duck.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    const rows = (await con.runAndReadAll(`describe select * from read_parquet('${path}', hive_partitioning = false)`)).getRowObjectsJS() as Array<{ column_name: string; column_type: string }>;
    return Object.fromEntries(rows.map((r) => [r.column_name, r.column_type]));
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

describe('hangar serve: protocol, signature, log, swap', () => {
  let serve: RunningServe;

  beforeAll(async () => {
    serve = await startServe({
      modelUri: `models:/${name}@champion`,
      trackingUri: server.url,
      host: '127.0.0.1',
      port: 0,
      pollMs: 100,
      graceMs: 300,
      warmup: 20,
      maxRows: 1000,
      inferenceLog: { flushIntervalMs: 200, flushRows: 500 },
    });
  }, 60_000);
  afterAll(async () => {
    await serve?.close();
  });

  it('answers /ping and /health with "\\n", and /version', async () => {
    for (const path of ['/ping', '/health']) {
      const r = await fetch(`${serve.url}${path}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('\n');
    }
    expect(await (await fetch(`${serve.url}/version`)).text()).toBe('2.12.2');
  });

  it('scores every input form as the model predicts, one row (fast path) or many', async () => {
    const rows = [
      { distance: 2000, origin: 'JFK' },
      { distance: 300, origin: 'LAX' },
      { distance: 900, origin: 'nowhere' },
    ];
    const expected = await tabularLoaded(v1).predict({ rows: 3, columns: new Map<string, unknown[]>([['distance', rows.map((r) => r.distance)], ['origin', rows.map((r) => r.origin)]]) });
    const bodies = [
      { dataframe_records: rows },
      { dataframe_split: { columns: ['distance', 'origin'], data: rows.map((r) => [r.distance, r.origin]) } },
      { instances: rows.map((r) => [r.distance, r.origin]) },
      { inputs: { distance: rows.map((r) => r.distance), origin: rows.map((r) => r.origin) } },
    ];
    for (const body of bodies) {
      const r = await post(serve.url, JSON.stringify(body));
      expect(r.status, r.text).toBe(200);
      const got = JSON.parse(r.text) as { predictions: Array<{ label: string; probabilities: Record<string, number> }> };
      expect(got.predictions).toHaveLength(3);
      for (let i = 0; i < 3; i++) {
        expect(got.predictions[i]!.label).toBe(expected.labels![i]);
        expect(got.predictions[i]!.probabilities['1']).toBeCloseTo(expected.values![i]!, 12);
      }
    }
    // One row at a time takes the fast path; it must agree with the batch path.
    for (let i = 0; i < 3; i++) {
      const r = await post(serve.url, JSON.stringify({ dataframe_records: [rows[i]] }));
      const got = JSON.parse(r.text) as { predictions: Array<{ label: string; probabilities: Record<string, number> }> };
      expect(got.predictions[0]!.probabilities['1']).toBeCloseTo(expected.values![i]!, 12);
      expect(r.headers.get('x-request-id')).toMatch(/.+/);
      expect(r.headers.get('x-model-version')).toBe('1');
    }
    const csv = await post(serve.url, 'distance,origin\n2000,JFK\n300,LAX\n', 'text/csv');
    expect(csv.status, csv.text).toBe(200);
    expect((JSON.parse(csv.text) as { predictions: unknown[] }).predictions).toHaveLength(2);
  });

  it('answers 415 in plain text and 400 in JSON naming the problem, and keeps serving', async () => {
    const plain = await post(serve.url, '{}', 'text/plain');
    expect(plain.status).toBe(415);
    expect(plain.headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await post(serve.url, '{}', 'application/json; charset=latin-1')).status).toBe(415);
    expect((await post(serve.url, '{}', 'application/json; format=split')).status).toBe(415);

    const noField = await post(serve.url, JSON.stringify({ rows: [] }));
    expect(noField.status).toBe(400);
    expect(JSON.parse(noField.text)).toMatchObject({ error_code: 'BAD_REQUEST' });
    expect((await post(serve.url, JSON.stringify([{ distance: 1 }]))).status).toBe(400);
    expect((await post(serve.url, '{"instances": [')).status).toBe(400);

    const wrongType = await post(serve.url, JSON.stringify({ dataframe_records: [{ distance: 'far', origin: 'SFO' }] }));
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.text)).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    expect(JSON.parse(wrongType.text).message).toMatch(/column 'distance'/);
    const missing = await post(serve.url, JSON.stringify({ dataframe_records: [{ distance: 10 }] }));
    expect(JSON.parse(missing.text).message).toMatch(/origin/);
    const tooMany = await post(serve.url, JSON.stringify({ instances: Array.from({ length: 1001 }, () => [1, 'SFO']) }));
    expect(tooMany.status).toBe(400);
    expect(JSON.parse(tooMany.text).message).toMatch(/at most 1000/);
    const wrongWidth = await post(serve.url, JSON.stringify({ instances: [[1, 'SFO', 3]] }));
    expect(JSON.parse(wrongWidth.text).message).toMatch(/one value per signature column/);

    expect((await fetch(`${serve.url}/nope`)).status).toBe(404);
    expect((await post(serve.url, JSON.stringify({ dataframe_records: [{ distance: 10, origin: 'SFO' }] }))).status).toBe(200);
  });

  it('publishes Prometheus metrics', async () => {
    const text = await (await fetch(`${serve.url}/metrics`)).text();
    expect(text).toMatch(/hangar_serving_requests_total\{route="invocations",status="200"\} \d+/);
    expect(text).toMatch(/hangar_serving_requests_total\{route="invocations",status="415"\} 3/);
    expect(text).toMatch(/hangar_serving_request_duration_seconds_bucket/);
    expect(text).toMatch(new RegExp(`hangar_serving_rows_scored_total\\{model="${name}",version="1",role="served"\\} \\d+`));
    expect(text).toMatch(new RegExp(`hangar_serving_model_info\\{model="${name}",version="1",flavor="hangar.tabular",role="champion"\\} 1`));
    expect(text).toMatch(/hangar_inference_log_dropped_rows_total 0/);
  });

  it('follows the alias under concurrent load without a failed request, then logs every row', async () => {
    let stop = false;
    const statuses = new Map<number, number>();
    const versions = new Set<string>();
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const r = await post(serve.url, JSON.stringify({ dataframe_records: [{ distance: 1500, origin: 'ORD' }] }));
        sent++;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        versions.add(r.headers.get('x-model-version') ?? '?');
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 300));
    await client.setRegisteredModelAlias(name, 'champion', 2);
    const deadline = Date.now() + 20_000;
    while (serve.primary.current?.version !== '2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(workers);
    expect(serve.primary.current?.version).toBe('2');
    expect([...statuses.keys()]).toEqual([200]);
    expect(versions).toEqual(new Set(['1', '2']));
    expect(sent).toBeGreaterThan(20);

    // Everything logged is in indexed files, with the contract's columns and types.
    await serve.inferenceLog!.flush();
    expect(serve.inferenceLog!.dropped).toBe(0);
    const files = await inference.listFiles(name);
    expect(files.length).toBeGreaterThanOrEqual(2);
    const total = files.reduce((n, f) => n + f.rows, 0);
    expect(total).toBe(serve.inferenceLog!.written);
    for (const f of files) {
      expect(f.path).toContain(`/inference-log/${name}/date=${f.day}/`);
      expect(existsSync(f.path)).toBe(true);
    }
    const byVersion = new Map<string, Record<string, string>>();
    for (const f of files) {
      const rows = await parquetRows(f.path);
      expect(rows).toHaveLength(f.rows);
      byVersion.set(String(rows[0]!.model_version), await describeParquet(f.path));
    }
    expect(byVersion.get('1')).toEqual({
      timestamp: 'TIMESTAMP',
      arrival_timestamp: 'TIMESTAMP',
      request_id: 'VARCHAR',
      model_name: 'VARCHAR',
      model_version: 'VARCHAR',
      status: 'VARCHAR',
      latency_ms: 'DOUBLE',
      prediction: 'DOUBLE',
      prediction_proba: 'DOUBLE',
      distance: 'DOUBLE',
      origin: 'VARCHAR',
    });
    expect(byVersion.get('2')?.prediction).toBe('VARCHAR');
    const all = (await Promise.all(files.map((f) => parquetRows(f.path)))).flat();
    expect(all.filter((r) => r.status === 'ERROR').length).toBeGreaterThan(0);
    const swapped = all.filter((r) => r.model_version === '2');
    expect(swapped.length).toBeGreaterThan(0);
    expect(swapped.every((r) => r.prediction === 'late' || r.prediction === 'on_time')).toBe(true);
    expect(swapped[0]!.origin).toBe('ORD');
  }, 60_000);

  it('stores labels joined by request id, and prunes by age', async () => {
    const files = await inference.listFiles(name);
    const rows = await parquetRows(files[0]!.path);
    const ids = rows.slice(0, 3).map((r) => String(r.request_id));
    const written = await inference.logLabels(name, ids.map((requestId, i) => ({ requestId, label: i % 2, timestamp: Date.UTC(2026, 0, 2) })));
    expect(written.labels).toBe(3);
    const labelFiles = await inference.listFiles(name, { kind: 'labels' });
    expect(labelFiles).toHaveLength(1);
    expect(labelFiles[0]!.day).toBe('2026-01-02');
    expect(labelFiles[0]!.path).toContain(`/inference-log/${name}/labels/date=2026-01-02/`);
    const labels = await parquetRows(labelFiles[0]!.path);
    expect(labels.map((l) => l.request_id)).toEqual(ids);
    expect(await describeParquet(labelFiles[0]!.path)).toEqual({ request_id: 'VARCHAR', label: 'DOUBLE', timestamp: 'TIMESTAMP' });

    await expect(inference.logLabels(name, [])).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(inference.logLabels('a/b', [{ requestId: 'x', label: 1 }])).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });

    // Only the labels file (January) is older than 30 days; the predictions stay.
    const pruned = await inference.prune({ olderThanDays: 30, model: name });
    expect(pruned).toEqual({ files: 1, rows: 3 });
    expect(existsSync(labelFiles[0]!.path)).toBe(false);
    expect(await inference.listFiles(name, { kind: 'labels' })).toEqual([]);
    expect((await inference.listFiles(name)).length).toBe(files.length);
  });

  it('refuses to index a file outside the log root', async () => {
    await expect(inference.registerFiles([{ model: name, kind: 'predictions', day: '2026-01-01', minTs: 0, maxTs: 1, rows: 1, path: '/etc/passwd' }])).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
  });
});

describe('the tracking server /metrics', () => {
  it('counts requests by route pattern and status, with latency', async () => {
    await client.getRegisteredModel(name);
    await fetch(`${server.url}/api/2.0/mlflow/registered-models/get?name=does-not-exist`);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/hangar_http_requests_total\{method="GET",route="\/api\/2\.0\/mlflow\/registered-models\/get",status="200"\} \d+/);
    expect(text).toMatch(/hangar_http_requests_total\{method="GET",route="\/api\/2\.0\/mlflow\/registered-models\/get",status="404"\} 1/);
    expect(text).toMatch(/hangar_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/2\.0\/mlflow\/registered-models\/get"\}/);
  });
});

describe('hangar serve: ONNX, split and shadow', () => {
  const onnxName = `serve-onnx-${Date.now()}`;
  let serve: RunningServe;

  beforeAll(async () => {
    await registerOnnx(client, experimentId, onnxName);
    await registerOnnx(client, experimentId, onnxName);
    await client.setRegisteredModelAlias(onnxName, 'champion', 1);
    await client.setRegisteredModelAlias(onnxName, 'challenger', 2);
    serve = await startServe({
      modelUri: `models:/${onnxName}@champion`,
      trackingUri: server.url,
      host: '127.0.0.1',
      port: 0,
      pollMs: 0,
      warmup: 5,
      split: { target: 'challenger', percent: 25 },
      shadow: 'challenger',
      inferenceLog: { flushIntervalMs: 60_000 },
    });
  }, 60_000);
  afterAll(async () => {
    await serve?.close();
  });

  it('scores the ONNX model, sends a quarter of requests to the challenger and shadows every one', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await post(serve.url, JSON.stringify({ dataframe_records: [{ distance: 1000, hour: 10 }] }));
      expect(r.status, r.text).toBe(200);
      const p = (JSON.parse(r.text) as { predictions: Array<{ probabilities: Record<string, number> }> }).predictions[0]!;
      expect(p.probabilities['1']).toBeCloseTo(1 / (1 + Math.exp(-(0.002 * 1000 + 0.1 * 10 - 2))), 5);
      const v = r.headers.get('x-model-version')!;
      seen.set(v, (seen.get(v) ?? 0) + 1);
    }
    expect(seen.get('2')).toBe(10);
    expect(seen.get('1')).toBe(30);
    // Shadow scores finish after their responses: wait until all 80 rows reached the buffer.
    const log = serve.inferenceLog!;
    for (let i = 0; i < 200 && log.size + log.written < 80; i++) await new Promise((r) => setTimeout(r, 10));
    await log.flush();
    const rows = (await Promise.all((await inference.listFiles(onnxName)).map((f) => parquetRows(f.path)))).flat();
    // 40 served + 40 shadow scores.
    expect(rows).toHaveLength(80);
    expect(rows.filter((r) => r.model_version === '2')).toHaveLength(50);
    expect(rows[0]!.prediction_proba).toBeTypeOf('number');
  });
});
