// `npm run bench -- features`: the feature store on US flights (vega-datasets flights-3m.parquet,
// January–June 2001, 3M rows).
// Offline part (this file):
//   The main job's three feature tables (examples/flights/features.ts, loaded with the Parquet file
//   as their source by src/data/features/flights.ts), computed by `computeFeatureTable` (DuckDB SQL):
//   origin_delays_7d, destination_delays_7d and route_delays_7d, each the delay rate (delay > 15) and
//   flight count of the 7 days before each key's day. Each row is stamped at the START of its day,
//   so a flight's own label never feeds its features; no TTL.
//   Labels: all 3M flights (origin, destination, departure time, late = delay > 15).
//   The point-in-time training set (3 ASOF lookups, Parquet written) is timed.
// Figures:
//   compute_s_<table>           computing one table's first version (source scan, checks, Parquet, catalogue)
//   training_set_s_3m_labels    createTrainingSet over the 3M label rows against the 3 tables (target ≤ 10 s on 2 cores)
//   training_set_cpu_s          CPU seconds the training set used (all threads); ÷ 2 ≈ wall time on 2 idle cores
//   training_set_rows_per_s     label rows joined per second
//   training_set_match_rate     share of label rows that found an origin feature row (sanity figure)
// Then the online part, bench/_features-online.js (another module), when it exists: its `run(emit)`.
// BENCH_FEATURES_LABELS overrides the number of label rows (e.g. for a quick look).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit } from './_lib.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const flights = join(root, 'node_modules/vega-datasets/data/flights-3m.parquet');
const labelRows = process.env.BENCH_FEATURES_LABELS === undefined ? undefined : Number(process.env.BENCH_FEATURES_LABELS);

const { openStore } = await import('../dist/store/index.js');
const { openLocalArtifactStore } = await import('../dist/artifacts/index.js');
const { applyFeatureTables, computeFeatureTable, createTrainingSet, flightsFeatureTables, flightsTrainingSetRequest, readTable } = await import('../dist/data/index.js');

const f = `read_parquet('${flights}')`;
const tables = await flightsFeatureTables(f);

const home = mkdtempSync(join(tmpdir(), 'hangar-bench-features-'));
const store = await openStore(`sqlite:///${join(home, 'hangar.db')}`, { defaultArtifactRoot: join(home, 'artifacts'), migrate: true });
const ctx = { store, artifacts: await openLocalArtifactStore(join(home, 'artifacts')), cacheDir: join(home, 'cache') };
try {
  await applyFeatureTables(ctx, tables);
  for (const t of tables) {
    const t0 = performance.now();
    await computeFeatureTable(ctx, t.name, { end: Date.UTC(2001, 7, 1) });
    emit('features', `compute_s_${t.name}`, (performance.now() - t0) / 1000, 's');
  }
  const labels = `select origin, destination, date, delay > 15 as late from ${f}${labelRows === undefined ? '' : ` limit ${labelRows}`}`;
  const out = join(home, 'training-set.parquet');
  const load = loadavg()[0];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ts = await createTrainingSet(ctx, flightsTrainingSetRequest(labels), { out });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  emit('features', `training_set_s_${Math.round(ts.rowCount / 1e6)}m_labels`, seconds, 's', { target: 10, rows: ts.rowCount, load_1m: Math.round(load * 100) / 100 });
  // CPU seconds of this process (DuckDB's threads included): on a machine shared with other
  // work, CPU time / cores bounds what the wall time would be on two idle cores.
  emit('features', 'training_set_cpu_s', (cpu.user + cpu.system) / 1e6, 's');
  emit('features', 'training_set_rows_per_s', ts.rowCount / seconds, 'rows/s');
  const check = await readTable(`select avg((origin_delay_rate_7d is not null)::DOUBLE) as m from '${out}'`);
  emit('features', 'training_set_match_rate', check.columns[0].values[0], 'ratio');
} finally {
  await store.close();
  rmSync(home, { recursive: true, force: true });
}

const online = new URL('./_features-online.js', import.meta.url);
if (existsSync(fileURLToPath(online))) {
  const mod = await import(online.href);
  await mod.run(emit);
}
