/**
 * A private in-memory DuckDB for one piece of dataset work (registration, a check, an export).
 * The native driver loads on first use, so commands that never touch data start without it.
 */
import type * as DuckDB from '@duckdb/node-api';
import { HangarError } from '../../core/errors.js';

/** The subset of a DuckDB connection the dataset code uses (also what D2's callers pass to the checker). */
export interface DuckConnection {
  run(sql: string): Promise<unknown>;
  runAndReadAll(sql: string): Promise<{ getRowObjectsJS(): Array<Record<string, unknown>>; getRowsJS(): unknown[][] }>;
}

type DuckModule = typeof DuckDB;
let duckdb: Promise<DuckModule> | undefined;
const loadDuckDB = (): Promise<DuckModule> => (duckdb ??= import('@duckdb/node-api'));

/** Run `fn` with a fresh in-memory DuckDB connection, closed afterwards whatever happens. */
export async function withDuck<T>(fn: (con: DuckConnection) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await loadDuckDB();
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    return await fn(con as unknown as DuckConnection);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** Rows of a query as plain objects. */
export async function queryRows(con: DuckConnection, sql: string): Promise<Array<Record<string, unknown>>> {
  return (await con.runAndReadAll(sql)).getRowObjectsJS();
}

/** Run a statement over user input (a file, SQL); DuckDB's complaint becomes INVALID_PARAMETER_VALUE on `field`. */
export async function runUserSql(con: DuckConnection, sql: string, what: string, field: string): Promise<void> {
  try {
    await con.run(sql);
  } catch (e) {
    if (e instanceof HangarError) throw e;
    throw new HangarError('INVALID_PARAMETER_VALUE', `Cannot read ${what}: ${(e as Error).message}`, { field, cause: e });
  }
}

/** The columns of a relation with DuckDB's type names. */
export async function describeRelation(con: DuckConnection, relation: string): Promise<Array<{ name: string; type: string }>> {
  const rows = await queryRows(con, `describe select * from ${relation}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** A JS value from DuckDB as JSON can carry it: bigints as numbers when safe (else text), dates as ISO text. */
export function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}
