/**
 * One behaviour suite for every online-store adapter: SQLite always, Redis and PostgreSQL when
 * the test run found them (skipped with the reason otherwise).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pgSkipReason, pgUrl, redisSkipReason, redisUrl } from '../../../test/support/services.js';
import type { FeatureTableSpec } from '../features/spec.js';
import { OnlineFeatures } from './lookup.js';
import { materializeFiles } from './materialize.js';
import { ONLINE_STORE_TYPES, onlineStoreConfigFromUri, openOnlineStore } from './open.js';
import { encodeEntityKey, type OnlineRow, type OnlineStore } from './port.js';
import { writeParquet } from './test-support.js';

interface Subject {
  title: string;
  skip: string | false;
  open(): Promise<{ store: OnlineStore; cleanup(): Promise<void> }>;
}

const subjects: Subject[] = [
  {
    title: 'sqlite',
    skip: false,
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'hangar-online-'));
      const store = await openOnlineStore({ type: 'sqlite' }, { home: dir });
      return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    title: 'redis',
    skip: redisUrl === null ? `Redis not available: ${redisSkipReason}` : false,
    async open() {
      const prefix = `hangar-test:${randomBytes(6).toString('hex')}:`;
      const store = await openOnlineStore({ type: 'redis', url: redisUrl!, keyPrefix: prefix }, { home: tmpdir() });
      return {
        store,
        async cleanup() {
          const { Redis } = await import('ioredis');
          const r = new Redis(redisUrl!);
          const keys = await r.keys(`${prefix}*`);
          if (keys.length > 0) await r.del(...keys);
          await r.quit();
        },
      };
    },
  },
  {
    title: 'postgres',
    skip: pgUrl === null ? `PostgreSQL not available: ${pgSkipReason}` : false,
    async open() {
      const prefix = `hot_${randomBytes(4).toString('hex')}_`;
      const store = await openOnlineStore({ type: 'postgres', url: pgUrl!, keyPrefix: prefix }, { home: tmpdir() });
      return {
        store,
        async cleanup() {
          const client = new pg.Client({ connectionString: pgUrl! });
          await client.connect();
          const r = await client.query<{ tablename: string }>(`select tablename from pg_tables where tablename like $1`, [`${prefix}%`]);
          for (const t of r.rows) await client.query(`drop table if exists "${t.tablename}"`);
          await client.end();
        },
      };
    },
  },
];

function spec(name: string, features: string[] = ['rate', 'count', 'label', 'flag'], ttlMs = 0): FeatureTableSpec {
  return {
    name,
    keys: [{ name: 'origin', type: 'string' }],
    timestampKey: 'ts',
    features: features.map((f) => ({ name: f, type: 'double' as const })),
    source: { kind: 'sql', sql: 'select 1' },
    ttlMs,
  };
}

/** A table of one string feature `s` keyed by the string `origin`. */
function stringSpec(name: string): FeatureTableSpec {
  return { name, keys: [{ name: 'origin', type: 'string' }], timestampKey: 'ts', features: [{ name: 's', type: 'string' }], source: { kind: 'sql', sql: 'select 1' }, ttlMs: 0 };
}

/**
 * Look `keys` up through the look-up (`getJson`, then `get`) and check the answer: the values
 * column of the bytes is exactly `[texts…]` (each value's JSON text as it was written), and
 * `get` answers `strings`.
 */
async function expectStringsBack(store: OnlineStore, name: string, keys: string[], texts: string[], strings: string[]): Promise<void> {
  const online = new OnlineFeatures(store);
  const req = { features: [`${name}:s`], entities: { origin: keys } };
  const bytes = await online.getJson(req);
  const column = Buffer.from(`{"values":[${texts.join(',')}],"statuses":[${keys.map(() => '"PRESENT"').join(',')}]`, 'utf8');
  expect(bytes.indexOf(column), 'the values column, byte for byte').toBeGreaterThan(0);
  const answer = await online.get(req);
  expect(answer.results[1]!.values).toEqual(strings);
  expect(answer.results[1]!.values.map((v) => (v as string).length)).toEqual(strings.map((v) => v.length));
}

/** Strings no store may change: NUL, every escape JSON has, non-BMP characters, lone surrogates. */
const AWKWARD: Record<string, string> = {
  nul: 'before\u0000after',
  onlyNul: '\u0000',
  escapes: '"\\/\b\f\n\r\t',
  controls: '\u0001\u001f\u007f\u2028\u2029',
  nonBmp: '𝄞 😀 \u{10FFFF} é ✈',
  loneHigh: 'a\ud800b',
  loneLow: '\udc00',
  reversedPair: '\udd1e\ud834',
  long: `${'ab\u0000é𝄞'.repeat(200_000)}end`,
};

/** `store` with every written row's values recorded by entity key (what materialisation sends). */
function recordingWrites(store: OnlineStore, written: Map<string, string>): OnlineStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'write') {
        return async (table: string, rows: readonly OnlineRow[]): Promise<number> => {
          for (const r of rows) written.set(r.key, typeof r.values === 'string' ? r.values : JSON.stringify(r.values));
          return target.write(table, rows);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const row = (key: string, eventTs: number, values: OnlineRow['values'], createdTs = eventTs): OnlineRow => ({ key: encodeEntityKey([key]), eventTs, createdTs, values });

describe('encodeEntityKey', () => {
  it('keeps composite keys apart from keys containing the separator', () => {
    expect(encodeEntityKey(['a,b'])).not.toBe(encodeEntityKey(['a', 'b']));
    expect(encodeEntityKey(['1'])).not.toBe(encodeEntityKey([1]));
    expect(encodeEntityKey([7n])).toBe(encodeEntityKey([7]));
  });
});

describe('openOnlineStore', () => {
  it('names the known types when the type is unknown', async () => {
    await expect(openOnlineStore({ type: 'cassandra' }, { home: tmpdir() })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining(ONLINE_STORE_TYPES.join(', ')) as unknown,
    });
  });

  it('needs a URL for server adapters', async () => {
    await expect(openOnlineStore({ type: 'redis' }, { home: tmpdir() })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'onlineStore.url' });
    await expect(openOnlineStore({ type: 'postgres', url: 'redis://x' }, { home: tmpdir() })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('answers TEMPORARILY_UNAVAILABLE when a server adapter cannot connect', async () => {
    await expect(openOnlineStore({ type: 'redis', url: 'redis://127.0.0.1:1' }, { home: tmpdir() })).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
    await expect(openOnlineStore({ type: 'postgres', url: 'postgresql://postgres@127.0.0.1:1/none' }, { home: tmpdir() })).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
  });

  it('maps URIs to adapter types', () => {
    expect(onlineStoreConfigFromUri('redis://127.0.0.1:6379').type).toBe('redis');
    expect(onlineStoreConfigFromUri('postgresql://u@h/db').type).toBe('postgres');
    expect(onlineStoreConfigFromUri('/tmp/x/online.db').type).toBe('sqlite');
    expect(() => onlineStoreConfigFromUri('mongodb://x')).toThrow(/Known forms/);
  });

  it('puts the SQLite default next to the SQLite metadata database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hangar-online-'));
    try {
      const store = await openOnlineStore({ type: 'sqlite' }, { home: join(dir, 'home'), backendStoreUri: `sqlite:///${join(dir, 'meta', 'hangar.db')}` });
      await store.close();
      const { existsSync } = await import('node:fs');
      expect(existsSync(join(dir, 'meta', 'online.db'))).toBe(true);
      expect(existsSync(join(dir, 'home', 'online.db'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

for (const subject of subjects) {
  describe.skipIf(subject.skip !== false)(`online store: ${subject.title}${subject.skip === false ? '' : ` (skipped: ${subject.skip})`}`, () => {
    let store: OnlineStore;
    let cleanup: () => Promise<void>;
    let name: string;

    beforeEach(async () => {
      ({ store, cleanup } = await subject.open());
      name = `t_${randomBytes(4).toString('hex')}`;
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });
    afterAll(() => undefined);

    it('registers tables and reports their state', async () => {
      expect(await store.getTable(name)).toBeUndefined();
      await store.registerTable(spec(name), 1000);
      const state = await store.getTable(name);
      expect(state).toEqual({ spec: spec(name), materializedEnd: null, updatedAt: 1000 });
      await store.setMaterializedEnd(name, 5000, 2000);
      expect(await store.getTable(name)).toMatchObject({ materializedEnd: 5000, updatedAt: 2000 });
      // Registering again (a changed spec) keeps the state.
      await store.registerTable(spec(name, ['rate', 'extra']), 3000);
      expect(await store.getTable(name)).toMatchObject({ materializedEnd: 5000, updatedAt: 3000, spec: { features: [{ name: 'rate' }, { name: 'extra' }] } });
      expect((await store.listTables()).map((t) => t.spec.name)).toContain(name);
    });

    it('reads back values of every type, in the requested feature order, with missing keys and features', async () => {
      await store.registerTable(spec(name), 0);
      expect(await store.write(name, [row('SFO', 100, { rate: 0.25, count: 7, label: 'west, coast "x"', flag: true }), row('LAX', 200, { rate: null, count: 0, label: '', flag: false })])).toBe(2);
      const got = await store.read(name, [encodeEntityKey(['LAX']), encodeEntityKey(['JFK']), encodeEntityKey(['SFO'])], ['flag', 'rate', 'label', 'count', 'absent']);
      expect(got).toEqual([
        { eventTs: 200, values: [false, null, '', 0, null] },
        undefined,
        { eventTs: 100, values: [true, 0.25, 'west, coast "x"', 7, null] },
      ]);
      expect(await store.read(name, [encodeEntityKey(['SFO'])], ['count'])).toEqual([{ eventTs: 100, values: [7] }]);
      expect(await store.read(name, [encodeEntityKey(['nope'])], ['count'])).toEqual([undefined]);
    });

    it('reads raw values as their JSON text in place: escapes, non-ASCII text, nulls and absent features', async () => {
      await store.registerTable(spec(name), 0);
      const odd = 'a "b", c\\d\n\u0001 é ✈ 𝄞';
      await store.write(name, [row('SFO', 100, { label: odd, rate: -1.5e-7, flag: null }), row('LAX', 200, { label: '', count: 12 })]);
      const keys = [encodeEntityKey(['LAX']), encodeEntityKey(['nope']), encodeEntityKey(['SFO'])];
      const features = ['label', 'rate', 'flag', 'count'];
      const raw = await store.readRaw(name, keys, features);
      const text = (i: number, f: number): string | null => {
        const at = 2 * (i * features.length + f);
        const start = raw.spans[at]!;
        return start < 0 ? null : raw.texts[i]!.slice(start, raw.spans[at + 1]);
      };
      expect(raw.eventTs).toEqual([200, NaN, 100]);
      expect(features.map((_, f) => text(0, f))).toEqual(['""', null, null, '12']);
      expect(features.map((_, f) => text(1, f))).toEqual([null, null, null, null]);
      expect(JSON.parse(text(2, 0)!)).toBe(odd);
      expect(Number(text(2, 1))).toBe(-1.5e-7);
      expect([text(2, 2), text(2, 3)]).toEqual([null, null]);
    });

    it('never lets an older row overwrite a newer one', async () => {
      await store.registerTable(spec(name), 0);
      await store.write(name, [row('SFO', 200, { rate: 2 })]);
      expect(await store.write(name, [row('SFO', 100, { rate: 1 })])).toBe(0);
      expect((await store.read(name, [encodeEntityKey(['SFO'])], ['rate']))[0]).toEqual({ eventTs: 200, values: [2] });
      // Same event time: the later created time wins, an earlier one is skipped.
      expect(await store.write(name, [row('SFO', 200, { rate: 3 }, 50)])).toBe(0);
      expect(await store.write(name, [row('SFO', 200, { rate: 4 }, 500)])).toBe(1);
      expect((await store.read(name, [encodeEntityKey(['SFO'])], ['rate']))[0]).toEqual({ eventTs: 200, values: [4] });
      // A newer row replaces the whole row: a feature it lacks reads as null.
      expect(await store.write(name, [row('SFO', 300, { count: 9 })])).toBe(1);
      expect((await store.read(name, [encodeEntityKey(['SFO'])], ['rate', 'count']))[0]).toEqual({ eventTs: 300, values: [null, 9] });
    });

    it('keeps the newest of duplicate keys within one batch, whatever their order', async () => {
      await store.registerTable(spec(name), 0);
      await store.write(name, [row('A', 300, { rate: 3 }), row('A', 100, { rate: 1 }), row('B', 100, { rate: 1 }), row('B', 300, { rate: 3 })]);
      const got = await store.read(name, [encodeEntityKey(['A']), encodeEntityKey(['B'])], ['rate']);
      expect(got.map((h) => h?.values[0])).toEqual([3, 3]);
    });

    it('reads a batch of 100 entities in order, including repeated keys', async () => {
      await store.registerTable(spec(name), 0);
      const rows = Array.from({ length: 150 }, (_, i) => row(`E${i}`, 1000 + i, { rate: i / 2, count: i }));
      expect(await store.write(name, rows)).toBe(150);
      const keys = Array.from({ length: 100 }, (_, i) => encodeEntityKey([`E${(i * 7) % 200}`]));
      keys[99] = keys[0]!;
      const got = await store.read(name, keys, ['count']);
      expect(got).toHaveLength(100);
      for (let i = 0; i < 99; i++) {
        const n = (i * 7) % 200;
        expect(got[i]).toEqual(n < 150 ? { eventTs: 1000 + n, values: [n] } : undefined);
      }
      expect(got[99]).toEqual(got[0]);
    });

    it('reads a batch larger than one read call (1,200 keys) in order', async () => {
      await store.registerTable(spec(name), 0);
      expect(await store.write(name, Array.from({ length: 1000 }, (_, i) => row(`E${i}`, 1 + i, { count: i })))).toBe(1000);
      // Keys past the written ones miss; the reads split at 500 (Redis) and 512 (SQLite) keys.
      const keys = Array.from({ length: 1200 }, (_, i) => encodeEntityKey([`E${(i * 37) % 1100}`]));
      const got = await store.read(name, keys, ['count']);
      expect(got).toHaveLength(1200);
      for (let i = 0; i < 1200; i++) {
        const n = (i * 37) % 1100;
        expect(got[i], `slot ${i}`).toEqual(n < 1000 ? { eventTs: 1 + n, values: [n] } : undefined);
      }
    });

    it('keeps composite keys apart', async () => {
      const s: FeatureTableSpec = { ...spec(name), keys: [{ name: 'a', type: 'string' }, { name: 'b', type: 'long' }] };
      await store.registerTable(s, 0);
      await store.write(name, [
        { key: encodeEntityKey(['x', 1]), eventTs: 1, createdTs: 1, values: { rate: 1 } },
        { key: encodeEntityKey(['x,1', 1]), eventTs: 1, createdTs: 1, values: { rate: 2 } },
      ]);
      const got = await store.read(name, [encodeEntityKey(['x', 1]), encodeEntityKey(['x,1', 1]), encodeEntityKey(['x', 2])], ['rate']);
      expect(got.map((h) => h?.values[0])).toEqual([1, 2, undefined]);
    });

    it('refuses writes and state for tables it does not know', async () => {
      await expect(store.write(name, [row('A', 1, { rate: 1 })])).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await expect(store.setMaterializedEnd(name, 1, 1)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await expect(store.registerTable(spec('bad-name'), 0)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    });

    it('deletes a table with its rows and state', async () => {
      await store.registerTable(spec(name), 0);
      await store.write(name, [row('A', 1, { rate: 1 }), row('B', 1, { rate: 1 })]);
      await store.setMaterializedEnd(name, 10, 10);
      await store.deleteTable(name);
      expect(await store.getTable(name)).toBeUndefined();
      expect((await store.listTables()).map((t) => t.spec.name)).not.toContain(name);
      await store.registerTable(spec(name), 0);
      expect(await store.getTable(name)).toMatchObject({ materializedEnd: null });
      expect(await store.read(name, [encodeEntityKey(['A'])], ['rate'])).toEqual([undefined]);
      await store.deleteTable('never_registered');
    });

    it('stores and returns every string exactly: NUL, escapes, non-BMP characters, lone surrogates, long strings', async () => {
      await store.registerTable(stringSpec(name), 0);
      const keys = Object.keys(AWKWARD);
      const strings = keys.map((k) => AWKWARD[k]!);
      expect(await store.write(name, keys.map((k, i) => row(k, 100 + i, { s: AWKWARD[k]! })))).toBe(keys.length);
      expect(await store.read(name, keys.map((k) => encodeEntityKey([k])), ['s'])).toEqual(strings.map((s, i) => ({ eventTs: 100 + i, values: [s] })));
      await expectStringsBack(store, name, keys, strings.map((s) => JSON.stringify(s)), strings);
    });

    it('keeps the JSON text of a row as it was written: escaped slash, upper-case and surrogate-pair escapes, spaces', async () => {
      await store.registerTable(stringSpec(name), 0);
      const texts = ['"\\u0000\\/\\uD834\\uDD1E\\u001F\\u00e9"', '"\\ud800"', '"plain"'];
      const keys = texts.map((_, i) => `k${i}`);
      await store.write(name, texts.map((t, i) => row(keys[i]!, 1, `{"s" : ${t} }`)));
      await expectStringsBack(store, name, keys, texts, texts.map((t) => JSON.parse(t) as string));
    });

    it('materialises string features holding NUL, escapes, non-BMP characters and long strings, read back unchanged', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hangar-online-strings-'));
      try {
        const sql: Record<string, string> = {
          nul: "'before' || chr(0) || 'after'",
          onlyNul: 'chr(0)',
          escapes: "chr(34) || chr(92) || '/' || chr(8) || chr(12) || chr(10) || chr(13) || chr(9)",
          controls: 'chr(1) || chr(31) || chr(127) || chr(8232) || chr(8233)',
          nonBmp: "'𝄞 😀 ' || chr(1114111) || ' é ✈'",
          long: "repeat('ab' || chr(0) || 'é𝄞', 200000) || 'end'",
        };
        const keys = Object.keys(sql);
        const file = await writeParquet(
          join(dir, 'strings.parquet'),
          `select * from (values ${keys.map((k) => `('${k}', timestamp '2024-01-01 00:00:00', ${sql[k]})`).join(', ')}) t(origin, ts, s)`,
        );
        const written = new Map<string, string>();
        await materializeFiles(recordingWrites(store, written), stringSpec(name), [file], { start: null, end: Date.parse('2024-01-02T00:00:00Z') });
        // The values' text as DuckDB wrote it: `{"s":<text>}`.
        const texts = keys.map((k) => {
          const v = written.get(encodeEntityKey([k]))!;
          expect([v.slice(0, 5), v.slice(-1)]).toEqual(['{"s":', '}']);
          return v.slice(5, -1);
        });
        await expectStringsBack(store, name, keys, texts, keys.map((k) => AWKWARD[k]!));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('closes twice without error', async () => {
      await store.close();
      await store.close();
    });
  });
}
