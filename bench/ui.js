// `npm run bench -- ui`: how fast the web UI shows what people open. A `hangar server` on a temp
// home, seeded through the REST API, and Debian's Chromium driven by playwright-core.
//
// Each page is loaded cold 5 times (a new browser context each time, so an empty HTTP cache and
// the JS and CSS fetched again). A script installed before the page's own runs checks on every
// animation frame whether the page shows what it is for, and notes `performance.now()` (ms since
// navigation start) at the frame after that, once it was laid out and painted:
//   experiments_list_ms        the experiments table has rows
//   runs_table_100_rows_ms     the runs table of an experiment with 1,000 runs (5 metrics, 5 params) holds 100 rows
//   runs_table_1000_rows_ms    the same at `?size=1000`
//   runs_sorted_by_metric_ms   `?order=metrics.m0 DESC`, 100 rows (the first row is checked afterwards)
//   run_page_charts_ms         a run with 5 metrics × 200 steps: 5 chart lines drawn (SVG paths)
//   compare_10_runs_ms         /compare for 10 such runs: the table and 5 charts × 10 lines
//   compare_50_runs_ms         the same for 50 runs (5 × 50 lines)
//   models_list_ms             the registered models table has rows
//   model_page_ms              a model with 20 versions: 20 rows in its versions table
//   monitor_page_ms            a monitor that ran over 30 days of inference log: chart and windows
// Each gives the median (`_ms`), the slowest of the 5 (`_max_ms`) and the server process's CPU
// per load (`_server_cpu_ms`, from /proc; Linux only). `js_css_gzip_bytes` is what the server
// sends for the page's scripts and styles to a browser that accepts gzip.
// Every line carries `load_1m`, the machine's 1-minute load average when it was printed.
// Without Chromium (HANGAR_BENCH_CHROMIUM, default /usr/bin/chromium) it says so on stderr and
// prints nothing. BENCH_UI_ONLY=name,name (without `_ms`) measures only those pages.
/* global document, window, requestAnimationFrame -- watch() and the waitForFunction callbacks run in the page */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { emit as libEmit, machine, parallel, request, startHangar } from './_lib.js';

const chromiumPath = process.env.HANGAR_BENCH_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.error(`bench ui: ${chromiumPath} not found (apt-get install -y chromium); no figures`);
  process.exit(0);
}
const { chromium } = await import('playwright-core');

const API = '/api/2.0/mlflow';
const LOADS = 5;
const RUNS = 1000;
const METRICS = 5;
const PARAMS = 5;
const STEPS = 200;
const HISTORY_RUNS = 50;
const VERSIONS = 20;
const MODEL = 'bench-ui-model';
const MONITOR = 'bench-ui-quality';

const emit = (metric, value, unit, extra = {}) => libEmit('ui', metric, value, unit, { ...extra, load_1m: Math.round(loadavg()[0] * 100) / 100 });

async function api(port, path, body) {
  const r = await request(port, 'POST', path, body);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

/** CPU time (user + system) of a process so far, ms; /proc/<pid>/stat counts in ticks of 1/100 s. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** GET a path with `accept-encoding: gzip`; resolves with the bytes on the wire and the body's encoding. */
function getRaw(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, bytes: Buffer.concat(chunks), encoding: res.headers['content-encoding'] }));
      })
      .on('error', reject);
  });
}

/** A Parquet inference log like the one `hangar serve` writes: `days` days, a version 2 from day 10, drift from day 20. */
async function writeInferenceLog(path, days, rowsPerDay) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    await con.run('select setseed(0.42)');
    await con.run(`copy (
      with base as (select d, i, random() as u1, random() as u2, random() as u3 from range(${days}) t(d), range(${rowsPerDay}) s(i))
      select timestamp '2026-05-01' + to_days(d::INTEGER) + to_seconds((i * (86000 // ${rowsPerDay}))::BIGINT) as timestamp,
        'r-' || d || '-' || i as request_id,
        case when d >= 10 then '2' else '1' end as model_version,
        case when u3 < 0.02 then 'ERROR' else 'OK' end as status,
        5 + u2 * 10 as latency_ms,
        (u1 * 10 + case when d >= 20 then 3 else 0 end)::DOUBLE as x,
        case when u2 < 0.5 then 'a' when u2 < 0.8 then 'b' else 'c' end as cat,
        (u1 > 0.5)::INTEGER::DOUBLE as label,
        case when d >= 20 then (u1 <= 0.5)::INTEGER::DOUBLE else (u1 > 0.5)::INTEGER::DOUBLE end as prediction,
        case when d >= 20 then 1 - u1 else u1 end as prediction_proba
      from base order by timestamp) to '${path.replaceAll("'", "''")}' (format parquet)`);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** Experiments, 1,000 runs (the first HISTORY_RUNS with 200-step histories), a model with 20 versions, a monitor. */
async function seed(server) {
  const { port } = server;
  for (let i = 0; i < 20; i++) await api(port, `${API}/experiments/create`, { name: `bench-ui-other-${i}` });
  const experimentId = (await api(port, `${API}/experiments/create`, { name: 'bench-ui' })).experiment_id;
  const runIds = new Array(RUNS);
  const m0 = new Array(RUNS);
  const t0 = Date.now() - RUNS * 60_000;
  await parallel(8, RUNS, async (i) => {
    const start = t0 + i * 60_000;
    const runName = `run-${String(i).padStart(4, '0')}`;
    const runId = (await api(port, `${API}/runs/create`, { experiment_id: experimentId, run_name: runName, start_time: start })).run.info.run_id;
    runIds[i] = runId;
    m0[i] = Math.random();
    const latest = Array.from({ length: METRICS }, (_, k) => ({ key: `m${k}`, value: k === 0 ? m0[i] : Math.random() * (k + 1), timestamp: start + STEPS * 1000, step: STEPS }));
    const params = Array.from({ length: PARAMS }, (_, k) => ({ key: `p${k}`, value: k === 0 ? ['tree', 'linear', 'boost'][i % 3] : String(Math.round(Math.random() * 1000) / 1000) }));
    if (i < HISTORY_RUNS) {
      // 5 metrics × 200 steps is MLflow's limit of 1,000 metrics a batch; the latest values (step 200) go with the params.
      const history = [];
      for (let k = 0; k < METRICS; k++) {
        for (let s = 0; s < STEPS; s++) history.push({ key: `m${k}`, value: Math.exp(-s / 50) * (k + 1) + Math.random() * 0.05, timestamp: start + s * 1000, step: s });
      }
      await api(port, `${API}/runs/log-batch`, { run_id: runId, metrics: history });
    }
    await api(port, `${API}/runs/log-batch`, { run_id: runId, metrics: latest, params, tags: [{ key: 'team', value: 'bench' }] });
    await api(port, `${API}/runs/update`, { run_id: runId, status: 'FINISHED', end_time: start + STEPS * 1000 });
  });
  const top = m0.indexOf(Math.max(...m0));

  await api(port, `${API}/registered-models/create`, { name: MODEL, description: 'bench model', tags: [{ key: 'owner', value: 'bench' }] });
  for (let v = 0; v < VERSIONS; v++) {
    await api(port, `${API}/model-versions/create`, { name: MODEL, source: `mlflow-artifacts:/${experimentId}/${runIds[v]}/artifacts`, run_id: runIds[v] });
  }
  for (let i = 0; i < 9; i++) await api(port, `${API}/registered-models/create`, { name: `bench-ui-other-model-${i}` });

  let monitor = false;
  try {
    const day = join(server.home, 'artifacts', 'inference-log', MODEL, 'date=2026-05-01');
    mkdirSync(day, { recursive: true });
    await writeInferenceLog(join(day, '1-0.parquet'), 30, 200);
    await api(port, '/api/2.0/hangar/monitors/create', {
      name: MONITOR,
      source: { inference_log: { model: MODEL } },
      profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
      alert_rules: [{ name: 'accuracy', metric: 'accuracy_score', direction: 'below', threshold: 0.7, num_evaluation_windows: 3, num_violation_windows: 2 }],
    });
    const { run } = await api(port, '/api/2.0/hangar/monitors/run', { name: MONITOR });
    if (run.status !== 'SUCCEEDED') throw new Error(`monitor run ${run.status}`);
    monitor = true;
  } catch (e) {
    console.error(`bench ui: no monitor figures (${e.message})`);
  }
  return { experimentId, runIds, topRunName: `run-${String(top).padStart(4, '0')}`, monitor };
}

/**
 * Runs in the page before its own scripts: on every animation frame, checks whether the page
 * shows what `want` asks for; at the frame after the first that does, sets `window.__benchDone`
 * to ms since navigation start.
 */
function watch(want) {
  const rows = (label) => [...document.querySelectorAll(`table[aria-label="${label}"] tbody tr`)];
  // A table that draws only the rows in view says how many it holds in aria-rowcount (header rows included).
  const held = (label) => {
    const table = document.querySelector(`table[aria-label="${label}"]`);
    const count = Number(table?.getAttribute('aria-rowcount') ?? 0);
    return count > 0 && table.tHead !== null ? count - table.tHead.rows.length : 0;
  };
  const visible = (el) => el !== undefined && el.getBoundingClientRect().height > 0;
  const drawn = () => [...document.querySelectorAll('svg path')].filter((p) => (p.getAttribute('d') ?? '').length > 1).length;
  const ready = () => {
    const r = rows(want.table);
    if (Math.max(r.length, held(want.table)) < want.rows || !visible(r[0])) return false;
    return drawn() >= (want.paths ?? 0);
  };
  const tick = () => {
    if (ready()) requestAnimationFrame(() => (window.__benchDone = performance.now()));
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** Load `path` cold LOADS times; resolves with the times (ms) and the server's CPU per load (ms). */
async function measure(browser, url, pid, path, want, check) {
  const times = [];
  const cpu = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      await context.addInitScript(watch, want);
      const page = await context.newPage();
      const cpu0 = pid === undefined ? 0 : cpuMs(pid);
      await page.goto(`${url}${path}`, { waitUntil: 'commit' });
      try {
        await page.waitForFunction(() => window.__benchDone, undefined, { timeout: 60_000, polling: 50 });
      } catch (e) {
        const text = (await page.locator('main').innerText().catch(() => '')).slice(0, 300);
        throw new Error(`${path}: ${e.message.split('\n')[0]}; page says: ${text}`);
      }
      times.push(await page.evaluate(() => window.__benchDone));
      if (pid !== undefined) cpu.push(cpuMs(pid) - cpu0);
      if (check) await check(page);
    } finally {
      await context.close();
    }
  }
  return { times, cpu };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const server = await startHangar();
let browser;
try {
  const { url, port } = server;
  const seedStart = performance.now();
  const seeded = await seed(server);
  console.error(`bench ui: seeded in ${Math.round(performance.now() - seedStart)} ms`);
  const { pid } = server;

  // The bytes of the page's scripts and styles, as the server sends them to a browser that accepts gzip.
  const index = await getRaw(port, '/');
  const html = (index.encoding === 'gzip' ? gunzipSync(index.bytes) : index.bytes).toString('utf8');
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  if (assets.length === 0) throw new Error(`no /assets/ scripts or styles in index.html: ${html.slice(0, 300)}`);
  let gz = 0;
  let raw = 0;
  for (const a of assets) {
    const r = await getRaw(port, a);
    if (r.status !== 200) throw new Error(`${a}: ${r.status}`);
    gz += r.bytes.length;
    raw += r.encoding === 'gzip' ? gunzipSync(r.bytes).length : r.bytes.length;
  }
  emit('js_css_gzip_bytes', gz, 'B', { files: assets.length, uncompressed_bytes: raw, machine: machine() });

  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const exp = `/experiments/${seeded.experimentId}`;
  const history = seeded.runIds.slice(0, HISTORY_RUNS);
  const cases = [
    ['experiments_list', '/', { table: 'Experiments', rows: 1 }],
    ['runs_table_100_rows', exp, { table: 'Runs', rows: 100 }],
    ['runs_table_1000_rows', `${exp}?size=1000`, { table: 'Runs', rows: 1000 }],
    [
      'runs_sorted_by_metric',
      `${exp}?order=${encodeURIComponent('metrics.m0 DESC')}`,
      { table: 'Runs', rows: 100 },
      async (page) => {
        const first = await page.locator('table[aria-label="Runs"] tbody tr').first().innerText();
        if (!first.includes(seeded.topRunName)) throw new Error(`sorted by m0: first row is not ${seeded.topRunName}: ${first.slice(0, 200)}`);
      },
    ],
    ['run_page_charts', `${exp}/runs/${history[0]}`, { table: 'Metrics', rows: METRICS, paths: METRICS }],
    ['compare_10_runs', `/compare?runs=${history.slice(0, 10).join(',')}`, { table: 'Run comparison', rows: 1, paths: METRICS * 10 }],
    ['compare_50_runs', `/compare?runs=${history.slice(0, 50).join(',')}`, { table: 'Run comparison', rows: 1, paths: METRICS * 50 }],
    ['models_list', '/models', { table: 'Registered models', rows: 10 }],
    ['model_page', `/models/${MODEL}`, { table: 'Model versions', rows: VERSIONS }],
  ];
  if (seeded.monitor) cases.push(['monitor_page', `/monitors/${MONITOR}`, { table: 'Windows', rows: 1, paths: 1 }]);
  const only = process.env.BENCH_UI_ONLY;
  for (const [name, path, want, check] of cases) {
    if (only !== undefined && !only.split(',').includes(name)) continue;
    const { times, cpu } = await measure(browser, url, pid, path, want, check);
    emit(`${name}_ms`, median(times), 'ms', { loads: LOADS, times: times.map((t) => Math.round(t)) });
    emit(`${name}_max_ms`, Math.max(...times), 'ms');
    if (cpu.length > 0) emit(`${name}_server_cpu_ms`, median(cpu), 'ms', { max: Math.max(...cpu) });
  }
} finally {
  await browser?.close();
  await server.stop();
}
