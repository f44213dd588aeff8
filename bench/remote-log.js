// `npm run bench -- remote-log`: the inference log and a monitor on an S3-compatible store
// (s3rver on loopback, in this process: the figures show Hangar's own cost of going through the
// artifact store, not a real network's latency).
//   write  one InferenceLog flush of BENCH_LOG_ROWS rows (default 200,000; 5 input columns) to
//          local disk only, then the same rows to a spool uploaded to S3 and indexed by URI
//          (UploadingIndex + artifactPublisher): wall ms and CPU ms of each flush, file bytes.
//   monitor a daily InferenceLog monitor over BENCH_LOG_DAYS days (default 30) of those rows
//          on S3, labels included: the first run (every file downloaded into the cache), a second
//          run (files read from the cache; only the run's own tables travel), and the same
//          monitor over the same files on local disk.
//   tables reading a monitor's merged profile table from BENCH_TABLE_RUNS run files (default 100;
//          30 daily windows × 12 columns each) on S3: with an empty cache (every run file
//          downloaded, which is what every read cost before the cache) and with a warm cache.
// CPU figures are process.cpuUsage() deltas (user + system) of this process, which also runs
// s3rver, so they include the fake store's own work.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { emit, machine } from './_lib.js';

const { openS3ArtifactStore, openLocalArtifactStore } = await import('../dist/artifacts/index.js');
const { openStore, ServingStore } = await import('../dist/store/index.js');
const { InferenceLog, UploadingIndex, artifactPublisher, storeIndex, writeLabels } = await import('../dist/serving/index.js');
const { MonitorService } = await import('../dist/monitoring/index.js');
const { readTable, writeTable } = await import('../dist/monitoring/monitors/results.js');

const ROWS = Number(process.env.BENCH_LOG_ROWS ?? 200_000);
const DAYS = Number(process.env.BENCH_LOG_DAYS ?? 30);
const DAY = 86_400_000;
const bench = 'remote-log';
const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-remote-log-'));

const s3dir = join(dir, 's3rver');
const s3rver = new S3rver({ silent: true, directory: s3dir, configureBuckets: [{ name: 'bench' }], port: 0, address: '127.0.0.1' });
const { port } = await s3rver.run();
const s3options = { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };

const model = {
  name: 'bench',
  version: '1',
  columns: ['a', 'b', 'c', 'd'].map((name) => ({ kind: 'column', name, type: 'double', required: true })).concat([{ kind: 'column', name: 'origin', type: 'string', required: true }]),
  predictionType: 'DOUBLE',
};
const ORIGINS = ['SFO', 'LAX', 'JFK', 'ORD', 'ATL', 'DEN', 'SEA', 'BOS'];

function fill(log, rows, t0, spanMs) {
  const n = 1000;
  for (let off = 0; off < rows; off += n) {
    const m = Math.min(n, rows - off);
    const cols = new Map([
      ['a', Float64Array.from({ length: m }, (_, i) => Math.sin(off + i))],
      ['b', Float64Array.from({ length: m }, (_, i) => (off + i) % 97)],
      ['c', Float64Array.from({ length: m }, (_, i) => Math.sqrt(off + i))],
      ['d', Float64Array.from({ length: m }, (_, i) => ((off + i) * 7919) % 1000)],
      ['origin', Array.from({ length: m }, (_, i) => ORIGINS[(off + i) % ORIGINS.length])],
    ]);
    const preds = Float64Array.from({ length: m }, (_, i) => ((off + i) % 10) / 10);
    log.append(model, `r${t0}-${off}`, { event: Array.from({ length: m }, (_, i) => t0 + Math.floor(((off + i) / rows) * spanMs)), arrival: t0 }, 1, { rows: m, logged: preds, proba: preds, inputs: cols });
  }
}

async function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const cpu = process.cpuUsage(c0);
  return { r, wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const extra = { machine: machine(), load1: Math.round(loadavg()[0] * 100) / 100, rows: ROWS };
const store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
const s3 = await openS3ArtifactStore('s3://bench/hangar', s3options);
const localArtifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
try {
  // --- write: one flush, local disk vs spool + upload + index by URI ----------------------
  const t0 = Date.UTC(2026, 3, 1);
  {
    // Warm-up: load DuckDB and the S3 client before anything is timed.
    const spool = join(dir, 'spool-warmup');
    const log = new InferenceLog({ root: spool, index: new UploadingIndex({ root: spool, publisher: artifactPublisher(s3), index: storeIndex(store) }), flushIntervalMs: 3_600_000 });
    fill({ append: (...a) => log.append({ ...model, name: 'warmup' }, ...a.slice(1)) }, 1000, t0, 1000);
    await log.close();
  }
  {
    const root = join(dir, 'artifacts', 'inference-log');
    const log = new InferenceLog({ root, index: storeIndex(store), flushIntervalMs: 3_600_000, flushRows: ROWS * 2, capacity: ROWS * 2 });
    fill(log, ROWS, t0, DAY / 2);
    const w = await timed(() => log.flush());
    const files = await ServingStore.for(store).listFiles({ modelName: 'bench', kind: 'predictions' });
    await log.close();
    emit(bench, 'flush_local_wall_ms', w.wallMs, 'ms', { ...extra, cpu_ms: Math.round(w.cpuMs), bytes: files.reduce((n, f) => n + statSync(f.path).size, 0) });
  }
  {
    const spool = join(dir, 'spool');
    const index = new UploadingIndex({ root: spool, publisher: artifactPublisher(s3), index: storeIndex(store) });
    const log = new InferenceLog({ root: spool, index, flushIntervalMs: 3_600_000, flushRows: ROWS * 2, capacity: ROWS * 2 });
    fill({ append: (...a) => log.append({ ...model, name: 'bench-s3' }, ...a.slice(1)) }, ROWS, t0, DAY / 2);
    const w = await timed(() => log.flush());
    await log.close();
    emit(bench, 'flush_s3_wall_ms', w.wallMs, 'ms', { ...extra, cpu_ms: Math.round(w.cpuMs), written_rows: log.written, upload_failures: index.uploadFailures });
  }

  // --- monitor: DAYS daily files on S3 (+ labels), cold and warm runs; the same on local disk ---
  const perDay = Math.max(1, Math.floor(ROWS / DAYS));
  for (const [where, artifacts] of [['s3', s3], ['local', localArtifacts]]) {
    const name = `mon-${where}`;
    const spool = join(dir, `spool-${where}`);
    const remote = where === 's3';
    const base = { root: remote ? spool : join(dir, 'artifacts', 'inference-log'), index: storeIndex(store) };
    const index = remote ? new UploadingIndex({ ...base, publisher: artifactPublisher(s3) }) : base.index;
    const log = new InferenceLog({ root: base.root, index, flushIntervalMs: 3_600_000, flushRows: ROWS * 2, capacity: ROWS * 2 });
    const start = Date.UTC(2026, 4, 1);
    for (let d = 0; d < DAYS; d++) fill({ append: (...a) => log.append({ ...model, name }, ...a.slice(1)) }, perDay, start + d * DAY, DAY - 1);
    await log.close();
    const labels = [];
    for (let d = 0; d < DAYS; d++) for (let off = 0; off < perDay; off += 1000) labels.push({ requestId: `r${start + d * DAY}-${off}`, label: d % 2, timestamp: start + d * DAY + 3_600_000 });
    await writeLabels(store, join(dir, `labels-${where}`), name, labels, undefined, remote ? artifactPublisher(s3) : undefined);
    const service = new MonitorService({ store, artifacts, logRoot: remote ? null : base.root, emit: async () => {} });
    await service.create({ name, source: { inference_log: { model: name } }, profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_REGRESSION' } }, 'bench');
    const runs = remote ? ['cold', 'warm'] : ['local'];
    for (const label of runs) {
      // Every run reads every indexed file (the source relation takes all of them; the watermark only picks the windows).
      const r = await timed(() => service.run(name));
      if (r.r.status !== 'SUCCEEDED') throw new Error(`monitor run failed: ${r.r.errorMessage}`);
      emit(bench, `monitor_run_${label}_wall_ms`, r.wallMs, 'ms', { ...extra, cpu_ms: Math.round(r.cpuMs), days: DAYS, rows_read: r.r.summary.rows });
    }
  }

  // --- tables: many runs' files, read with an empty cache and with a warm one ---------------
  {
    const RUNS = Number(process.env.BENCH_TABLE_RUNS ?? 100);
    const paths = [];
    for (let r = 0; r < RUNS; r++) {
      const rows = [];
      for (let d = 0; d < 30; d++) {
        for (const column of [':table', 'a', 'b', 'c', 'd', 'origin', 'prediction', 'label', 'x1', 'x2', 'x3', 'x4']) {
          rows.push({ window_start: Date.UTC(2026, 4, 1) + d * DAY, window_end: Date.UTC(2026, 4, 1) + (d + 1) * DAY, granularity: '1 day', slice_key: null, slice_value: null, column_name: column, log_type: 'INPUT', model_id: '*', data_type: 'DOUBLE', monitor_version: 1, monitor_run_id: `run-${r}`, computed_at: r, count: 100 + r, avg: d / 10 });
        }
      }
      paths.push(await writeTable(s3, 'tables', 'profile', `run-${String(r).padStart(4, '0')}`, rows));
    }
    const q = { column_name: ':table', slice_key: null, model_id: '*' };
    const cold = [];
    const warm = [];
    const cache = join(dir, 'table-cache');
    await readTable(s3, 'profile', paths, q, cache);
    for (let i = 0; i < 3; i++) {
      const c = await timed(() => readTable(s3, 'profile', paths, q, join(dir, `empty-cache-${i}`)));
      cold.push(c);
      const w = await timed(() => readTable(s3, 'profile', paths, q, cache));
      warm.push(w);
      if (c.r.length !== 30 || w.r.length !== 30) throw new Error('unexpected table size');
    }
    const med = (xs, k) => xs.map((x) => x[k]).sort((a, b) => a - b)[1];
    emit(bench, 'table_read_empty_cache_wall_ms', med(cold, 'wallMs'), 'ms', { ...extra, cpu_ms: Math.round(med(cold, 'cpuMs')), run_files: RUNS });
    emit(bench, 'table_read_warm_cache_wall_ms', med(warm, 'wallMs'), 'ms', { ...extra, cpu_ms: Math.round(med(warm, 'cpuMs')), run_files: RUNS });
  }
} finally {
  await s3.close();
  await localArtifacts.close();
  await store.close();
  await s3rver.close();
  rmSync(dir, { recursive: true, force: true });
}
