/**
 * A DuckDB connection for one feature computation or join, on the process's shared in-memory
 * instance (`withSharedDuckDB`): its temp tables and views and its session time zone are its own.
 * Callers create temp tables only: a plain `create table` would land in the catalog every caller shares.
 * DuckDB does the heavy work (scans, ASOF joins, Parquet writing) in native code on every core.
 */
import type * as DuckDB from '@duckdb/node-api';
import { HangarError } from '../../core/errors.js';
import { withSharedDuckDB } from '../duckdb-shared.js';

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

/**
 * Refuse SQL that holds more than one statement: the connection runs every statement it is
 * given, and a `set global …` after a feature table's query would change the instance every
 * other caller in the process shares.
 */
async function oneStatement(con: DuckDB.DuckDBConnection, sql: string, what: string | undefined): Promise<void> {
  const count = (await con.extractStatements(sql)).count;
  if (count > 1) throw new HangarError('INVALID_PARAMETER_VALUE', `${what ?? 'Query failed'}: expected one SQL statement, got ${count}.`, { field: 'source' });
}

/** Run `fn` on a new connection (UTC session time zone) of the shared DuckDB, closed afterwards with its temp tables. */
export function withDuck<T>(fn: (duck: Duck) => Promise<T>): Promise<T> {
  return withSharedDuckDB(async (con) => {
    const duck: Duck = {
      connection: con,
      async run(sql, what) {
        try {
          await oneStatement(con, sql, what);
          await con.run(sql);
        } catch (e) {
          throw wrap(e, what);
        }
      },
      async all<T>(sql: string, what?: string) {
        try {
          await oneStatement(con, sql, what);
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
    // TIMESTAMPTZ values cast to TIMESTAMP as UTC wall-clock time, whatever the machine's zone.
    // SESSION: this connection only, so other users of the shared instance keep the machine's zone.
    await con.run(`set session TimeZone = 'UTC'`).catch(() => undefined);
    return fn(duck);
  });
}

/** Whether a DuckDB type name is a timestamp or date. */
export const isTimeType = (t: string): boolean => /^(TIMESTAMP|DATE)/i.test(t);
/** Whether a DuckDB type name is an integer type. */
export const isIntegerType = (t: string): boolean => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT)/i.test(t);
/** Whether a DuckDB type name is numeric. */
export const isNumericType = (t: string): boolean => isIntegerType(t) || /^(FLOAT|DOUBLE|DECIMAL|REAL|NUMERIC)/i.test(t);
