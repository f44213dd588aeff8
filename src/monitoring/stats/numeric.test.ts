import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chiSquared, jensenShannon, lInfinity, totalVariation, zTestProportions } from './categorical.js';
import { emptyBinShare, ksTwoSample, mergedWalk, psi, psiFromCounts, quantileEdges, wasserstein, wassersteinNormed } from './numeric.js';
import { decimalSortInPlace, quantileSorted, radixSortInPlace, sortedValues, sortValuesInPlace } from './sort.js';

interface Fixture {
  scipy: string;
  ks: Array<{ ref: number[]; cur: number[]; statistic: number; pvalue: number }>;
  wasserstein: Array<{ ref: number[]; cur: number[]; distance: number; std: number }>;
  chisquare: Array<{ ref: number[]; cur: number[]; statistic: number; pvalue: number }>;
  jensenshannon: Array<{ p: number[]; q: number[]; distance: number }>;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/scipy.json', import.meta.url), 'utf8')) as Fixture;
const f64 = (a: number[]): Float64Array => Float64Array.from(a);

function expectClose(actual: number, expected: number, rel: number, abs = 0): void {
  expect(Math.abs(actual - expected), `got ${actual}, scipy ${expected}`).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(expected)));
}

describe(`two-sample statistics against scipy ${fixture.scipy} (fixtures)`, () => {
  it('ks_2samp: statistic and exact p-value', () => {
    for (const c of fixture.ks) {
      const r = ksTwoSample(f64(c.ref), f64(c.cur));
      expect(r.method).toBe('exact');
      expectClose(r.statistic, c.statistic, 1e-12);
      expectClose(r.pvalue, c.pvalue, 1e-9, 1e-15);
    }
  });
  it('wasserstein_distance, and normed by the baseline standard deviation', () => {
    for (const c of fixture.wasserstein) {
      expectClose(wasserstein(f64(c.ref), f64(c.cur)), c.distance, 1e-12);
      expectClose(wassersteinNormed(f64(c.ref), f64(c.cur)), c.distance / Math.max(c.std, 0.001), 1e-12);
    }
  });
  it('chisquare of current counts against reference shares', () => {
    for (const c of fixture.chisquare) {
      const r = chiSquared(c.ref, c.cur);
      expectClose(r.statistic, c.statistic, 1e-12);
      expectClose(r.pvalue, c.pvalue, 1e-10, 1e-15);
    }
  });
  it('jensenshannon with base 2', () => {
    for (const c of fixture.jensenshannon) expectClose(jensenShannon(c.p, c.q), c.distance, 1e-12);
  });
});

describe('KS details', () => {
  it('ignores NaN and treats ties as scipy does (searchsorted right)', () => {
    const r = ksTwoSample(f64([1, 2, 2, NaN, 3]), f64([2, 2, 2, 4]));
    // ECDFs at 1, 2, 3, 4: ref 1/4, 3/4, 1, 1; cur 0, 3/4, 3/4, 1 → D = 1/4.
    expect(r.statistic).toBeCloseTo(0.25, 15);
  });
  it('an empty sample gives D = 0 and p = 1, not NaN', () => {
    expect(ksTwoSample(f64([]), f64([1, 2]))).toEqual({ statistic: 0, pvalue: 1, method: 'exact' });
  });
  it('identical samples: D = 0, p = 1; disjoint samples: D = 1, p tiny', () => {
    const a = f64([1, 2, 3, 4, 5, 6]);
    expect(ksTwoSample(a, a).pvalue).toBe(1);
    const r = ksTwoSample(a, f64([10, 11, 12, 13, 14, 15]));
    expect(r.statistic).toBe(1);
    expect(r.pvalue).toBeLessThan(0.01);
  });
});

describe('PSI on baseline-quantile bins', () => {
  it('is 0 for identical samples and grows with a shift', () => {
    const a = new Float64Array(1000).map((_, i) => i);
    expect(psi(a, a)).toBe(0);
    const shifted = a.map((v) => v + 100);
    const far = a.map((v) => v + 500);
    expect(psi(a, shifted)).toBeGreaterThan(0.05);
    expect(psi(a, far)).toBeGreaterThan(psi(a, shifted));
  });
  it('uses ten bins at the deciles (numpy linear interpolation), merging repeated edges', () => {
    const a = new Float64Array(11).map((_, i) => i * 10);
    expect(quantileEdges(a, 10)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(quantileEdges(f64([1, 1, 1, 1, 2]), 10)).toEqual([1, 1.2000000000000002, 1.6]);
    expect(quantileSorted(f64([1, 2, 3, 4]), 0.5)).toBe(2.5);
  });
  it("replaces an empty bin's share with min(non-zero)/1e6 when that minimum is ≤ 1e-4, else 1e-4", () => {
    expect(emptyBinShare([0.5, 0.5, 0])).toBe(0.0001);
    expect(emptyBinShare([0.99995, 0.00005, 0])).toBe(0.00005 / 1e6);
    // Σ (r − c) ln(r/c) with c's empty bin at 1e-4.
    const expected = (0.5 - 1) * Math.log(0.5 / 1) + (0.5 - 0.0001) * Math.log(0.5 / 0.0001);
    expect(psiFromCounts([5, 5], [10, 0])).toBeCloseTo(expected, 12);
  });
});

describe('categorical distances', () => {
  it('TV and L∞ of normalised counts', () => {
    expect(totalVariation([1, 1], [3, 1])).toBeCloseTo(0.25, 15);
    expect(lInfinity([1, 1, 2], [2, 1, 1])).toBeCloseTo(0.25, 15);
    expect(totalVariation([0, 0], [1, 1])).toBeNaN();
  });
  it('χ²: a category unseen in the reference is infinite drift', () => {
    expect(chiSquared([10, 0], [5, 5])).toEqual({ statistic: Infinity, pvalue: 0 });
    expect(chiSquared([10, 0], [5, 0])).toEqual({ statistic: 0, pvalue: 1 });
  });
  it('Z-test for two proportions: symmetric, p = 1 for equal shares, 2(1 − Φ(|z|))', () => {
    const r = zTestProportions(50, 100, 70, 100);
    // pooled 0.6, se = √(0.24 · 0.02) ≈ 0.069282, z = −0.2/se ≈ −2.88675
    expect(r.statistic).toBeCloseTo(-2.886751345948129, 10);
    expect(r.pvalue).toBeCloseTo(0.003892417122778637, 8);
    expect(zTestProportions(5, 10, 50, 100).pvalue).toBeCloseTo(1, 15);
    expect(zTestProportions(10, 10, 100, 100)).toEqual({ statistic: 0, pvalue: 1 });
  });
  it('JS distance is a metric in [0, 1], 0 on equal distributions, 1 on disjoint ones', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { minLength: 3, maxLength: 3 }), fc.array(fc.nat(50), { minLength: 3, maxLength: 3 }), (p, q) => {
        const d = jensenShannon(p, q);
        if (p.every((v) => v === 0) || q.every((v) => v === 0)) return Number.isNaN(d);
        return d >= 0 && d <= 1 + 1e-12 && Math.abs(d - jensenShannon(q, p)) < 1e-12;
      }),
    );
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannon([2, 3], [4, 6])).toBeCloseTo(0, 7);
  });
});

describe('sorting', () => {
  it('the radix sort orders any doubles as numeric order does', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { minLength: 0, maxLength: 300 }), (xs) => {
        const a = Float64Array.from(xs);
        radixSortInPlace(a);
        const b = Float64Array.from(xs).sort();
        // −0 and +0 may swap; compare numerically.
        return a.every((v, i) => v === b[i]);
      }),
    );
  });
  it('drops NaN and sorts large arrays by radix', () => {
    const n = 100_000;
    const a = new Float64Array(n).map((_, i) => (i % 17 === 0 ? NaN : Math.sin(i) * 1e6 - (i % 3)));
    const s = sortedValues(a);
    expect(s.length).toBe(n - Math.ceil(n / 17));
    let ordered = true;
    for (let i = 1; i < s.length; i++) if (!(s[i - 1]! <= s[i]!)) ordered = false;
    expect(ordered).toBe(true);
  });
});

describe('sorting decimals on their integer keys', () => {
  /** Bit-for-bit equality (−0 and +0 apart), reported as the first differing index. */
  const firstDifference = (a: Float64Array, b: Float64Array): number => {
    if (a.length !== b.length) return -2;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
    return -1;
  };
  const decimals = (n: number, scale: number, span: number, seed: number): Float64Array => {
    let x = seed;
    const next = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    return Float64Array.from({ length: n }, () => (Math.floor(next() * span) - span / 2) / 10 ** scale);
  };
  it('gives the radix sort’s array bit for bit: counting sort, 1–3 key passes, negatives, −0, mixed scales', () => {
    const cases: Float64Array[] = [
      decimals(50_000, 0, 300, 1), // integers, few keys: counting sort
      decimals(50_000, 3, 1_000_000, 2), // two 11-bit passes
      decimals(50_000, 6, 2_000_000_000, 3), // three passes
      Float64Array.from(decimals(20_000, 6, 10, 4), (v, i) => (i % 3 === 0 ? -0 : v)), // −0 among +0
      Float64Array.from({ length: 30_000 }, (_, i) => (i % 2 === 0 ? i / 4 : -i / 1000)), // a later value needs a larger scale
      Float64Array.from({ length: 20_000 }, (_, i) => 3e9 + ((i * 7919) % 5000)), // keys past 32 signed bits: counting sort
      Float64Array.from({ length: 20_000 }, (_, i) => -3e9 - ((i * 7919) % 10_000_000)), // the same, radix passes
    ];
    for (const c of cases) {
      const expected = c.slice();
      radixSortInPlace(expected);
      const got = c.slice();
      expect(decimalSortInPlace(got)).toBe(true);
      expect(firstDifference(got, expected)).toBe(-1);
    }
  });
  it('declines values that are not decimals of one scale or keys too far apart, leaving the array as it was', () => {
    for (const c of [Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i)), Float64Array.from({ length: 5000 }, (_, i) => (i % 2 ? 1e15 : -1e15) + i)]) {
      const before = c.slice();
      expect(decimalSortInPlace(c)).toBe(false);
      expect(firstDifference(c, before)).toBe(-1);
    }
  });
  it('random decimals of random scales match the radix sort', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e9, max: 1e9 }), { minLength: 0, maxLength: 400 }), fc.integer({ min: 0, max: 9 }), (ks, scale) => {
        const a = Float64Array.from(ks, (k) => k / 10 ** scale);
        const expected = a.slice();
        radixSortInPlace(expected);
        return decimalSortInPlace(a) && firstDifference(a, expected) === -1;
      }),
    );
  });
});

describe('sorting in place', () => {
  it('squeezes out NaN and sorts the front of the same buffer', () => {
    const a = Float64Array.from([3, NaN, -1, 2, NaN, 0]);
    const s = sortValuesInPlace(a);
    expect(Array.from(s)).toEqual([-1, 0, 2, 3]);
    expect(s.buffer).toBe(a.buffer);
    const big = new Float64Array(10_000).map((_, i) => (i % 10 === 0 ? NaN : (i * 7919) % 10_007));
    const sb = sortValuesInPlace(big);
    expect(sb.length).toBe(9000);
    expect(Array.from(sb)).toEqual(Array.from(sb).sort((x, y) => x - y));
  });
});

describe('the merged pass against direct definitions', () => {
  const ecdf = (s: number[], x: number): number => s.filter((v) => v <= x).length / s.length;
  it('KS statistic = max |F_a − F_b| over the observed values; Wasserstein = Σ |F_a − F_b| × gap', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 40 }),
        (xs, ys) => {
          const all = [...new Set([...xs, ...ys])].sort((p, q) => p - q);
          let d = 0;
          let w = 0;
          for (let k = 0; k < all.length; k++) {
            const diff = Math.abs(ecdf(xs, all[k]!) - ecdf(ys, all[k]!));
            d = Math.max(d, diff);
            if (k + 1 < all.length) w += diff * (all[k + 1]! - all[k]!);
          }
          const walk = mergedWalk(sortedValues(Float64Array.from(xs)), sortedValues(Float64Array.from(ys)));
          return (
            Math.abs(Math.max(walk.maxDiff, -walk.minDiff) - d) < 1e-12 &&
            Math.abs(walk.wasserstein - w) < 1e-9 &&
            walk.distinct === all.length &&
            Math.abs(wasserstein(Float64Array.from(xs), Float64Array.from(ys)) - w) < 1e-9
          );
        },
      ),
    );
  });
});
