import { resolve } from 'node:path';
import type * as DuckDB from '@duckdb/node-api';
import { fileRelation, isQuery, readTable, type Column, type Table } from '../../data/index.js';
import type { CsvFieldKind, CsvScanSpec } from './csv-scan.js';
import type { DriftPool } from './pool.js';

/**
 * Loading the two inputs of `hangar monitor drift`. A CSV file is read by the purpose-built
 * reader (`csv-scan.ts`) on the pool's worker threads, both files at once, after DuckDB's
 * sniffer has typed its columns with the options `readTable` uses (`fileRelation`), so the
 * columns, their types, names and values are the ones `readTable` would give. Parquet files,
 * SQL queries, CSV columns of other types (dates, booleans), and any file the reader declines
 * go through `readTable` (DuckDB) as before.
 */

/** What the sniffer says about a CSV file, in the parts the reader uses. */
interface Sniffed {
  delimiter: string;
  quote: string;
  escape: string;
  columns: Array<{ name: string; type: string }>;
}

const KINDS: Record<string, CsvFieldKind> = { DOUBLE: 'double', BIGINT: 'bigint', VARCHAR: 'string' };

/**
 * The reader's spec for a sniffed file and the columns it keeps (all, or `wanted` in that
 * order), or the reason it cannot read them (the caller then uses `readTable`).
 */
export function csvSpec(path: string, sniffed: Sniffed, wanted?: string[]): { spec: CsvScanSpec; names: string[]; order: number[] } | string {
  const names = sniffed.columns.map((c) => c.name);
  const order = wanted && wanted.length > 0 ? wanted.map((n) => names.indexOf(n)) : names.map((_, i) => i);
  if (order.some((i) => i < 0)) return 'a requested column is not in the file';
  if (new Set(order).size !== order.length) return 'a column is requested twice';
  const kinds: CsvFieldKind[] = names.map(() => 'skip');
  for (const i of order) {
    const kind = KINDS[sniffed.columns[i]!.type];
    if (kind === undefined) return `column '${names[i]}' is ${sniffed.columns[i]!.type}`;
    kinds[i] = kind;
  }
  if (sniffed.quote !== '"' && sniffed.quote !== '(empty)') return `the quote ${sniffed.quote}`;
  if (sniffed.escape !== '"' && sniffed.escape !== '(empty)') return `the escape ${sniffed.escape}`;
  const spec: CsvScanSpec = { path, delimiter: sniffed.delimiter, quoted: sniffed.quote === '"', doubledQuote: sniffed.escape === '"', kinds };
  return { spec, names, order };
}

type DuckModule = typeof DuckDB;
let duckdb: Promise<DuckModule> | undefined;
const loadDuckDB = (): Promise<DuckModule> => (duckdb ??= import('@duckdb/node-api'));

/** The `sniff_csv` call with the options of `readTable`'s `read_csv`, or null when `source` is not read by `read_csv`. */
function sniffSql(source: string): string | null {
  if (isQuery(source)) return null;
  const rel = fileRelation(source); // throws for a missing file or an unknown format, as readTable does
  if (!rel.startsWith('read_csv(')) return null;
  return `select Delimiter, Quote, Escape, Columns from sniff_csv(${rel.slice('read_csv('.length)}`;
}

/**
 * Reads the baseline and current inputs at the same time. `columns`: only these, in this
 * order (default all). `note` hears which files went through DuckDB instead of the reader, and
 * why. Errors are `readTable`'s (RESOURCE_DOES_NOT_EXIST for a missing file, INVALID_PARAMETER_VALUE
 * for an unknown format or a file DuckDB cannot read).
 */
export async function loadDriftTables(pool: DriftPool, sources: [string, string], columns?: string[], note?: (message: string) => void): Promise<[Table, Table]> {
  const read = columns && columns.length > 0 ? { columns } : {};
  const sqls = sources.map(sniffSql);
  let instance: DuckDB.DuckDBInstance | undefined;
  let connection: DuckDB.DuckDBConnection | undefined;
  const sniff = async (sql: string): Promise<Sniffed | null> => {
    if (!connection) {
      const { DuckDBInstance } = await loadDuckDB();
      instance = await DuckDBInstance.create(':memory:');
      connection = await instance.connect();
    }
    try {
      const row = (await connection.runAndReadAll(sql)).getRowObjectsJS()[0] as { Delimiter: string; Quote: string; Escape: string; Columns: Array<{ name: string; type: string }> } | undefined;
      if (!row) return null;
      return { delimiter: row.Delimiter, quote: row.Quote, escape: row.Escape, columns: row.Columns };
    } catch {
      return null; // readTable reports DuckDB's error
    }
  };
  const viaDuckDB = (source: string, why: string): Promise<Table> => {
    note?.(`reading ${source} through DuckDB (${why})`);
    return readTable(source, read);
  };
  // Each file's scan starts as soon as its sniff is done, so the first file is being read
  // while the second is sniffed.
  const tasks: Array<Promise<Table>> = [];
  // A failure is reported by Promise.all below; until then it must not count as unhandled.
  const track = (t: Promise<Table>): void => {
    t.catch(() => undefined);
    tasks.push(t);
  };
  try {
    for (const [k, source] of sources.entries()) {
      const sql = sqls[k];
      if (!sql) {
        track(readTable(source, read));
        continue;
      }
      const sniffed = await sniff(sql);
      const plan = sniffed ? csvSpec(resolve(source), sniffed, columns) : 'the sniffer failed';
      if (typeof plan === 'string') {
        track(viaDuckDB(source, plan));
        continue;
      }
      track(
        pool.scan(plan.spec).then(
          (r) => {
            if (!r.ok) return viaDuckDB(source, r.reason);
            const cols = plan.order.map((i): Column => {
              const c = r.columns[i]!;
              const name = plan.names[i]!;
              return c.kind === 'string' ? { name, type: 'string', codes: c.codes, categories: c.categories } : { name, type: 'number', values: c.values };
            });
            return { rows: r.rows, columns: cols, source };
          },
          (e: unknown) => viaDuckDB(source, e instanceof Error ? e.message : String(e)),
        ),
      );
    }
  } finally {
    connection?.closeSync();
    instance?.closeSync();
  }
  const [a, b] = await Promise.all(tasks);
  return [a!, b!];
}
