import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { HangarError, invalidParam, notFound } from '../core/errors.js';
import { withSharedDuckDB } from './duckdb-shared.js';

/**
 * Tabular data as typed arrays, read through DuckDB. DuckDB does the parsing, filtering,
 * sorting and type casting (in parallel, in native code); JavaScript only copies whole
 * vectors out of each result chunk, so 3M rows load in well under a second.
 */

/** A numeric column (every integer, decimal and floating type); NaN marks a null. */
export interface NumberColumn {
  name: string;
  type: 'number';
  values: Float64Array;
}

/** A boolean column as 0/1; NaN marks a null. */
export interface BooleanColumn {
  name: string;
  type: 'boolean';
  values: Float64Array;
}

/** A timestamp or date column as epoch milliseconds (wall-clock time read as UTC); NaN marks a null. */
export interface TimestampColumn {
  name: string;
  type: 'timestamp';
  values: Float64Array;
}

/** A string column, dictionary-encoded: `codes[i]` indexes `categories`; -1 marks a null. */
export interface StringColumn {
  name: string;
  type: 'string';
  codes: Int32Array;
  /** Distinct non-null values in byte order (DuckDB's ORDER BY on VARCHAR). */
  categories: string[];
}

export type Column = NumberColumn | BooleanColumn | TimestampColumn | StringColumn;

export interface Table {
  /** Number of rows. */
  rows: number;
  /** The columns, in the order of the query's select list. */
  columns: Column[];
  /** Where the rows came from: the file path, or the SQL text when a query was given. */
  source: string;
}

export interface ReadTableOptions {
  /** Only these columns, in this order (default: all). */
  columns?: string[];
  /** A SQL boolean expression over the columns, e.g. `month(date) = 6`. */
  where?: string;
  /** A SQL ORDER BY list, e.g. `date`. */
  orderBy?: string;
  /** At most this many rows (after `where` and `orderBy`). */
  limit?: number;
}

/** True when `source` is a SQL query rather than a file path. */
export function isQuery(source: string): boolean {
  // A keyword then whitespace, so that a file named `select.csv` stays a file.
  return /^\s*(select|with|from)\s/i.test(source);
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** The DuckDB table expression that reads a file, chosen by its extension. */
export function fileRelation(path: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw notFound(`No such data file: ${path}`);
  const ext = extname(abs).toLowerCase();
  if (ext === '.parquet' || ext === '.pq') return `read_parquet(${sqlString(abs)})`;
  // The header is the first line and the delimiter follows the extension: left to itself, the
  // sniffer may pick a later, wider block of lines as the table and drop earlier rows silently.
  if (ext === '.csv') return `read_csv(${sqlString(abs)}, header = true, skip = 0, delim = ',')`;
  if (ext === '.tsv') return `read_csv(${sqlString(abs)}, header = true, skip = 0, delim = '\t')`;
  if (ext === '.txt') return `read_csv(${sqlString(abs)}, header = true, skip = 0)`;
  throw invalidParam(`Cannot read '${path}': known data formats are .parquet and .csv`, 'data');
}

type Kind = Column['type'] | 'other';

function kindOf(sqlType: string): Kind {
  const t = sqlType.toUpperCase();
  if (t === 'BOOLEAN') return 'boolean';
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return 'timestamp';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL|REAL)/.test(t)) return 'number';
  if (t === 'VARCHAR' || t.startsWith('ENUM')) return 'string';
  return 'other';
}

/**
 * Read a Parquet or CSV file, or the result of a SQL query over files
 * (`select … from 'flights.parquet' where …`), into typed-array columns.
 * Numbers become Float64Array (NaN for null), booleans 0/1, timestamps and dates epoch ms,
 * strings (and any other type, cast to text) dictionary codes with their categories.
 * Errors: RESOURCE_DOES_NOT_EXIST for a missing file, INVALID_PARAMETER_VALUE for an unknown
 * format or a query DuckDB rejects (with DuckDB's message).
 */
export async function readTable(source: string, options: ReadTableOptions = {}): Promise<Table> {
  // The process's shared instance: a new one per call cost more than many reads do.
  return withSharedDuckDB((con) => readTableOn(con, source, options));
}

let scratch = 0;

/**
 * `readTable` on a connection the caller holds, so a query can read the caller's temp tables
 * instead of computing its rows again. Leaves no table behind on the connection.
 */
export async function readTableOn(con: DuckDBConnection, source: string, options: ReadTableOptions = {}): Promise<Table> {
  const base = isQuery(source) ? `(${source})` : fileRelation(source);
  const select = options.columns && options.columns.length > 0 ? options.columns.map(sqlIdent).join(', ') : '*';
  let sql = `select ${select} from ${base} as src`;
  if (options.where) sql += ` where ${options.where}`;
  if (options.orderBy) sql += ` order by ${options.orderBy}`;
  if (options.limit !== undefined) sql += ` limit ${Math.max(0, Math.floor(options.limit))}`;

  const temp = `__hangar_read_${++scratch}`;
  try {
    // Two passes read the rows: one for the string dictionaries, one to copy. A Parquet file
    // without sort or limit is cheap to scan twice; anything else (a query, a sort, CSV parsing)
    // is materialised once in a temp table so it runs a single time.
    const direct = !isQuery(source) && /\.(parquet|pq)$/i.test(source) && options.orderBy === undefined && options.limit === undefined;
    let rel = temp;
    if (direct) rel = `(${sql}) as t`;
    else await run(con, `create temp table ${temp} as ${sql}`, source);
    let described: Array<{ column_name: string; column_type: string }>;
    try {
      described = (await con.runAndReadAll(`describe select * from ${rel}`)).getRowObjectsJS() as typeof described;
    } catch (e) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `Cannot read '${source}': ${(e as Error).message}`, { field: 'data', cause: e });
    }
    const cols = described.map((d) => ({ name: d.column_name, kind: kindOf(d.column_type) }));

    const stringCols = cols.filter((c) => c.kind === 'string' || c.kind === 'other');
    const aggregates = ['count(*)', ...stringCols.map((c) => `list(distinct ${sqlIdent(c.name)}::VARCHAR order by ${sqlIdent(c.name)}::VARCHAR) filter (where ${sqlIdent(c.name)} is not null)`)];
    const stats = (await con.runAndReadAll(`select ${aggregates.join(', ')} from ${rel}`)).getRowsJS()[0] ?? [];
    const rows = Number(stats[0] ?? 0);
    const categories = new Map<string, string[]>();
    stringCols.forEach((c, i) => categories.set(c.name, ((stats[i + 1] as string[] | null) ?? []).map(String)));

    // Every column comes out as DOUBLE or INTEGER with nulls already replaced, so a chunk's
    // vector is one typed array to copy.
    const exprs = cols.map((c) => {
      const id = sqlIdent(c.name);
      switch (c.kind) {
        case 'number':
          return `coalesce(${id}::DOUBLE, 'NaN'::DOUBLE)`;
        case 'boolean':
          return `coalesce(${id}::INTEGER::DOUBLE, 'NaN'::DOUBLE)`;
        case 'timestamp':
          return `coalesce(epoch_ms(${id}::TIMESTAMP)::DOUBLE, 'NaN'::DOUBLE)`;
        default: {
          const cats = categories.get(c.name) ?? [];
          if (cats.length === 0) return `-1::INTEGER`;
          return `coalesce(enum_code(${id}::VARCHAR::ENUM(${cats.map(sqlString).join(', ')}))::INTEGER, -1)`;
        }
      }
    });
    const out = cols.map((c) => (c.kind === 'string' || c.kind === 'other' ? new Int32Array(rows) : new Float64Array(rows)));
    if (cols.length > 0) {
      const result = await con.run(`select ${exprs.join(', ')} from ${rel}`);
      let offset = 0;
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const n = chunk.rowCount;
        for (let c = 0; c < cols.length; c++) copyVector(chunk.getColumnVector(c), out[c]!, offset, n);
        offset += n;
      }
    }
    const columns: Column[] = cols.map((c, i): Column => {
      if (c.kind === 'string' || c.kind === 'other') return { name: c.name, type: 'string', codes: out[i] as Int32Array, categories: categories.get(c.name) ?? [] };
      return { name: c.name, type: c.kind, values: out[i] as Float64Array };
    });
    return { rows, columns, source };
  } finally {
    await con.run(`drop table if exists ${temp}`).catch(() => undefined);
  }
}

async function run(con: { run(sql: string): Promise<unknown> }, sql: string, source: string): Promise<void> {
  try {
    await con.run(sql);
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Cannot read ${isQuery(source) ? 'query' : `'${source}'`}: ${(e as Error).message}`, { field: 'data', cause: e });
  }
}

interface VectorLike {
  getItem(i: number): unknown;
}

/**
 * Copy `n` items of a DOUBLE or INTEGER vector. The vector classes keep their data in a typed
 * array (`items`) that is not part of the typed API; copying it whole is ~50× faster than
 * `getItem` per row, and the per-item path stays as the fallback should that field change.
 */
function copyVector(vector: VectorLike, target: Float64Array | Int32Array, offset: number, n: number): void {
  const items = (vector as unknown as { items?: unknown }).items;
  if ((items instanceof Float64Array || items instanceof Int32Array) && items.constructor === target.constructor && items.length >= n) {
    target.set(items.length === n ? items : items.subarray(0, n), offset);
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = vector.getItem(i);
    target[offset + i] = v === null ? (target instanceof Int32Array ? -1 : NaN) : Number(v);
  }
}

/** The column named `name`; INVALID_PARAMETER_VALUE listing the columns when there is none. */
export function getColumn(table: Table, name: string): Column {
  const col = table.columns.find((c) => c.name === name);
  if (!col) throw invalidParam(`No column '${name}' in ${table.source}; columns: ${table.columns.map((c) => c.name).join(', ')}`, name);
  return col;
}

/** The table's schema as MLflow-style JSON text: `{"mlflow_colspec": [{"type", "name"}]}`. */
export function tableSchema(table: Table): string {
  const type = { number: 'double', boolean: 'boolean', timestamp: 'datetime', string: 'string' } as const;
  return JSON.stringify({ mlflow_colspec: table.columns.map((c) => ({ type: type[c.type], name: c.name, required: false })) });
}

const SAMPLE = 10_000;

/**
 * A short content digest (8 hex characters, like MLflow's dataset digests): SHA-256 over the
 * schema, the row count, every category list and the first and last 10,000 values of each
 * column. Cheap on millions of rows; a change in the middle of a large table that keeps its
 * size and both ends is not seen, as with MLflow's sampled pandas digest.
 */
export function tableDigest(table: Table): string {
  const h = createHash('sha256');
  h.update(tableSchema(table));
  h.update(String(table.rows));
  for (const c of table.columns) {
    const arr = c.type === 'string' ? c.codes : c.values;
    if (c.type === 'string') h.update(JSON.stringify(c.categories));
    const head = arr.subarray(0, SAMPLE);
    const tail = arr.subarray(Math.max(SAMPLE, arr.length - SAMPLE));
    h.update(new Uint8Array(head.buffer, head.byteOffset, head.byteLength));
    h.update(new Uint8Array(tail.buffer, tail.byteOffset, tail.byteLength));
  }
  return h.digest('hex').slice(0, 8);
}
