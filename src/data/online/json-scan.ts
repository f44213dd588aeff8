/**
 * Finding feature values inside a stored row's JSON object without parsing it. The look-up
 * answer is JSON too, so a value's text can be copied from the stored row to the answer as it
 * is: no number is parsed and printed again, no string is decoded and escaped again (for 100
 * entities × 50 features that was most of the server's time). Rows are scanned as JS strings
 * (what the drivers hand over without another copy).
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
 * lacks the feature or holds null. A plain array: small typed arrays cost more to allocate.
 */
export type Spans = number[];

/**
 * Matches the keys of stored rows to the requested features. Rows of one table nearly always
 * list their keys in the same order, so the matcher remembers, per key position, the key's
 * quoted text and which requested feature it was; a key is then recognised by one comparison
 * in place, and decoded only when a row differs.
 */
export class FieldMatcher {
  private readonly index = new Map<string, number>();
  /** Per key position: the quoted key last seen there and its requested index (-1: not requested). */
  private readonly seenKey: string[] = [];
  private readonly seenIndex: number[] = [];

  constructor(
    /** The requested features, in answer order. */
    readonly features: readonly string[],
  ) {
    features.forEach((f, i) => {
      if (!this.index.has(f)) this.index.set(f, i);
    });
  }

  /**
   * At key position `ordinal`, the key starting at `start` (its opening quote): returns the
   * end of its quoted text, and sets {@link found} to its requested index (-1: not requested).
   */
  match(text: string, start: number, end: number, ordinal: number): number {
    const seen = this.seenKey[ordinal];
    // A quoted key is a complete JSON string, so the same text at `start` is the same key.
    // Compared char by char: the keys are short, and a call to startsWith costs more.
    if (seen !== undefined && start + seen.length <= end) {
      let i = 0;
      while (i < seen.length && seen.charCodeAt(i) === text.charCodeAt(start + i)) i++;
      if (i === seen.length) {
        this.found = this.seenIndex[ordinal]!;
        return start + seen.length;
      }
    }
    const keyEnd = stringEnd(text, start, end);
    const quoted = text.slice(start, keyEnd);
    const key = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
    this.found = this.index.get(key) ?? -1;
    this.seenKey[ordinal] = quoted;
    this.seenIndex[ordinal] = this.found;
    return keyEnd;
  }

  /** The requested index of the key {@link match} last read. */
  found = -1;
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

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The end (exclusive) of the JSON string starting at `i` (its opening quote). */
function stringEnd(text: string, i: number, end: number): number {
  i++;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) return i + 1;
    else i++;
  }
  throw new SyntaxError('Unterminated string in a stored online row.');
}

/** The end (exclusive) of the JSON value starting at `i`. */
function valueEnd(text: string, i: number, end: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i, end);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i = stringEnd(text, i, end);
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new SyntaxError('Unterminated value in a stored online row.');
  }
  // A number, true, false or null: up to the next delimiter.
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACE || isSpace(c)) return i;
    i++;
  }
  return i;
}

function notObject(): never {
  throw new SyntaxError('A stored online row is not a JSON object.');
}

/**
 * Record in `spans` (from `base`, two slots per requested feature, already -1) where the
 * requested features' values lie in the JSON object `text[start, end)`. A JSON null keeps -1.
 * Throws SyntaxError on text that is not a JSON object.
 */
export function scanObject(text: string, start: number, end: number, matcher: FieldMatcher, spans: Spans, base: number): void {
  let i = start;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== OPEN_BRACE) notObject();
  i++;
  for (let ordinal = 0; ; ordinal++) {
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    let c = text.charCodeAt(i);
    if (c === CLOSE_BRACE && ordinal === 0) return;
    if (c !== QUOTE) notObject();
    i = matcher.match(text, i, end, ordinal);
    const f = matcher.found;
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== COLON) notObject();
    i++;
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    if (i >= end) notObject();
    const vEnd = valueEnd(text, i, end);
    if (f >= 0) {
      const at = base + 2 * f;
      if (isNullAt(text, i, vEnd)) spans[at] = -1;
      else {
        spans[at] = i;
        spans[at + 1] = vEnd;
      }
    }
    i = vEnd;
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    c = text.charCodeAt(i);
    if (c === CLOSE_BRACE) return;
    if (c !== COMMA) notObject();
    i++;
  }
}

/** Whether `text[start, end)` is the literal `null`. */
function isNullAt(text: string, start: number, end: number): boolean {
  return end - start === 4 && text.charCodeAt(start) === 0x6e && text.charCodeAt(start + 1) === 0x75 && text.charCodeAt(start + 2) === 0x6c && text.charCodeAt(start + 3) === 0x6c;
}
