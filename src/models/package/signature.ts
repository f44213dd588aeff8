/**
 * Model signatures as MLflow writes them: column-based (`{"type", "name", "required"}`) or
 * tensor-based (`{"type": "tensor", "tensor-spec": {dtype, shape}}`) schemas, stored in the
 * MLmodel file as JSON strings (semantics.md §d, MLflow 2.12 types/schema.py).
 */
import { HangarError } from '../../core/errors.js';
import type { FeatureFrame } from '../learners/types.js';

/** MLflow's scalar column types. */
export const COLUMN_TYPES = ['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** One named column of a column-based schema. */
export interface ColumnSpec {
  /** Discriminates column specs from tensor specs. */
  kind: 'column';
  /** Column name; MLflow allows unnamed columns, which Hangar keeps as `undefined`. */
  name: string | undefined;
  /** A scalar type, or MLflow's `array` / `object` / `map` (kept, not enforced). */
  type: ColumnType | 'array' | 'object' | 'map';
  /** False when the column may be absent from the input. MLflow's default is true. */
  required: boolean;
  /** The spec as read, so that fields Hangar does not interpret survive a round trip. */
  raw?: Record<string, unknown>;
}

/** One tensor of a tensor-based schema. */
export interface TensorSpec {
  /** Discriminates tensor specs from column specs. */
  kind: 'tensor';
  /** Tensor name, when named. */
  name: string | undefined;
  /** numpy dtype name, e.g. `float64`. */
  dtype: string;
  /** Shape; -1 is a variable dimension. */
  shape: number[];
}

export type SchemaItem = ColumnSpec | TensorSpec;

/** A parameter accepted at inference time. */
export interface ParamSpec {
  /** Parameter name. */
  name: string;
  /** MLflow type name (`double`, `string`, …). */
  type: string;
  /** Value used when the caller passes none. */
  default: unknown;
  /** Shape for array parameters; null for scalars. */
  shape?: number[] | null;
}

/** A model signature: what `predict` takes and returns. */
export interface ModelSignature {
  /** The input schema (columns or tensors). */
  inputs: SchemaItem[];
  /** The output schema; absent when unknown. */
  outputs?: SchemaItem[] | undefined;
  /** Inference parameters; absent when none. */
  params?: ParamSpec[] | undefined;
}

/** The MLmodel form: each part a JSON string, or null. */
export interface WireSignature {
  /** JSON list of input specs. */
  inputs: string | null;
  /** JSON list of output specs, or null. */
  outputs: string | null;
  /** JSON list of param specs, or null. */
  params: string | null;
}

export function column(name: string, type: ColumnType, required = true): ColumnSpec {
  return { kind: 'column', name, type, required };
}

// --- to and from the MLmodel form ---------------------------------------------------------

function itemToWire(item: SchemaItem): Record<string, unknown> {
  if (item.kind === 'tensor') {
    const out: Record<string, unknown> = { type: 'tensor', 'tensor-spec': { dtype: item.dtype, shape: item.shape } };
    if (item.name !== undefined) out.name = item.name;
    return out;
  }
  // Key order as MLflow writes it: type, name, required.
  const out: Record<string, unknown> = { ...item.raw, type: item.type };
  if (item.name !== undefined) out.name = item.name;
  out.required = item.required;
  return out;
}

export function signatureToWire(sig: ModelSignature): WireSignature {
  return {
    inputs: JSON.stringify(sig.inputs.map(itemToWire)),
    outputs: sig.outputs === undefined ? null : JSON.stringify(sig.outputs.map(itemToWire)),
    params: sig.params === undefined ? null : JSON.stringify(sig.params),
  };
}

function bad(message: string, field: string): HangarError {
  return new HangarError('INVALID_PARAMETER_VALUE', message, { field });
}

function itemFromWire(x: unknown, where: string): SchemaItem {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw bad(`${where}: each schema entry must be a JSON object.`, where);
  const o = x as Record<string, unknown>;
  const name = typeof o.name === 'string' ? o.name : undefined;
  if (o.type === 'tensor') {
    const spec = o['tensor-spec'] as { dtype?: unknown; shape?: unknown } | undefined;
    if (spec === undefined || typeof spec.dtype !== 'string' || !Array.isArray(spec.shape)) {
      throw bad(`${where}: a tensor entry needs "tensor-spec" with "dtype" and "shape".`, where);
    }
    return { kind: 'tensor', name, dtype: spec.dtype, shape: spec.shape.map(Number) };
  }
  const type = o.type;
  const known: readonly string[] = [...COLUMN_TYPES, 'array', 'object', 'map'];
  if (typeof type !== 'string' || !known.includes(type)) {
    throw bad(`${where}: column type ${JSON.stringify(type)} is not one of ${known.join(', ')}.`, where);
  }
  const { type: _t, name: _n, required, ...rest } = o;
  const spec: ColumnSpec = { kind: 'column', name, type: type as ColumnSpec['type'], required: required !== false };
  if (Object.keys(rest).length > 0) spec.raw = rest;
  return spec;
}

function partFromWire(s: unknown, field: string): SchemaItem[] | undefined {
  if (s === null || s === undefined) return undefined;
  // MLflow writes JSON strings; a hand-written MLmodel may hold the list itself.
  let parsed: unknown = s;
  if (typeof s === 'string') {
    try {
      parsed = JSON.parse(s);
    } catch {
      throw bad(`signature.${field} is not valid JSON.`, `signature.${field}`);
    }
  }
  if (!Array.isArray(parsed)) throw bad(`signature.${field} must be a JSON list of column or tensor specs.`, `signature.${field}`);
  return parsed.map((x, i) => itemFromWire(x, `signature.${field}[${i}]`));
}

export function signatureFromWire(w: unknown): ModelSignature | undefined {
  if (w === null || w === undefined) return undefined;
  if (typeof w !== 'object') throw bad('signature must be a mapping with inputs, outputs and params.', 'signature');
  const o = w as Record<string, unknown>;
  const inputs = partFromWire(o.inputs, 'inputs');
  if (inputs === undefined) return undefined;
  const sig: ModelSignature = { inputs };
  const outputs = partFromWire(o.outputs, 'outputs');
  if (outputs !== undefined) sig.outputs = outputs;
  if (o.params !== null && o.params !== undefined) {
    const p = typeof o.params === 'string' ? (JSON.parse(o.params) as unknown) : o.params;
    if (!Array.isArray(p)) throw bad('signature.params must be a JSON list.', 'signature.params');
    sig.params = p as ParamSpec[];
  }
  return sig;
}

/** True when the input schema is named columns (what Hangar's flavors enforce on predict). */
export function isColumnSchema(items: SchemaItem[]): items is ColumnSpec[] {
  return items.length > 0 && items.every((i) => i.kind === 'column');
}

// --- inference ---------------------------------------------------------------------------

/** Column types of a feature frame: numeric → double, categorical → string. */
export function inferSignatureFromFrame(frame: FeatureFrame, outputs?: SchemaItem[]): ModelSignature {
  const sig: ModelSignature = { inputs: frame.features.map((f) => column(f.name, f.kind === 'numeric' ? 'double' : 'string')) };
  if (outputs !== undefined) sig.outputs = outputs;
  return sig;
}

/** The MLflow type of one JSON-ish value, or undefined for a missing one. */
export function typeOfValue(v: unknown): ColumnType | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : Number.isInteger(v) ? 'long' : 'double';
  if (typeof v === 'bigint') return 'long';
  if (typeof v === 'string') return 'string';
  if (v instanceof Date) return 'datetime';
  if (v instanceof Uint8Array) return 'binary';
  return undefined;
}

/**
 * Infer a column schema from example rows: integers are `long` unless a float appears in the
 * same column (then `double`), as pandas would type them; a column with a missing value in
 * some row is not required.
 */
export function inferSignatureFromRows(rows: ReadonlyArray<Record<string, unknown>>): ModelSignature {
  const order: string[] = [];
  const types = new Map<string, ColumnType | undefined>();
  const missing = new Set<string>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (!types.has(k)) {
        order.push(k);
        types.set(k, undefined);
      }
      const t = typeOfValue(v);
      if (t === undefined) {
        missing.add(k);
        continue;
      }
      const prev = types.get(k);
      if (prev === undefined || prev === t) types.set(k, t);
      else if ((prev === 'long' && t === 'double') || (prev === 'double' && t === 'long')) types.set(k, 'double');
      else throw bad(`Column '${k}' mixes ${prev} and ${t} values; give the signature explicitly.`, k);
    }
  }
  for (const k of order) if (rows.some((r) => !(k in r))) missing.add(k);
  return { inputs: order.map((k) => column(k, types.get(k) ?? 'string', !missing.has(k))) };
}

/** A table column as the data layer types it (`readTable`). */
export interface TypedColumn {
  /** Column name. */
  name: string;
  /** The data layer's column type. */
  type: 'number' | 'boolean' | 'timestamp' | 'string';
}

/**
 * The signature of a table's raw columns (number → double, boolean → boolean, timestamp →
 * datetime, string → string), leaving out the target and excluded columns. This is what a
 * caller sends to predict, before derived features (date parts) are computed.
 */
export function inferSignatureFromColumns(columns: readonly TypedColumn[], exclude: readonly string[] = []): ModelSignature {
  const skip = new Set(exclude);
  const types: Record<TypedColumn['type'], ColumnType> = { number: 'double', boolean: 'boolean', timestamp: 'datetime', string: 'string' };
  return { inputs: columns.filter((c) => !skip.has(c.name)).map((c) => column(c.name, types[c.type])) };
}
