/**
 * Materialisation (semantics §e): copy, per entity key, the latest offline row with
 * `start ≤ ts < end` into the online store. DuckDB picks the winners over the feature table's
 * Parquet files in one pass (`arg_max` per key: latest event time, then latest created time),
 * and the rows stream out in chunks that are written in batches, so millions of offline rows
 * materialise in seconds with bounded JavaScript memory.
 */
import type * as DuckDB from '@duckdb/node-api';
import { HangarError, invalidParam } from '../../core/errors.js';
import type { DataContext } from '../context.js';
import { withSharedDuckDB } from '../duckdb-shared.js';
import { listFeatureTables, loadFeatureTable } from '../features/index.js';
import type { FeatureSpec, FeatureTableSpec } from '../features/spec.js';
import { sqlIdent, sqlString } from '../table.js';
import { encodeEntityKey, type KeyPart, type OnlineRow, type OnlineStore } from './port.js';

/** Progress of one table's materialisation. */
export interface MaterializeProgress {
  table: string;
  /** Rows (entity keys) handed to the online store so far. */
  written: number;
  /** Entity keys the window holds in all. */
  total: number;
}

export interface MaterializeOptions {
  /** Called after each written batch (and once at the start with `written = 0`). */
  onProgress?: (p: MaterializeProgress) => void;
  /** The time written rows get as created time when the table has no created-timestamp column; default `Date.now()`. */
  now?: number;
  /** Rows per online-store write. Default 10,000. */
  batchSize?: number;
}

/** What a materialisation did. */
export interface MaterializeResult {
  table: string;
  /** Window start (epoch ms), or null for "from the beginning of the data". */
  start: number | null;
  /** Window end (epoch ms, exclusive). */
  end: number;
  /** Entity keys whose latest row in the window was found. */
  rows: number;
  /** Of those, how many replaced (or created) the stored row; the rest were older than it. */
  stored: number;
}

const TS = '__hangar_ts';
const CREATED = '__hangar_created';
const VALUES = '__hangar_values';

/**
 * Materialise the rows of `spec` held in `files` (local Parquet paths) with
 * `start ≤ event ts < end` (`start` null: no lower bound) into `store`, and record `end` as the
 * table's materialisation end (the latest end wins). A table without a timestamp key has no
 * history: every row is written, with the materialisation time as its event time.
 * Errors: INVALID_PARAMETER_VALUE for an empty window or a column the files lack or cannot
 * cast to its declared type (naming the column).
 */
export async function materializeFiles(
  store: OnlineStore,
  spec: FeatureTableSpec,
  files: readonly string[],
  range: { start: number | null; end: number },
  options: MaterializeOptions = {},
): Promise<MaterializeResult> {
  const { start, end } = range;
  if (!Number.isFinite(end)) throw invalidParam('The materialisation end must be a time.', 'end');
  if (start !== null && !(start < end)) throw invalidParam(`The materialisation start (${iso(start)}) must come before its end (${iso(end)}).`, 'start');
  const now = options.now ?? Date.now();
  const batchSize = options.batchSize ?? 10_000;
  const result: MaterializeResult = { table: spec.name, start, end, rows: 0, stored: 0 };
  if (files.length > 0) {
    // A connection of the process's shared DuckDB: the `winners` temp table is its own.
    await withSharedDuckDB(async (con) => {
      const source = `read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true)`;
      await checkColumns(con, source, spec);
      await exec(con, `create temp table winners as ${winnersSql(spec, source, start, end, now)}`, spec.name);
      const total = Number((await con.runAndReadAll('select count(*) from winners')).getRowsJS()[0]?.[0] ?? 0);
      // Registered only once the files have been checked and the winners picked, so bad input
      // leaves the online store as it was.
      await store.registerTable(spec, now);
      options.onProgress?.({ table: spec.name, written: 0, total });
      const stream = await con.stream('select * from winners');
      const keyCount = spec.keys.length;
      let batch: OnlineRow[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        result.stored += await store.write(spec.name, batch);
        result.rows += batch.length;
        batch = [];
        options.onProgress?.({ table: spec.name, written: result.rows, total });
      };
      for (;;) {
        const chunk = await stream.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const cols = chunk.getColumns();
        const json = cols[keyCount + 2]!;
        for (let r = 0; r < chunk.rowCount; r++) {
          const parts: KeyPart[] = new Array<KeyPart>(keyCount);
          for (let k = 0; k < keyCount; k++) parts[k] = keyPart(cols[k]![r]);
          batch.push({ key: encodeEntityKey(parts), eventTs: Number(cols[keyCount]![r]), createdTs: Number(cols[keyCount + 1]![r]), values: json[r] as string });
        }
        if (batch.length >= batchSize) await flush();
      }
      await flush();
    });
  } else {
    await store.registerTable(spec, now);
    options.onProgress?.({ table: spec.name, written: 0, total: 0 });
  }
  const state = await store.getTable(spec.name);
  await store.setMaterializedEnd(spec.name, Math.max(end, state?.materializedEnd ?? end), now);
  return result;
}

/**
 * Materialise from the table's previous end to `end`; the first time from `end − ttl`, or from
 * the beginning of the data when the TTL is 0 (never expires). Records `end`.
 */
export async function materializeFilesIncremental(
  store: OnlineStore,
  spec: FeatureTableSpec,
  files: readonly string[],
  end: number,
  options: MaterializeOptions = {},
): Promise<MaterializeResult> {
  const window = await incrementalWindow(store, spec, end);
  // Nothing new since the last run: write nothing.
  if (window === undefined) return { table: spec.name, start: end, end, rows: 0, stored: 0 };
  return materializeFiles(store, spec, files, window, options);
}

/**
 * The window an incremental run covers: from the table's previous end, or the first time from
 * `end − ttl` (from the beginning when the TTL is 0); undefined when the previous end is not
 * before `end`.
 */
export async function incrementalWindow(store: OnlineStore, spec: Pick<FeatureTableSpec, 'name' | 'ttlMs'>, end: number): Promise<{ start: number | null; end: number } | undefined> {
  const previous = (await store.getTable(spec.name))?.materializedEnd ?? null;
  const start = previous ?? (spec.ttlMs > 0 ? end - spec.ttlMs : null);
  return start !== null && start >= end ? undefined : { start, end };
}

/**
 * Materialise the registered feature table `name` (its latest computed offline version) for
 * `start ≤ ts < end` (semantics §e). RESOURCE_DOES_NOT_EXIST when the table is unknown or was
 * never computed.
 */
export async function materialize(
  ctx: DataContext,
  store: OnlineStore,
  name: string,
  range: { start: number | null; end: number },
  options: MaterializeOptions = {},
): Promise<MaterializeResult> {
  const { spec, files } = await loadFeatureTable(ctx, name);
  return materializeFiles(store, spec, files, range, options);
}

/** Materialise `name` from its previous end (or `end − ttl`, or the beginning) to `end`, and record `end`. */
export async function materializeIncremental(ctx: DataContext, store: OnlineStore, name: string, end: number, options: MaterializeOptions = {}): Promise<MaterializeResult> {
  const { spec, files } = await loadFeatureTable(ctx, name);
  return materializeFilesIncremental(store, spec, files, end, options);
}

/** The names of every registered feature table, for "materialise all". */
export async function featureTableNames(ctx: DataContext): Promise<string[]> {
  return (await listFeatureTables(ctx)).map((t) => t.spec.name);
}

function castOf(type: 'string' | 'long', id: string): string {
  return type === 'long' ? `${id}::BIGINT` : `${id}::VARCHAR`;
}

const FEATURE_CAST: Record<FeatureSpec['type'], string> = { double: 'DOUBLE', long: 'BIGINT', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP', string: 'VARCHAR' };

/**
 * A typed feature value (`v`, already cast) as a JSON value: doubles without NaN/±Infinity
 * (null instead), longs beyond 2^53 as strings (JSON numbers would lose digits), timestamps as
 * ISO-8601 strings in UTC.
 */
function jsonValueOf(type: FeatureSpec['type'], v: string): string {
  switch (type) {
    case 'double':
      return `case when isnan(${v}) or isinf(${v}) then null else ${v} end`;
    case 'long':
      return `case when abs(${v}) > 9007199254740991 then to_json(${v}::VARCHAR) else to_json(${v}) end`;
    case 'timestamp':
      return `strftime(${v}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
    default:
      return v;
  }
}

/**
 * The winners query: per entity key, the row with the greatest (event ts, created ts) in the
 * window, by `arg_max` over a hash aggregate (about twice as fast as a window sort on 3M rows);
 * only the winners are turned into JSON.
 */
function winnersSql(spec: FeatureTableSpec, source: string, start: number | null, end: number, now: number): string {
  const ts = spec.timestampKey === undefined ? undefined : `${sqlIdent(spec.timestampKey)}::TIMESTAMP`;
  const tsMs = ts === undefined ? `${now}::BIGINT` : `epoch_ms(${ts})`;
  const created = spec.createdTimestampKey === undefined ? `${now}::BIGINT` : `coalesce(epoch_ms(${sqlIdent(spec.createdTimestampKey)}::TIMESTAMP), 0)`;
  const where = spec.keys.map((k) => `${sqlIdent(k.name)} is not null`);
  if (ts !== undefined) {
    where.push(`${ts} < epoch_ms(${Math.trunc(end)}::BIGINT)`);
    if (start !== null) where.push(`${ts} >= epoch_ms(${Math.trunc(start)}::BIGINT)`);
  }
  const keys = spec.keys.map((k) => `${castOf(k.type, sqlIdent(k.name))} as ${sqlIdent(`k_${k.name}`)}`);
  const row = [`'ts': ${tsMs}`, `'created': ${created}`, ...spec.features.map((f, i) => `'f${i}': ${sqlIdent(f.name)}::${FEATURE_CAST[f.type]}`)];
  const inner = `select ${keys.join(', ')}, arg_max({${row.join(', ')}}, (${tsMs}, ${created})) as w from ${source} where ${where.join(' and ')} group by all`;
  // The values leave DuckDB as one JSON object per row, ready for the stores that keep JSON.
  const values = `json_object(${spec.features.map((f, i) => `${sqlString(f.name)}, ${jsonValueOf(f.type, `w.f${i}`)}`).join(', ')})::VARCHAR`;
  return `select ${spec.keys.map((k) => sqlIdent(`k_${k.name}`)).join(', ')}, w.ts as ${TS}, w.created as ${CREATED}, ${values} as ${VALUES} from (${inner})`;
}

type Connection = DuckDB.DuckDBConnection;

/** Every column the spec names must be in the files; say which one is missing. */
async function checkColumns(con: Connection, source: string, spec: FeatureTableSpec): Promise<void> {
  let described: Array<{ column_name: string }>;
  try {
    described = (await con.runAndReadAll(`describe select * from ${source}`)).getRowObjectsJS() as typeof described;
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Cannot read the offline files of feature table '${spec.name}': ${(e as Error).message}`, { field: 'files', cause: e });
  }
  const have = new Set(described.map((d) => d.column_name));
  const needed: Array<[string, string]> = [
    ...spec.keys.map((k): [string, string] => [k.name, 'key']),
    ...(spec.timestampKey === undefined ? [] : [[spec.timestampKey, 'timestamp key'] as [string, string]]),
    ...(spec.createdTimestampKey === undefined ? [] : [[spec.createdTimestampKey, 'created timestamp key'] as [string, string]]),
    ...spec.features.map((f): [string, string] => [f.name, 'feature']),
  ];
  for (const [name, role] of needed) {
    if (!have.has(name)) throw invalidParam(`The offline rows of feature table '${spec.name}' have no ${role} column '${name}'.`, name);
  }
}

async function exec(con: Connection, sql: string, table: string): Promise<void> {
  try {
    await con.run(sql);
  } catch (e) {
    const message = (e as Error).message;
    // A cast failure names the value; say which table it came from.
    throw new HangarError('INVALID_PARAMETER_VALUE', `Cannot materialise feature table '${table}': ${message}`, { field: table, cause: e });
  }
}

function keyPart(v: unknown): KeyPart {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  return v as KeyPart;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
