import { describe, expect, it } from 'vitest';
import type { FeatureFrame } from '../types.js';
import { linearFromJSON, linearLearner, resolveLinearParams } from './index.js';
import { mulberry32 } from '../../../core/random.js';


const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

describe('linear learner: ridge regression', () => {
  it('recovers known coefficients and a categorical effect, with missing values imputed by the mean', async () => {
    const r = mulberry32(1);
    const n = 4000;
    const x1 = Float64Array.from({ length: n }, () => gauss(r) * 3 + 10);
    const x2 = Float64Array.from({ length: n }, () => gauss(r));
    const codes = Int32Array.from({ length: n }, () => Math.floor(r() * 3));
    const effect = [0, 2, -1];
    const y = Float64Array.from({ length: n }, (_, i) => 5 + 1.5 * x1[i]! - 4 * x2[i]! + effect[codes[i]!]!);
    const frame: FeatureFrame = {
      rows: n,
      features: [
        { name: 'x1', kind: 'numeric', values: x1 },
        { name: 'x2', kind: 'numeric', values: x2 },
        { name: 'c', kind: 'categorical', codes, categories: ['a', 'b', 'c'] },
      ],
    };
    const iterations: number[] = [];
    const rmses: number[] = [];
    const model = await linearLearner.fit(frame, y, {
      problem: 'regression',
      params: { alpha: 0, tol: 1e-10, max_iter: 500 },
      onIteration: (i, m) => {
        iterations.push(i);
        rmses.push(m.train_loss!);
      },
    });
    expect(rmses[0]).toBeGreaterThan(rmses.at(-1)!);
    expect(rmses.at(-1)).toBeLessThan(1e-4);
    expect(iterations.length).toBeGreaterThan(1);
    const json = model.toJSON() as { terms: Array<{ name: string; mean?: number; std?: number; coef: number[] | number[][] }> };
    const t1 = json.terms[0]!;
    // Coefficients are on the standardised scale: raw slope = coef × target std / feature std.
    const pred = model.predict(frame);
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs(pred[i]! - y[i]!));
    expect(maxErr).toBeLessThan(1e-4);
    expect(t1.mean).toBeCloseTo(10, 0);

    // The effect of x1 per unit, measured through predictions, is its true slope.
    const probe = (v1: number, v2: number, code: number) =>
      model.predict({ rows: 1, features: [{ name: 'x1', kind: 'numeric', values: Float64Array.of(v1) }, { name: 'x2', kind: 'numeric', values: Float64Array.of(v2) }, { name: 'c', kind: 'categorical', codes: Int32Array.of(code), categories: ['a', 'b', 'c'] }] })[0]!;
    expect(probe(11, 0, 0) - probe(10, 0, 0)).toBeCloseTo(1.5, 4);
    expect(probe(10, 1, 0) - probe(10, 0, 0)).toBeCloseTo(-4, 4);
    expect(probe(10, 0, 1) - probe(10, 0, 0)).toBeCloseTo(2, 4);
    // A missing x1 is the training mean.
    expect(probe(NaN, 0, 0)).toBeCloseTo(probe(t1.mean!, 0, 0), 8);
    // Categories line up by label, not by code: 'b' is code 0 in this frame.
    const relabelled = model.predict({ rows: 1, features: [{ name: 'c', kind: 'categorical', codes: Int32Array.of(0), categories: ['b'] }, { name: 'x2', kind: 'numeric', values: Float64Array.of(0) }, { name: 'x1', kind: 'numeric', values: Float64Array.of(10) }] })[0]!;
    expect(relabelled).toBeCloseTo(probe(10, 0, 1), 8);
    // An unseen category contributes nothing.
    expect(model.predict({ rows: 1, features: [{ name: 'c', kind: 'categorical', codes: Int32Array.of(0), categories: ['zzz'] }, { name: 'x2', kind: 'numeric', values: Float64Array.of(0) }, { name: 'x1', kind: 'numeric', values: Float64Array.of(10) }] })[0]).toBeTypeOf('number');
  });

  it('shrinks coefficients as alpha grows', async () => {
    const r = mulberry32(2);
    const n = 500;
    const x = Float64Array.from({ length: n }, () => gauss(r));
    const y = Float64Array.from(x, (v) => 3 * v + gauss(r) * 0.1);
    const frame: FeatureFrame = { rows: n, features: [{ name: 'x', kind: 'numeric', values: x }] };
    const coef = async (alpha: number) => ((await linearLearner.fit(frame, y, { problem: 'regression', params: { alpha } })).toJSON() as { terms: Array<{ coef: number[] }> }).terms[0]!.coef[0]!;
    const [small, large] = [await coef(0), await coef(10)];
    expect(Math.abs(large)).toBeLessThan(Math.abs(small) / 5);
  });
});

describe('linear learner: logistic regression', () => {
  it('binary: recovers the direction of the true weights and is deterministic', async () => {
    const r = mulberry32(3);
    const n = 5000;
    const x1 = Float64Array.from({ length: n }, () => gauss(r));
    const x2 = Float64Array.from({ length: n }, () => gauss(r));
    const y = Float64Array.from({ length: n }, (_, i) => (r() < 1 / (1 + Math.exp(-(2 * x1[i]! - 1 * x2[i]! + 0.5))) ? 1 : 0));
    const frame: FeatureFrame = { rows: n, features: [{ name: 'x1', kind: 'numeric', values: x1 }, { name: 'x2', kind: 'numeric', values: x2 }] };
    const losses: number[] = [];
    const a = await linearLearner.fit(frame, y, { problem: 'binary', params: { alpha: 0 }, onIteration: (_, m) => losses.push(m.train_loss!) });
    // The last reported training loss is the final model's mean log loss.
    const probs = a.predict(frame);
    let ll = 0;
    for (let i = 0; i < n; i++) ll -= y[i] === 1 ? Math.log(probs[i]!) : Math.log(1 - probs[i]!);
    expect(losses.at(-1)).toBeCloseTo(ll / n, 10);
    const b = await linearLearner.fit(frame, y, { problem: 'binary', params: { alpha: 0 } });
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    const j = a.toJSON() as { terms: Array<{ coef: number[]; std: number }>; intercept: number[] };
    const w1 = j.terms[0]!.coef[0]! / j.terms[0]!.std;
    const w2 = j.terms[1]!.coef[0]! / j.terms[1]!.std;
    expect(w1).toBeGreaterThan(1.7);
    expect(w1).toBeLessThan(2.3);
    expect(w2).toBeGreaterThan(-1.2);
    expect(w2).toBeLessThan(-0.8);
    const p = a.predict(frame);
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
    expect(a.featureImportance().x1).toBeGreaterThan(a.featureImportance().x2!);
  });

  it('multinomial: separates three classes with one-hot categoricals and reports validation loss', async () => {
    const r = mulberry32(4);
    const n = 3000;
    const x = Float64Array.from({ length: n }, () => gauss(r));
    const codes = Int32Array.from({ length: n }, () => Math.floor(r() * 3));
    // Class = the category, except where x is strongly positive, which means class 2.
    const y = Float64Array.from({ length: n }, (_, i) => (x[i]! > 1.5 ? 2 : codes[i]!));
    const frame: FeatureFrame = { rows: n, features: [{ name: 'x', kind: 'numeric', values: x }, { name: 'g', kind: 'categorical', codes, categories: ['p', 'q', 'r'] }] };
    const seen: Array<Record<string, number>> = [];
    const model = await linearLearner.fit(frame, y, { problem: 'multiclass', classes: 3, params: {}, validation: { frame, labels: y }, onIteration: (_, m) => seen.push(m) });
    const p = model.predict(frame);
    expect(p.length).toBe(n * 3);
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const row = [p[i * 3]!, p[i * 3 + 1]!, p[i * 3 + 2]!];
      expect(row[0]! + row[1]! + row[2]!).toBeCloseTo(1, 10);
      if (row.indexOf(Math.max(...row)) === y[i]) correct++;
    }
    expect(correct / n).toBeGreaterThan(0.9);
    expect(seen.at(-1)!.validation_loss).toBeLessThan(seen[0]!.validation_loss!);
  });
});

describe('linear model JSON', () => {
  it('round-trips through linearFromJSON to identical predictions', async () => {
    const r = mulberry32(5);
    const n = 300;
    const x = Float64Array.from({ length: n }, () => gauss(r));
    x[3] = NaN;
    const codes = Int32Array.from({ length: n }, () => Math.floor(r() * 4) - 1);
    const y = Float64Array.from({ length: n }, (_, i) => (x[i]! > 0 || codes[i] === 2 ? 1 : 0));
    const frame: FeatureFrame = { rows: n, features: [{ name: 'x', kind: 'numeric', values: x }, { name: 'g', kind: 'categorical', codes, categories: ['a', 'b', 'c'] }] };
    const model = await linearLearner.fit(frame, y, { problem: 'binary', params: {} });
    const text = JSON.stringify(model.toJSON());
    const back = linearFromJSON(JSON.parse(text) as Record<string, unknown>);
    expect(back.kind).toBe('logistic');
    expect(Array.from(back.predict(frame))).toEqual(Array.from(model.predict(frame)));
    expect(back.schema).toEqual([{ name: 'x', kind: 'numeric' }, { name: 'g', kind: 'categorical', categories: ['a', 'b', 'c'] }]);
  });

  it('refuses JSON of another kind, and a frame missing a feature names it', async () => {
    expect(() => linearFromJSON({ kind: 'gbdt', format_version: 1 })).toThrow(/Not a linear model/);
    const frame: FeatureFrame = { rows: 2, features: [{ name: 'x', kind: 'numeric', values: Float64Array.of(1, 2) }] };
    const model = await linearLearner.fit(frame, Float64Array.of(1, 2), { problem: 'regression', params: {} });
    expect(() => model.predict({ rows: 1, features: [] })).toThrow(/Missing feature 'x'/);
  });
});

describe('linear params', () => {
  it('accepts strings from the command line and names a bad key', () => {
    expect(resolveLinearParams({ alpha: '0.5', max_iter: '20' })).toEqual({ alpha: 0.5, max_iter: 20, tol: 1e-6 });
    expect(() => resolveLinearParams({ learning_rate: 1 })).toThrow(/Unknown linear parameter 'learning_rate'/);
    expect(() => resolveLinearParams({ alpha: -1 })).toThrow(/'alpha' must be ≥ 0/);
  });
});
