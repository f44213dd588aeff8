// `npm run bench -- tracking`: a Hangar server on the SQLite default, driven from concurrent
// keep-alive clients on loopback.
//   log_metric_calls_per_s   runs/log-metric, one metric a call
//   log_batch_metrics_per_s  runs/log-batch, 1,000 metrics a call
//   search_p50_ms            runs/search over 10,000 runs, metric filter, order_by, max_results 1000
import { emit, load, machine, parallel, percentile, request, startHangar } from './_lib.js';

const API = '/api/2.0/mlflow';
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const server = await startHangar();
const { port } = server;
try {
  const { body: exp } = await request(port, 'POST', `${API}/experiments/create`, { name: 'bench' });
  const experimentId = exp.experiment_id;
  const newRun = async () => (await request(port, 'POST', `${API}/runs/create`, { experiment_id: experimentId, start_time: Date.now() })).body.run.info.run_id;

  // log-metric calls/s
  const concurrency = 16;
  const runs = await Promise.all(Array.from({ length: concurrency }, newRun));
  const single = await load(concurrency, seconds, async (w, i) => {
    const r = await request(port, 'POST', `${API}/runs/log-metric`, { run_id: runs[w], key: 'loss', value: Math.random(), timestamp: Date.now(), step: i });
    if (r.status !== 200) throw new Error(`log-metric ${r.status} ${JSON.stringify(r.body)}`);
  });
  emit('tracking', 'log_metric_calls_per_s', single.calls / single.seconds, '1/s', { concurrency, machine: machine() });
  emit('tracking', 'log_metric_p99_ms', percentile(single.latencies, 99), 'ms');

  // log-batch metrics/s
  const batchConcurrency = 4;
  const batchRuns = await Promise.all(Array.from({ length: batchConcurrency }, newRun));
  const batch = await load(batchConcurrency, seconds, async (w, i) => {
    const ts = Date.now();
    const metrics = Array.from({ length: 1000 }, (_, k) => ({ key: `m${k % 10}`, value: Math.random(), timestamp: ts, step: i * 100 + Math.floor(k / 10) }));
    const r = await request(port, 'POST', `${API}/runs/log-batch`, { run_id: batchRuns[w], metrics });
    if (r.status !== 200) throw new Error(`log-batch ${r.status} ${JSON.stringify(r.body)}`);
  });
  emit('tracking', 'log_batch_metrics_per_s', (batch.calls * 1000) / batch.seconds, '1/s', { concurrency: batchConcurrency });
  emit('tracking', 'log_batch_p50_ms', percentile(batch.latencies, 50), 'ms');

  // search over 10,000 runs
  const { body: exp2 } = await request(port, 'POST', `${API}/experiments/create`, { name: 'bench-search' });
  const searchExp = exp2.experiment_id;
  await parallel(8, 10_000, async () => {
    const { body } = await request(port, 'POST', `${API}/runs/create`, { experiment_id: searchExp, start_time: Date.now() });
    const runId = body.run.info.run_id;
    await request(port, 'POST', `${API}/runs/log-batch`, {
      run_id: runId,
      metrics: [{ key: 'rmse', value: Math.random(), timestamp: Date.now(), step: 0 }],
      params: [{ key: 'lr', value: String(Math.random()) }],
      tags: [{ key: 'team', value: 'bench' }],
    });
  });
  const times = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const r = await request(port, 'POST', `${API}/runs/search`, {
      experiment_ids: [searchExp],
      filter: 'metrics.rmse < 0.9',
      order_by: ['metrics.rmse ASC'],
      max_results: 1000,
    });
    times.push(performance.now() - t0);
    if (r.status !== 200 || r.body.runs.length !== 1000) throw new Error(`search ${r.status} ${r.body.runs?.length}`);
  }
  emit('tracking', 'search_runs_p50_ms', percentile(times, 50), 'ms', { runs: 10_000, max_results: 1000 });
} finally {
  await server.stop();
}
