import { kolmogorovSf } from './special.js';
import { quantileSorted, sortedValues, upperBound } from './sort.js';

/** A test's statistic and its p-value. */
export interface TestResult {
  statistic: number;
  pvalue: number;
}

/** Which p-value `ksTwoSample` computed. */
export type KsMethod = 'exact' | 'asymp';

/** The KS result with the p-value method used. */
export interface KsResult extends TestResult {
  method: KsMethod;
}

/** Sample sizes up to which the exact p-value is computed (scipy's `MAX_AUTO_N`). */
export const KS_MAX_EXACT_N = 10_000;

/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as scipy's `ks_2samp(ref, cur, method='auto')`.
 * NaN values are dropped. The statistic is max |F_ref(x) − F_cur(x)| over every observed x.
 * p-value: exact when both samples have at most 10,000 values (the probability that a random
 * lattice path from (0,0) to (n1,n2) leaves the band |x/n1 − y/n2| < D, the statistic first
 * rounded to a multiple of 1/lcm(n1,n2) as scipy does), otherwise the asymptotic
 * `kstwo.sf(D, round(n1·n2/(n1+n2)))`. An empty sample gives statistic 0 and p-value 1.
 */
export function ksTwoSample(ref: Float64Array, cur: Float64Array): KsResult {
  return ksTwoSampleSorted(sortedValues(ref), sortedValues(cur));
}

/**
 * What one merged pass over two sorted samples yields: the extreme differences of the ECDFs
 * (F_a − F_b) for KS, the Wasserstein-1 integral, and the distinct values of the union.
 */
export interface MergedWalk {
  maxDiff: number;
  minDiff: number;
  wasserstein: number;
  distinct: number;
}

/**
 * Walks the distinct values of two ascending NaN-free arrays once. After consuming every copy
 * of a value v, i/n1 − j/n2 is the ECDF difference at v (numpy's `searchsorted(…, 'right')`),
 * and it holds until the next value, which is what the Wasserstein integral sums.
 */
export function mergedWalk(a: Float64Array, b: Float64Array): MergedWalk {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { maxDiff: 0, minDiff: 0, wasserstein: NaN, distinct: distinctOne(n1 === 0 ? b : a) };
  let i = 0;
  let j = 0;
  let maxDiff = 0;
  let minDiff = 0;
  let sum = 0;
  let distinct = 0;
  // The previous distinct value and |F_a − F_b| there: its term of the integral is added when
  // the next value is known (the same products, in the same order, as walking ahead).
  let prev = 0;
  let prevAbs = 0;
  // The smaller head is the next distinct value (once one sample is used up, the other's head).
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    if (i < n1 && a[i]! === v) {
      i++;
      while (i < n1 && a[i]! === v) i++;
    }
    if (j < n2 && b[j]! === v) {
      j++;
      while (j < n2 && b[j]! === v) j++;
    }
    if (distinct > 0) sum += prevAbs * (v - prev);
    distinct++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
    prev = v;
    prevAbs = Math.abs(diff);
  }
  return { maxDiff, minDiff, wasserstein: sum, distinct };
}

function distinctOne(a: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[i - 1]) d++;
  return d;
}

/** `ksTwoSample` over arrays already sorted ascending without NaN (`walk`: their `mergedWalk`, when already taken). */
export function ksTwoSampleSorted(a: Float64Array, b: Float64Array, walk?: MergedWalk): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { statistic: 0, pvalue: 1, method: 'exact' };
  const w = walk ?? mergedWalk(a, b);
  return ksFromDifferences(n1, n2, w.maxDiff, w.minDiff);
}

function ksFromDifferences(n1: number, n2: number, maxS: number, minS: number): KsResult {
  const d = Math.max(maxS, Math.min(1, -minS));
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const exact = exactTwoSample(n1, n2, d);
    if (exact !== null) return { statistic: exact.d, pvalue: exact.p, method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = Math.round((m * n) / (m + n));
  return { statistic: d, pvalue: kolmogorovSf(en, d), method: 'asymp' };
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function exactTwoSample(n1: number, n2: number, d: number): { d: number; p: number } | null {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = Math.round(d * lcm);
  const dr = h / lcm;
  if (h === 0) return { d: dr, p: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
  if (!(p >= 0 && p <= 1)) return null;
  return { d: dr, p };
}

/**
 * P(D_{n,n} ≥ h/n) = 2 Σ_{k≥1} (−1)^(k−1) C(2n, n−kh)/C(2n, n), evaluated from the innermost
 * term outwards (each ratio is a product of h factors) to avoid cancellation.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    P = ratio * (1 - P);
  }
  return 2 * P;
}

/**
 * 1 − (lattice paths from (0,0) to (m,n) that keep |x·n − y·m| < h·g at every point) /
 * C(m+n, n). Each cell holds its path count divided by C(x+y, x), so the recurrence
 * A(x,y) = (x·A(x−1,y) + y·A(x,y−1)) / (x+y) stays within [0,1]; only the band is visited.
 */
function probOutsideBand(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const bound = h * g;
  // A holds column x−1 on [lo, hi] and zeros elsewhere; the band only moves up as x grows.
  const A = new Float64Array(n + 1);
  let lo = 0;
  let hi = Math.min(n, Math.ceil(bound / m) - 1);
  for (let y = 0; y <= hi; y++) A[y] = 1;
  for (let x = 1; x <= m; x++) {
    const nlo = Math.max(0, Math.floor((x * n - bound) / m) + 1);
    const nhi = Math.min(n, Math.ceil((x * n + bound) / m) - 1);
    if (nlo > nhi) return 1;
    for (let y = lo; y < nlo; y++) A[y] = 0;
    let below = 0; // A(x, nlo − 1): outside the band, or off the grid
    for (let y = nlo; y <= nhi; y++) {
      below = (x * A[y]! + y * below) / (x + y);
      A[y] = below;
    }
    lo = nlo;
    hi = nhi;
  }
  return Math.min(1, Math.max(0, 1 - A[n]!));
}

/**
 * Wasserstein-1 (earth mover's) distance between the two empirical distributions, as scipy's
 * `wasserstein_distance(ref, cur)`: ∫ |F_ref(x) − F_cur(x)| dx. NaN values are dropped; an
 * empty sample gives NaN.
 */
export function wasserstein(ref: Float64Array, cur: Float64Array): number {
  return wassersteinSorted(sortedValues(ref), sortedValues(cur));
}

/** `wasserstein` over arrays already sorted ascending without NaN. */
export function wassersteinSorted(a: Float64Array, b: Float64Array, walk?: MergedWalk): number {
  if (a.length === 0 || b.length === 0) return NaN;
  return (walk ?? mergedWalk(a, b)).wasserstein;
}

/** Population standard deviation (ddof = 0, numpy's default) of a NaN-free array. */
export function stdDev(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / n);
}

/** The floor under the baseline's standard deviation in `wassersteinNormed` (Evidently's). */
export const WASSERSTEIN_MIN_STD = 0.001;

/**
 * Wasserstein-1 distance divided by the baseline's population standard deviation, floored at
 * 0.001: `wasserstein(ref, cur) / max(std(ref), 0.001)` (Evidently's `wasserstein` test).
 */
export function wassersteinNormed(ref: Float64Array, cur: Float64Array): number {
  return wassersteinNormedSorted(sortedValues(ref), sortedValues(cur));
}

/** `wassersteinNormed` over arrays already sorted ascending without NaN. */
export function wassersteinNormedSorted(a: Float64Array, b: Float64Array, walk?: MergedWalk): number {
  return wassersteinSorted(a, b, walk) / Math.max(stdDev(a), WASSERSTEIN_MIN_STD);
}

/** Options of `psi`. */
export interface PsiOptions {
  /** Number of baseline-quantile bins (default 10). */
  bins?: number;
}

/**
 * The replacement for an empty bin's share, per distribution (Evidently's rule): the smallest
 * non-zero share / 10⁶ when that share is ≤ 0.0001, else 0.0001.
 */
export function emptyBinShare(shares: ArrayLike<number>): number {
  let min = Infinity;
  for (let i = 0; i < shares.length; i++) if (shares[i]! > 0 && shares[i]! < min) min = shares[i]!;
  if (min === Infinity) return 0.0001;
  return min <= 0.0001 ? min / 1e6 : 0.0001;
}

/**
 * Population Stability Index of two binned distributions given as counts:
 * Σ (r_i − c_i)·ln(r_i / c_i) over the shares r, c, an empty bin's share replaced by
 * `emptyBinShare` of its distribution. NaN when either side has no counts.
 */
export function psiFromCounts(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>): number {
  const r = shares(refCounts);
  const c = shares(curCounts);
  if (r === null || c === null) return NaN;
  const er = emptyBinShare(r);
  const ec = emptyBinShare(c);
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const ri = r[i]! === 0 ? er : r[i]!;
    const ci = c[i]! === 0 ? ec : c[i]!;
    s += (ri - ci) * Math.log(ri / ci);
  }
  return s;
}

function shares(counts: ArrayLike<number>): Float64Array | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total <= 0) return null;
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i]! / total;
  return out;
}

/**
 * The inner edges of `bins` baseline-quantile bins: the k/bins quantiles of the baseline
 * (numpy's linear interpolation), k = 1 … bins−1, repeated edges merged. Bin i holds the
 * values v with e_(i−1) < v ≤ e_i; the first and last bins are open-ended.
 */
export function quantileEdges(sortedRef: Float64Array, bins = 10): number[] {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(sortedRef, k / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  return edges;
}

/** Counts of a sorted array in the bins that `edges` (ascending inner edges) define. */
export function binCountsSorted(sorted: Float64Array, edges: readonly number[]): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let prev = 0;
  for (let k = 0; k < edges.length; k++) {
    const ub = upperBound(sorted, edges[k]!);
    counts[k] = ub - prev;
    prev = ub;
  }
  counts[edges.length] = sorted.length - prev;
  return counts;
}

/**
 * Population Stability Index over baseline-quantile bins (Hangar's default: 10 bins). See
 * `quantileEdges` for the bins and `psiFromCounts` for the sum and the empty-bin share.
 * NaN values are dropped; NaN when either sample is empty.
 */
export function psi(ref: Float64Array, cur: Float64Array, options: PsiOptions = {}): number {
  return psiSorted(sortedValues(ref), sortedValues(cur), options);
}

/** `psi` over arrays already sorted ascending without NaN. */
export function psiSorted(a: Float64Array, b: Float64Array, options: PsiOptions = {}): number {
  if (a.length === 0 || b.length === 0) return NaN;
  const edges = quantileEdges(a, options.bins ?? 10);
  return psiFromCounts(binCountsSorted(a, edges), binCountsSorted(b, edges));
}
