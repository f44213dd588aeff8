/**
 * Monitors' DuckDB: one in-memory instance shared by every call of `withDuck` (each call gets
 * its own connection, so temp tables stay private to it), closed a moment after the last call
 * ends. Opening an instance costs 10–20 ms, and a monitor run makes several calls (compute,
 * write two tables, read them back). The native driver loads on first use, so a server with no
 * monitors never loads it.
 */
import type * as DuckDB from '@duckdb/node-api';
import { HangarError } from '../../core/errors.js';

type DuckModule = typeof DuckDB;
let duckdb: Promise<DuckModule> | undefined;
const loadDuckDB = (): Promise<DuckModule> => (duckdb ??= import('@duckdb/node-api'));

/** How long the shared instance stays open with no call using it, ms. */
const IDLE_CLOSE_MS = 2_000;
let shared: Promise<DuckDB.DuckDBInstance> | undefined;
let users = 0;
let idle: NodeJS.Timeout | undefined;

async function acquire(): Promise<DuckDB.DuckDBInstance> {
  users++;
  clearTimeout(idle);
  try {
    return await (shared ??= loadDuckDB().then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:', { threads: '2' })));
  } catch (e) {
    shared = undefined;
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

/** A connection with the two calls monitors need. */
export interface Duck {
  /** Run a statement. */
  run(sql: string): Promise<void>;
  /** Run a query and return its rows as plain JS objects (BIGINT as number). */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

/** Run `fn` on a connection of the shared in-memory DuckDB; the connection is closed after. */
export async function withDuck<T>(fn: (duck: Duck) => Promise<T>): Promise<T> {
  const instance = await acquire();
  try {
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
    }
  } finally {
    release();
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
