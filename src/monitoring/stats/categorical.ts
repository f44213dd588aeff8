import type { TestResult } from './numeric.js';
import { chi2Sf, normalSf } from './special.js';

/**
 * Statistics over two distributions on the same categories, given as counts (or weights) per
 * category in the same order. Categories that are empty on both sides are ignored.
 */

function total(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

function checkSameLength(p: ArrayLike<number>, q: ArrayLike<number>): void {
  if (p.length !== q.length) throw new RangeError(`distributions differ in length: ${p.length} and ${q.length}`);
}

/**
 * Pearson's χ² goodness-of-fit test of the current counts against the reference shares
 * (Evidently's `chisquare` test; scipy `chisquare(cur, ref/Σref·Σcur)`): statistic
 * Σ (c_i − e_i)²/e_i with e_i = r_i/Σr · Σc, p-value from χ² with k − 1 degrees of freedom,
 * k = categories seen on either side. A category the reference never saw but the current has
 * makes the statistic +∞ and the p-value 0. With one category or an empty side: statistic 0,
 * p-value 1 (nothing to compare).
 */
export function chiSquared(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>): TestResult {
  checkSameLength(refCounts, curCounts);
  const rt = total(refCounts);
  const ct = total(curCounts);
  if (rt <= 0 || ct <= 0) return { statistic: 0, pvalue: 1 };
  let k = 0;
  let stat = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const r = refCounts[i]!;
    const c = curCounts[i]!;
    if (r === 0 && c === 0) continue;
    k++;
    const e = (r / rt) * ct;
    if (e === 0) {
      stat = Infinity;
      continue;
    }
    stat += ((c - e) * (c - e)) / e;
  }
  if (k <= 1) return { statistic: 0, pvalue: 1 };
  return { statistic: stat, pvalue: stat === Infinity ? 0 : chi2Sf(stat, k - 1) };
}

/**
 * Jensen–Shannon distance with base-2 logarithms (scipy `jensenshannon(p, q, base=2)`), in
 * [0, 1]: √(½ KL(p‖m) + ½ KL(q‖m)), m = (p + q)/2, after normalising p and q to sum to 1.
 * NaN when either side sums to 0.
 */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength(p, q);
  const pt = total(p);
  const qt = total(q);
  if (!(pt > 0) || !(qt > 0)) return NaN;
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / pt;
    const qi = q[i]! / qt;
    const mi = (pi + qi) / 2;
    if (pi > 0) s += pi * Math.log2(pi / mi);
    if (qi > 0) s += qi * Math.log2(qi / mi);
  }
  return Math.sqrt(Math.max(0, s / 2));
}

/** Total variation distance ½ Σ |p_i − q_i| of the normalised distributions, in [0, 1]. NaN when either side sums to 0. */
export function totalVariation(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength(p, q);
  const pt = total(p);
  const qt = total(q);
  if (!(pt > 0) || !(qt > 0)) return NaN;
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i]! / pt - q[i]! / qt);
  return s / 2;
}

/** L-infinity distance max |p_i − q_i| of the normalised distributions, in [0, 1]. NaN when either side sums to 0. */
export function lInfinity(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength(p, q);
  const pt = total(p);
  const qt = total(q);
  if (!(pt > 0) || !(qt > 0)) return NaN;
  let m = 0;
  for (let i = 0; i < p.length; i++) m = Math.max(m, Math.abs(p[i]! / pt - q[i]! / qt));
  return m;
}

/**
 * Two-sided Z-test for two proportions (Evidently's `z` test): with p1 = refSuccesses/refTotal,
 * p2 = curSuccesses/curTotal and the pooled p = (refSuccesses + curSuccesses)/(refTotal +
 * curTotal), z = (p1 − p2)/√(p(1 − p)(1/refTotal + 1/curTotal)) and p-value 2·(1 − Φ(|z|)).
 * When p is 0 or 1 (both samples all one value) z is 0 and the p-value 1; an empty sample
 * also gives z = 0, p-value 1.
 */
export function zTestProportions(refSuccesses: number, refTotal: number, curSuccesses: number, curTotal: number): TestResult {
  if (!(refTotal > 0) || !(curTotal > 0)) return { statistic: 0, pvalue: 1 };
  const p1 = refSuccesses / refTotal;
  const p2 = curSuccesses / curTotal;
  const p = (refSuccesses + curSuccesses) / (refTotal + curTotal);
  const se = Math.sqrt(p * (1 - p) * (1 / refTotal + 1 / curTotal));
  if (!(se > 0)) return { statistic: 0, pvalue: 1 };
  const z = (p1 - p2) / se;
  return { statistic: z, pvalue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}
