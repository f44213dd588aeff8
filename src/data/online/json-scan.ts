/**
 * Finding feature values inside a stored row's JSON object without parsing it. The look-up
 * answer is JSON too, so a value's text can be copied from the stored bytes to the answer as it
 * is: no number is parsed and printed again, no string is decoded and encoded again (for 100
 * entities × 50 features that was most of the server's time).
 *
 * The rows are JSON objects of scalar values (`{"rate":0.5,"name":"x","n":null}`), as
 * materialisation (DuckDB's `json_object`), `JSON.stringify` or PostgreSQL's `jsonb` output
 * write them; whitespace between tokens is allowed, nested values are skipped whole.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Where each requested feature's value lies in one row: `spans[base + 2f]` is the start and
 * `spans[base + 2f + 1]` the end (exclusive) of feature f's JSON text, start -1 when the row
 * lacks the feature or holds null.
 */
export type Spans = Int32Array;

/**
 * Matches the keys of stored rows to the requested features. Rows of one table nearly always
 * list their keys in the same order, so the matcher remembers, per key position, the key's
 * bytes and which requested feature it was; a key is then recognised by one byte comparison,
 * and decoded only when a row differs.
 */
export class FieldMatcher {
  private readonly index = new Map<string, number>();
  /** Per key position: the quoted key last seen there (bytes) and its requested index (-1: not requested). */
  private readonly seenKey: Uint8Array[] = [];
  private readonly seenIndex: number[] = [];

  constructor(
    /** The requested features, in answer order. */
    readonly features: readonly string[],
  ) {
    features.forEach((f, i) => {
      if (!this.index.has(f)) this.index.set(f, i);
    });
  }

  /** The requested index of the key whose quoted text spans [start, end) at key position `ordinal`. */
  match(bytes: Uint8Array, start: number, end: number, ordinal: number): number {
    const seen = this.seenKey[ordinal];
    if (seen !== undefined && seen.length === end - start) {
      let same = true;
      for (let i = 0; i < seen.length; i++) {
        if (seen[i] !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.seenIndex[ordinal]!;
    }
    const key = decodeKey(bytes, start, end);
    const found = this.index.get(key) ?? -1;
    this.seenKey[ordinal] = bytes.slice(start, end);
    this.seenIndex[ordinal] = found;
    return found;
  }
}

const matchers = new WeakMap<readonly string[], FieldMatcher>();

/**
 * The matcher of a feature list, kept as long as the list is (the look-up passes the same list
 * from its cached plan on every request, so what the matcher learnt carries over).
 */
export function matcherFor(features: readonly string[]): FieldMatcher {
  let m = matchers.get(features);
  if (m === undefined) matchers.set(features, (m = new FieldMatcher(features)));
  return m;
}

function decodeKey(bytes: Uint8Array, start: number, end: number): string {
  let plain = true;
  for (let i = start + 1; i < end - 1; i++) {
    const b = bytes[i]!;
    if (b === BACKSLASH || b >= 0x80) {
      plain = false;
      break;
    }
  }
  if (plain) {
    let s = '';
    for (let i = start + 1; i < end - 1; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8')) as string;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** The end (exclusive) of the JSON string starting at `i` (its opening quote). */
function stringEnd(bytes: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end) {
    const b = bytes[i]!;
    if (b === BACKSLASH) i += 2;
    else if (b === QUOTE) return i + 1;
    else i++;
  }
  throw new SyntaxError('Unterminated string in a stored online row.');
}

/** The end (exclusive) of the JSON value starting at `i`. */
function valueEnd(bytes: Uint8Array, i: number, end: number): number {
  const first = bytes[i]!;
  if (first === QUOTE) return stringEnd(bytes, i, end);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    while (i < end) {
      const b = bytes[i]!;
      if (b === QUOTE) {
        i = stringEnd(bytes, i, end);
        continue;
      }
      if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new SyntaxError('Unterminated value in a stored online row.');
  }
  // A number, true, false or null: up to the next delimiter.
  while (i < end) {
    const b = bytes[i]!;
    if (b === COMMA || b === CLOSE_BRACE || isSpace(b)) return i;
    i++;
  }
  return i;
}

/**
 * Record in `spans` (from `base`, two slots per requested feature, already -1) where the
 * requested features' values lie in the JSON object `bytes[start, end)`. A JSON null keeps -1.
 * Throws SyntaxError on text that is not a JSON object.
 */
export function scanObject(bytes: Uint8Array, start: number, end: number, matcher: FieldMatcher, spans: Spans, base: number): void {
  let i = start;
  while (i < end && isSpace(bytes[i]!)) i++;
  if (bytes[i] !== OPEN_BRACE) throw new SyntaxError('A stored online row is not a JSON object.');
  i++;
  for (let ordinal = 0; ; ordinal++) {
    while (i < end && isSpace(bytes[i]!)) i++;
    if (bytes[i] === CLOSE_BRACE) return;
    if (bytes[i] !== QUOTE) throw new SyntaxError('A stored online row is not a JSON object.');
    const keyEnd = stringEnd(bytes, i, end);
    const f = matcher.match(bytes, i, keyEnd, ordinal);
    i = keyEnd;
    while (i < end && isSpace(bytes[i]!)) i++;
    if (bytes[i] !== COLON) throw new SyntaxError('A stored online row is not a JSON object.');
    i++;
    while (i < end && isSpace(bytes[i]!)) i++;
    const vEnd = valueEnd(bytes, i, end);
    if (f >= 0 && !isNullAt(bytes, i, vEnd)) {
      spans[base + 2 * f] = i;
      spans[base + 2 * f + 1] = vEnd;
    }
    i = vEnd;
    while (i < end && isSpace(bytes[i]!)) i++;
    if (bytes[i] === COMMA) i++;
    else if (bytes[i] !== CLOSE_BRACE) throw new SyntaxError('A stored online row is not a JSON object.');
  }
}

/** Whether `bytes[start, end)` is the literal `null`. */
export function isNullAt(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start === 4 && bytes[start] === 0x6e && bytes[start + 1] === 0x75 && bytes[start + 2] === 0x6c && bytes[start + 3] === 0x6c;
}
