import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeatureTableSpec } from '../features/spec.js';
import { materializeFiles, materializeFilesIncremental, type MaterializeProgress } from './materialize.js';
import { openOnlineStore } from './open.js';
import { encodeEntityKey, type OnlineStore } from './port.js';
import { writeParquet } from './test-support.js';

const T = (s: string): number => Date.parse(`${s}Z`);
const HOUR = 3_600_000;

function originSpec(over: Partial<FeatureTableSpec> = {}): FeatureTableSpec {
  return {
    name: 'origin_stats',
    keys: [{ name: 'origin', type: 'string' }],
    timestampKey: 'ts',
    features: [
      { name: 'rate', type: 'double' },
      { name: 'flights', type: 'long' },
    ],
    source: { kind: 'sql', sql: 'select 1' },
    ttlMs: 0,
    ...over,
  };
}

describe('materialisation', () => {
  let dir: string;
  let store: OnlineStore;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hangar-mat-'));
    store = await openOnlineStore({ type: 'sqlite' }, { home: dir });
    // SFO has rows at 10:00, 11:00 and 12:00; LAX at 09:00 and 12:00 (twice, told apart by created).
    file = await writeParquet(
      join(dir, 'origin.parquet'),
      `select * from (values
        ('SFO', timestamp '2024-01-01 10:00:00', timestamp '2024-01-01 10:05:00', 0.1, 10),
        ('SFO', timestamp '2024-01-01 11:00:00', timestamp '2024-01-01 11:05:00', 0.2, 20),
        ('SFO', timestamp '2024-01-01 12:00:00', timestamp '2024-01-01 12:05:00', 0.3, 30),
        ('LAX', timestamp '2024-01-01 09:00:00', timestamp '2024-01-01 09:05:00', 0.5, 50),
        ('LAX', timestamp '2024-01-01 12:00:00', timestamp '2024-01-01 12:10:00', 0.7, 70),
        ('LAX', timestamp '2024-01-01 12:00:00', timestamp '2024-01-01 12:01:00', 0.6, 60),
        (NULL,  timestamp '2024-01-01 10:00:00', timestamp '2024-01-01 10:00:00', 9.9, 99)
      ) t(origin, ts, created, rate, flights)`,
    );
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const read = async (keys: string[], features = ['rate', 'flights']) => store.read('origin_stats', keys.map((k) => encodeEntityKey([k])), features);

  it('writes per key the latest row with start ≤ ts < end, and records the end', async () => {
    const r = await materializeFiles(store, originSpec(), [file], { start: T('2024-01-01T10:00:00'), end: T('2024-01-01T12:00:00') }, { now: 1 });
    expect(r).toMatchObject({ rows: 1, stored: 1 });
    // SFO's 10:00 row is inside (inclusive start), 11:00 is the latest before the exclusive end; LAX has nothing in the window.
    expect(await read(['SFO', 'LAX'])).toEqual([{ eventTs: T('2024-01-01T11:00:00'), values: [0.2, 20] }, undefined]);
    expect((await store.getTable('origin_stats'))?.materializedEnd).toBe(T('2024-01-01T12:00:00'));
  });

  it('breaks ties on equal event time with the created timestamp when the table has one', async () => {
    await materializeFiles(store, originSpec({ createdTimestampKey: 'created' }), [file], { start: null, end: T('2024-01-02T00:00:00') });
    expect(await read(['LAX'])).toEqual([{ eventTs: T('2024-01-01T12:00:00'), values: [0.7, 70] }]);
    expect(await read(['SFO'])).toEqual([{ eventTs: T('2024-01-01T12:00:00'), values: [0.3, 30] }]);
  });

  it('never replaces a newer stored row when an older window is materialised later', async () => {
    await materializeFiles(store, originSpec(), [file], { start: null, end: T('2024-01-02T00:00:00') });
    const r = await materializeFiles(store, originSpec(), [file], { start: null, end: T('2024-01-01T11:00:00') });
    expect(r).toMatchObject({ rows: 2, stored: 0 });
    expect((await read(['SFO']))[0]?.values).toEqual([0.3, 30]);
    // The recorded end stays the latest one.
    expect((await store.getTable('origin_stats'))?.materializedEnd).toBe(T('2024-01-02T00:00:00'));
  });

  it('materialises incrementally from the previous end, starting at end − ttl the first time', async () => {
    const spec = originSpec({ ttlMs: 2 * HOUR });
    // First run: window [09:30, 11:30) → SFO 11:00; LAX's 09:00 row is before the window.
    const first = await materializeFilesIncremental(store, spec, [file], T('2024-01-01T11:30:00'));
    expect(first.start).toBe(T('2024-01-01T09:30:00'));
    expect(await read(['SFO', 'LAX'])).toEqual([{ eventTs: T('2024-01-01T11:00:00'), values: [0.2, 20] }, undefined]);
    const second = await materializeFilesIncremental(store, spec, [file], T('2024-01-01T13:00:00'));
    expect(second).toMatchObject({ start: T('2024-01-01T11:30:00'), end: T('2024-01-01T13:00:00'), rows: 2 });
    expect((await read(['SFO', 'LAX'])).map((h) => h?.values[0])).toEqual([0.3, expect.any(Number)]);
    // Nothing new: no rows, no error.
    expect(await materializeFilesIncremental(store, spec, [file], T('2024-01-01T13:00:00'))).toMatchObject({ rows: 0 });
  });

  it('starts at the beginning of the data the first time when the TTL is 0', async () => {
    const r = await materializeFilesIncremental(store, originSpec(), [file], T('2024-01-01T10:00:01'));
    expect(r.start).toBeNull();
    expect(await read(['SFO', 'LAX'])).toEqual([
      { eventTs: T('2024-01-01T10:00:00'), values: [0.1, 10] },
      { eventTs: T('2024-01-01T09:00:00'), values: [0.5, 50] },
    ]);
  });

  it('reports progress up to the total and streams in batches', async () => {
    const big = await writeParquet(
      join(dir, 'big.parquet'),
      `select 'k' || (i % 5000) as origin, timestamp '2024-01-01' + to_seconds(i) as ts, i / 7.0 as rate, i as flights from range(20000) r(i)`,
    );
    const seen: MaterializeProgress[] = [];
    const r = await materializeFiles(store, originSpec(), [big], { start: null, end: T('2025-01-01T00:00:00') }, { batchSize: 1000, onProgress: (p) => seen.push(p) });
    expect(r.rows).toBe(5000);
    expect(seen[0]).toEqual({ table: 'origin_stats', written: 0, total: 5000 });
    expect(seen.at(-1)).toEqual({ table: 'origin_stats', written: 5000, total: 5000 });
    expect(seen.length).toBeGreaterThan(2);
    // k7's latest row is i = 15007.
    expect(await read(['k7'])).toEqual([{ eventTs: T('2024-01-01T00:00:00') + 15007_000, values: [15007 / 7, 15007] }]);
  });

  it('handles long keys, every feature type, and a table without history', async () => {
    const f = await writeParquet(
      join(dir, 'typed.parquet'),
      `select * from (values (1001::BIGINT, true, 'a', timestamp '2024-02-03 04:05:06', NULL::DOUBLE), (1002::BIGINT, false, NULL, NULL, 1.5)) t(driver, ok, name, seen, score)`,
    );
    const spec: FeatureTableSpec = {
      name: 'drivers',
      keys: [{ name: 'driver', type: 'long' }],
      features: [
        { name: 'ok', type: 'boolean' },
        { name: 'name', type: 'string' },
        { name: 'seen', type: 'timestamp' },
        { name: 'score', type: 'double' },
      ],
      source: { kind: 'sql', sql: 'select 1' },
      ttlMs: 0,
    };
    await materializeFiles(store, spec, [f], { start: null, end: T('2024-01-01T00:00:00') }, { now: 42 });
    expect(await store.read('drivers', [encodeEntityKey([1001]), encodeEntityKey([1002])], ['ok', 'name', 'seen', 'score'])).toEqual([
      { eventTs: 42, values: [true, 'a', '2024-02-03T04:05:06.000Z', null] },
      { eventTs: 42, values: [false, null, null, 1.5] },
    ]);
  });

  it('stores NaN and infinities as null and longs beyond 2^53 as strings', async () => {
    const f = await writeParquet(join(dir, 'edge.parquet'), `select * from (values ('a', 'NaN'::DOUBLE, 1152921504606846976::BIGINT), ('b', 'Infinity'::DOUBLE, -3::BIGINT)) t(origin, x, n)`);
    const spec = originSpec({ timestampKey: undefined, features: [{ name: 'x', type: 'double' }, { name: 'n', type: 'long' }] });
    delete spec.timestampKey;
    await materializeFiles(store, spec, [f], { start: null, end: 1 }, { now: 5 });
    expect(await read(['a', 'b'], ['x', 'n'])).toEqual([
      { eventTs: 5, values: [null, '1152921504606846976'] },
      { eventTs: 5, values: [null, -3] },
    ]);
  });

  it('names the missing column and refuses an empty window, writing nothing', async () => {
    const spec = originSpec({ features: [{ name: 'rate', type: 'double' }, { name: 'missing_col', type: 'double' }] });
    await expect(materializeFiles(store, spec, [file], { start: null, end: T('2025-01-01T00:00:00') })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      field: 'missing_col',
      message: expect.stringContaining("'missing_col'") as unknown,
    });
    expect(await store.getTable('origin_stats')).toBeUndefined();
    await expect(materializeFiles(store, originSpec(), [file], { start: 10, end: 10 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'start' });
  });

  it('names the key whose values cannot be cast to its declared type', async () => {
    const spec = originSpec({ keys: [{ name: 'origin', type: 'long' }] });
    await expect(materializeFiles(store, spec, [file], { start: null, end: T('2025-01-01T00:00:00') })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect(await store.getTable('origin_stats')).toBeUndefined();
  });
});
