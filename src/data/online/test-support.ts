/**
 * Helpers for the online-store tests: crafted Parquet files written through DuckDB.
 */
import { DuckDBInstance } from '@duckdb/node-api';

/**
 * Write `select` (a DuckDB query, e.g. `select * from (values (…)) t(a, b)`) to a Parquet file
 * at `path`.
 */
export async function writeParquet(path: string, select: string): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    await con.run(`copy (${select}) to '${path.replaceAll("'", "''")}' (format parquet)`);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
  return path;
}
