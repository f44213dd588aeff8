import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSharedDuckDB } from '../data/index.js';
import { openStore, type Store } from '../store/index.js';
import { writeLabels } from './inference-files.js';

describe('writeLabels on the shared DuckDB', () => {
  let dir: string;
  let store: Store;
  const root = () => join(dir, 'log');
  const t0 = Date.parse('2026-05-01T08:00:00Z');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-labels-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls at the same time each write their own labels (the staging table is per connection)', async () => {
    const batch = (model: string, n: number, label: (i: number) => number | string) =>
      Array.from({ length: n }, (_, i) => ({ requestId: `${model}-${i}`, label: label(i), timestamp: t0 + (i % 3) * 86_400_000 }));
    const [a, b, c] = await Promise.all([
      writeLabels(store, root(), 'alpha', batch('alpha', 5_000, (i) => i)),
      writeLabels(store, root(), 'beta', batch('beta', 3_000, (i) => `c${i % 7}`)),
      writeLabels(store, root(), 'gamma', batch('gamma', 10, () => 1)),
    ]);
    expect(a.map((f) => f.rows).reduce((x, y) => x + y)).toBe(5_000);
    expect(b.map((f) => f.rows).reduce((x, y) => x + y)).toBe(3_000);
    expect(c.map((f) => f.rows).reduce((x, y) => x + y)).toBe(10);
    const files = (fs: typeof a) => `read_parquet([${fs.map((f) => `'${f.path}'`).join(', ')}])`;
    const row = (sql: string) => withSharedDuckDB(async (con) => (await con.runAndReadAll(sql)).getRowsJS()[0]);
    expect(await row(`select count(*)::INTEGER, sum(label)::DOUBLE, bool_and(starts_with(request_id, 'alpha-')) from ${files(a)}`)).toEqual([5_000, (4_999 * 5_000) / 2, true]);
    expect(await row(`select count(*)::INTEGER, any_value(typeof(label)), bool_and(starts_with(request_id, 'beta-')) from ${files(b)}`)).toEqual([3_000, 'VARCHAR', true]);
  });

  it('leaves no table behind in the shared instance', async () => {
    await writeLabels(store, root(), 'delta', [{ requestId: 'r1', label: 1, timestamp: t0 }]);
    const tables = await withSharedDuckDB(async (con) => (await con.runAndReadAll(`select table_name from duckdb_tables() where table_name = 'labels'`)).getRowsJS());
    expect(tables).toEqual([]);
  });
});
