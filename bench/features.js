// `npm run bench -- features`: the feature store on US flights (vega-datasets flights-3m.parquet,
// January–June 2001, 3M rows).
// Offline part (this file):
//   Three feature tables computed from the flights by `computeFeatureTable` (DuckDB SQL):
//     origin_daily  per origin airport and day: delay rate (delay > 15) and flight count
//     route_daily   per origin → destination route and day: delay rate and flight count
//     dest_daily    per destination airport and day: mean delay and flight count
//   Each row's timestamp is the END of its day, so a flight's own label never feeds its features
//   (a flight on day d sees day d−1 at the latest); TTL 7 days.
//   Labels: all 3M flights (origin, destination, departure time, late = delay > 15).
//   The point-in-time training set (3 ASOF lookups, TTL filter, Parquet written) is timed.
// Figures:
//   compute_s_<table>           computing one table's first version (source scan, checks, Parquet, catalogue)
//   training_set_s_3m_labels    createTrainingSet over the 3M label rows against the 3 tables (target ≤ 10 s on 2 cores)
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
const { applyFeatureTables, computeFeatureTable, createTrainingSet, toFeatureTableSpecs, readTable } = await import('../dist/data/index.js');

const f = `read_parquet('${flights}')`;
const dayEnd = `date_trunc('day', date) + interval 1 day`;
const tables = toFeatureTableSpecs([
  {
    name: 'origin_daily',
    keys: ['origin'],
    timestampKey: 'day_end',
    features: { origin_delay_rate: 'double', origin_flights: 'long' },
    source: `select origin, ${dayEnd} as day_end, avg((delay > 15)::DOUBLE) as origin_delay_rate, count(*) as origin_flights from ${f} group by all`,
    ttl: '7d',
    description: 'Share of flights leaving the airport more than 15 min late, per day (known at the end of the day).',
  },
  {
    name: 'route_daily',
    keys: ['origin', 'destination'],
    timestampKey: 'day_end',
    features: { route_delay_rate: 'double', route_flights: 'long' },
    source: `select origin, destination, ${dayEnd} as day_end, avg((delay > 15)::DOUBLE) as route_delay_rate, count(*) as route_flights from ${f} group by all`,
    ttl: '7d',
  },
  {
    name: 'dest_daily',
    keys: ['destination'],
    timestampKey: 'day_end',
    features: { dest_mean_delay: 'double', dest_flights: 'long' },
    source: `select destination, ${dayEnd} as day_end, avg(delay)::DOUBLE as dest_mean_delay, count(*) as dest_flights from ${f} group by all`,
    ttl: '7d',
  },
]);

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
  const t0 = performance.now();
  const ts = await createTrainingSet(
    ctx,
    {
      labels,
      lookups: [
        { table: 'origin_daily', timestampLookupKey: 'date' },
        { table: 'route_daily', timestampLookupKey: 'date' },
        { table: 'dest_daily', timestampLookupKey: 'date' },
      ],
    },
    { out },
  );
  const seconds = (performance.now() - t0) / 1000;
  emit('features', `training_set_s_${Math.round(ts.rowCount / 1e6)}m_labels`, seconds, 's', { target: 10, rows: ts.rowCount, load_1m: Math.round(load * 100) / 100 });
  emit('features', 'training_set_rows_per_s', ts.rowCount / seconds, 'rows/s');
  const check = await readTable(`select avg((origin_delay_rate is not null)::DOUBLE) as m from '${out}'`);
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
