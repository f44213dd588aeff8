import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * A purpose-built CSV reader for `hangar monitor drift`: one pass over the file's bytes,
 * numbers parsed straight into Float64Arrays and strings hashed into dictionary codes, with no
 * JavaScript value per field. It reads only what DuckDB's sniffer has already typed (DOUBLE,
 * BIGINT, VARCHAR) and must give exactly what `readTable` gives for the same file; anything it
 * is not certain to read the same way — a quote where the sniffer saw none, a ragged row, a
 * number with spaces, `nan`, an integer too long for BIGINT, invalid UTF-8 — makes it
 * **decline** (`ok: false`, with the reason and record), and the caller reads the file through
 * DuckDB instead, which then behaves exactly as before (parses it, or fails naming the problem).
 *
 * Grammar read here (RFC 4180 with DuckDB's defaults): the delimiter the sniffer found, records
 * ending in LF or CR LF (the last one may have none), blank lines skipped, a UTF-8 byte-order
 * mark skipped; with a sniffed quote `"`, a field may be quoted and `""` inside quotes is one
 * quote (when the sniffed escape is `"`). An empty field, quoted or not, is NULL (DuckDB's
 * `allow_quoted_nulls`). Numbers: `-?digits[.digits][e±digits]` for DOUBLE, `-?digits` (at
 * most 18 digits) for BIGINT; up to 15 significant digits are converted by one exact division
 * by a power of ten (correctly rounded, as DuckDB's fast_float), longer ones by `Number()`,
 * also correctly rounded.
 */

/** How one field of each record is read. */
export type CsvFieldKind = 'double' | 'bigint' | 'string' | 'skip';

/** What to read from one CSV file. */
export interface CsvScanSpec {
  /** The file. */
  path: string;
  /** The field delimiter: one ASCII character. */
  delimiter: string;
  /** True when `"` quotes fields (the sniffer found a quote); otherwise any `"` declines. */
  quoted: boolean;
  /** True when `""` inside a quoted field is a literal quote (the sniffer's escape is `"`). */
  doubledQuote: boolean;
  /** One kind per header field; `skip` fields are checked for shape but not kept. */
  kinds: CsvFieldKind[];
  /** Bytes read at a time (default 8 MiB); tests use small blocks to cross block ends. */
  blockBytes?: number;
}

/** A column read from the file: numbers (NaN for NULL), or dictionary codes (−1 for NULL) with categories in byte order. */
export type ScannedColumn = { kind: 'number'; values: Float64Array } | { kind: 'string'; codes: Int32Array; categories: string[] } | null;

/** The columns of a scan (one per kind, null for `skip`), or why the reader declined. */
export type CsvScanResult = { ok: true; rows: number; columns: ScannedColumn[] } | { ok: false; reason: string };

const LF = 10;
const CR = 13;
const QUOTE = 34;
const MINUS = 45;
const DOT = 46;
const CHUNK = 8 << 20;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const DOUBLE_TEXT = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,3})?$/;
const BIGINT_TEXT = /^-?[0-9]{1,18}$/;

class Decline extends Error {}

/**
 * Distinct byte strings of one column and their codes, in first-seen order: an open-addressing
 * table over FNV-1a hashes of the bytes, the keys kept in one byte arena.
 */
class Dictionary {
  arena = new Uint8Array(1 << 12);
  used = 0;
  starts = new Int32Array(64);
  lengths = new Int32Array(64);
  hashes = new Int32Array(64);
  size = 0;
  table = new Int32Array(256).fill(-1);
  mask = 255;

  /** The code of `buf[start, start + len)`, whose FNV-1a hash is `h`; inserted when new. */
  code(buf: Uint8Array, start: number, len: number, h: number): number {
    const table = this.table;
    const mask = this.mask;
    let i = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const c = table[i]!;
      if (c < 0) return this.insert(buf, start, len, h, i);
      if (this.hashes[c] === h && this.lengths[c] === len && this.equals(c, buf, start, len)) return c;
      i = (i + 1) & mask;
    }
  }

  private equals(c: number, buf: Uint8Array, start: number, len: number): boolean {
    const a = this.arena;
    const s = this.starts[c]!;
    for (let k = 0; k < len; k++) if (a[s + k] !== buf[start + k]) return false;
    return true;
  }

  private insert(buf: Uint8Array, start: number, len: number, h: number, slot: number): number {
    const c = this.size++;
    if (c === this.starts.length) {
      this.starts = grow(this.starts, c * 2);
      this.lengths = grow(this.lengths, c * 2);
      this.hashes = grow(this.hashes, c * 2);
    }
    if (this.used + len > this.arena.length) {
      const next = new Uint8Array(Math.max(this.arena.length * 2, this.used + len));
      next.set(this.arena.subarray(0, this.used));
      this.arena = next;
    }
    this.arena.set(buf.subarray(start, start + len), this.used);
    this.starts[c] = this.used;
    this.lengths[c] = len;
    this.hashes[c] = h;
    this.used += len;
    this.table[slot] = c;
    if (this.size * 2 > this.table.length) this.rehash();
    return c;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let c = 0; c < this.size; c++) {
      const h = this.hashes[c]!;
      let i = (h ^ (h >>> 15)) & mask;
      while (table[i]! >= 0) i = (i + 1) & mask;
      table[i] = c;
    }
    this.table = table;
    this.mask = mask;
  }

  /**
   * The categories in byte order (DuckDB's VARCHAR order) and, for each first-seen code, its
   * position in that order. Declines on bytes that are not UTF-8 (DuckDB rejects those).
   */
  sorted(): { categories: string[]; rank: Int32Array } {
    const arena = Buffer.from(this.arena.buffer, this.arena.byteOffset, this.used);
    const bytes = (c: number): Buffer => arena.subarray(this.starts[c]!, this.starts[c]! + this.lengths[c]!);
    let ascii = true;
    for (let i = 0; i < arena.length; i++) if (arena[i]! >= 0x80) ascii = false;
    const strings = new Array<string>(this.size);
    for (let c = 0; c < this.size; c++) {
      const b = bytes(c);
      if (!ascii && !isUtf8(b)) throw new Decline(`a value that is not UTF-8: ${JSON.stringify(b.toString('latin1'))}`);
      strings[c] = b.toString(ascii ? 'latin1' : 'utf8');
    }
    // JavaScript compares strings by UTF-16 code units, which is UTF-8 byte order unless a
    // string holds a surrogate pair or a character from U+E000 up; then bytes are compared.
    const utf16Order = ascii || !strings.some((x) => /[\uD800-\uFFFF]/.test(x));
    const order = strings.map((_, c) => c);
    if (utf16Order) order.sort((a, b) => (strings[a]! < strings[b]! ? -1 : 1));
    else order.sort((a, b) => Buffer.compare(bytes(a), bytes(b)));
    const rank = new Int32Array(this.size);
    order.forEach((c, k) => (rank[c] = k));
    return { categories: order.map((c) => strings[c]!), rank };
  }
}

function grow<T extends Int32Array | Float64Array>(a: T, length: number): T {
  const next = new (a.constructor as new (n: number) => T)(length);
  next.set(a);
  return next;
}

/** Parse state of one file: the output columns, growing with the rows. */
interface State {
  kinds: Uint8Array; // 0 double, 1 bigint, 2 string, 3 skip
  /** Per field: its numbers, or an empty array for other kinds (never null, so loads stay monomorphic). */
  numbers: Float64Array[];
  /** Per field: its codes, or an empty array for other kinds. */
  codes: Int32Array[];
  dicts: Array<Dictionary | null>;
  rows: number;
  capacity: number;
  delimiter: number;
  quoted: boolean;
  doubledQuote: boolean;
  /** Unescaped bytes of the quoted field being read. */
  scratch: Uint8Array;
}

const KIND_CODE: Record<CsvFieldKind, number> = { double: 0, bigint: 1, string: 2, skip: 3 };

function setCapacity(st: State, capacity: number): void {
  for (let c = 0; c < st.kinds.length; c++) {
    const kind = st.kinds[c]!;
    if (kind <= 1) st.numbers[c] = grow(st.numbers[c]!, capacity);
    else if (kind === 2) st.codes[c] = grow(st.codes[c]!, capacity);
  }
  st.capacity = capacity;
}

/** The text of `buf[start, end)` (a number field, ASCII when valid). */
function text(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}

/**
 * Reads a quoted field starting at `buf[p]` (the opening quote) into `st.scratch`; returns
 * the position after the closing quote and the unescaped length, or −1 when the field does not
 * end before `limit` (it continues in the next block).
 */
function readQuoted(st: State, buf: Uint8Array, p: number, limit: number): { end: number; len: number } | null {
  let q = p + 1;
  let len = 0;
  for (;;) {
    if (q >= limit) return null;
    const b = buf[q]!;
    if (b === QUOTE) {
      if (q + 1 < limit && buf[q + 1] === QUOTE) {
        if (!st.doubledQuote) throw new Decline('a doubled quote inside a quoted field, where the sniffer found no escape');
        q += 2;
        pushScratch(st, len++, QUOTE);
        continue;
      }
      if (q + 1 >= limit) return null;
      return { end: q + 1, len };
    }
    pushScratch(st, len++, b);
    q++;
  }
}

function pushScratch(st: State, at: number, b: number): void {
  if (at === st.scratch.length) {
    const next = new Uint8Array(st.scratch.length * 2);
    next.set(st.scratch);
    st.scratch = next;
  }
  st.scratch[at] = b;
}

function fnv(buf: Uint8Array, start: number, len: number): number {
  let h = 0x811c9dc5 | 0;
  for (let k = 0; k < len; k++) h = Math.imul(h ^ buf[start + k]!, 0x01000193);
  return h;
}

/** A number from its text (quoted or long fields), or a decline. */
function numberOfText(t: string, kind: number): number {
  if (t === '') return NaN;
  if (!(kind === 0 ? DOUBLE_TEXT : BIGINT_TEXT).test(t)) throw new Decline(`'${t}' is not a plain ${kind === 0 ? 'DOUBLE' : 'BIGINT'}`);
  const v = Number(t);
  if (!Number.isFinite(v) || (v === 0 && /[1-9]/.test(t.replace(/[eE].*$/, '')))) throw new Decline(`'${t}' is out of the double range`);
  return kind === 1 && v === 0 ? 0 : v;
}

/**
 * Parses the complete records of `buf[p, limit)` (`limit` is just past an LF) into the state.
 * Returns the start of the first record that continues past `limit` (a quoted field holding
 * a line break), or `limit` when every record was complete.
 */
function scanRecords(st: State, buf: Uint8Array, p: number, limit: number): number {
  const ncols = st.kinds.length;
  const kinds = st.kinds;
  const delim = st.delimiter;
  const quoted = st.quoted;
  const dicts = st.dicts;
  // 1 for the bytes that end an unquoted field, 2 for a quote (never inside one).
  const stops = new Uint8Array(256);
  stops[delim] = stops[LF] = stops[CR] = 1;
  stops[QUOTE] = 2;
  let numbers = st.numbers;
  let codes = st.codes;
  try {
    while (p < limit) {
      const recordStart = p;
      let b = buf[p]!;
      if (b === LF || (b === CR && buf[p + 1] === LF)) {
        if (ncols === 1) throw new Decline('a blank line in a one-column file');
        p += b === LF ? 1 : 2;
        continue;
      }
      const row = st.rows;
      if (row === st.capacity) {
        setCapacity(st, Math.ceil(st.capacity * 1.5) + 1024);
        numbers = st.numbers;
        codes = st.codes;
      }
      for (let c = 0; c < ncols; c++) {
        const kind = kinds[c]!;
        b = buf[p]!;
        if (b === QUOTE) {
          if (!quoted) throw new Decline('a quote character, where the sniffer found no quoting');
          const r = readQuoted(st, buf, p, limit);
          if (r === null) return recordStart;
          p = r.end;
          b = buf[p]!;
          if (kind === 2) {
            codes[c]![row] = r.len === 0 ? -1 : dicts[c]!.code(st.scratch, 0, r.len, fnv(st.scratch, 0, r.len));
          } else if (kind !== 3) {
            numbers[c]![row] = numberOfText(text(st.scratch, 0, r.len), kind);
          }
        } else if (kind === 0 || kind === 1) {
          const start = p;
          let neg = false;
          if (b === MINUS) {
            neg = true;
            b = buf[++p]!;
          }
          const digits0 = p;
          let m = 0;
          let d = b - 48;
          while (d >>> 0 < 10) {
            m = m * 10 + d;
            d = buf[++p]! - 48;
          }
          b = d + 48;
          let nd = p - digits0;
          let scale = 0;
          if (b === DOT && kind === 0 && nd > 0) {
            const frac0 = ++p;
            d = buf[p]! - 48;
            while (d >>> 0 < 10) {
              m = m * 10 + d;
              d = buf[++p]! - 48;
            }
            b = d + 48;
            scale = p - frac0;
            nd += scale;
            if (scale === 0) throw new Decline(`'${text(buf, start, p)}' is not a plain DOUBLE`);
          }
          let v: number;
          if (b === delim || b === LF || b === CR) {
            if (nd === 0) {
              if (neg) throw new Decline("'-' is not a number");
              v = NaN;
            } else if (nd <= 15) {
              v = scale === 0 ? m : m / POW10[scale]!;
              if (neg) v = kind === 1 && m === 0 ? 0 : -v;
            } else v = numberOfText(text(buf, start, p), kind);
          } else {
            // An exponent, or anything else: the whole field by the strict grammar.
            while (stops[b] === 0) b = buf[++p]!;
            v = numberOfText(text(buf, start, p), kind);
          }
          numbers[c]![row] = v;
        } else {
          const start = p;
          let h = 0x811c9dc5 | 0;
          let cls: number;
          while ((cls = stops[b]!) === 0) {
            h = Math.imul(h ^ b, 0x01000193);
            b = buf[++p]!;
          }
          if (cls === 2) throw new Decline('a quote inside an unquoted field');
          if (kind === 2) codes[c]![row] = p === start ? -1 : dicts[c]!.code(buf, start, p - start, h);
        }
        // The field's terminator (b = buf[p]): the delimiter between fields, a line break after the last.
        if (c < ncols - 1) {
          if (b !== delim) throw new Decline(b === LF || b === CR ? `a record with ${c + 1} fields instead of ${ncols}` : 'text after a closing quote');
          p++;
        } else if (b === LF) p++;
        else if (b === CR && buf[p + 1] === LF) p += 2;
        else throw new Decline(b === delim ? `a record with more than ${ncols} fields` : b === CR ? 'a CR line break without LF' : 'text after a closing quote');
      }
      st.rows = row + 1;
    }
    return limit;
  } catch (e) {
    if (e instanceof Decline) throw new Decline(`record ${st.rows + 1} after the header: ${e.message}`);
    throw e;
  }
}

/** Skips the header record at `buf[p]` and returns the position after it and its field count, or null when it continues past `limit`. */
function skipHeader(st: State, buf: Uint8Array, p: number, limit: number): { end: number; fields: number } | null {
  let fields = 1;
  while (p < limit) {
    const b = buf[p]!;
    if (b === QUOTE && st.quoted) {
      const r = readQuoted(st, buf, p, limit);
      if (r === null) return null;
      p = r.end;
      continue;
    }
    if (b === st.delimiter) fields++;
    else if (b === LF) return { end: p + 1, fields };
    else if (b === CR && buf[p + 1] === LF) return { end: p + 2, fields };
    p++;
  }
  return null;
}

/**
 * Reads the file of `spec` block by block (8 MiB, so files of any size stream through) and
 * returns its columns, or the reason it declined. I/O errors throw.
 */
export function scanCsv(spec: CsvScanSpec): CsvScanResult {
  if (spec.delimiter.length !== 1 || spec.delimiter.charCodeAt(0) > 127 || '"\r\n'.includes(spec.delimiter)) return { ok: false, reason: `delimiter ${JSON.stringify(spec.delimiter)}` };
  const kinds = Uint8Array.from(spec.kinds, (k) => KIND_CODE[k]);
  const st: State = {
    kinds,
    numbers: spec.kinds.map(() => new Float64Array(0)),
    codes: spec.kinds.map(() => new Int32Array(0)),
    dicts: spec.kinds.map((k) => (k === 'string' ? new Dictionary() : null)),
    rows: 0,
    capacity: 0,
    delimiter: spec.delimiter.charCodeAt(0),
    quoted: spec.quoted,
    doubledQuote: spec.doubledQuote,
    scratch: new Uint8Array(256),
  };
  const fd = openSync(spec.path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    let buf = new Uint8Array((spec.blockBytes ?? CHUNK) + 1);
    let len = 0;
    let eof = false;
    let header = true;
    let first = true;
    for (;;) {
      // Fill the block after the carried-over bytes; grow it when one record fills it.
      if (len === buf.length - 1) {
        const next = new Uint8Array(buf.length * 2);
        next.set(buf.subarray(0, len));
        buf = next;
      }
      while (!eof && len < buf.length - 1) {
        const n = readSync(fd, buf, len, buf.length - 1 - len, null);
        if (n === 0) eof = true;
        len += n;
      }
      if (first) {
        first = false;
        if (len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
          buf.copyWithin(0, 3, len);
          len -= 3;
        }
      }
      // At the end, a last record without a line break gets one (the sentinel every field
      // scan stops at); otherwise only the records up to the last LF are complete.
      if (eof && len > 0 && buf[len - 1] !== LF) buf[len++] = LF;
      const limit = eof ? len : buf.lastIndexOf(LF, len - 1) + 1;
      let p = 0;
      if (header && limit > 0) {
        const h = skipHeader(st, buf, 0, limit);
        if (h === null && eof) return { ok: false, reason: 'the header does not end' };
        if (h !== null) {
          header = false;
          if (h.fields !== kinds.length) return { ok: false, reason: `the header has ${h.fields} fields, the sniffer ${kinds.length}` };
          p = h.end;
          // Room for the rows the file probably holds, from the header block's line length.
          const lines = countLines(buf, p, limit);
          const perRow = lines > 0 ? (limit - p) / lines : 64;
          setCapacity(st, Math.ceil((fileSize / perRow) * 1.02) + 1024);
        }
      }
      if (!header) {
        const consumed = scanRecords(st, buf, p, limit);
        if (consumed < limit && eof) return { ok: false, reason: `record ${st.rows + 1} after the header: a quoted field does not end` };
        p = consumed;
      }
      if (eof && p >= len) break;
      if (eof && header) return { ok: false, reason: 'no header line' };
      buf.copyWithin(0, p, len);
      len -= p;
    }
    if (header) return { ok: false, reason: 'no header line' };
    const columns: ScannedColumn[] = spec.kinds.map((k, c) => {
      if (k === 'double' || k === 'bigint') return { kind: 'number', values: st.numbers[c]!.subarray(0, st.rows) };
      if (k === 'string') {
        const { categories, rank } = st.dicts[c]!.sorted();
        const codes = st.codes[c]!.subarray(0, st.rows);
        for (let i = 0; i < codes.length; i++) {
          const v = codes[i]!;
          if (v >= 0) codes[i] = rank[v]!;
        }
        return { kind: 'string', codes, categories };
      }
      return null;
    });
    return { ok: true, rows: st.rows, columns };
  } catch (e) {
    if (e instanceof Decline) return { ok: false, reason: e.message };
    throw e;
  } finally {
    closeSync(fd);
  }
}

function countLines(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(LF, from); i >= 0 && i < to; i = buf.indexOf(LF, i + 1)) n++;
  return n;
}

/** The distinct ArrayBuffers behind typed arrays, for a worker's transfer list. */
export function transferList(arrays: Array<Float64Array | Int32Array>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  return [...out];
}

/** The arrays of a scan result, for the transfer list of the message that returns it. */
export function scanTransferList(r: CsvScanResult): ArrayBuffer[] {
  return r.ok ? transferList(r.columns.flatMap((c) => (c === null ? [] : [c.kind === 'string' ? c.codes : c.values]))) : [];
}
