/**
 * A short-lived in-memory DuckDB for one feature computation or join. DuckDB does the heavy
 * work (scans, ASOF joins, Parquet writing) in native code on every core.
 */
import type * as DuckDB from '@duckdb/node-api';
import { HangarError } from '../../core/errors.js';

type DuckModule = typeof DuckDB;
let duckdb: Promise<DuckModule> | undefined;
// The native driver loads on first use, so commands that never touch features start without it.
const loadDuckDB = (): Promise<DuckModule> => (duckdb ??= import('@duckdb/node-api'));

/** One connection: run statements, read rows as JS objects. */
export interface Duck {
  /** Run a statement; DuckDB's error becomes INVALID_PARAMETER_VALUE prefixed with `what`. */
  run(sql: string, what?: string): Promise<void>;
  /** Rows as plain objects (BIGINT as bigint, TIMESTAMP as DuckDB values; cast in SQL when it matters). */
  all<T = Record<string, unknown>>(sql: string, what?: string): Promise<T[]>;
  /** Column names and DuckDB types of a relation or query. */
  describe(relation: string, what?: string): Promise<Array<{ name: string; type: string }>>;
  /** The raw connection, for appenders. */
  readonly connection: DuckDB.DuckDBConnection;
}

function wrap(e: unknown, what: string | undefined): HangarError {
  if (e instanceof HangarError) return e;
  return new HangarError('INVALID_PARAMETER_VALUE', `${what ?? 'Query failed'}: ${(e as Error).message}`, { field: 'source', cause: e });
}

/** Run `fn` with a fresh in-memory DuckDB (UTC session time zone), closed afterwards. */
export async function withDuck<T>(fn: (duck: Duck) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await loadDuckDB();
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  const duck: Duck = {
    connection: con,
    async run(sql, what) {
      try {
        await con.run(sql);
      } catch (e) {
        throw wrap(e, what);
      }
    },
    async all<T>(sql: string, what?: string) {
      try {
        return (await con.runAndReadAll(sql)).getRowObjectsJS() as T[];
      } catch (e) {
        throw wrap(e, what);
      }
    },
    async describe(relation, what) {
      const rows = await duck.all<{ column_name: string; column_type: string }>(`describe select * from ${relation}`, what);
      return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
    },
  };
  try {
    // TIMESTAMPTZ values cast to TIMESTAMP as UTC wall-clock time, whatever the machine's zone.
    await con.run(`set TimeZone = 'UTC'`).catch(() => undefined);
    return await fn(duck);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** Whether a DuckDB type name is a timestamp or date. */
export const isTimeType = (t: string): boolean => /^(TIMESTAMP|DATE)/i.test(t);
/** Whether a DuckDB type name is an integer type. */
export const isIntegerType = (t: string): boolean => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT)/i.test(t);
/** Whether a DuckDB type name is numeric. */
export const isNumericType = (t: string): boolean => isIntegerType(t) || /^(FLOAT|DOUBLE|DECIMAL|REAL|NUMERIC)/i.test(t);
