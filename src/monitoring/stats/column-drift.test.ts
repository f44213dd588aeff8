import { describe, expect, it } from 'vitest';
import type { Column, Table } from '../../data/index.js';
import { chooseMethod, columnDrift, datasetDrift, DEFAULT_THRESHOLDS, prepareColumn } from './column-drift.js';

const num = (name: string, values: number[]): Column => ({ name, type: 'number', values: Float64Array.from(values) });
const str = (name: string, values: Array<string | null>): Column => {
  const categories = [...new Set(values.filter((v): v is string => v !== null))].sort();
  return { name, type: 'string', categories, codes: Int32Array.from(values.map((v) => (v === null ? -1 : categories.indexOf(v)))) };
};
const table = (source: string, columns: Column[]): Table => ({ rows: columns[0]?.type === 'string' ? columns[0].codes.length : (columns[0]?.values.length ?? 0), columns, source });
const range = <T = number>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe("the automatic method (Evidently's defaults)", () => {
  it('follows the table by kind, reference size and distinct values', () => {
    expect(chooseMethod('numeric', 1000, 6)).toBe('ks');
    expect(chooseMethod('numeric', 1000, 5)).toBe('chisquare');
    expect(chooseMethod('numeric', 1000, 3)).toBe('chisquare');
    expect(chooseMethod('numeric', 1000, 2)).toBe('ztest');
    expect(chooseMethod('categorical', 1000, 3)).toBe('chisquare');
    expect(chooseMethod('categorical', 1000, 2)).toBe('ztest');
    expect(chooseMethod('numeric', 1001, 6)).toBe('wasserstein');
    expect(chooseMethod('numeric', 1001, 5)).toBe('jensenshannon');
    expect(chooseMethod('numeric', 1001, 2)).toBe('jensenshannon');
    expect(chooseMethod('categorical', 1001, 40)).toBe('jensenshannon');
  });
  it('counts distinct values over reference ∪ current and rows without the missing ones', () => {
    const p = prepareColumn(num('x', [1, 2, NaN, 3]), num('x', [3, 4, 5, 6, NaN, NaN]));
    expect(p.nunique).toBe(6);
    expect(p.referenceRows).toBe(3);
    expect(p.currentMissing).toBe(2);
    const c = prepareColumn(str('s', ['a', 'b', null]), str('s', ['b', 'c']));
    expect(c.nunique).toBe(3);
    expect(c.counts).toEqual({ labels: ['a', 'b', 'c'], ref: Float64Array.from([1, 1, 0]), cur: Float64Array.from([0, 1, 1]) });
  });
});

describe('columnDrift verdicts', () => {
  it('small numeric reference: KS, drifted when p ≤ 0.05', () => {
    const ref = num('x', range(200, (i) => i));
    const same = columnDrift(ref, num('x', range(200, (i) => i + 0.5)));
    expect(same).toMatchObject({ method: 'ks', threshold: 0.05, drifted: false, empty: false });
    expect(same.pvalue).toBeGreaterThan(0.5);
    const moved = columnDrift(ref, num('x', range(200, (i) => i + 80)));
    expect(moved.drifted).toBe(true);
    expect(moved.pvalue).toBeLessThan(1e-6);
  });
  it('large numeric reference: Wasserstein normed by the baseline std, drifted at ≥ 0.1', () => {
    const ref = num('x', range(5000, (i) => (i % 100) / 10));
    const r = columnDrift(ref, num('x', range(5000, (i) => (i % 100) / 10 + 0.5)));
    expect(r.method).toBe('wasserstein');
    expect(r.pvalue).toBeNull();
    // A shift by c moves W by exactly c; std of 0.0 … 9.9 is √((100² − 1)/12)/10.
    expect(r.statistic).toBeCloseTo(0.5 / (Math.sqrt((100 * 100 - 1) / 12) / 10), 9);
    expect(r.drifted).toBe(true);
  });
  it('large categorical reference: Jensen–Shannon; overrides change method and threshold', () => {
    const ref = str('c', range(3000, (i) => ['a', 'b', 'c'][i % 3]!));
    const cur = str('c', range(3000, (i) => ['a', 'b', 'c', 'a'][i % 4]!));
    const auto = columnDrift(ref, cur);
    expect(auto.method).toBe('jensenshannon');
    expect(auto.drifted).toBe(auto.statistic! >= 0.1);
    const chi = columnDrift(ref, cur, { method: 'chisquare' });
    expect(chi.method).toBe('chisquare');
    expect(chi.drifted).toBe(true);
    const lenient = columnDrift(ref, cur, { method: 'psi', threshold: 10 });
    expect(lenient).toMatchObject({ method: 'psi', threshold: 10, drifted: false });
  });
  it('binary columns use the Z-test on small references', () => {
    const ref = num('b', range(500, (i) => i % 2));
    const r = columnDrift(ref, num('b', range(500, (i) => (i % 10 < 8 ? 1 : 0))));
    expect(r.method).toBe('ztest');
    expect(r.drifted).toBe(true);
  });
  it('an empty side is reported as empty, never as NaN', () => {
    const r = columnDrift(num('x', [1, 2, 3]), num('x', [NaN, NaN]));
    expect(r).toMatchObject({ empty: true, statistic: null, pvalue: null, drifted: false });
  });
  it('bad input: a type mismatch or a numeric-only method on categories names the column', () => {
    expect(() => columnDrift(num('x', [1]), str('x', ['a']))).toThrow(/'x' is numeric in the reference but categorical/);
    expect(() => columnDrift(str('s', ['a', 'b']), str('s', ['a']), { method: 'ks' })).toThrow(/needs a numeric column; 's'/);
  });
});

describe('datasetDrift', () => {
  const ref = table('ref.csv', [num('a', range(300, (i) => i)), num('b', range(300, (i) => i)), num('c', range(300, (i) => i)), num('only_ref', [1])]);
  const cur = table('cur.csv', [num('a', range(300, (i) => i + 200)), num('b', range(300, (i) => i + 200)), num('c', range(300, (i) => i)), num('only_cur', [1])]);
  it('drifted when the drifted share reaches 0.5 by default; lists columns found on one side only', () => {
    const d = datasetDrift(ref, cur);
    expect(d.columns.map((c) => [c.column, c.drifted])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ]);
    expect(d).toMatchObject({ driftedColumns: 2, driftShare: 0.5, drifted: true, skipped: ['only_ref', 'only_cur'] });
    expect(d.share).toBeCloseTo(2 / 3, 15);
    expect(datasetDrift(ref, cur, { driftShare: 0.7 }).drifted).toBe(false);
  });
  it('honours columns and per-column overrides', () => {
    const d = datasetDrift(ref, cur, { columns: ['c', 'a'], thresholds: { a: 1e-300 }, methods: { c: 'psi' } });
    expect(d.columns.map((c) => [c.column, c.method, c.threshold])).toEqual([
      ['c', 'psi', DEFAULT_THRESHOLDS.psi],
      ['a', 'ks', 1e-300],
    ]);
  });
  it('rejects unknown columns in the list or the overrides, naming them', () => {
    expect(() => datasetDrift(ref, cur, { columns: ['nope'] })).toThrow(/No column 'nope' in the reference ref.csv/);
    expect(() => datasetDrift(ref, cur, { columns: ['only_ref'] })).toThrow(/No column 'only_ref' in the current cur.csv/);
    expect(() => datasetDrift(ref, cur, { methods: { zz: 'ks' } })).toThrow(/method override names column 'zz'/);
  });
});
