/**
 * Helpers for the online-store tests: crafted Parquet files written through DuckDB, and the
 * small driver table the REST route and the feature server are both tested on.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FeatureTableSpec } from '../features/spec.js';
import { materializeFiles } from './materialize.js';
import type { OnlineStore } from './port.js';

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

/** A Feast-style driver table: `driver_id` (long) → `conv_rate` (double), `trips` (long); no TTL. */
export function driverStatsSpec(name = 'driver_stats'): FeatureTableSpec {
  return {
    name,
    keys: [{ name: 'driver_id', type: 'long' }],
    timestampKey: 'ts',
    features: [
      { name: 'conv_rate', type: 'double' },
      { name: 'trips', type: 'long' },
    ],
    source: { kind: 'sql', sql: 'select 1' },
    ttlMs: 0,
  };
}

/** The end of the window `materializeDriverStats` materialises. */
export const DRIVER_STATS_END = Date.parse('2022-01-01T00:00:00Z');

/**
 * Materialise two drivers into `store` as table `name`: 1001 (conv_rate 0.7, trips 12) and 1003
 * (conv_rate null, trips 3); the file is written under `dir`.
 */
export async function materializeDriverStats(store: OnlineStore, dir: string, name = 'driver_stats'): Promise<void> {
  const file = await writeParquet(
    join(dir, `${name}.parquet`),
    `select * from (values (1001, timestamp '2021-12-31 23:00:00', 0.7, 12), (1003, timestamp '2021-12-31 22:00:00', NULL, 3)) t(driver_id, ts, conv_rate, trips)`,
  );
  await materializeFiles(store, driverStatsSpec(name), [file], { start: null, end: DRIVER_STATS_END });
}
