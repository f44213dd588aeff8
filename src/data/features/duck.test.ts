import { describe, expect, it } from 'vitest';
import { HangarError } from '../../core/errors.js';
import { withSharedDuckDB } from '../duckdb-shared.js';
import { withDuck } from './duck.js';

const setting = (name: string) =>
  withSharedDuckDB(async (con) => (await con.runAndReadAll(`select current_setting('${name}')::VARCHAR`)).getRowsJS()[0]![0]);

describe('withDuck on the shared DuckDB', () => {
  it('sets the UTC time zone on its own connection only', async () => {
    // Another caller with its own session zone, open while withDuck runs.
    const other = withSharedDuckDB(async (con) => {
      await con.run(`set session TimeZone = 'Asia/Tokyo'`);
      await new Promise((r) => setTimeout(r, 50));
      return (await con.runAndReadAll(`select current_setting('TimeZone')`)).getRowsJS()[0]![0];
    });
    const before = await setting('TimeZone');
    const inside = await withDuck(async (duck) => (await duck.all<{ tz: string }>(`select current_setting('TimeZone') as tz`))[0]!.tz);
    expect(inside).toBe('UTC');
    expect(await other).toBe('Asia/Tokyo');
    // A later connection has the zone it had before withDuck ran.
    expect(await setting('TimeZone')).toBe(before);
  });

  it('keeps temp tables and views to its connection', async () => {
    await Promise.all(
      [1, 2].map((n) =>
        withDuck(async (duck) => {
          await duck.run(`create temp table t as select ${n} as v`);
          await duck.run(`create temp view src as select v * 10 as w from t`);
          await new Promise((r) => setTimeout(r, 20));
          expect(await duck.all(`select w from src`)).toEqual([{ w: n * 10 }]);
        }),
      ),
    );
    await withDuck(async (duck) => {
      await expect(duck.all(`select * from t`)).rejects.toThrow(/t/);
    });
  });

  it('refuses SQL with more than one statement, so a source cannot change the shared instance', async () => {
    const threads = await setting('threads');
    const err = await withDuck((duck) => duck.run(`create temp view src as select 1 as a; set global threads = 1`, 'origin_delays_7d.source')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HangarError);
    expect((err as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toBe('origin_delays_7d.source: expected one SQL statement, got 2.');
    expect(await setting('threads')).toBe(threads);
    // One statement with a trailing semicolon is fine.
    expect(await withDuck((duck) => duck.all(`select 1 as a;`))).toEqual([{ a: 1 }]);
  });
});
