/**
 * Model input: rows or columns in, signature enforced, a FeatureFrame out. Enforcement follows
 * MLflow's pyfunc rules: a missing required column is an error, extra columns are dropped
 * silently, a value of the wrong type is an error naming the column (and the row).
 */
import { HangarError } from '../../core/errors.js';
import { dateParts } from '../../data/index.js';
import type { Feature, FeatureFrame, TabularModel } from '../learners/types.js';
import type { ColumnSpec, ColumnType } from './signature.js';

/** Rows: one object per row, keyed by column name. */
export type RowsInput = ReadonlyArray<Readonly<Record<string, unknown>>>;
/** Columns: one array (or typed array) per column name, all of one length. */
export type ColumnsInput = Readonly<Record<string, ArrayLike<unknown>>>;
/** Rows as arrays (TF-serving "instances"), for tensor signatures: column `j` is named `"j"`. */
export type ArrayRowsInput = ReadonlyArray<ReadonlyArray<unknown>>;
/** What `predict` accepts. */
export type ModelInput = RowsInput | ColumnsInput | ArrayRowsInput;

/** Input normalised to columns. */
export interface InputTable {
  /** Number of rows. */
  rows: number;
  /** Column name → values, in input order. */
  columns: Map<string, ArrayLike<unknown>>;
}

function bad(message: string, field?: string): HangarError {
  return new HangarError('INVALID_PARAMETER_VALUE', message, field === undefined ? undefined : { field });
}

/**
 * Rows or columns → columns. With `only`, rows are read for those columns alone (what a
 * signature asks for; the rest would be dropped anyway), which saves a scan of every row's
 * keys. A column counts as present when at least one row has the key, as in a pandas frame
 * built from records. INVALID_PARAMETER_VALUE for ragged columns or a non-object row.
 */
export function toInputTable(input: ModelInput, only?: readonly string[]): InputTable {
  if (Array.isArray(input)) {
    const rows = input as RowsInput | ArrayRowsInput;
    const n = rows.length;
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (row === null || typeof row !== 'object') throw bad(`Row ${i} is not an object of column values.`);
    }
    // Arrays as rows (TF-serving "instances"): columns are named by position.
    const arrays = n > 0 && Array.isArray(rows[0]);
    let keys: string[];
    if (only !== undefined) keys = [...only];
    else if (arrays) keys = Array.from({ length: Math.max(...(rows as ArrayRowsInput).map((r) => r.length)) }, (_, j) => String(j));
    else {
      const seen = new Set<string>();
      for (const row of rows as RowsInput) for (const k of Object.keys(row)) seen.add(k);
      keys = [...seen];
    }
    const columns = new Map<string, unknown[]>();
    for (const k of keys) {
      const values = new Array<unknown>(n);
      let any = false;
      for (let i = 0; i < n; i++) {
        const v = (rows[i] as Readonly<Record<string, unknown>>)[k];
        values[i] = v;
        if (v !== undefined) any = true;
      }
      // An empty batch has every column (and nothing to check); otherwise a key must appear somewhere.
      if (any || only === undefined || n === 0 || rows.some((r) => Object.hasOwn(r, k))) columns.set(k, values);
    }
    return { rows: n, columns };
  }
  if (input === null || typeof input !== 'object') throw bad('Model input must be an array of row objects or an object of column arrays.');
  const columns = new Map<string, ArrayLike<unknown>>();
  let n: number | undefined;
  for (const [k, v] of Object.entries(input as ColumnsInput)) {
    if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<unknown>).length !== 'number') {
      throw bad(`Column '${k}' must be an array of values.`, k);
    }
    if (n !== undefined && v.length !== n) throw bad(`Column '${k}' has ${v.length} values; the other columns have ${n}.`, k);
    n = v.length;
    columns.set(k, v);
  }
  return { rows: n ?? 0, columns };
}

const isMissing = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

function describe(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v instanceof Date) return 'datetime';
  if (typeof v === 'number') return Number.isInteger(v) ? `long ${v}` : `double ${v}`;
  return `${typeof v} ${String(v)}`;
}

function accepts(type: ColumnSpec['type'], v: unknown): boolean {
  switch (type) {
    case 'double':
    case 'float':
      // MLflow upcasts integers to floating columns safely; booleans are not numbers there.
      return typeof v === 'number' || typeof v === 'bigint';
    case 'integer':
    case 'long':
      return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'datetime':
      return v instanceof Date || (typeof v === 'string' && !Number.isNaN(Date.parse(v))) || typeof v === 'number';
    case 'binary':
      return v instanceof Uint8Array || typeof v === 'string';
    default:
      // array, object, map: kept in the signature, not checked.
      return true;
  }
}

const FLOAT_TYPES: ReadonlySet<ColumnType | string> = new Set(['double', 'float', 'integer', 'long', 'datetime']);

/**
 * Keep the signature's columns, in signature order, checking each value's type. Extra columns
 * are dropped. INVALID_PARAMETER_VALUE naming the column when a required one is missing or a
 * value has the wrong type.
 */
export function enforceSignature(table: InputTable, spec: readonly ColumnSpec[]): InputTable {
  const missing = spec.filter((c) => c.required && c.name !== undefined && !table.columns.has(c.name)).map((c) => c.name!);
  if (missing.length > 0) {
    throw bad(`Model is missing inputs ${JSON.stringify(missing)}.`, missing[0]);
  }
  const columns = new Map<string, ArrayLike<unknown>>();
  for (const c of spec) {
    if (c.name === undefined) continue;
    const values = table.columns.get(c.name);
    if (values === undefined) continue;
    // Float64Array columns hold numbers only: nothing to check for numeric types.
    if (!(values instanceof Float64Array && FLOAT_TYPES.has(c.type) && c.type !== 'integer' && c.type !== 'long')) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (isMissing(v)) continue;
        if (!accepts(c.type, v)) {
          throw bad(`Incompatible input types for column '${c.name}': expected ${c.type}, got ${describe(v)} at row ${i}.`, c.name);
        }
      }
    }
    columns.set(c.name, values);
  }
  return { rows: table.rows, columns };
}

/** Epoch milliseconds of a datetime value (Date, ISO string or number). */
function toMillis(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    // A zone-less timestamp is wall-clock time, read as UTC as the data layer reads DuckDB's.
    const s = /[zZ]|[+-]\d\d:?\d\d$/.test(v) || !/\d[T ]\d/.test(v) ? v : `${v.replace(' ', 'T')}Z`;
    return Date.parse(s);
  }
  return NaN;
}

function numericColumn(values: ArrayLike<unknown>, rows: number): Float64Array {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (typeof v === 'number') out[i] = v;
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else if (typeof v === 'bigint') out[i] = Number(v);
    else if (v instanceof Date) out[i] = v.getTime();
    else if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) out[i] = Number(v);
    else out[i] = NaN;
  }
  return out;
}

// One lookup table per category list, so single-row predictions do not rebuild it each call.
const categoryIndexes = new WeakMap<string[], Map<string, number>>();

function categoryIndex(categories: string[]): Map<string, number> {
  let index = categoryIndexes.get(categories);
  if (index === undefined) {
    index = new Map(categories.map((c, i) => [c, i]));
    categoryIndexes.set(categories, index);
  }
  return index;
}

function categoricalColumn(values: ArrayLike<unknown>, rows: number, categories: string[]): Int32Array {
  const index = categoryIndex(categories);
  const codes = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    // Unseen categories become missing, as in training's recoding.
    codes[i] = isMissing(v) ? -1 : (index.get(String(v)) ?? -1);
  }
  return codes;
}

const DATE_PART = /^(.+)_(hour|weekday|month|day)$/;

/**
 * The FeatureFrame a tabular model's schema asks for. Absent columns become missing values; a
 * feature `c_hour`, `c_weekday`, `c_month` or `c_day` absent from the input is derived from a
 * datetime column `c` as the data layer derives it in training.
 */
export function tableToFrame(table: InputTable, schema: TabularModel['schema']): FeatureFrame {
  const n = table.rows;
  const derived = new Map<string, ReturnType<typeof dateParts>>();
  const features: Feature[] = schema.map((f): Feature => {
    let values = table.columns.get(f.name);
    if (values === undefined) {
      const m = DATE_PART.exec(f.name);
      const base = m === null ? undefined : table.columns.get(m[1]!);
      if (m !== null && base !== undefined) {
        let parts = derived.get(m[1]!);
        if (parts === undefined) {
          const ms = new Float64Array(n);
          for (let i = 0; i < n; i++) ms[i] = isMissing(base[i]) ? NaN : toMillis(base[i]);
          parts = dateParts(ms);
          derived.set(m[1]!, parts);
        }
        values = parts[m[2] as 'hour' | 'weekday' | 'month' | 'day'];
      }
    }
    if (f.kind === 'numeric') {
      return { name: f.name, kind: 'numeric', values: values === undefined ? new Float64Array(n).fill(NaN) : numericColumn(values, n) };
    }
    return {
      name: f.name,
      kind: 'categorical',
      codes: values === undefined ? new Int32Array(n).fill(-1) : categoricalColumn(values, n, f.categories),
      categories: f.categories,
    };
  });
  return { rows: n, features };
}
