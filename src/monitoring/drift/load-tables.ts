import { closeSync, openSync, readSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type * as DuckDB from '@duckdb/node-api';
import { fileRelation, isQuery, readTable, type Column, type Table } from '../../data/index.js';
import type { CsvFieldKind, CsvScanResult, CsvScanSpec } from './csv-scan.js';
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

const GUESS_BYTES = 64 << 10;

/**
 * What the sniffer will most likely say about a CSV file with no quotes, from its first 64 KiB:
 * BIGINT for fields of plain integers, DOUBLE for plain decimals, VARCHAR otherwise. Only used
 * to start reading before DuckDB has loaded; the reader's result is kept only when the spec
 * built from DuckDB's real answer is the same (`sameSpec`). Null when there is nothing to guess
 * from (quotes, a ragged sample, another extension) or when a column looks like dates, times or
 * booleans, which the sniffer types and the reader leaves to DuckDB anyway.
 */
export function guessSniffed(path: string): Sniffed | null {
  const ext = extname(path).toLowerCase();
  const delimiter = ext === '.csv' ? ',' : ext === '.tsv' ? '\t' : null;
  if (delimiter === null) return null;
  const buf = Buffer.alloc(GUESS_BYTES);
  let n: number;
  try {
    const fd = openSync(path, 'r');
    try {
      n = readSync(fd, buf, 0, GUESS_BYTES, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  let text = buf.toString('utf8', 0, n);
  if (text.includes('"')) return null;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  if (n === GUESS_BYTES) lines.pop(); // the last line may be cut
  const rows = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l, i) => i === 0 || l !== '');
  if (rows.length < 2) return null;
  const names = rows[0]!.split(delimiter);
  const seen = names.map(() => ({ any: false, int: true, num: true, other: true }));
  for (const row of rows.slice(1)) {
    const fields = row.split(delimiter);
    if (fields.length !== names.length) return null;
    fields.forEach((f, i) => {
      if (f === '') return;
      const s = seen[i]!;
      s.any = true;
      if (s.int && !/^-?[0-9]{1,18}$/.test(f)) s.int = false;
      if (s.num && !/^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,3})?$/.test(f)) s.num = false;
      // Dates, times and booleans: the sniffer types them and the reader does not read them.
      if (s.other && !/^([0-9]{1,4}[-/.:][0-9]|true$|false$|[tfyn]$|yes$|no$)/i.test(f)) s.other = false;
    });
  }
  if (seen.some((s) => s.any && !s.num && s.other)) return null;
  const type = (s: { any: boolean; int: boolean; num: boolean; other: boolean }): string => (!s.any ? 'VARCHAR' : s.int ? 'BIGINT' : s.num ? 'DOUBLE' : 'VARCHAR');
  return { delimiter, quote: '(empty)', escape: '(empty)', columns: names.map((name, i) => ({ name, type: type(seen[i]!) })) };
}

/** True when two reader specs read the same file the same way. */
export function sameSpec(a: CsvScanSpec, b: CsvScanSpec): boolean {
  return a.path === b.path && a.delimiter === b.delimiter && a.quoted === b.quoted && a.doubledQuote === b.doubledQuote && a.kinds.length === b.kinds.length && a.kinds.every((k, i) => k === b.kinds[i]);
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
  // Reading starts at once with the types guessed from each file's first lines, while DuckDB
  // loads and sniffs; a guess that differs from the sniffer's answer is read again. Files are
  // otherwise read as soon as their sniff is done, the first while the second is sniffed.
  const guesses = sources.map((source, k): { spec: CsvScanSpec; scan: Promise<CsvScanResult> } | null => {
    if (!sqls[k] || (columns && columns.length > 0)) return null;
    const guessed = guessSniffed(resolve(source));
    const plan = guessed ? csvSpec(resolve(source), guessed) : null;
    if (plan === null || typeof plan === 'string') return null;
    const scan = pool.scan(plan.spec);
    scan.catch(() => undefined);
    return { spec: plan.spec, scan };
  });
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
      const guess = guesses[k];
      if (guess && !sameSpec(guess.spec, plan.spec)) note?.(`reading ${source} again: the sniffer's types differ from the guess`);
      track(
        (guess && sameSpec(guess.spec, plan.spec) ? guess.scan : pool.scan(plan.spec)).then(
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
