import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/random.js';
import { readTable, type Column, type Table } from '../../data/index.js';
import { scanCsv, type CsvScanResult, type CsvScanSpec } from './csv-scan.js';
import { guessSniffed, loadDriftTables } from './load-tables.js';
import { DriftPool } from './pool.js';

/**
 * The CSV reader of `monitor drift` must give exactly what `readTable` (DuckDB) gives, or
 * decline: every file here is read both ways and compared value by value (NaN, −0 and
 * category order included).
 */

const dir = mkdtempSync(join(tmpdir(), 'hangar-csv-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const inProcess = new DriftPool(1);

let fileNo = 0;
function file(content: string | Buffer, ext = '.csv'): string {
  const path = join(dir, `f${fileNo++}${ext}`);
  writeFileSync(path, content);
  return path;
}

/** Column values comparable with toEqual: numbers through Object.is semantics (NaN, −0 kept as strings). */
function comparable(t: Table): unknown {
  const v = (x: number): unknown => (Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x);
  return {
    rows: t.rows,
    columns: t.columns.map((c: Column) =>
      c.type === 'string' ? { name: c.name, type: c.type, categories: c.categories, codes: Array.from(c.codes) } : { name: c.name, type: c.type, values: Array.from(c.values, v) },
    ),
  };
}

/** Reads `path` with the drift loader and with readTable; returns the notes (why DuckDB read it, if it did). */
async function sameAsDuckDB(path: string, columns?: string[]): Promise<string[]> {
  const notes: string[] = [];
  const [ours] = await loadDriftTables(inProcess, [path, path], columns, (m) => notes.push(m));
  const duck = await readTable(path, columns ? { columns } : {});
  expect(comparable(ours)).toEqual(comparable(duck));
  return notes;
}

describe('the drift CSV reader against readTable', () => {
  it('reads plain numbers, integers, strings and NULLs itself, with the same values', async () => {
    const path = file('x,n,s\n1.5,3,b\n-0.0,-0,a\n,,\n0.000001234,12345678901234567,é\n1e3,-7,\n2.5E-3,0,b\n');
    expect(await sameAsDuckDB(path)).toEqual([]);
  });

  it('quoted fields: delimiters, doubled quotes, line breaks and quoted NULLs', async () => {
    const path = file('a,s,t\n1,"x, y","say ""hi"""\n2,"two\nlines",""\n"3",plain," padded "\n4,"plain",plain\n');
    expect(await sameAsDuckDB(path)).toEqual([]);
    // The same text quoted and unquoted is one category.
    const [t] = await loadDriftTables(inProcess, [path, path]);
    expect(t.columns[1]).toMatchObject({ categories: ['plain', 'two\nlines', 'x, y'], codes: Int32Array.from([2, 1, 0, 0]) });
  });

  it('CR LF line ends, blank lines, a byte-order mark, no final line break', async () => {
    expect(await sameAsDuckDB(file('a,b\r\n1,x\r\n\r\n2,y\r\n'))).toEqual([]);
    expect(await sameAsDuckDB(file('a,b\n1,x\n\n\n2,y\n'))).toEqual([]);
    expect(await sameAsDuckDB(file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n1,x\n')])))).toEqual([]);
    expect(await sameAsDuckDB(file('a,b\n1,x\n2,y'))).toEqual([]);
  });

  it('categories in byte order (DuckDB’s), not UTF-16 order', async () => {
    // U+1F600 sorts before U+FF5E in UTF-16 code units, after it in UTF-8 bytes.
    const rows = ['\u{1F600}', '\uFF5E', 'Z', 'a', 'Ä', 'ab', 'a b'];
    expect(await sameAsDuckDB(file(`k,s\n${rows.map((r, i) => `${i},${r}`).join('\n')}\n`))).toEqual([]);
  });

  it('tab-separated files and selected columns in the requested order', async () => {
    expect(await sameAsDuckDB(file('a\tb\tc\n1\tx\t2.5\n3\ty\t\n', '.tsv'))).toEqual([]);
    expect(await sameAsDuckDB(file('a,b,c\n1,x,2.5\n3,y,\n'), ['c', 'a'])).toEqual([]);
  });

  it('declines what it cannot read exactly as DuckDB does, and DuckDB reads it', async () => {
    // DuckDB accepts spaces around numbers; the reader leaves them to DuckDB.
    const spaced = file('a,b\n 1 ,x\n2.5,y\n');
    expect((await sameAsDuckDB(spaced)).join()).toMatch(/through DuckDB.*not a plain DOUBLE/);
    // Dates and booleans are DuckDB's to parse.
    expect((await sameAsDuckDB(file('d,b\n2024-01-02,true\n2024-02-03,false\n'))).join()).toMatch(/is DATE/);
    // A quote where the sniffer (on its sample) saw none.
    const late = file(`a,s\n${Array.from({ length: 30_000 }, (_, i) => `${i},v${i % 7}`).join('\n')}\n30000,"q"\n`);
    expect((await sameAsDuckDB(late)).join()).toMatch(/record 30001 after the header: a quote character/);
  });

  it('a ragged file still fails (no row is dropped silently)', async () => {
    // Small files: the sniffer itself fails; large ones: the ragged record is past its sample.
    const body = Array.from({ length: 30_000 }, (_, i) => `${i},${i % 9}`).join('\n');
    for (const [content, note] of [
      ['a,b\n1,2\n3,4,5\n', /sniffer failed/],
      ['a,b\n1,2\n3\n', /sniffer failed/],
      [`a,b\n${body}\n3,4,5\n${body}\n`, /record 30001 after the header: a record with more than 2 fields/],
      [`a,b\n${body}\n3\n${body}\n`, /record 30001 after the header: a record with 1 fields instead of 2/],
    ] as const) {
      const path = file(content);
      const notes: string[] = [];
      await expect(loadDriftTables(inProcess, [path, path], undefined, (m) => notes.push(m))).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'data' });
      expect(notes.join()).toMatch(note);
    }
  });

  it('missing files and unknown formats fail as readTable fails', async () => {
    const ok = file('a\n1\n');
    await expect(loadDriftTables(inProcess, [join(dir, 'none.csv'), ok])).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(loadDriftTables(inProcess, [ok, file('a\n1\n', '.xlsx')])).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('starts reading with guessed types, kept only when the sniffer agrees', async () => {
    class Counting extends DriftPool {
      scans = 0;
      override scan(spec: CsvScanSpec): Promise<CsvScanResult> {
        this.scans++;
        return super.scan(spec);
      }
    }
    const plain = file('a,b,c\n1,2.5,x\n3,,y\n');
    expect(guessSniffed(plain)?.columns.map((c) => c.type)).toEqual(['BIGINT', 'DOUBLE', 'VARCHAR']);
    expect(guessSniffed(file('d,x\n2024-01-02,1\n2024-02-03,2\n'))).toBeNull();
    expect(guessSniffed(file('b,x\ntrue,1\nfalse,2\n'))).toBeNull();
    expect(guessSniffed(file('s,x\n"q",1\n'))).toBeNull();
    const agreed = new Counting(1);
    await loadDriftTables(agreed, [plain, plain]);
    expect(agreed.scans).toBe(2);
    // Integers only in the first 64 KiB, decimals later but within the sniffer's sample: the
    // guess (BIGINT) is read, dropped, and the file read again as DOUBLE.
    const late = file(`a,b\n${Array.from({ length: 12_000 }, (_, i) => `${i},${i % 100}`).join('\n')}\n${Array.from({ length: 100 }, (_, i) => `${i},${i}.5`).join('\n')}\n`);
    expect(guessSniffed(late)?.columns.map((c) => c.type)).toEqual(['BIGINT', 'BIGINT']);
    const again = new Counting(1);
    const notes: string[] = [];
    const [t] = await loadDriftTables(again, [late, late], undefined, (m) => notes.push(m));
    expect(again.scans).toBe(4);
    expect(notes.join()).toMatch(/again: the sniffer's types differ/);
    expect(comparable(t)).toEqual(comparable(await readTable(late)));
  });

  it('random files read in small blocks equal readTable', async () => {
    const rnd = mulberry32(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    for (let round = 0; round < 12; round++) {
      const rows = 1 + Math.floor(rnd() * 400);
      const crlf = rnd() < 0.3;
      const quoteStrings = rnd() < 0.5;
      const lines = ['num,int,cat,text'];
      for (let i = 0; i < rows; i++) {
        const num = rnd() < 0.05 ? '' : pick([(rnd() * 2000 - 1000).toFixed(Math.floor(rnd() * 9)), (rnd() * 1e-5).toExponential(4), String(Math.round(rnd() * 1e17) / 10), '-0.0']);
        const int = rnd() < 0.05 ? '' : String(Math.floor(rnd() * 2e6) - 1e6);
        const cat = rnd() < 0.05 ? '' : pick(['SFO', 'LAX', 'JFK', 'zürich', '東京', 'a,b', 'say "x"', 'two\nlines']);
        const text = rnd() < 0.05 ? '' : `t${Math.floor(rnd() * 50)}`;
        const q = (s: string): string => (quoteStrings || /[,"\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
        lines.push([num, int, q(cat), q(text)].join(','));
      }
      const path = file(lines.join(crlf ? '\r\n' : '\n') + (rnd() < 0.8 ? (crlf ? '\r\n' : '\n') : ''));
      expect(await sameAsDuckDB(path)).toEqual([]);
      // The same file in blocks of a few bytes: records and quoted fields cross block ends.
      const whole = scanCsv({ path, delimiter: ',', quoted: true, doubledQuote: true, kinds: ['double', 'bigint', 'string', 'string'] });
      const blocks = scanCsv({ path, delimiter: ',', quoted: true, doubledQuote: true, kinds: ['double', 'bigint', 'string', 'string'], blockBytes: 7 + round });
      expect(blocks).toEqual(whole);
      expect(whole).toMatchObject({ ok: true, rows });
    }
  });
});
