import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getColumn, isQuery, readTable, tableDigest, tableSchema, type Column, type StringColumn } from './index.js';

let dir: string;
let parquet: string;
let csv: string;

// Six rows with every kind of column and a null in each.
const ROWS = `
  select * from (values
    (1, 1.5::DOUBLE, 'b', true, timestamp '2001-06-01 08:30:00', date '2001-06-01', 10::DECIMAL(10,2)),
    (2, null, 'a', false, timestamp '2001-06-02 23:59:59', date '2001-06-02', 2.25::DECIMAL(10,2)),
    (3, 2.5, null, null, null, null, null),
    (null, -1, 'c', true, timestamp '1969-12-31 23:00:00', date '1969-12-31', 0::DECIMAL(10,2)),
    (5, 0, 'b', false, timestamp '2001-01-01 00:00:00', date '2001-01-01', 1::DECIMAL(10,2)),
    (6, 1e10, 'it''s', true, timestamp '2024-02-29 12:00:00', date '2024-02-29', 3::DECIMAL(10,2))
  ) t(n, x, s, flag, ts, d, amount)`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hangar-data-'));
  parquet = join(dir, 'rows.parquet');
  csv = join(dir, 'rows.csv');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run(`copy (${ROWS}) to '${parquet}' (format parquet)`);
  await con.run(`copy (${ROWS}) to '${csv}' (header true)`);
  con.closeSync();
  db.closeSync();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const values = (c: Column) => (c.type === 'string' ? Array.from(c.codes) : Array.from(c.values));

describe('readTable', () => {
  it('reads Parquet into typed arrays: numbers with NaN for null, booleans 0/1, timestamps and dates as epoch ms, strings dictionary-encoded', async () => {
    const t = await readTable(parquet);
    expect(t.rows).toBe(6);
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([
      ['n', 'number'],
      ['x', 'number'],
      ['s', 'string'],
      ['flag', 'boolean'],
      ['ts', 'timestamp'],
      ['d', 'timestamp'],
      ['amount', 'number'],
    ]);
    expect(values(getColumn(t, 'n'))).toEqual([1, 2, 3, NaN, 5, 6]);
    expect(values(getColumn(t, 'x'))).toEqual([1.5, NaN, 2.5, -1, 0, 1e10]);
    for (const c of t.columns) expect(c.type === 'string' ? c.codes : c.values).toBeInstanceOf(c.type === 'string' ? Int32Array : Float64Array);
    expect(values(getColumn(t, 'flag'))).toEqual([1, 0, NaN, 1, 0, 1]);
    expect(values(getColumn(t, 'ts'))).toEqual([Date.UTC(2001, 5, 1, 8, 30), Date.UTC(2001, 5, 2, 23, 59, 59), NaN, Date.UTC(1969, 11, 31, 23), Date.UTC(2001, 0, 1), Date.UTC(2024, 1, 29, 12)]);
    expect(values(getColumn(t, 'd'))).toEqual([Date.UTC(2001, 5, 1), Date.UTC(2001, 5, 2), NaN, Date.UTC(1969, 11, 31), Date.UTC(2001, 0, 1), Date.UTC(2024, 1, 29)]);
    expect(values(getColumn(t, 'amount'))).toEqual([10, 2.25, NaN, 0, 1, 3]);
    const s = getColumn(t, 's') as StringColumn;
    expect(s.codes).toBeInstanceOf(Int32Array);
    expect(s.categories).toEqual(['a', 'b', 'c', "it's"]);
    expect(Array.from(s.codes, (c) => (c < 0 ? null : s.categories[c]))).toEqual(['b', 'a', null, 'c', 'b', "it's"]);
  });

  it('reads the same values from CSV', async () => {
    const [p, c] = await Promise.all([readTable(parquet), readTable(csv)]);
    expect(c.columns.map((col) => col.type)).toEqual(['number', 'number', 'string', 'boolean', 'timestamp', 'timestamp', 'number']);
    for (let i = 0; i < p.columns.length; i++) expect(values(c.columns[i]!)).toEqual(values(p.columns[i]!));
  });

  it('applies where, order by, limit and a column list through SQL, and runs a query over a file', async () => {
    const t = await readTable(parquet, { columns: ['x', 'n'], where: 'n is not null', orderBy: 'x desc', limit: 3 });
    expect(t.columns.map((c) => c.name)).toEqual(['x', 'n']);
    expect(values(t.columns[0]!)).toEqual([1e10, 2.5, 1.5]);
    const q = await readTable(`select s, count(*) as k from '${parquet}' group by s order by s nulls last`);
    expect(q.source).toMatch(/^select/);
    const s = getColumn(q, 's') as StringColumn;
    expect(Array.from(s.codes, (c) => (c < 0 ? null : s.categories[c]))).toEqual(['a', 'b', 'c', "it's", null]);
    expect(values(getColumn(q, 'k'))).toEqual([1, 2, 1, 1, 1]);
  });

  it('handles an empty result and an all-null string column', async () => {
    const t = await readTable(parquet, { where: 'false' });
    expect(t.rows).toBe(0);
    expect(t.columns).toHaveLength(7);
    const nulls = await readTable(`select null::VARCHAR as s from range(3)`);
    expect(nulls.columns[0]).toMatchObject({ type: 'string', categories: [] });
    expect(values(nulls.columns[0]!)).toEqual([-1, -1, -1]);
  });

  it('reads more than one DuckDB chunk (2048 rows) in order', async () => {
    const t = await readTable('select i::DOUBLE as i, (i % 5)::VARCHAR as m from range(5000) r(i)');
    const i = getColumn(t, 'i');
    expect(t.rows).toBe(5000);
    expect(i.type === 'number' && i.values.every((v, k) => v === k)).toBe(true);
    const m = getColumn(t, 'm') as StringColumn;
    expect(m.codes.every((c, k) => m.categories[c] === String(k % 5))).toBe(true);
  });

  it('fails clearly on a missing file, an unknown format and bad SQL', async () => {
    await expect(readTable(join(dir, 'nope.parquet'))).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const txt = join(dir, 'rows.json');
    await writeFile(txt, '{}');
    await expect(readTable(txt)).rejects.toThrow(/known data formats are \.parquet and \.csv/);
    await expect(readTable(parquet, { where: 'no_such_column > 1' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'data' });
    await expect(readTable(parquet).then((t) => getColumn(t, 'zz'))).rejects.toThrow(/No column 'zz'.*columns: n, x, s/);
  });

  it('rejects a ragged CSV instead of dropping rows before a wider block', async () => {
    const wide = join(dir, 'ragged-wide.csv');
    const short = join(dir, 'ragged-short.csv');
    await writeFile(wide, 'a,b\n1,2\n3,4,5\n');
    await writeFile(short, 'a,b\n1,2\n3\n');
    await expect(readTable(wide)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'data' });
    await expect(readTable(short)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'data' });
    const ok = join(dir, 'ragged-none.csv');
    await writeFile(ok, 'a,b\n1,2\n3,4\n');
    expect((await readTable(ok)).rows).toBe(2);
  });
});

describe('isQuery', () => {
  it('tells SQL from file paths', () => {
    expect(isQuery("select * from 'f.parquet'")).toBe(true);
    expect(isQuery("  WITH t AS (select 1) select * from t")).toBe(true);
    expect(isQuery("from 'f.parquet'")).toBe(true);
    expect(isQuery('select.csv')).toBe(false);
    expect(isQuery('data/from 2001.parquet')).toBe(false);
  });
});

describe('tableSchema and tableDigest', () => {
  it('describe columns in MLflow colspec form, and the digest follows the content', async () => {
    const t = await readTable(parquet);
    expect(JSON.parse(tableSchema(t)).mlflow_colspec.map((c: { type: string }) => c.type)).toEqual(['double', 'double', 'string', 'boolean', 'datetime', 'datetime', 'double']);
    const again = await readTable(csv);
    expect(tableDigest(t)).toMatch(/^[0-9a-f]{8}$/);
    expect(tableDigest(again)).toBe(tableDigest(t));
    const fewer = await readTable(parquet, { limit: 5 });
    expect(tableDigest(fewer)).not.toBe(tableDigest(t));
  });
});
