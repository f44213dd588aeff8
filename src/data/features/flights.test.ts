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

describe('the flights feature tables', () => {
  it("use only days before each flight's own day: a flight never sees its own label", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-flights-features-'));
    dirs.push(dir);
    // SFO: day 1 one late flight, day 2 one on time, day 9 a flight (days 2–8 window has the on-time one only).
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
    await applyFeatureTables(ctx, flightsFeatureTables(`read_csv('${join(dir, 'flights.csv')}', header = true)`));
    for (const t of ['origin_delays', 'route_delays', 'destination_delays']) await computeFeatureTable(ctx, t, { end: Date.UTC(2001, 1, 1) });
    const out = join(dir, 'train.parquet');
    await createTrainingSet(ctx, flightsTrainingSetRequest(`select date, origin, destination, delay > 15 as late from read_csv('${join(dir, 'flights.csv')}', header = true)`), { out });
    const t = await readTable(`select origin_delay_rate_7d as o, origin_flights_7d as n, route_delay_rate_7d as r from '${out}'`);
    const [o, n, r] = t.columns.map((c) => (c.type === 'number' ? Array.from(c.values) : []));
    // Day 1: nothing before it. Day 2 (both flights): day 1's row only (1 late of 1), not day 2's own
    // late flight. Day 9: the row stamped at the end of day 2 (6 days 7 hours old, inside the TTL):
    // days 1–2, 2 late of 3. Day 20: the latest row (end of day 9) is 10 days old, past the 7-day TTL.
    expect(o).toEqual([NaN, 1, 1, 2 / 3, NaN]);
    expect(n).toEqual([NaN, 1, 1, 3, NaN]);
    expect(r).toEqual([NaN, 1, NaN, 0.5, NaN]);
  });
});
