/** Redis specifics the behaviour suite cannot see: the row layout and rows older versions wrote. */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { Redis as RedisClient } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisSkipReason, redisUrl } from '../../../test/support/services.js';
import type { FeatureTableSpec } from '../features/spec.js';
import { openOnlineStore } from './open.js';
import { encodeEntityKey, type OnlineStore } from './port.js';
import type { RedisMigration } from './redis-migrate.js';
import { openRedisOnlineStore } from './redis-online.js';

const spec: FeatureTableSpec = {
  name: 'origin_stats',
  keys: [{ name: 'origin', type: 'string' }],
  timestampKey: 'ts',
  features: [{ name: 'rate', type: 'double' }],
  source: { kind: 'sql', sql: 'select 1' },
  ttlMs: 0,
};

const wide: FeatureTableSpec = {
  ...spec,
  name: 'wide',
  features: ['rate', 'count', 'label', 'flag', 'big'].map((name) => ({ name, type: 'double' as const })),
};

describe.skipIf(redisUrl === null)(`Redis online store rows${redisUrl === null ? ` (skipped: ${redisSkipReason})` : ''}`, () => {
  let prefix: string;
  let r: RedisClient;
  const opened: OnlineStore[] = [];

  beforeEach(async () => {
    prefix = `hangar-test:${randomBytes(6).toString('hex')}:`;
    const { Redis } = await import('ioredis');
    r = new Redis(redisUrl!);
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    const left = await r.keys(`${prefix}*`);
    if (left.length > 0) await r.del(...left);
    await r.quit();
  });

  /** Open the store on this test's prefix, collecting what the conversion pass found and logged. */
  async function open(): Promise<{ store: OnlineStore; migration: RedisMigration; lines: string[] }> {
    const lines: string[] = [];
    let migration: RedisMigration | undefined;
    const store = await openRedisOnlineStore({ url: redisUrl!, keyPrefix: prefix, log: (l) => lines.push(l), onMigrated: (m) => (migration = m) });
    opened.push(store);
    return { store, migration: migration!, lines };
  }

  /** What Hangar before 2026-11-26 stored: the table's state, its name, and one hash per row. */
  async function oldTable(s: FeatureTableSpec): Promise<void> {
    await r.hset(`${prefix}m:${s.name}`, 'spec', JSON.stringify(s), 'updated', '1', 'end', '500');
    await r.sadd(`${prefix}tables`, s.name);
  }
  async function oldRow(table: string, key: string, ts: number, created: number, values: Record<string, unknown>): Promise<void> {
    const args: string[] = ['#ts', String(ts), '#c', String(created)];
    for (const name in values) args.push(name, JSON.stringify(values[name] ?? null));
    await r.hset(`${prefix}r:${table}:${key}`, ...args);
  }

  it('keeps one string per row, and deleting a table also removes the hashes older versions wrote', async () => {
    const store = await openOnlineStore({ type: 'redis', url: redisUrl!, keyPrefix: prefix }, { home: tmpdir() });
    opened.push(store);
    await store.registerTable(spec, 0);
    await store.write('origin_stats', [{ key: encodeEntityKey(['SFO']), eventTs: -5, createdTs: 7, values: '{"rate":0.5}' }]);
    expect(await r.get(`${prefix}j:origin_stats:"SFO"`)).toBe('-5 7 {"rate":0.5}');
    // The guard reads negative event times back: an older row is refused, a newer one kept.
    expect(await store.write('origin_stats', [{ key: encodeEntityKey(['SFO']), eventTs: -6, createdTs: 9, values: { rate: 1 } }])).toBe(0);
    expect(await store.write('origin_stats', [{ key: encodeEntityKey(['SFO']), eventTs: -5, createdTs: 8, values: { rate: 2 } }])).toBe(1);
    expect(await store.read('origin_stats', [encodeEntityKey(['SFO'])], ['rate'])).toEqual([{ eventTs: -5, values: [2] }]);
    await r.hset(`${prefix}r:origin_stats:"LAX"`, '#ts', '1', '#c', '1', 'rate', '0.1');
    await store.registerTable({ ...spec, name: 'other' }, 0);
    await store.deleteTable('origin_stats');
    expect((await r.keys(`${prefix}*`)).sort()).toEqual([`${prefix}layout`, `${prefix}m:other`, `${prefix}tables`]);
    // The last table gone, nothing is left under the prefix, not even the layout marker.
    await store.deleteTable('other');
    expect(await r.keys(`${prefix}*`)).toEqual([]);
  });

  it('reads rows the older layout wrote after opening converts them, once', async () => {
    await oldTable(wide);
    const odd = 'a "b", c\\d\n\u0001 é ✈ 𝄞';
    await oldRow('wide', encodeEntityKey(['SFO']), 100, 100, { rate: 0.25, count: 7, label: odd, flag: true, big: '9007199254740993' });
    // Keys in another order than the spec's, a null, a feature the spec no longer has.
    await oldRow('wide', encodeEntityKey(['LAX']), 200, 250, { gone: 'x', flag: false, rate: null, count: -1.5e-7 });
    await oldRow('wide', encodeEntityKey(['a:b', 7]), -3, 4, { label: '' });

    const { store, migration, lines } = await open();
    expect(migration).toEqual({ alreadyDone: false, converted: 3, superseded: 0, skipped: 0, tables: ['wide'] });
    expect(lines).toEqual([`Redis online store '${prefix}': converted 3 rows of the older layout (one hash per row) to one string per row (tables: wide).`]);
    expect(await r.keys(`${prefix}r:*`)).toEqual([]);
    expect(await r.get(`${prefix}layout`)).toBe('2');
    // The table's state is untouched; the rows read as before the upgrade.
    expect(await store.getTable('wide')).toMatchObject({ materializedEnd: 500, updatedAt: 1 });
    const keys = [encodeEntityKey(['LAX']), encodeEntityKey(['JFK']), encodeEntityKey(['SFO']), encodeEntityKey(['a:b', 7])];
    expect(await store.read('wide', keys, ['flag', 'rate', 'label', 'count', 'big', 'gone'])).toEqual([
      { eventTs: 200, values: [false, null, null, -1.5e-7, null, 'x'] },
      undefined,
      { eventTs: 100, values: [true, 0.25, odd, 7, '9007199254740993', null] },
      { eventTs: -3, values: [null, null, '', null, null, null] },
    ]);
    // Spec order first, then the rest in the hash's order.
    expect(await r.get(`${prefix}j:wide:"LAX"`)).toBe('200 250 {"rate":null,"count":-1.5e-7,"flag":false,"gone":"x"}');
    // The guard still works on converted rows.
    expect(await store.write('wide', [{ key: encodeEntityKey(['LAX']), eventTs: 200, createdTs: 249, values: { rate: 1 } }])).toBe(0);

    // A second open finds the marker and scans nothing, even if a hash appeared since.
    await oldRow('wide', encodeEntityKey(['BOS']), 1, 1, { rate: 1 });
    const again = await open();
    expect(again.migration).toMatchObject({ alreadyDone: true, converted: 0 });
    expect(again.lines).toEqual([]);
    expect(await again.store.read('wide', [encodeEntityKey(['BOS'])], ['rate'])).toEqual([undefined]);
  });

  it('lets the newer row win against rows written in the new layout, and keeps the new row on a tie', async () => {
    await oldTable(wide);
    await oldRow('wide', '"new_wins"', 100, 100, { rate: 1 });
    await oldRow('wide', '"old_wins"', 300, 100, { rate: 1 });
    await oldRow('wide', '"tie"', 200, 200, { rate: 1 });
    await oldRow('wide', '"created_breaks_tie"', 200, 201, { rate: 1 });
    await r.set(`${prefix}j:wide:"new_wins"`, '200 1 {"rate":2}');
    await r.set(`${prefix}j:wide:"old_wins"`, '200 1 {"rate":2}');
    await r.set(`${prefix}j:wide:"tie"`, '200 200 {"rate":2}');
    await r.set(`${prefix}j:wide:"created_breaks_tie"`, '200 200 {"rate":2}');
    // Not rows (no #ts; not a hash): left alone and reported.
    await r.hset(`${prefix}r:wide:"junk"`, 'rate', '1');
    await r.set(`${prefix}r:wide:"text"`, '1 1 {"rate":1}');

    const { store, migration, lines } = await open();
    expect(migration).toEqual({ alreadyDone: false, converted: 2, superseded: 2, skipped: 2, tables: ['wide'] });
    expect(lines[0]).toMatch(/converted 2 rows .*; 2 older than the row already stored were dropped; 2 keys under .* left alone\.$/);
    const got = await store.read('wide', ['"new_wins"', '"old_wins"', '"tie"', '"created_breaks_tie"', '"junk"', '"text"'], ['rate']);
    expect(got).toEqual([{ eventTs: 200, values: [2] }, { eventTs: 300, values: [1] }, { eventTs: 200, values: [2] }, { eventTs: 200, values: [1] }, undefined, undefined]);
    expect((await r.keys(`${prefix}r:*`)).sort()).toEqual([`${prefix}r:wide:"junk"`, `${prefix}r:wide:"text"`]);
  });

  it('converges when interrupted, run twice at once, and racing a materialisation', async () => {
    await oldTable(wide);
    const n = 1500;
    for (let i = 0; i < n; i += 100) {
      const p = r.pipeline();
      for (let k = i; k < i + 100; k++) p.hset(`${prefix}r:wide:"e${k}"`, '#ts', '100', '#c', '100', 'rate', String(k), 'label', JSON.stringify(`old ${k}`));
      await p.exec();
    }
    const first = await open();
    expect(first.migration.converted).toBe(n);
    // Back to an interrupted pass: a third of the rows not converted yet, the marker not set.
    for (let k = 0; k < n; k += 3) {
      await r.del(`${prefix}j:wide:"e${k}"`);
      await r.hset(`${prefix}r:wide:"e${k}"`, '#ts', '100', '#c', '100', 'rate', String(k), 'label', JSON.stringify(`old ${k}`));
    }
    await r.del(`${prefix}layout`);

    // Two processes open at once while a materialisation writes newer rows (even keys) and
    // older rows (keys ≡ 1 mod 6) through the first store.
    const writes = Array.from({ length: n }, (_, k) => k)
      .filter((k) => k % 2 === 0 || k % 6 === 1)
      .map((k) => ({ key: `"e${k}"`, eventTs: k % 2 === 0 ? 200 : 50, createdTs: 1, values: { rate: 10_000 + k } }));
    const [a, b] = await Promise.all([open(), open(), first.store.write('wide', writes.slice(0, 400)), first.store.write('wide', writes.slice(400))]);
    // Every remaining hash was converted or dropped by exactly one of the two passes.
    const seen = a.migration.converted + a.migration.superseded + b.migration.converted + b.migration.superseded;
    expect(seen).toBe(n / 3);
    expect(await r.keys(`${prefix}r:*`)).toEqual([]);
    expect(await r.get(`${prefix}layout`)).toBe('2');

    const keys = Array.from({ length: n }, (_, k) => `"e${k}"`);
    const got = await a.store.read('wide', keys, ['rate', 'label']);
    for (let k = 0; k < n; k++) {
      const expected = k % 2 === 0 ? { eventTs: 200, values: [10_000 + k, null] } : { eventTs: 100, values: [k, `old ${k}`] };
      expect(got[k], `e${k}`).toEqual(expected);
    }
  });

  it('marks a store without tables as converted without scanning it', async () => {
    // A hash under r: without a table in `tables` is not a row any Hangar wrote.
    await r.hset(`${prefix}r:nobody:"x"`, '#ts', '1', '#c', '1', 'rate', '1');
    const { migration, lines } = await open();
    expect(migration).toEqual({ alreadyDone: false, converted: 0, superseded: 0, skipped: 0, tables: [] });
    expect(lines).toEqual([]);
    expect(await r.get(`${prefix}layout`)).toBe('2');
    expect(await r.exists(`${prefix}r:nobody:"x"`)).toBe(1);
  });
});
