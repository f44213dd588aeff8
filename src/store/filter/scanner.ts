/**
 * A hand-written scanner for MLflow's filter and order_by syntax. The grammar is small (keys,
 * one comparator, one value, AND) but its quoting rules (backticks and double quotes around
 * keys, either quote around values, escapes) do not fit a generic SQL tokenizer, and errors
 * must quote the exact offending text.
 */
import { HangarError } from '../../core/errors.js';
import type { Comparator } from '../types.js';
import { ENTITY_PREFIXES, type Entity } from './grammar.js';

/** An own property of a table; `constructor` or `__proto__` typed as keys must not find Object's. */
export function lookup<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

export function invalid(message: string, field: string): HangarError {
  return new HangarError('INVALID_PARAMETER_VALUE', message, { field });
}

/** A key as written: its entity (null for a bare attribute name) and the unquoted key. */
export interface ParsedKey {
  /** From the prefix before the first `.`; null when there was no prefix. */
  entity: Entity | null;
  /** The prefix as written (`metric`, `attr`, …), for messages. */
  prefix: string | null;
  key: string;
  /** The text of the whole key as written. */
  text: string;
}

/** A value as written. `bare` is anything that is neither quoted, a number nor a list. */
export type ParsedValue =
  | { type: 'string'; value: string; text: string }
  | { type: 'number'; value: number; text: string }
  | { type: 'list'; value: string[]; text: string }
  | { type: 'bare'; text: string };

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
// Unquoted keys after a prefix: MLflow metric names often hold `/`, `-` or `:`, and a key may
// contain further dots (`tags.mlflow.runName`).
const UNQUOTED_KEY = /[A-Za-z0-9_.\-/:]+/y;
const RUN_NAME = /run\s+name(?![A-Za-z0-9_.])/iy;
const NUMBER = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z0-9_.])/y;
const SYMBOLS = /[<>=!]+/y;
const LETTERS = /[A-Za-z]+/y;
const NON_SPACE = /[^\s]+/y;
const SYMBOL_OPS = new Set(['=', '!=', '>', '>=', '<', '<=']);
const QUOTES = new Set(["'", '"', '`']);

export class Scanner {
  pos = 0;

  /**
   * @param src the text being scanned
   * @param field the request field it came from (`filter`, `order_by`), for errors
   */
  constructor(
    readonly src: string,
    readonly field: string,
  ) {}

  eof(): boolean {
    return this.pos >= this.src.length;
  }

  peek(): string {
    return this.src.charAt(this.pos);
  }

  skipWs(): void {
    while (this.pos < this.src.length && /\s/.test(this.src.charAt(this.pos))) this.pos++;
  }

  /** Match a sticky regex at the current position and advance past it. */
  match(re: RegExp): string | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (m === null) return null;
    this.pos = re.lastIndex;
    return m[0];
  }

  /** The next few characters, for "found …" in messages. */
  snippet(): string {
    if (this.eof()) return 'the end of the text';
    NON_SPACE.lastIndex = this.pos;
    const m = NON_SPACE.exec(this.src);
    const word = m === null ? this.src.charAt(this.pos) : m[0];
    return `'${word.length > 40 ? `${word.slice(0, 40)}…` : word}'`;
  }

  /** The text being scanned, shortened for messages. */
  quoted(): string {
    const s = this.src.length > 200 ? `${this.src.slice(0, 200)}…` : this.src;
    return `'${s}'`;
  }

  fail(message: string): never {
    throw invalid(message, this.field);
  }

  /**
   * A quoted run of text, with the opening quote at the current position. Inside, a backslash
   * escapes the quote character or a backslash, and a doubled quote stands for one (SQL style).
   * A backslash before any other character is kept, so LIKE patterns such as `a\%` reach the
   * store as written.
   */
  readQuoted(): string {
    const quote = this.peek();
    const start = this.pos;
    this.pos++;
    let out = '';
    while (this.pos < this.src.length) {
      const c = this.src.charAt(this.pos);
      if (c === '\\') {
        const next = this.src.charAt(this.pos + 1);
        if (next === quote || next === '\\') {
          out += next;
          this.pos += 2;
        } else {
          out += c;
          this.pos++;
        }
        continue;
      }
      if (c === quote) {
        if (this.src.charAt(this.pos + 1) === quote) {
          out += quote;
          this.pos += 2;
          continue;
        }
        this.pos++;
        return out;
      }
      out += c;
      this.pos++;
    }
    return this.fail(`Unterminated quoted text starting at ${quote}${this.src.slice(start + 1, start + 41)} in ${this.field} ${this.quoted()}.`);
  }

  /** A key: `metrics.loss`, ``params.`batch size` ``, `tags."user-name"`, `status`, `` `run name` ``. */
  readKey(): ParsedKey {
    this.skipWs();
    const start = this.pos;
    if (QUOTES.has(this.peek())) {
      const key = this.readQuoted();
      return { entity: null, prefix: null, key, text: this.src.slice(start, this.pos) };
    }
    if (this.match(RUN_NAME) !== null) {
      return { entity: null, prefix: null, key: 'run name', text: this.src.slice(start, this.pos) };
    }
    const word = this.match(WORD);
    if (word === null) {
      if (this.peek() === '(' || this.peek() === ')') {
        this.fail(`Parentheses are not supported in ${this.field} ${this.quoted()}; only an IN or NOT IN value list may be parenthesised.`);
      }
      this.fail(`Expected a key such as 'metrics.loss' in ${this.field} ${this.quoted()}, found ${this.snippet()}.`);
    }
    if (this.peek() !== '.') {
      return { entity: null, prefix: null, key: word, text: word };
    }
    this.pos++;
    const entity = lookup(ENTITY_PREFIXES, word.toLowerCase());
    if (entity === undefined) {
      const rest = this.match(UNQUOTED_KEY) ?? '';
      this.fail(
        `Invalid entity type '${word}' in '${word}.${rest}'. Valid types are 'metrics', 'params', 'tags', 'attributes', 'datasets'.`,
      );
    }
    let key: string;
    if (QUOTES.has(this.peek())) {
      key = this.readQuoted();
    } else {
      key = this.match(UNQUOTED_KEY) ?? '';
    }
    if (key === '') this.fail(`Missing key after '${word}.' in ${this.field} ${this.quoted()}.`);
    return { entity, prefix: word, key, text: this.src.slice(start, this.pos) };
  }

  /** A comparator: `=`, `!=`, `>`, `>=`, `<`, `<=`, `LIKE`, `ILIKE`, `IN`, `NOT IN` (any case). */
  readComparator(after: string): Comparator {
    this.skipWs();
    const sym = this.match(SYMBOLS);
    if (sym !== null) {
      if (!SYMBOL_OPS.has(sym)) this.fail(`Invalid comparator '${sym}' after '${after}' in ${this.field} ${this.quoted()}.`);
      return sym as Comparator;
    }
    const start = this.pos;
    const word = this.match(LETTERS);
    if (word === null) {
      this.fail(`Expected a comparator after '${after}' in ${this.field} ${this.quoted()}, found ${this.snippet()}.`);
    }
    const upper = word.toUpperCase();
    if (upper === 'LIKE' || upper === 'ILIKE' || upper === 'IN') return upper;
    if (upper === 'NOT') {
      this.skipWs();
      const next = this.match(LETTERS);
      if (next !== null && next.toUpperCase() === 'IN') return 'NOT IN';
    }
    this.pos = start;
    return this.fail(`Invalid comparator ${this.snippet()} after '${after}' in ${this.field} ${this.quoted()}.`);
  }

  /** A value: a quoted string, a bare number, or a parenthesised list of quoted strings. */
  readValue(): ParsedValue {
    this.skipWs();
    const start = this.pos;
    const c = this.peek();
    if (c === "'" || c === '"') {
      const value = this.readQuoted();
      return { type: 'string', value, text: this.src.slice(start, this.pos) };
    }
    if (c === '(') return this.readList();
    const n = this.match(NUMBER);
    if (n !== null) return { type: 'number', value: Number(n), text: n };
    if (this.eof()) this.fail(`Missing value at the end of ${this.field} ${this.quoted()}.`);
    const bare = this.match(/[^\s()]+/y) ?? this.src.charAt(this.pos);
    if (/^(and|or)$/i.test(bare)) this.fail(`Missing value before '${bare}' in ${this.field} ${this.quoted()}.`);
    return { type: 'bare', text: bare };
  }

  private readList(): ParsedValue {
    const start = this.pos;
    this.pos++;
    const values: string[] = [];
    for (;;) {
      this.skipWs();
      const c = this.peek();
      if (c === ')' && values.length === 0) {
        this.fail(`Empty value list '()' in ${this.field} ${this.quoted()}; IN and NOT IN need at least one quoted string.`);
      }
      if (c !== "'" && c !== '"') {
        this.fail(`Expected a quoted string in the value list of ${this.field} ${this.quoted()}, found ${this.snippet()}.`);
      }
      values.push(this.readQuoted());
      this.skipWs();
      const sep = this.peek();
      this.pos++;
      if (sep === ')') break;
      if (sep !== ',') {
        this.pos--;
        this.fail(`Expected ',' or ')' in the value list of ${this.field} ${this.quoted()}, found ${this.snippet()}.`);
      }
    }
    return { type: 'list', value: values, text: this.src.slice(start, this.pos) };
  }

  /** A case-insensitive keyword that ends at a word boundary; advances past it when present. */
  keyword(word: string): boolean {
    const re = new RegExp(`${word}(?![A-Za-z0-9_])`, 'iy');
    return this.match(re) !== null;
  }
}
