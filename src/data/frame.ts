import { invalidParam } from '../core/errors.js';
import { getColumn, type Column, type Table } from './table.js';

/**
 * From a table to what a learner trains on: feature columns, labels and class labels.
 *
 * Derived date features: a timestamp column `c` becomes four numeric features, computed in
 * UTC from its epoch milliseconds (DuckDB's zone-less TIMESTAMP is wall-clock time, so UTC
 * fields are the wall-clock fields): `c_hour` (0–23), `c_weekday` (0 = Sunday … 6), `c_month`
 * (1–12) and `c_day` (day of month, 1–31). The raw timestamp itself is not a feature: it only
 * grows, so a model would learn the calendar of its training window. A part can be left out
 * with `exclude` (e.g. `c_month` when the holdout lies in months the training data lacks).
 */

// The frame shapes below are the learner contract's (models/learners/types.ts), restated here
// because data sits below models in the layering; TypeScript's structural typing makes a
// PreparedData frame a models FeatureFrame, and train.ts hands one to the other.

export type Problem = 'binary' | 'multiclass' | 'regression';

export type Feature =
  | { name: string; kind: 'numeric'; /** One value per row; NaN marks a missing value. */ values: Float64Array }
  | { name: string; kind: 'categorical'; /** Index into `categories`; -1 marks a missing or unknown value. */ codes: Int32Array; categories: string[] };

export interface FeatureFrame {
  /** Number of rows. */
  rows: number;
  /** The feature columns. */
  features: Feature[];
}

export interface FeatureFrameOptions {
  /** The label column. */
  target: string;
  /** The problem; inferred from the target when absent (see `inferProblem`). */
  problem?: Problem;
  /** Columns that are not features (besides the target), or derived date parts to leave out (`date_month`). */
  exclude?: string[];
  /**
   * Category lists to encode with, by feature name (a model's schema): codes then index these
   * lists, and a value not in the list becomes -1 (missing), as at prediction time.
   */
  categories?: Record<string, string[]>;
  /** Class labels to map the target onto (a trained model's), so that indices match; a label not in the list is an error. */
  classLabels?: string[];
}

export interface PreparedData {
  /** The features. */
  frame: FeatureFrame;
  /** Regression targets, or class indices into `classLabels`. */
  labels: Float64Array;
  /** The problem, as given or inferred. */
  problem: Problem;
  /** Class labels in index order (classification only). */
  classLabels?: string[];
  /** Rows dropped because their target was missing. */
  droppedRows: number;
}

/** Numeric targets with at most this many distinct whole values are multiclass when not binary. */
export const MAX_INFERRED_CLASSES = 20;

/**
 * The problem a target column poses: string or boolean targets, or any target with at most
 * two distinct values, are binary; a string target with more values, or whole numbers with at
 * most 20 distinct values, multiclass; anything else regression.
 */
export function inferProblem(column: Column): Problem {
  if (column.type === 'boolean') return 'binary';
  if (column.type === 'string') {
    const used = new Set<number>();
    for (const c of column.codes) if (c >= 0) used.add(c);
    return used.size <= 2 ? 'binary' : 'multiclass';
  }
  const distinct = new Set<number>();
  let whole = true;
  for (const v of column.values) {
    if (Number.isNaN(v)) continue;
    if (!Number.isInteger(v)) whole = false;
    if (distinct.size <= MAX_INFERRED_CLASSES) distinct.add(v);
    else if (!whole) break;
  }
  if (distinct.size <= 2) return 'binary';
  if (whole && distinct.size <= MAX_INFERRED_CLASSES) return 'multiclass';
  return 'regression';
}

/** Labels for the target; class labels are text (`"0"`, `"true"`, `"cat"`). */
function encodeTarget(column: Column, problem: Problem, given: string[] | undefined): { labels: Float64Array; classLabels?: string[]; missing: Uint8Array } {
  const n = column.type === 'string' ? column.codes.length : column.values.length;
  const labels = new Float64Array(n);
  const missing = new Uint8Array(n);
  if (problem === 'regression') {
    if (column.type === 'string') throw invalidParam(`Target '${column.name}' holds text; a regression target must be numeric`, 'target');
    for (let i = 0; i < n; i++) {
      const v = column.values[i]!;
      labels[i] = v;
      if (Number.isNaN(v)) missing[i] = 1;
    }
    return { labels, missing };
  }
  // Class labels are text; each distinct raw value (a code, a number) is looked up once.
  const text = column.type === 'boolean' ? (v: number) => (v === 1 ? 'true' : 'false') : (v: number) => String(v);
  let found: string[];
  if (column.type === 'string') {
    const used = new Uint8Array(column.categories.length);
    for (const c of column.codes) if (c >= 0) used[c] = 1;
    found = column.categories.filter((_, i) => used[i] === 1);
  } else if (column.type === 'boolean') {
    found = ['false', 'true'];
  } else {
    const distinct = new Set<number>();
    for (const v of column.values) if (!Number.isNaN(v)) distinct.add(v);
    found = [...distinct].sort((a, b) => a - b).map(text);
  }
  const classLabels = given ?? found;
  if (problem === 'binary' && classLabels.length > 2) {
    throw invalidParam(`Target '${column.name}' has ${classLabels.length} classes (${classLabels.slice(0, 5).join(', ')}${classLabels.length > 5 ? ', …' : ''}); binary needs at most 2`, 'target');
  }
  const index = new Map(classLabels.map((l, i) => [l, i]));
  const classOf = (label: string): number => {
    const k = index.get(label);
    if (k === undefined) throw invalidParam(`Target '${column.name}' holds class '${label}', which the model does not know (classes: ${classLabels.join(', ')})`, 'target');
    return k;
  };
  if (column.type === 'string') {
    const byCode = new Int32Array(column.categories.length).fill(-1);
    const codes = column.codes;
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (c < 0) {
        missing[i] = 1;
        continue;
      }
      if (byCode[c] === -1) byCode[c] = classOf(column.categories[c]!);
      labels[i] = byCode[c]!;
    }
  } else {
    const byValue = new Map<number, number>();
    const values = column.values;
    let lastValue = NaN;
    let lastClass = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) {
        missing[i] = 1;
        continue;
      }
      if (v !== lastValue) {
        let k = byValue.get(v);
        if (k === undefined) byValue.set(v, (k = classOf(text(v))));
        lastValue = v;
        lastClass = k;
      }
      labels[i] = lastClass;
    }
  }
  return { labels, classLabels, missing };
}

const DAY_MS = 86_400_000;

/** The features a timestamp column `c` becomes: `c_hour`, `c_weekday`, `c_month`, `c_day`. */
export const DATE_PARTS = ['hour', 'weekday', 'month', 'day'] as const;

/** Hour, weekday, month and day of month of epoch-ms timestamps, in UTC (NaN stays NaN). */
export function dateParts(ms: Float64Array): { hour: Float64Array; weekday: Float64Array; month: Float64Array; day: Float64Array } {
  const n = ms.length;
  const hour = new Float64Array(n);
  const weekday = new Float64Array(n);
  const month = new Float64Array(n);
  const day = new Float64Array(n);
  // Rows of one day share its calendar fields, and data usually comes grouped by time, so the
  // civil date is computed once per run of equal days.
  let lastDays = NaN;
  let wd = 0;
  let mo = 0;
  let dm = 0;
  for (let i = 0; i < n; i++) {
    const t = ms[i]!;
    if (Number.isNaN(t)) {
      hour[i] = weekday[i] = month[i] = day[i] = NaN;
      continue;
    }
    const days = Math.floor(t / DAY_MS);
    hour[i] = Math.floor((t - days * DAY_MS) / 3_600_000);
    if (days !== lastDays) {
      lastDays = days;
      // 1970-01-01 was a Thursday (4 with Sunday = 0).
      wd = (((days + 4) % 7) + 7) % 7;
      // Civil date from a day count (Howard Hinnant's civil_from_days), no Date objects.
      const z = days + 719_468;
      const era = Math.floor(z / 146_097);
      const doe = z - era * 146_097;
      const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
      const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
      const mp = Math.floor((5 * doy + 2) / 153);
      dm = doy - Math.floor((153 * mp + 2) / 5) + 1;
      mo = mp < 10 ? mp + 3 : mp - 9;
    }
    weekday[i] = wd;
    month[i] = mo;
    day[i] = dm;
  }
  return { hour, weekday, month, day };
}

function recode(codes: Int32Array, from: string[], to: string[]): Int32Array {
  const index = new Map(to.map((c, i) => [c, i]));
  const map = Int32Array.from(from, (c) => index.get(c) ?? -1);
  const out = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    out[i] = c >= 0 ? map[c]! : -1;
  }
  return out;
}

/** The features a table yields, target and excluded columns left out. */
export function tableFeatures(table: Table, options: Pick<FeatureFrameOptions, 'target' | 'exclude' | 'categories'>): Feature[] {
  const skip = new Set([options.target, ...(options.exclude ?? [])]);
  const derived = new Set(table.columns.filter((c) => c.type === 'timestamp').flatMap((c) => DATE_PARTS.map((p) => `${c.name}_${p}`)));
  for (const name of options.exclude ?? []) if (!derived.has(name)) getColumn(table, name);
  const features: Feature[] = [];
  for (const col of table.columns) {
    if (skip.has(col.name)) continue;
    switch (col.type) {
      case 'number':
      case 'boolean':
        features.push({ name: col.name, kind: 'numeric', values: col.values });
        break;
      case 'timestamp': {
        const p = dateParts(col.values);
        for (const part of DATE_PARTS) if (!skip.has(`${col.name}_${part}`)) features.push({ name: `${col.name}_${part}`, kind: 'numeric', values: p[part] });
        break;
      }
      case 'string': {
        const fixed = options.categories?.[col.name];
        if (fixed) features.push({ name: col.name, kind: 'categorical', codes: recode(col.codes, col.categories, fixed), categories: fixed });
        else features.push({ name: col.name, kind: 'categorical', codes: col.codes, categories: col.categories });
        break;
      }
    }
  }
  return features;
}

function take(feature: Feature, keep: Int32Array): Feature {
  if (feature.kind === 'numeric') {
    const v = new Float64Array(keep.length);
    for (let i = 0; i < keep.length; i++) v[i] = feature.values[keep[i]!]!;
    return { ...feature, values: v };
  }
  const c = new Int32Array(keep.length);
  for (let i = 0; i < keep.length; i++) c[i] = feature.codes[keep[i]!]!;
  return { ...feature, codes: c };
}

/**
 * Features, labels and class labels for training or evaluation. Rows whose target is missing
 * are dropped (and counted). INVALID_PARAMETER_VALUE for an unknown target or excluded column,
 * a text regression target, more than two classes for binary, or a class outside `classLabels`.
 */
export function toFeatureFrame(table: Table, options: FeatureFrameOptions): PreparedData {
  const targetCol = getColumn(table, options.target);
  const problem = options.problem ?? inferProblem(targetCol);
  const { labels, classLabels, missing } = encodeTarget(targetCol, problem, options.classLabels);
  let features = tableFeatures(table, options);
  let rows = table.rows;
  let out = labels;
  let dropped = 0;
  for (const m of missing) dropped += m;
  if (dropped > 0) {
    const keep = new Int32Array(rows - dropped);
    let k = 0;
    for (let i = 0; i < rows; i++) if (missing[i] === 0) keep[k++] = i;
    features = features.map((f) => take(f, keep));
    out = Float64Array.from(keep, (i) => labels[i]!);
    rows = keep.length;
  }
  if (problem === 'multiclass' && classLabels && classLabels.length < 2) throw invalidParam(`Target '${options.target}' has fewer than two classes`, 'target');
  const result: PreparedData = { frame: { rows, features }, labels: out, problem, droppedRows: dropped };
  if (classLabels) result.classLabels = classLabels;
  return result;
}
