/**
 * The online store port: the latest feature row per entity key of each materialised feature
 * table, read by entity keys at serving time. One interface, one adapter per engine (SQLite by
 * default, Redis and PostgreSQL at scale), chosen by the configuration's `type`; every adapter
 * passes the same behaviour suite (`online-store.behaviour.test.ts`).
 */
import type { FeatureTableSpec } from '../features/spec.js';
import { scanObject, type FieldMatcher } from './json-scan.js';

/** A feature value as the online store keeps it (timestamps are ISO-8601 strings). */
export type OnlineValue = number | string | boolean | null;

/** One row to write: the latest values of one entity key. */
export interface OnlineRow {
  /** The entity key, encoded with {@link encodeEntityKey}. */
  key: string;
  /**
   * Feature values by feature name (a missing feature reads as null), or that object already
   * serialised as JSON (materialisation has DuckDB build it, so no value passes through
   * JavaScript on its way to a store that keeps JSON).
   */
  values: Readonly<Record<string, OnlineValue>> | string;
  /** Event time of the row, epoch milliseconds. */
  eventTs: number;
  /** When the row was produced, epoch milliseconds; breaks ties between equal event times. */
  createdTs: number;
}

/** One row read back: its event time and the requested features' values, in request order. */
export interface OnlineHit {
  /** Event time, epoch milliseconds. */
  eventTs: number;
  /** Values aligned with the requested feature list; a feature the row lacks is null. */
  values: OnlineValue[];
}

/**
 * Rows read back as JSON text, for the look-up to copy into its answer without parsing them:
 * for key i, its event time and, per requested feature f, where the value's JSON text lies in
 * `texts[i]`.
 */
export interface OnlineRows {
  /** Event time of each key's row, epoch milliseconds; NaN where the key has no row. */
  eventTs: number[];
  /** Per key, the text its values lie in (several keys may share one); unused where the key has no row. */
  texts: string[];
  /**
   * Per key and requested feature, from index `2 * (i * features + f)`: the start and end
   * (exclusive) of the value's JSON text in `texts[i]`; start -1 when the row lacks the
   * feature or holds null.
   */
  spans: number[];
}

/** Rows for `keys` keys and `features` features with nothing found yet. */
export function emptyRows(keys: number, features: number): OnlineRows {
  return { eventTs: new Array<number>(keys).fill(NaN), texts: new Array<string>(keys).fill(''), spans: new Array<number>(2 * keys * features).fill(-1) };
}

/**
 * Put one stored row at key slot `i` of `out`: its event time, the text it is in, and where each
 * of the `nf` requested features lies in the JSON object that starts at `text[start]`.
 */
export function placeRow(out: OnlineRows, i: number, eventTs: number, text: string, start: number, matcher: FieldMatcher, nf: number): void {
  out.eventTs[i] = eventTs;
  out.texts[i] = text;
  scanObject(text, start, text.length, matcher, out.spans, 2 * i * nf);
}

/** What the online store knows about one materialised table. */
export interface OnlineTableState {
  /** The feature table's spec as it was when last registered (materialisation registers it). */
  spec: FeatureTableSpec;
  /** The `end` of the last materialisation (epoch ms), or null when none has finished. */
  materializedEnd: number | null;
  /** When the spec or the state last changed, epoch ms. */
  updatedAt: number;
}

/**
 * The online store. Adapters keep rows per (table, entity key); a write never replaces a stored
 * row with an older one, so concurrent or repeated materialisations converge on the latest
 * row. Errors: INVALID_PARAMETER_VALUE for a table name the engine cannot hold,
 * TEMPORARILY_UNAVAILABLE when the engine cannot be reached.
 */
export interface OnlineStore {
  /** The adapter's type: `sqlite`, `redis` or `postgres`. */
  readonly type: string;
  /**
   * Record (or replace) a table's spec and create its storage. Keeps the materialisation state
   * and the rows already written; rows lacking a feature added since read it as null.
   */
  registerTable(spec: FeatureTableSpec, now: number): Promise<void>;
  /** The state of one table, or undefined when it was never registered. */
  getTable(name: string): Promise<OnlineTableState | undefined>;
  /** Every registered table, by name. */
  listTables(): Promise<OnlineTableState[]>;
  /**
   * Upsert rows of a registered table. A row replaces the stored one for its key only when its
   * event time is later, or equal with a created time at least as late; older rows are
   * skipped. Returns how many rows were stored. RESOURCE_DOES_NOT_EXIST for an unregistered table.
   */
  write(table: string, rows: readonly OnlineRow[]): Promise<number>;
  /**
   * Read the rows of `keys` (encoded entity keys) with the values of `features`, one batched
   * round trip. Result slot i answers `keys[i]`: undefined when the key has no row.
   */
  read(table: string, keys: readonly string[], features: readonly string[]): Promise<Array<OnlineHit | undefined>>;
  /**
   * The same rows as {@link read}, with each value as its JSON text in place (what the look-up
   * copies into its answer). RESOURCE_DOES_NOT_EXIST for an unregistered table.
   */
  readRaw(table: string, keys: readonly string[], features: readonly string[]): Promise<OnlineRows>;
  /** Record the end of a finished materialisation. RESOURCE_DOES_NOT_EXIST for an unregistered table. */
  setMaterializedEnd(table: string, end: number, now: number): Promise<void>;
  /** Remove a table: its rows, its spec and its state. No error when it does not exist. */
  deleteTable(name: string): Promise<void>;
  /** Release connections and handles. Safe to call twice. */
  close(): Promise<void>;
}

/** Decode raw rows into hits (what {@link OnlineStore.read} answers), one JSON.parse per value. */
export function hitsOf(rows: OnlineRows, features: number): Array<OnlineHit | undefined> {
  const out = new Array<OnlineHit | undefined>(rows.eventTs.length);
  for (let i = 0; i < out.length; i++) {
    const ts = rows.eventTs[i]!;
    if (Number.isNaN(ts)) continue;
    const values = new Array<OnlineValue>(features);
    const text = rows.texts[i]!;
    for (let f = 0; f < features; f++) {
      const at = 2 * (i * features + f);
      const start = rows.spans[at]!;
      values[f] = start < 0 ? null : (JSON.parse(text.slice(start, rows.spans[at + 1])) as OnlineValue);
    }
    out[i] = { eventTs: ts, values };
  }
  return out;
}

/** An entity-key component: strings for `string` keys, integers for `long` keys. */
export type KeyPart = string | number | bigint;

/**
 * The encoding every adapter stores keys under: the key columns' values as the inside of a
 * JSON array (`"SFO","LAX"`, `1001`), so that composite keys never collide and the same values
 * encode the same way on the write and the read side. Integers must already be integers.
 */
export function encodeEntityKey(parts: readonly KeyPart[]): string {
  if (parts.length === 1) return encodePart(parts[0]!);
  let out = '';
  for (let i = 0; i < parts.length; i++) out += (i === 0 ? '' : ',') + encodePart(parts[i]!);
  return out;
}

function encodePart(p: KeyPart): string {
  return typeof p === 'string' ? JSON.stringify(p) : String(p);
}

/** Table names every adapter accepts: they become part of SQL identifiers and Redis keys. */
export const ONLINE_TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A store URL with any user and password hidden (`redis://***@host:6379`), for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
