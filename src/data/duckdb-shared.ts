/**
 * One in-memory DuckDB instance shared by every `withSharedDuckDB` call in the process (each call
 * gets its own connection, so temp tables and enum types stay private to it). Opening an instance
 * costs 10–20 ms of CPU, more than many reads take: `readTable` and the monitors run through it.
 * The instance closes a moment after the last call ends, so an idle process holds no DuckDB
 * memory; the native driver loads on first use, so commands that never read data start without it.
 */
import type * as DuckDB from '@duckdb/node-api';

type DuckModule = typeof DuckDB;
let duckdb: Promise<DuckModule> | undefined;
const loadDuckDB = (): Promise<DuckModule> => (duckdb ??= import('@duckdb/node-api'));

/** How long the shared instance stays open with no call using it, ms. */
const IDLE_CLOSE_MS = 2_000;
let shared: Promise<DuckDB.DuckDBInstance> | undefined;
let users = 0;
let idle: NodeJS.Timeout | undefined;

/** The shared instance (opened if need be), and the promise it came from, for `dropIfInvalidated`. */
async function acquire(): Promise<{ pending: Promise<DuckDB.DuckDBInstance>; instance: DuckDB.DuckDBInstance }> {
  users++;
  clearTimeout(idle);
  const pending = (shared ??= loadDuckDB().then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:')));
  try {
    return { pending, instance: await pending };
  } catch (e) {
    if (shared === pending) shared = undefined;
    release();
    throw e;
  }
}

function release(): void {
  if (--users > 0) return;
  clearTimeout(idle);
  idle = setTimeout(() => {
    const closing = shared;
    shared = undefined;
    void closing?.then((i) => i.closeSync()).catch(() => undefined);
  }, IDLE_CLOSE_MS);
  idle.unref();
}

/**
 * After a fatal error DuckDB refuses every later query on that instance; the next call must
 * open a new one rather than fail forever.
 */
function dropIfInvalidated(instance: Promise<DuckDB.DuckDBInstance>, e: unknown): void {
  if (shared === instance && e instanceof Error && /invalidated/i.test(e.message)) shared = undefined;
}

/**
 * Run `fn` on a new connection of the shared in-memory DuckDB; the connection is closed after,
 * with its temp tables. Errors of `fn` pass through unchanged.
 */
export async function withSharedDuckDB<T>(fn: (con: DuckDB.DuckDBConnection) => Promise<T>): Promise<T> {
  const { pending, instance } = await acquire();
  try {
    const con = await instance.connect();
    try {
      return await fn(con);
    } finally {
      con.closeSync();
    }
  } catch (e) {
    dropIfInvalidated(pending, e);
    throw e;
  } finally {
    release();
  }
}
