/**
 * One in-memory DuckDB per monitor run. The native driver loads on first use, so a server with
 * no monitors never loads it.
 */
import type * as DuckDB from '@duckdb/node-api';
import { HangarError } from '../../core/errors.js';

type DuckModule = typeof DuckDB;
let duckdb: Promise<DuckModule> | undefined;
const loadDuckDB = (): Promise<DuckModule> => (duckdb ??= import('@duckdb/node-api'));

/** A connection with the two calls monitors need. */
export interface Duck {
  /** Run a statement. */
  run(sql: string): Promise<void>;
  /** Run a query and return its rows as plain JS objects (BIGINT as number). */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

/** Open an in-memory DuckDB, run `fn`, close it. */
export async function withDuck<T>(fn: (duck: Duck) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await loadDuckDB();
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await instance.connect();
  const duck: Duck = {
    async run(sql) {
      await con.run(sql);
    },
    async rows<T>(sql: string) {
      return (await con.runAndReadAll(sql)).getRowObjectsJS().map((r) => plain(r) as T);
    },
  };
  try {
    return await fn(duck);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** DuckDB's JS values made JSON-friendly: BIGINT → number, TIMESTAMP (Date) → epoch ms, recursively. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Wrap a DuckDB failure about user data as INVALID_PARAMETER_VALUE naming `field`. */
export function dataError(e: unknown, what: string, field: string): HangarError {
  if (e instanceof HangarError) return e;
  return new HangarError('INVALID_PARAMETER_VALUE', `${what}: ${(e as Error).message}`, { field, cause: e });
}
