import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sqlIdent, sqlString } from '../table.js';
import { withDuck, type Duck } from './duck.js';
import { pitQuery, type PitLookup } from './pit.js';

/** Load rows into a DuckDB table; `ts` columns take epoch ms (null for NULL). */
async function load(duck: Duck, name: string, cols: Record<string, 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'TIMESTAMP'>, rows: unknown[][]): Promise<void> {
  const names = Object.keys(cols);
  await duck.run(`create temp table ${name} (${names.map((n) => `${sqlIdent(n)} ${cols[n]}`).join(', ')})`);
  if (rows.length === 0) return;
  const literal = (v: unknown, t: string): string => {
    if (v === null || v === undefined) return 'NULL';
    if (t === 'TIMESTAMP') return `make_timestamp(${Number(v)}::BIGINT * 1000)`;
    if (t === 'VARCHAR') return sqlString(String(v));
    return String(v);
  };
  await duck.run(`insert into ${name} values ${rows.map((r) => `(${r.map((v, i) => literal(v, cols[names[i]!]!)).join(', ')})`).join(', ')}`);
}

/** Run the join and return rows as objects, timestamps as epoch ms. */
async function join(duck: Duck, labels: string, lookups: PitLookup[], exclude: string[] = []): Promise<Array<Record<string, unknown>>> {
  const { sql, columns } = await pitQuery(duck, labels, lookups, exclude);
  const rows = await duck.all(`select * from (${sql})`);
  return rows.map((r) => Object.fromEntries(columns.map((c) => [c, typeof r[c] === 'bigint' ? Number(r[c]) : r[c]])));
}

const T0 = Date.UTC(2024, 0, 10, 12, 0, 0);
const H = 3_600_000;

const lookup = (over: Partial<PitLookup> = {}): PitLookup => ({
  relation: 'feats',
  table: 'feats',
  keys: ['user'],
  lookupKeys: ['user'],
  timestampKey: 'ts',
  timestampLookupKey: 'event_ts',
  ttlMs: 0,
  features: [{ name: 'score', as: 'score' }],
  ...over,
});

describe('point-in-time join: no leakage from the future', () => {
  it('takes a feature row exactly at the label timestamp, never one a millisecond later', () =>
    withDuck(async (duck) => {
      await load(duck, 'labels', { user: 'VARCHAR', event_ts: 'TIMESTAMP' }, [['a', T0], ['b', T0]]);
      await load(duck, 'feats', { user: 'VARCHAR', ts: 'TIMESTAMP', score: 'DOUBLE' }, [
        ['a', T0 - H, 1],
        ['a', T0, 2], // exactly at the label time: included
        ['a', T0 + 1, 3], // one ms later: the future
        ['b', T0 + 1, 9], // only a future row: nothing
      ]);
      const out = await join(duck, 'labels', [lookup()]);
      expect(out.map((r) => r.score)).toEqual([2, null]);
    }));

  it('TTL counts back from each label row: a row exactly ttl old is in, a millisecond older is out', () =>
    withDuck(async (duck) => {
      await load(duck, 'labels', { user: 'VARCHAR', event_ts: 'TIMESTAMP' }, [['a', T0], ['b', T0], ['a', T0 + H]]);
      await load(duck, 'feats', { user: 'VARCHAR', ts: 'TIMESTAMP', score: 'DOUBLE' }, [
        ['a', T0 - H, 1], // exactly one TTL before T0
        ['b', T0 - H - 1, 2], // one ms older than the TTL
      ]);
      const out = await join(duck, 'labels', [lookup({ ttlMs: H })]);
      // The third row, an hour later, finds the same feature row, now two hours old: expired.
      expect(out.map((r) => r.score)).toEqual([1, null, null]);
    }));

  it('TTL 0 never expires', () =>
    withDuck(async (duck) => {
      await load(duck, 'labels', { user: 'VARCHAR', event_ts: 'TIMESTAMP' }, [['a', T0]]);
      await load(duck, 'feats', { user: 'VARCHAR', ts: 'TIMESTAMP', score: 'DOUBLE' }, [['a', Date.UTC(1990, 0, 1), 7]]);
      expect((await join(duck, 'labels', [lookup({ ttlMs: 0 })]))[0]!.score).toBe(7);
    }));

  it('equal feature timestamps: the highest created timestamp wins', () =>
    withDuck(async (duck) => {
      await load(duck, 'labels', { user: 'VARCHAR', event_ts: 'TIMESTAMP' }, [['a', T0], ['b', T0]]);
      await load(duck, 'feats', { user: 'VARCHAR', ts: 'TIMESTAMP', created: 'TIMESTAMP', score: 'DOUBLE' }, [
        ['a', T0 - 10, T0 - 5, 1],
        ['a', T0 - 10, T0 + 50, 3], // written later, for the same event time: wins
        ['a', T0 - 10, T0 - 1, 2],
        ['b', T0 - 10, T0 + 1, 5],
        ['b', T0 - 10, T0 - 1, 4],
      ]);
      const out = await join(duck, 'labels', [lookup({ createdTimestampKey: 'created' })]);
      expect(out.map((r) => r.score)).toEqual([3, 5]);
    }));

  it('missing keys give nulls and the label row stays, in input order', () =>
    withDuck(async (duck) => {
      await load(duck, 'labels', { user: 'VARCHAR', event_ts: 'TIMESTAMP', y: 'BIGINT' }, [
        ['zz', T0, 1],
        ['a', T0, 0],
        [null, T0, 1],
        ['a', null, 0],
      ]);
      await load(duck, 'feats', { user: 'VARCHAR', ts: 'TIMESTAMP', score: 'DOUBLE' }, [['a', T0 - 1, 1]]);
      const out = await join(duck, 'labels', [lookup()]);
      expect(out).toEqual([
        { user: 'zz', event_ts: expect.anything(), y: 1, score: null },
        { user: 'a', event_ts: expect.anything(), y: 0, score: 1 },
        { user: null, event_ts: expect.anything(), y: 1, score: null },
        { user: 'a', event_ts: null, y: 0, score: null },
      ]);
    }));

  it('several lookups with renames, other key names, a table without timestamps and excluded columns', () =>
    withDuck(async (duck) => {
      await load(duck, 'labels', { rider: 'VARCHAR', city_id: 'BIGINT', when_ts: 'TIMESTAMP', y: 'BIGINT' }, [
        ['a', 1, T0, 1],
        ['b', 2, T0, 0],
      ]);
      await load(duck, 'users', { user: 'VARCHAR', ts: 'TIMESTAMP', score: 'DOUBLE', n: 'BIGINT' }, [['a', T0 - 5, 0.5, 3], ['b', T0 + 5, 0.9, 4]]);
      await load(duck, 'cities', { city: 'BIGINT', ts: 'TIMESTAMP', score: 'DOUBLE' }, [['1', T0 - 1, 10], ['2', T0 - 2 * H, 20]]);
      await load(duck, 'static', { city: 'BIGINT', size: 'DOUBLE' }, [['1', 100]]);
      const out = await join(
        duck,
        'labels',
        [
          { relation: 'users', table: 'users', keys: ['user'], lookupKeys: ['rider'], timestampKey: 'ts', timestampLookupKey: 'when_ts', ttlMs: 0, features: [{ name: 'score', as: 'user_score' }, { name: 'n', as: 'n' }] },
          { relation: 'cities', table: 'cities', keys: ['city'], lookupKeys: ['city_id'], timestampKey: 'ts', timestampLookupKey: 'when_ts', ttlMs: H, features: [{ name: 'score', as: 'city_score' }] },
          { relation: 'static', table: 'static', keys: ['city'], lookupKeys: ['city_id'], ttlMs: 0, features: [{ name: 'size', as: 'size' }] },
        ],
        ['when_ts', 'n'],
      );
      expect(out).toEqual([
        { rider: 'a', city_id: 1, y: 1, user_score: 0.5, city_score: 10, size: 100 },
        { rider: 'b', city_id: 2, y: 0, user_score: null, city_score: null, size: null },
      ]);
    }));

  it('casts a label key to the table key type; values that do not cast match nothing', () =>
    withDuck(async (duck) => {
      await load(duck, 'labels', { user: 'BIGINT', event_ts: 'TIMESTAMP' }, [[7, T0], [8, T0]]);
      await load(duck, 'feats', { user: 'VARCHAR', ts: 'TIMESTAMP', score: 'DOUBLE' }, [['7', T0 - 1, 1], ['x8', T0 - 1, 2]]);
      expect((await join(duck, 'labels', [lookup({ keyTypes: ['VARCHAR'] })])).map((r) => r.score)).toEqual([1, null]);
    }));

  it('names the column when an output name collides, a key or timestamp is missing, or exclude names nothing', () =>
    withDuck(async (duck) => {
      await load(duck, 'labels', { user: 'VARCHAR', event_ts: 'TIMESTAMP', score: 'DOUBLE', day: 'VARCHAR' }, [['a', T0, 1, 'x']]);
      await load(duck, 'feats', { user: 'VARCHAR', ts: 'TIMESTAMP', score: 'DOUBLE' }, []);
      await expect(pitQuery(duck, 'labels', [lookup()])).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'score' });
      await expect(pitQuery(duck, 'labels', [lookup({ lookupKeys: ['uid'], features: [{ name: 'score', as: 's' }] })])).rejects.toMatchObject({ field: 'uid' });
      await expect(pitQuery(duck, 'labels', [lookup({ timestampLookupKey: 'day', features: [{ name: 'score', as: 's' }] })])).rejects.toMatchObject({ field: 'day', message: expect.stringContaining('TIMESTAMP') });
      await expect(pitQuery(duck, 'labels', [lookup({ features: [{ name: 'score', as: 's' }] })], ['nope'])).rejects.toMatchObject({ field: 'exclude' });
    }));
});

// --- property: the join equals a naive reference ---------------------------------------------------

interface FeatRow {
  key: number;
  ts: number;
  created: number;
  value: number;
}

/** The rule of semantics §e, written the obvious way. */
function naive(labels: Array<{ key: number | null; ts: number }>, feats: FeatRow[], ttl: number): Array<number | null> {
  return labels.map((l) => {
    let best: FeatRow | null = null;
    for (const f of feats) {
      if (l.key === null || f.key !== l.key || f.ts > l.ts) continue;
      if (best === null || f.ts > best.ts || (f.ts === best.ts && f.created > best.created)) best = f;
    }
    if (best === null) return null;
    if (ttl > 0 && best.ts < l.ts - ttl) return null;
    return best.value;
  });
}

describe('point-in-time join property', () => {
  it('matches the naive reference on random tables (ties, TTLs, missing keys)', async () => {
    const label = fc.record({ key: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 8 }), ts: fc.integer({ min: 0, max: 40 }) });
    const feat = fc.record({ key: fc.integer({ min: 0, max: 3 }), ts: fc.integer({ min: 0, max: 40 }), created: fc.integer({ min: 0, max: 1000 }), value: fc.integer({ min: -50, max: 50 }) });
    await withDuck(async (duck) => {
      await fc.assert(
        fc.asyncProperty(fc.array(label, { maxLength: 25 }), fc.uniqueArray(feat, { maxLength: 40, selector: (f) => `${f.key}/${f.ts}/${f.created}` }), fc.constantFrom(0, 1, 5, 17), async (labels, feats, ttlUnits) => {
          // Time in whole seconds so TTL boundaries land exactly on rows.
          const S = 1000;
          await duck.run('drop table if exists labels');
          await duck.run('drop table if exists feats');
          await load(duck, 'labels', { k: 'BIGINT', event_ts: 'TIMESTAMP' }, labels.map((l) => [l.key, T0 + l.ts * S]));
          await load(duck, 'feats', { k: 'BIGINT', ts: 'TIMESTAMP', created: 'TIMESTAMP', value: 'DOUBLE' }, feats.map((f) => [f.key, T0 + f.ts * S, T0 + f.created, f.value]));
          const out = await join(duck, 'labels', [lookup({ keys: ['k'], lookupKeys: ['k'], createdTimestampKey: 'created', ttlMs: ttlUnits * S, features: [{ name: 'value', as: 'value' }] })]);
          expect(out.map((r) => r.value)).toEqual(naive(labels, feats, ttlUnits));
        }),
        { numRuns: 150 },
      );
    });
  });
});
