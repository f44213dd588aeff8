import { HangarError, invalidParam } from '../../core/errors.js';
import type { Column, Table } from '../../data/index.js';
import { chiSquared, jensenShannon, lInfinity, totalVariation, zTestProportions } from './categorical.js';
import { binCountsSorted, ksTwoSampleSorted, mergedWalk, psiFromCounts, quantileEdges, wassersteinNormedSorted, type MergedWalk } from './numeric.js';
import { sortedValues, sortValuesInPlace } from './sort.js';

/**
 * Drift of one column between a reference (baseline) sample and a current sample, with the
 * method chosen per column type and size as Evidently does by default (semantics §f), and the
 * dataset verdict over all columns.
 */

/** The drift methods. p-value methods: ks, chisquare, ztest; the others are distances. */
export const DRIFT_METHODS = ['ks', 'wasserstein', 'psi', 'chisquare', 'jensenshannon', 'tvd', 'linf', 'ztest'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];

/** Default threshold per method (Evidently's defaults; Hangar's for tvd and linf). */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = Object.freeze({
  ks: 0.05,
  chisquare: 0.05,
  ztest: 0.05,
  wasserstein: 0.1,
  psi: 0.1,
  jensenshannon: 0.1,
  tvd: 0.1,
  linf: 0.1,
});

/** True for the methods whose verdict reads a p-value (drift when it is below the threshold). */
export function isPValueMethod(m: DriftMethod): boolean {
  return m === 'ks' || m === 'chisquare' || m === 'ztest';
}

/** Reference sizes up to which the small-sample tests are chosen (Evidently: ≤ 1000 rows). */
export const SMALL_REFERENCE_ROWS = 1000;
/** Default share of drifted columns at which the dataset counts as drifted. */
export const DEFAULT_DRIFT_SHARE = 0.5;
/** Numeric columns with at most this many distinct values are compared value by value in the binned statistics. */
export const DISCRETE_MAX_VALUES = 20;

export type ColumnKind = 'numeric' | 'categorical';

/** A column ready for the statistics: sorted values for numbers, counts per category for strings. */
export interface PreparedColumn {
  /** Column name. */
  name: string;
  /** numeric (number, boolean, timestamp columns) or categorical (string columns). */
  kind: ColumnKind;
  /** Non-missing values in the reference and the current sample. */
  referenceRows: number;
  currentRows: number;
  /** Missing values (NaN or null) in each sample. */
  referenceMissing: number;
  currentMissing: number;
  /** Distinct non-missing values of reference ∪ current. */
  nunique: number;
  /** numeric: each sample's values, sorted ascending, missing dropped. */
  sorted?: { ref: Float64Array; cur: Float64Array };
  /** numeric: the one merged pass over both sorted samples (KS differences, Wasserstein, distinct values). */
  walk?: MergedWalk;
  /** categorical (and discrete numeric on demand): labels and the count of each in each sample. */
  counts?: CategoryCounts;
}

/** Counts per category, the same category order on both sides. */
export interface CategoryCounts {
  labels: string[];
  ref: Float64Array;
  cur: Float64Array;
}

/** Per-column choices; anything left out takes the automatic default. */
export interface ColumnDriftOptions {
  /** Force this method instead of the automatic choice. */
  method?: DriftMethod;
  /** Threshold for the verdict (default: `DEFAULT_THRESHOLDS[method]`). */
  threshold?: number;
  /** Bins for PSI and for binning numbers in the categorical statistics (default 10). */
  bins?: number;
}

/** One column's drift. */
export interface ColumnDrift {
  column: string;
  type: ColumnKind;
  method: DriftMethod;
  /** The method's statistic (the distance itself for distances); null when a side is empty. +Infinity is possible for χ². */
  statistic: number | null;
  /** p-value for ks, chisquare and ztest; null for distances or when a side is empty. */
  pvalue: number | null;
  threshold: number;
  /** p-value methods: p < threshold (ks: p ≤ threshold); distances: statistic ≥ threshold. Never true for an empty side. */
  drifted: boolean;
  /** True when either sample has no non-missing value: nothing is computed. */
  empty: boolean;
  nunique: number;
  referenceRows: number;
  currentRows: number;
  referenceMissing: number;
  currentMissing: number;
}

function kindOf(c: Column): ColumnKind {
  return c.type === 'string' ? 'categorical' : 'numeric';
}

/**
 * Sorts and counts both samples of a column once, for every statistic and chart that follows.
 * `inPlace`: sort the columns' own arrays (their order is lost) instead of copies.
 */
export function prepareColumn(ref: Column, cur: Column, inPlace = false): PreparedColumn {
  const kind = kindOf(ref);
  if (kindOf(cur) !== kind) {
    throw invalidParam(`Column '${ref.name}' is ${kind} in the reference but ${kindOf(cur)} in the current data`, ref.name);
  }
  if (ref.type === 'string' && cur.type === 'string') {
    const counts = categoryCounts(ref.codes, ref.categories, cur.codes, cur.categories);
    const rr = sum(counts.ref);
    const cr = sum(counts.cur);
    return {
      name: ref.name,
      kind,
      referenceRows: rr,
      currentRows: cr,
      referenceMissing: ref.codes.length - rr,
      currentMissing: cur.codes.length - cr,
      nunique: counts.labels.length,
      counts,
    };
  }
  if (ref.type === 'string' || cur.type === 'string') throw new HangarError('INTERNAL_ERROR', 'unreachable column kind');
  const sort = inPlace ? sortValuesInPlace : sortedValues;
  return prepareNumeric(ref.name, sort(ref.values), sort(cur.values), ref.values.length, cur.values.length);
}

/** A numeric column from samples already sorted ascending without NaN (`total*` count the missing too). */
export function prepareNumeric(name: string, ref: Float64Array, cur: Float64Array, totalRef = ref.length, totalCur = cur.length): PreparedColumn {
  const walk = mergedWalk(ref, cur);
  return {
    name,
    kind: 'numeric',
    referenceRows: ref.length,
    currentRows: cur.length,
    referenceMissing: totalRef - ref.length,
    currentMissing: totalCur - cur.length,
    nunique: walk.distinct,
    sorted: { ref, cur },
    walk,
  };
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/** Counts per category over the union of both dictionaries (reference order, then new current ones); categories absent from both are dropped. */
export function categoryCounts(refCodes: Int32Array, refCats: readonly string[], curCodes: Int32Array, curCats: readonly string[]): CategoryCounts {
  const rc = new Float64Array(refCats.length);
  for (let i = 0; i < refCodes.length; i++) {
    const c = refCodes[i]!;
    if (c >= 0) rc[c]!++;
  }
  const cc = new Float64Array(curCats.length);
  for (let i = 0; i < curCodes.length; i++) {
    const c = curCodes[i]!;
    if (c >= 0) cc[c]!++;
  }
  const index = new Map<string, number>();
  const labels: string[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  refCats.forEach((label, i) => {
    if (rc[i] === 0) return;
    index.set(label, labels.length);
    labels.push(label);
    ref.push(rc[i]!);
    cur.push(0);
  });
  curCats.forEach((label, i) => {
    if (cc[i] === 0) return;
    let k = index.get(label);
    if (k === undefined) {
      k = labels.length;
      index.set(label, k);
      labels.push(label);
      ref.push(0);
      cur.push(0);
    }
    cur[k]! += cc[i]!;
  });
  return { labels, ref: Float64Array.from(ref), cur: Float64Array.from(cur) };
}

/** Counts per distinct value of two sorted samples (labels are the values as text). */
export function distinctValueCounts(a: Float64Array, b: Float64Array): CategoryCounts {
  const labels: string[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    const i0 = i;
    const j0 = j;
    while (i < a.length && a[i]! === v) i++;
    while (j < b.length && b[j]! === v) j++;
    labels.push(String(v));
    ref.push(i - i0);
    cur.push(j - j0);
  }
  return { labels, ref: Float64Array.from(ref), cur: Float64Array.from(cur) };
}

/**
 * The distribution a binned statistic compares: categories as they are; numbers value by value
 * when they have at most `DISCRETE_MAX_VALUES` distinct values, else in `bins` baseline-quantile bins.
 */
export function binnedCounts(p: PreparedColumn, bins = 10): CategoryCounts {
  if (p.counts) return p.counts;
  const s = p.sorted!;
  if (p.nunique <= DISCRETE_MAX_VALUES) return (p.counts = distinctValueCounts(s.ref, s.cur));
  const edges = quantileEdges(s.ref, bins);
  const labels = edges.map((e, k) => (k === 0 ? `≤ ${e}` : `(${edges[k - 1]}, ${e}]`));
  labels.push(`> ${edges[edges.length - 1]}`);
  return { labels, ref: binCountsSorted(s.ref, edges), cur: binCountsSorted(s.cur, edges) };
}

/**
 * Evidently's default method for a column (semantics §f), from its kind, the reference size
 * (non-missing rows) and the distinct values of reference ∪ current.
 */
export function chooseMethod(kind: ColumnKind, referenceRows: number, nunique: number): DriftMethod {
  if (referenceRows > SMALL_REFERENCE_ROWS) return kind === 'numeric' && nunique > 5 ? 'wasserstein' : 'jensenshannon';
  if (kind === 'numeric') return nunique > 5 ? 'ks' : nunique > 2 ? 'chisquare' : 'ztest';
  return nunique > 2 ? 'chisquare' : 'ztest';
}

/** The drift of a prepared column: the method (chosen or forced), its statistic and the verdict. */
export function driftOfPrepared(p: PreparedColumn, options: ColumnDriftOptions = {}): ColumnDrift {
  const method = options.method ?? chooseMethod(p.kind, p.referenceRows, p.nunique);
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[method];
  const base = {
    column: p.name,
    type: p.kind,
    method,
    threshold,
    nunique: p.nunique,
    referenceRows: p.referenceRows,
    currentRows: p.currentRows,
    referenceMissing: p.referenceMissing,
    currentMissing: p.currentMissing,
  };
  if (p.referenceRows === 0 || p.currentRows === 0) return { ...base, statistic: null, pvalue: null, drifted: false, empty: true };
  const { statistic, pvalue } = compute(p, method, options.bins ?? 10);
  let drifted: boolean;
  if (pvalue !== null) drifted = method === 'ks' ? pvalue <= threshold : pvalue < threshold;
  else drifted = statistic >= threshold;
  return { ...base, statistic, pvalue, drifted, empty: false };
}

function compute(p: PreparedColumn, method: DriftMethod, bins: number): { statistic: number; pvalue: number | null } {
  if (method === 'ks' || method === 'wasserstein' || (method === 'psi' && p.kind === 'numeric')) {
    if (!p.sorted) throw invalidParam(`Method '${method}' needs a numeric column; '${p.name}' is categorical`, p.name);
    const { ref, cur } = p.sorted;
    if (method === 'ks') {
      const r = ksTwoSampleSorted(ref, cur, p.walk);
      return { statistic: r.statistic, pvalue: r.pvalue };
    }
    if (method === 'wasserstein') return { statistic: wassersteinNormedSorted(ref, cur, p.walk), pvalue: null };
    const edges = quantileEdges(ref, bins);
    return { statistic: psiFromCounts(binCountsSorted(ref, edges), binCountsSorted(cur, edges)), pvalue: null };
  }
  const c = binnedCounts(p, bins);
  switch (method) {
    case 'psi':
      return { statistic: psiFromCounts(c.ref, c.cur), pvalue: null };
    case 'chisquare': {
      const r = chiSquared(c.ref, c.cur);
      return { statistic: r.statistic, pvalue: r.pvalue };
    }
    case 'jensenshannon':
      return { statistic: jensenShannon(c.ref, c.cur), pvalue: null };
    case 'tvd':
      return { statistic: totalVariation(c.ref, c.cur), pvalue: null };
    case 'linf':
      return { statistic: lInfinity(c.ref, c.cur), pvalue: null };
    case 'ztest': {
      // The share of the reference's most frequent category (the only one with two categories).
      let k = 0;
      for (let i = 1; i < c.ref.length; i++) if (c.ref[i]! > c.ref[k]!) k = i;
      const r = zTestProportions(c.ref[k] ?? 0, sum(c.ref), c.cur[k] ?? 0, sum(c.cur));
      return { statistic: r.statistic, pvalue: r.pvalue };
    }
  }
}

/**
 * Drift of one column between a reference and a current sample (see `driftOfPrepared`).
 * Errors: INVALID_PARAMETER_VALUE when the column is numeric on one side and categorical on
 * the other, or a numeric-only method (ks, wasserstein) is forced on a categorical column.
 */
export function columnDrift(refColumn: Column, curColumn: Column, options: ColumnDriftOptions = {}): ColumnDrift {
  return driftOfPrepared(prepareColumn(refColumn, curColumn), options);
}

/** Options of `datasetDrift`. */
export interface DatasetDriftOptions {
  /** Share of drifted columns at which the dataset is drifted (default 0.5). */
  driftShare?: number;
  /** Only these columns (default: every column present in both tables). */
  columns?: string[];
  /** Per-column method overrides. */
  methods?: Readonly<Record<string, DriftMethod>>;
  /** Per-column threshold overrides. */
  thresholds?: Readonly<Record<string, number>>;
  /** PSI and binning bins (default 10). */
  bins?: number;
}

/** The dataset verdict and each column's drift. */
export interface DatasetDrift {
  columns: ColumnDrift[];
  /** Columns present in only one table (never with an explicit `columns` list: that is an error). */
  skipped: string[];
  driftedColumns: number;
  /** driftedColumns / columns.length (0 when there are no columns). */
  share: number;
  driftShare: number;
  /** share ≥ driftShare (false with no columns). */
  drifted: boolean;
}

/**
 * The columns to compare and those present in one table only. Errors: INVALID_PARAMETER_VALUE
 * naming a requested column missing from either table, or an override for an unknown column.
 */
export function planColumns(reference: Table, current: Table, options: DatasetDriftOptions = {}): { pairs: Array<[Column, Column]>; skipped: string[] } {
  const refBy = new Map(reference.columns.map((c) => [c.name, c]));
  const curBy = new Map(current.columns.map((c) => [c.name, c]));
  const skipped: string[] = [];
  let names: string[];
  if (options.columns && options.columns.length > 0) {
    for (const n of options.columns) {
      if (!refBy.has(n)) throw invalidParam(`No column '${n}' in the reference ${reference.source}; columns: ${reference.columns.map((c) => c.name).join(', ')}`, n);
      if (!curBy.has(n)) throw invalidParam(`No column '${n}' in the current ${current.source}; columns: ${current.columns.map((c) => c.name).join(', ')}`, n);
    }
    names = options.columns;
  } else {
    names = reference.columns.filter((c) => curBy.has(c.name)).map((c) => c.name);
    for (const c of reference.columns) if (!curBy.has(c.name)) skipped.push(c.name);
    for (const c of current.columns) if (!refBy.has(c.name)) skipped.push(c.name);
  }
  for (const [kind, map] of [['method', options.methods], ['threshold', options.thresholds]] as const) {
    for (const n of Object.keys(map ?? {})) {
      if (!names.includes(n)) throw invalidParam(`The ${kind} override names column '${n}', which is not compared; columns: ${names.join(', ')}`, n);
    }
  }
  return { pairs: names.map((n) => [refBy.get(n)!, curBy.get(n)!]), skipped };
}

/** The dataset verdict from column results: drifted share ≥ driftShare. */
export function datasetVerdict(columns: ColumnDrift[], skipped: string[], driftShare = DEFAULT_DRIFT_SHARE): DatasetDrift {
  const driftedColumns = columns.filter((c) => c.drifted).length;
  const share = columns.length === 0 ? 0 : driftedColumns / columns.length;
  return { columns, skipped, driftedColumns, share, driftShare, drifted: columns.length > 0 && share >= driftShare };
}

/**
 * Drift of every compared column and the dataset verdict (Evidently's: drifted columns /
 * columns ≥ driftShare, default 0.5), on the calling thread. `hangar monitor drift` spreads the
 * same work over worker threads.
 */
export function datasetDrift(reference: Table, current: Table, options: DatasetDriftOptions = {}): DatasetDrift {
  const { pairs, skipped } = planColumns(reference, current, options);
  const results = pairs.map(([r, c]) =>
    columnDrift(r, c, { method: options.methods?.[r.name], threshold: options.thresholds?.[r.name], bins: options.bins }),
  );
  return datasetVerdict(results, skipped, options.driftShare ?? DEFAULT_DRIFT_SHARE);
}
