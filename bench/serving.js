// `npm run bench -- serving`: single-row scoring requests over 16 keep-alive connections
// (autocannon) against `hangar serve`, for two models:
//   gbdt  gradient-boosted trees trained by `hangar train` on US flights (vega-datasets
//         flights-3m.parquet; the first BENCH_SERVING_TRAIN_ROWS rows in date order, default
//         300,000; label delay > 15; features: hour and weekday of `date`, distance, origin,
//         destination; 100 trees, ≤ 31 leaves). Requests send the raw row
//         {date, distance, origin, destination}; the server derives the date parts.
//   onnx  a logistic model over (distance, hour) built with Hangar's ONNX writer.
// Each run: `hangar server` on a fresh home, the model registered with alias champion,
// `hangar serve models:/NAME@champion` in its own process (default 1 worker; BENCH_SERVING_WORKERS),
// BENCH_SECONDS of load (default 10) after a short warm-up. Figures per model:
//   requests_per_s, p50_ms, p99_ms, non_2xx, and that the inference log kept up:
//   logged_rows (rows in indexed Parquet files after the server stopped and flushed),
//   requests (2xx answers, warm-up included), dropped_rows (from /metrics).
// Calibration, in the same run: a bare node:http server that parses the same JSON body and
// answers a one-number prediction (no model, no log) — the ceiling of any Node server on this
// machine at this moment; `ratio_to_bare_http` says how close `hangar serve` comes to it.
// The peer is published, not run here (no PyPI): a scikit-learn gradient-boosted model behind
// Flask and gunicorn on a 2-core machine serves ~600 requests/s with p99 ~60 ms (issue 5).
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { emit, freePort, machine, startHangar } from './_lib.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin/hangar.js');
const flights = join(root, 'node_modules/vega-datasets/data/flights-3m.parquet');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const trainRows = Number(process.env.BENCH_SERVING_TRAIN_ROWS ?? 300_000);
const workers = Number(process.env.BENCH_SERVING_WORKERS ?? 1);
const connections = 16;
const PEER = { requests_per_s: 600, p99_ms: 60 };

const { HangarClient, InferenceClient } = await import('../dist/client/index.js');
const { logModel, logisticClassifierOnnx, column } = await import('../dist/models/index.js');

function sh(args, env = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`hangar ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function startServe(trackingUri, uri) {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'serve', uri, '--port', String(port), '--tracking-uri', trackingUri, '--workers', String(workers)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/ping`)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 600) throw new Error('hangar serve did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

function cannon(url, body, duration) {
  return autocannon({
    url,
    connections,
    duration,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function metric(text, name) {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

/** requests/s of a bare node:http JSON server in a child process, under the same load. */
async function bareHttp(body) {
  const port = await freePort();
  const code = `require('node:http').createServer((q, s) => { const c = []; q.on('data', (d) => c.push(d)); q.on('end', () => { JSON.parse(Buffer.concat(c).toString('utf8')); s.writeHead(200, { 'content-type': 'application/json' }); s.end('{"predictions":[0.5]}'); }); }).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(url, { method: 'POST', body: '{}' });
      break;
    } catch {
      if (i > 100) throw new Error('bare http server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    await cannon(url, body, 2);
    return (await cannon(url, body, seconds)).requests.average;
  } finally {
    child.kill();
  }
}

let bareRps = NaN;

async function run(label, server, modelName, body) {
  const serve = await startServe(server.url, `models:/${modelName}@champion`);
  let answered = NaN;
  let dropped = NaN;
  let cpuPerRequestUs = NaN;
  let result;
  try {
    await cannon(`${serve.url}/invocations`, body, 2);
    const before = await (await fetch(`${serve.url}/metrics`)).text();
    result = await cannon(`${serve.url}/invocations`, body, seconds);
    // Requests still in flight when the load stopped are answered (and logged) too.
    await new Promise((r) => setTimeout(r, 500));
    const after = await (await fetch(`${serve.url}/metrics`)).text();
    const ok = 'hangar_serving_requests_total\\{route="invocations",status="200"\\}';
    answered = metric(after, ok);
    dropped = metric(after, 'hangar_inference_log_dropped_rows_total');
    const cpu = metric(after, 'hangar_serving_process_cpu_seconds_total') - metric(before, 'hangar_serving_process_cpu_seconds_total');
    cpuPerRequestUs = (cpu * 1e6) / (answered - metric(before, ok));
  } finally {
    // Stopping flushes the inference log.
    await serve.stop();
  }
  const files = await new InferenceClient({ trackingUri: server.url }).listFiles(modelName);
  const logged = files.reduce((n, f) => n + f.rows, 0);
  const rps = result.requests.average;
  const load = (await import('node:os')).loadavg()[0];
  emit('serving', `${label}_requests_per_s`, rps, '1/s', { connections, workers, seconds, machine: machine(), load_1m: Math.round(load * 100) / 100, peer: PEER.requests_per_s, ratio: Math.round((rps / PEER.requests_per_s) * 10) / 10 });
  emit('serving', `${label}_ratio_to_bare_http`, rps / bareRps, 'ratio', { bare_http_requests_per_s: Math.round(bareRps) });
  emit('serving', `${label}_p50_ms`, result.latency.p50, 'ms');
  emit('serving', `${label}_p99_ms`, result.latency.p99, 'ms', { peer: PEER.p99_ms, ratio: Math.round((PEER.p99_ms / Math.max(result.latency.p99, 0.01)) * 10) / 10 });
  emit('serving', `${label}_non_2xx`, result.non2xx + result.errors, 'requests');
  emit('serving', `${label}_server_cpu_us_per_request`, cpuPerRequestUs, 'us', { workers });
  emit('serving', `${label}_requests_answered`, answered, 'requests');
  emit('serving', `${label}_logged_rows`, logged, 'rows', { kept_up: logged === answered && dropped === 0 });
  emit('serving', `${label}_dropped_rows`, dropped, 'rows');
}

bareRps = await bareHttp({ dataframe_records: [{ date: '2001-06-01T08:05:00Z', distance: 700, origin: 'SFO', destination: 'LAX' }] });
emit('serving', 'bare_http_requests_per_s', bareRps, '1/s', { connections, seconds, load_1m: Math.round((await import('node:os')).loadavg()[0] * 100) / 100 });
const server = await startHangar();
try {
  const env = { MLFLOW_TRACKING_URI: server.url };
  // The GBDT: `hangar train` on flights, registered.
  sh(
    [
      'train',
      '--data',
      `select date, distance, origin, destination, delay > 15 as late from '${flights}' order by date limit ${trainRows}`,
      '--target',
      'late',
      '--exclude',
      'date_month,date_day',
      '--param',
      'max_iter=100',
      '--param',
      'max_leaf_nodes=31',
      '--param',
      'early_stopping=false',
      '--register',
      'bench-gbdt',
      '--experiment',
      'bench-serving',
    ],
    env,
  );
  const client = new HangarClient({ trackingUri: server.url });
  await client.setRegisteredModelAlias('bench-gbdt', 'champion', 1);
  await run('gbdt', server, 'bench-gbdt', { dataframe_records: [{ date: '2001-06-01T08:05:00Z', distance: 700, origin: 'SFO', destination: 'LAX' }] });

  // The ONNX model.
  const { experiment } = await client.getOrCreateExperiment('bench-serving');
  const runInfo = await client.createRun(experiment.experimentId);
  await logModel(client, {
    runId: runInfo.info.runId,
    onnx: logisticClassifierOnnx([0.0005, 0.05], -1.5),
    onnxOptions: { problem: 'binary', classLabels: ['0', '1'] },
    signature: { inputs: [column('distance', 'double'), column('hour', 'double')] },
    inputExample: [{ distance: 700, hour: 8 }],
    registeredModelName: 'bench-onnx',
  });
  await client.setRegisteredModelAlias('bench-onnx', 'champion', 1);
  await run('onnx', server, 'bench-onnx', { dataframe_records: [{ distance: 700, hour: 8 }] });
} finally {
  await server.stop();
}
