/**
 * Monitors' DuckDB: connections of the process's shared in-memory instance (data's
 * `withSharedDuckDB`, which `readTable` uses too), each call with its own connection so temp
 * tables stay private to it. A monitor run makes several calls (compute, its value reads, write
 * two tables, read them back); none opens an instance of its own.
 */
import { HangarError } from '../../core/errors.js';
import { readTableOn, withSharedDuckDB, type Table } from '../../data/index.js';

/** A connection with the two calls monitors need. */
export interface Duck {
  /** Run a statement. */
  run(sql: string): Promise<void>;
  /** Run a query and return its rows as plain JS objects (BIGINT as number). */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Run a query and return its rows as typed-array columns (data's `readTable`); it can read this connection's temp tables. */
  table(sql: string): Promise<Table>;
}

/** Run `fn` on a connection of the shared in-memory DuckDB; the connection is closed after. */
export async function withDuck<T>(fn: (duck: Duck) => Promise<T>): Promise<T> {
  return withSharedDuckDB((con) =>
    fn({
      async run(sql) {
        await con.run(sql);
      },
      async rows<T>(sql: string) {
        return (await con.runAndReadAll(sql)).getRowObjectsJS().map((r) => plain(r) as T);
      },
      table(sql) {
        return readTableOn(con, sql);
      },
    }),
  );
}

/**
 * DuckDB's JS values made JSON-friendly: BIGINT → number, TIMESTAMP (Date) → epoch ms,
 * recursively. The driver's rows, lists and structs are fresh plain objects and arrays, so they
 * are converted in place (copying them cost as much as reading the rows).
 */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = plain(v[i]);
    return v;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) o[k] = plain(o[k]);
  return o;
}

/** Wrap a DuckDB failure about user data as INVALID_PARAMETER_VALUE naming `field`. */
export function dataError(e: unknown, what: string, field: string): HangarError {
  if (e instanceof HangarError) return e;
  return new HangarError('INVALID_PARAMETER_VALUE', `${what}: ${(e as Error).message}`, { field, cause: e });
}
