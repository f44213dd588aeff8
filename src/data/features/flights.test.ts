import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore } from '../../artifacts/index.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import { readTable } from '../table.js';
import { flightsFeatureTables, flightsTrainingSetRequest } from './flights.js';
import { applyFeatureTables, computeFeatureTable } from './tables.js';
import { createTrainingSet } from './training-set.js';

const stores: Store[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the flights feature tables (examples/flights/features.ts)', () => {
  it("use only the 7 days before each flight's own day: a flight never sees its own label", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-flights-features-'));
    dirs.push(dir);
    const rows = [
      ['2001-01-01 08:00:00', 60, 'SFO', 'LAX'],
      ['2001-01-02 09:00:00', 0, 'SFO', 'LAX'],
      ['2001-01-02 23:59:00', 90, 'SFO', 'SEA'],
      ['2001-01-09 07:00:00', 5, 'SFO', 'LAX'],
      ['2001-01-20 07:00:00', 5, 'SFO', 'LAX'],
    ];
    writeFileSync(join(dir, 'flights.csv'), `date,delay,origin,destination\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: join(dir, 'artifacts'), migrate: true });
    stores.push(store);
    const ctx = { store, artifacts: await openLocalArtifactStore(join(dir, 'artifacts')) };
    const tables = await flightsFeatureTables(`read_csv('${join(dir, 'flights.csv')}', header = true)`);
    // The one definition: the example's three tables, as `npm start` applies them.
    expect(tables.map((t) => [t.name, t.timestampKey, t.ttlMs])).toEqual([
      ['origin_delays_7d', 'day', 0],
      ['destination_delays_7d', 'day', 0],
      ['route_delays_7d', 'day', 0],
    ]);
    await applyFeatureTables(ctx, tables);
    for (const t of tables) await computeFeatureTable(ctx, t.name, { end: Date.UTC(2001, 1, 1) });
    const out = join(dir, 'train.parquet');
    await createTrainingSet(ctx, flightsTrainingSetRequest(`select date, origin, destination, delay > 15 as late from read_csv('${join(dir, 'flights.csv')}', header = true)`), { out });
    const t = await readTable(`select origin_delay_rate_7d as o, origin_flights_7d as n, route_delay_rate_7d as r, destination_delay_rate_7d as d from '${out}' order by date, destination`);
    const [o, n, r, d] = t.columns.map((c) => (c.type === 'number' ? Array.from(c.values) : []));
    // Day 1: nothing before it. Day 2 (both flights): day 1 only (1 late of 1), not day 2's own late
    // flight. Day 9: days 2–8, the on-time LAX flight and the late SEA one (1 of 2); the route SFO–LAX
    // had one on-time flight (0 of 1). Day 20: no flight in days 13–19, so no rate and a count of 0.
    expect(o).toEqual([NaN, 1, 1, 0.5, NaN]);
    expect(n).toEqual([0, 1, 1, 2, 0]);
    expect(r).toEqual([NaN, 1, NaN, 0, NaN]);
    // Flights to LAX: day 2 sees day 1's late one; SEA has no earlier flight; day 9 sees day 2's on-time one.
    expect(d).toEqual([NaN, 1, NaN, 0, NaN]);
  });
});
