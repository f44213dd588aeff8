/**
 * The PostgreSQL online store's conversion of tables of the older shape (values in `jsonb`) to
 * the current one (`json`): the old tables are made with raw SQL, as an older Hangar made them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pgSkipReason, pgUrl } from '../../../test/support/services.js';
import type { FeatureTableSpec } from '../features/spec.js';
import { encodeEntityKey, type OnlineStore } from './port.js';
import type { PostgresMigration } from './postgres-migrate.js';
import { openPostgresOnlineStore } from './postgres-online.js';

function spec(name: string): FeatureTableSpec {
  return {
    name,
    keys: [{ name: 'origin', type: 'string' }],
    timestampKey: 'ts',
    features: [
      { name: 'rate', type: 'double' },
      { name: 'label', type: 'string' },
    ],
    source: { kind: 'sql', sql: 'select 1' },
    ttlMs: 0,
  };
}

const key = (k: string): string => encodeEntityKey([k]);

describe.skipIf(pgUrl === null)(`PostgreSQL online store: tables of the jsonb shape${pgUrl === null ? ` (skipped: ${pgSkipReason || 'no server'})` : ''}`, () => {
  let client: pg.Client;
  let prefix: string;
  const stores: OnlineStore[] = [];

  /** Make the state table and one `jsonb` table per name, registered, as Hangar did before. */
  async function oldShape(...names: string[]): Promise<void> {
    await client.query(`create table if not exists "${prefix}tables" (name text primary key, spec text not null, materialized_end bigint, updated_at bigint not null)`);
    for (const name of names) {
      await client.query(`create table "${prefix}t_${name}" (k text primary key, ts bigint not null, created bigint not null, v jsonb not null)`);
      await client.query(`insert into "${prefix}tables" (name, spec, materialized_end, updated_at) values ($1, $2, 500, 7)`, [name, JSON.stringify(spec(name))]);
    }
  }

  async function columnType(table: string): Promise<string | undefined> {
    const r = await client.query<{ t: string }>(`select format_type(atttypid, atttypmod) as t from pg_attribute where attrelid = to_regclass($1) and attname = 'v'`, [`"${prefix}t_${table}"`]);
    return r.rows[0]?.t;
  }

  async function open(log?: string[], migrations?: PostgresMigration[]): Promise<OnlineStore> {
    const store = await openPostgresOnlineStore({ url: pgUrl!, tablePrefix: prefix, log: (l) => log?.push(l), onMigrated: (m) => migrations?.push(m) });
    stores.push(store);
    return store;
  }

  beforeEach(async () => {
    client = new pg.Client({ connectionString: pgUrl! });
    await client.connect();
    prefix = `hom_${randomBytes(4).toString('hex')}_`;
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    const r = await client.query<{ tablename: string }>(`select tablename from pg_tables where tablename like $1`, [`${prefix}%`]);
    for (const t of r.rows) await client.query(`drop table if exists "${t.tablename}"`);
    await client.end();
  });

  it('converts registered jsonb tables to json on open, keeping their rows and state, and then stores NUL', async () => {
    await oldShape('old');
    await client.query(`insert into "${prefix}t_old" values ($1, 100, 100, $2), ($3, 200, 200, $4)`, [key('SFO'), '{"rate":0.5,"label":"a\\/b é"}', key('LAX'), '{"rate":null,"label":"\\uD834\\uDD1E"}']);
    // What jsonb prints for those rows: what reads answered before the conversion, and after it.
    const printed = (await client.query<{ v: string }>(`select v::text as v from "${prefix}t_old" order by ts`)).rows.map((r) => r.v);
    expect(printed).toEqual(['{"rate": 0.5, "label": "a/b é"}', '{"rate": null, "label": "𝄞"}']);
    // A table of the old shape that is not registered is not the store's: left alone.
    await client.query(`create table "${prefix}t_stray" (k text primary key, v jsonb not null)`);

    const log: string[] = [];
    const migrations: PostgresMigration[] = [];
    const store = await open(log, migrations);
    expect(migrations).toEqual([{ converted: [`${prefix}t_old`] }]);
    expect(log).toEqual([`online store: converted the values column of 1 PostgreSQL table from jsonb to json (${prefix}t_old)`]);
    expect(await columnType('old')).toBe('json');
    expect(await columnType('stray')).toBe('jsonb');

    expect(await store.getTable('old')).toEqual({ spec: spec('old'), materializedEnd: 500, updatedAt: 7 });
    expect(await store.read('old', [key('SFO'), key('LAX')], ['label', 'rate'])).toEqual([
      { eventTs: 100, values: ['a/b é', 0.5] },
      { eventTs: 200, values: ['𝄞', null] },
    ]);
    const raw = await store.readRaw('old', [key('SFO')], ['label']);
    expect(raw.texts[0]).toBe(printed[0]);

    // Without registering the table again: the converted column takes what jsonb refused.
    expect(await store.write('old', [{ key: key('SFO'), eventTs: 300, createdTs: 300, values: { label: 'x\u0000y\ud800', rate: 1 } }])).toBe(1);
    expect(await store.read('old', [key('SFO')], ['label'])).toEqual([{ eventTs: 300, values: ['x\u0000y\ud800'] }]);

    // The next open finds nothing to convert and says nothing.
    const log2: string[] = [];
    const migrations2: PostgresMigration[] = [];
    await open(log2, migrations2);
    expect(migrations2).toEqual([{ converted: [] }]);
    expect(log2).toEqual([]);
  });

  it('opens from two processes at once: both convert or find nothing to convert, and both read', async () => {
    await oldShape('a', 'b');
    await client.query(`insert into "${prefix}t_a" values ($1, 1, 1, '{"rate": 1}')`, [key('A')]);
    const migrations: PostgresMigration[] = [];
    const [one, two] = await Promise.all([open(undefined, migrations), open(undefined, migrations)]);
    expect(await columnType('a')).toBe('json');
    expect(await columnType('b')).toBe('json');
    // Each open saw the jsonb columns before either converted them, or the second found none;
    // either way both are open and read the rows.
    for (const m of migrations) expect(m.converted.every((t) => [`${prefix}t_a`, `${prefix}t_b`].includes(t))).toBe(true);
    expect(await one!.read('a', [key('A')], ['rate'])).toEqual([{ eventTs: 1, values: [1] }]);
    expect(await two!.read('a', [key('A')], ['rate'])).toEqual([{ eventTs: 1, values: [1] }]);
  });

  it('reads a jsonb table an older Hangar made after the store was opened, and converts it when it is registered', async () => {
    const store = await open();
    await oldShape('late');
    await client.query(`insert into "${prefix}t_late" values ($1, 1, 1, '{"label": "old"}')`, [key('A')]);
    expect(await store.read('late', [key('A')], ['label'])).toEqual([{ eventTs: 1, values: ['old'] }]);
    // Still jsonb: a string with NUL fails, as it did before, and the row stays as it was.
    await expect(store.write('late', [{ key: key('A'), eventTs: 2, createdTs: 2, values: { label: '\u0000' } }])).rejects.toThrow();
    expect(await store.read('late', [key('A')], ['label'])).toEqual([{ eventTs: 1, values: ['old'] }]);
    // Materialisation registers the table first, which converts it.
    await store.registerTable(spec('late'), 10);
    expect(await columnType('late')).toBe('json');
    expect(await store.write('late', [{ key: key('A'), eventTs: 2, createdTs: 2, values: { label: '\u0000' } }])).toBe(1);
    expect(await store.read('late', [key('A')], ['label'])).toEqual([{ eventTs: 2, values: ['\u0000'] }]);
  });

  it('creates new tables with a json column', async () => {
    const store = await open();
    await store.registerTable(spec('fresh'), 1);
    expect(await columnType('fresh')).toBe('json');
  });
});
