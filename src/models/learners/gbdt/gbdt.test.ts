import { describe, expect, it } from 'vitest';
import type { FeatureFrame, FitOptions } from '../types.js';
import { HangarError } from '../../../core/errors.js';
import { GBDT_DEFAULTS, gbdtFromJSON, gbdtLearner, type GbdtJson, type GbdtModel, type GbdtParams } from './index.js';
import { Rng } from './rng.js';
import { auc, syntheticFlights } from './bench-gbdt.js';
import { MAX_TABLE_DEPTH } from './table-scorer.js';
import { BLOCK_ROWS, fillMarginals, partitionRows } from './grower.js';
import { histPairs, sharedState, startExecutor } from './pool.js';

function numericFrame(cols: Record<string, Float64Array>): FeatureFrame {
  const names = Object.keys(cols);
  return { rows: cols[names[0]!]!.length, features: names.map((name) => ({ name, kind: 'numeric' as const, values: cols[name]! })) };
}

function uniform(n: number, rng: Rng, lo = 0, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
}

async function fit(frame: FeatureFrame, labels: Float64Array, options: Partial<FitOptions<Partial<GbdtParams>>> & { problem: FitOptions<GbdtParams>['problem'] }): Promise<GbdtModel> {
  const params = { ...GBDT_DEFAULTS, early_stopping: false, ...options.params } as GbdtParams;
  return (await gbdtLearner.fit(frame, labels, { threads: 1, ...options, params })) as GbdtModel;
}

function accuracy(p: Float64Array, y: Float64Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if ((p[i]! > 0.5 ? 1 : 0) === y[i]) ok++;
  return ok / y.length;
}

describe('gbdt learner: what it learns', () => {
  it('learns a threshold and an XOR of two thresholds (binary)', async () => {
    const rng = new Rng(1);
    const n = 4000;
    const a = uniform(n, rng, -1, 1);
    const b = uniform(n, rng, -1, 1);
    const noise = uniform(n, rng);
    const xor = Float64Array.from(a, (v, i) => ((v > 0.2) !== (b[i]! > -0.3) ? 1 : 0));
    const model = await fit(numericFrame({ a, b, noise }), xor, { problem: 'binary' });
    expect(accuracy(model.predict(numericFrame({ a, b, noise })), xor)).toBeGreaterThan(0.97);
    const imp = model.featureImportance();
    expect(imp.noise!).toBeLessThan(imp.a! / 10);

    const step = Float64Array.from(a, (v) => (v > 0.25 ? 1 : 0));
    const stepModel = await fit(numericFrame({ a, noise }), step, { problem: 'binary', params: { max_iter: 20 } });
    const root = (stepModel.toJSON().trees as Array<{ nodes: Array<{ threshold?: number; feature?: string }> }>)[0]!.nodes[0]!;
    expect(root.feature).toBe('a');
    expect(root.threshold!).toBeGreaterThan(0.2);
    expect(root.threshold!).toBeLessThan(0.3);
  });

  it('fits a regression function with squared error', async () => {
    const rng = new Rng(2);
    const n = 5000;
    const x = uniform(n, rng, 0, 6);
    const z = uniform(n, rng);
    const y = Float64Array.from(x, (v, i) => Math.sin(v) * 3 + (z[i]! > 0.5 ? 2 : 0));
    const model = await fit(numericFrame({ x, z }), y, { problem: 'regression', params: { max_iter: 200 } });
    const pred = model.predict(numericFrame({ x, z }));
    let se = 0;
    for (let i = 0; i < n; i++) se += (pred[i]! - y[i]!) ** 2;
    expect(Math.sqrt(se / n)).toBeLessThan(0.15);
    expect(model.classLabels).toBeUndefined();
  });

  it('separates three classes with softmax, K trees per iteration, rows of probabilities', async () => {
    const rng = new Rng(3);
    const n = 3000;
    const x = uniform(n, rng);
    const y = Float64Array.from(x, (v) => (v < 0.3 ? 0 : v < 0.7 ? 1 : 2));
    const model = await fit(numericFrame({ x }), y, { problem: 'multiclass', classes: 3, params: { max_iter: 30 } });
    const p = model.predict(numericFrame({ x }));
    expect(p.length).toBe(3 * n);
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const row = [p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!];
      expect(row[0]! + row[1]! + row[2]!).toBeCloseTo(1, 12);
      if (row.indexOf(Math.max(...row)) === y[i]) ok++;
    }
    expect(ok / n).toBeGreaterThan(0.98);
    expect((model.toJSON().trees as unknown[]).length).toBe(30 * 3);
    expect(model.classLabels).toEqual(['0', '1', '2']);
  });

  it('learns a signal carried only by categories, with native categorical splits', async () => {
    const rng = new Rng(4);
    const n = 6000;
    const categories = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const good = new Set([1, 5, 7, 12, 20, 33, 39]);
    const codes = Int32Array.from({ length: n }, () => rng.below(40));
    const y = Float64Array.from(codes, (c) => (good.has(c) ? 1 : 0));
    const frame: FeatureFrame = { rows: n, features: [{ name: 'cat', kind: 'categorical', codes, categories }, { name: 'noise', kind: 'numeric', values: uniform(n, rng) }] };
    const model = await fit(frame, y, { problem: 'binary', params: { max_iter: 10 } });
    expect(accuracy(model.predict(frame), y)).toBe(1);
    const root = (model.toJSON().trees as Array<{ nodes: Array<{ categories_left?: string[] }> }>)[0]!.nodes[0]!;
    const left = new Set(root.categories_left);
    // One split isolates the whole good set on one side.
    const goodNames = [...good].map((c) => `c${c}`);
    expect(goodNames.every((c) => left.has(c)) || goodNames.every((c) => !left.has(c))).toBe(true);

    // Categories in another order at predict time map by label.
    const shuffled = [...categories].reverse();
    const recoded: FeatureFrame = { rows: n, features: [{ name: 'cat', kind: 'categorical', codes: Int32Array.from(codes, (c) => 39 - c), categories: shuffled }, frame.features[1]!] };
    expect(model.predict(recoded)).toEqual(model.predict(frame));
  });

  it('keeps the rarest categories beyond max_bins in one "other" bin', async () => {
    const rng = new Rng(5);
    const n = 8000;
    const categories = Array.from({ length: 300 }, (_, i) => `k${i}`);
    // Codes 0..9 are common, the other 290 rare; the label depends on common codes only.
    const codes = Int32Array.from({ length: n }, () => (rng.next() < 0.8 ? rng.below(10) : 10 + rng.below(290)));
    const y = Float64Array.from(codes, (c) => (c < 5 ? 1 : 0));
    const frame: FeatureFrame = { rows: n, features: [{ name: 'k', kind: 'categorical', codes, categories }] };
    const model = await fit(frame, y, { problem: 'binary', params: { max_iter: 10, max_bins: 32 } });
    expect(accuracy(model.predict(frame), y)).toBe(1);
  });

  it('learns a signal carried only by missingness, and the default direction of missing values', async () => {
    const rng = new Rng(6);
    const n = 5000;
    const x = uniform(n, rng);
    const missing = Float64Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
    for (let i = 0; i < n; i++) if (missing[i] === 1) x[i] = NaN;
    const codes = Int32Array.from({ length: n }, () => rng.below(4));
    const catMissing = Float64Array.from({ length: n }, () => (rng.next() < 0.25 ? 1 : 0));
    for (let i = 0; i < n; i++) if (catMissing[i] === 1) codes[i] = -1;
    const y = Float64Array.from(missing, (m, i) => (m === 1 || catMissing[i] === 1 ? 1 : 0));
    const frame: FeatureFrame = { rows: n, features: [{ name: 'x', kind: 'numeric', values: x }, { name: 'c', kind: 'categorical', codes, categories: ['a', 'b', 'c', 'd'] }] };
    const model = await fit(frame, y, { problem: 'binary', params: { max_iter: 10 } });
    expect(accuracy(model.predict(frame), y)).toBe(1);
    // A numeric split that sends missing values one way and every value the other.
    const nodes = (model.toJSON().trees as Array<{ nodes: Array<Record<string, unknown>> }>)[0]!.nodes;
    expect(nodes.some((nd) => nd.feature === 'x' && nd.threshold === null)).toBe(true);
  });
});

describe('gbdt learner: early stopping, metrics, determinism', () => {
  it('stops when the validation loss stops improving and keeps the best iteration', async () => {
    const rng = new Rng(7);
    const n = 20_000;
    const x = uniform(n, rng);
    const y = Float64Array.from(x, (v) => (rng.next() < 0.3 + 0.4 * v ? 1 : 0));
    const seen: Array<[number, Record<string, number>]> = [];
    const model = await fit(numericFrame({ x }), y, {
      problem: 'binary',
      params: { max_iter: 500, early_stopping: 'auto', learning_rate: 0.3 },
      onIteration: (i, m) => seen.push([i, m]),
    });
    const json = model.toJSON();
    expect(seen.length).toBeLessThan(500);
    expect(model.bestIteration).not.toBeNull();
    expect(json.n_iterations).toBe(model.bestIteration);
    expect(seen.length - model.bestIteration!).toBe(10);
    expect(seen[0]![1]).toHaveProperty('train_loss');
    expect(seen[0]![1]).toHaveProperty('validation_loss');
    const losses = seen.map(([, m]) => m.validation_loss!);
    expect(Math.min(...losses)).toBe(losses[model.bestIteration! - 1]);
  });

  it('uses a given validation set and reports its loss without stopping when early_stopping is false', async () => {
    const rng = new Rng(8);
    const x = uniform(2000, rng);
    const y = Float64Array.from(x, (v) => v * 2);
    const vx = uniform(500, rng);
    const seen: number[] = [];
    const model = await fit(numericFrame({ x }), y, {
      problem: 'regression',
      params: { max_iter: 25 },
      validation: { frame: numericFrame({ x: vx }), labels: Float64Array.from(vx, (v) => v * 2) },
      onIteration: (_, m) => seen.push(m.validation_loss!),
    });
    expect(seen.length).toBe(25);
    expect(seen[24]!).toBeLessThan(seen[0]!);
    expect(model.toJSON().n_iterations).toBe(25);
  });

  it('gives identical model JSON for the same data and random_state', async () => {
    const { frame, labels } = syntheticFlights(30_000, 9);
    const params = { max_iter: 15, early_stopping: true, binning_sample: 5000, random_state: 42 };
    const a = await fit(frame, labels, { problem: 'binary', params });
    const b = await fit(frame, labels, { problem: 'binary', params });
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
    const c = await fit(frame, labels, { problem: 'binary', params: { ...params, random_state: 43 } });
    expect(JSON.stringify(c.toJSON())).not.toBe(JSON.stringify(a.toJSON()));
  });

  it('moves rows stably over several blocks into the other buffer set, bins, gradients, raw scores and labels together', async () => {
    const n = 5 * BLOCK_ROWS + 123;
    const rng = new Rng(3);
    // One feature and k = 1 (rows of one word, labels in `y`), then six features and three outputs
    // (rows moved as one double, labels in the bins).
    for (const [features, k] of [[1, 1], [6, 3]] as const) {
      const offsets = Int32Array.from({ length: features + 1 }, (_, f) => 256 * f);
      const s = sharedState(n, features, offsets, k, k > 1 ? 2 : 1, 1);
      const rb = s.rowBytes;
      for (let i = 0; i < n * rb; i++) s.bins[0]![i] = rng.below(256);
      for (let i = 0; i < n; i++) {
        s.y[0]![i] = i;
        for (let c = 0; c < k; c++) {
          s.raw[0]![i * k + c] = i + c / 8;
          s.gh[0]![c * 2 * n + 2 * i] = i;
          s.gh[0]![c * 2 * n + 2 * i + 1] = -c;
        }
      }
      const feature = features - 1;
      const leftBins = new Uint32Array(8);
      for (let b = 0; b < 256; b++) if (rng.next() < 0.4) leftBins[b >>> 5]! |= 1 << (b & 31);
      const goesLeft = (i: number): boolean => {
        const bin = s.bins[0]![i * rb + feature]!;
        return ((leftBins[bin >>> 5]! >>> (bin & 31)) & 1) === 1;
      };
      const start = 1000;
      const end = n - 777;
      const rows = Array.from({ length: end - start }, (_, j) => start + j);
      const want = [...rows.filter(goesLeft), ...rows.filter((i) => !goesLeft(i))];
      for (const threads of [1, 2, 3]) {
        s.raw[1]!.fill(-1);
        s.y[1]!.fill(-1);
        const exec = await startExecutor(s, threads);
        try {
          const mid = partitionRows(s, exec, start, end, 0, feature, leftBins, rows.filter(goesLeft).length);
          expect(mid - start).toBe(rows.filter(goesLeft).length);
          // raw[0] of a row is its position before the move; labels move with the row, in `y` or
          // (classification with a free byte) in the row's bins.
          expect(Array.from({ length: end - start }, (_, j) => s.raw[1]![(start + j) * k]!)).toEqual(want);
          if (s.labelByte < 0) expect(Array.from(s.y[1]!.subarray(start, end))).toEqual(want);
          expect(s.raw[1]![(start - 1) * k]).toBe(-1);
          expect(s.raw[1]![end * k]).toBe(-1);
          for (let j = 0; j < want.length; j += 97) {
            const d = start + j;
            const i = want[j]!;
            expect(Array.from(s.bins[1]!.subarray(d * rb, d * rb + rb))).toEqual(Array.from(s.bins[0]!.subarray(i * rb, i * rb + rb)));
            for (let c = 0; c < k; c++) {
              expect(s.raw[1]![d * k + c]).toBe(i + c / 8);
              expect([s.gh[1]![c * 2 * n + 2 * d], s.gh[1]![c * 2 * n + 2 * d + 1]]).toEqual([i, -c]);
            }
          }
          // A count that disagrees with the rows is an error, not a silent corruption.
          expect(() => partitionRows(s, exec, start, end, 0, feature, leftBins, 5)).toThrow(/left, the histogram counted 5/);
        } finally {
          await exec.close();
        }
      }
    }
  });

  it('histograms paired features jointly and sums their own histograms from the cells, equal to separate histograms', () => {
    const n = 20_000;
    // Widths (bins + missing): 9, 300, 4, 25; the narrowest two (4 × 9) pair up, then 25 × 300 is too many cells.
    const offsets = Int32Array.from([0, 9, 309, 313, 338]);
    const pairs = histPairs(offsets, 4);
    expect(pairs).toEqual([{ a: 2, b: 0, widthB: 9, offset: 338 }]);
    const plain = sharedState(n, 4, offsets, 1, 1, 1);
    const joint = sharedState(n, 4, offsets, 1, 1, 1, pairs);
    for (const s of [plain, joint]) {
      const r2 = new Rng(6);
      for (let i = 0; i < n; i++) {
        for (let f = 0; f < 4; f++) s.bins[0]![i * s.rowBytes + f] = r2.below(offsets[f + 1]! - offsets[f]!);
        // Multiples of 1/8 add up exactly in any order.
        s.gh[0]![2 * i] = r2.below(16) / 8 - 1;
        s.gh[0]![2 * i + 1] = r2.below(8) / 8;
      }
      s.kernels.range[0]!(0, n, 0, 0);
    }
    fillMarginals(joint.hist, 0, offsets, pairs);
    expect(Array.from(joint.hist.subarray(0, 338 * 3))).toEqual(Array.from(plain.hist.subarray(0, 338 * 3)));
  });

  it('trains on rows wider than 8 bytes (9 features: bins moved as words, labels in their own array)', async () => {
    const n = 60_000;
    const rng = new Rng(21);
    const cols: Record<string, Float64Array> = {};
    for (let f = 0; f < 9; f++) cols[`x${f}`] = uniform(n, rng);
    const y = Float64Array.from({ length: n }, (_, i) => (cols.x7![i]! + 0.3 * cols.x2![i]! > 0.65 ? 1 : 0));
    const frame = numericFrame(cols);
    const one = await fit(frame, y, { problem: 'binary', params: { max_iter: 10 }, threads: 1 });
    const two = await fit(frame, y, { problem: 'binary', params: { max_iter: 10 }, threads: 2 });
    expect(JSON.stringify(two.toJSON())).toBe(JSON.stringify(one.toJSON()));
    expect(accuracy(one.predict(frame), y)).toBeGreaterThan(0.97);
  });

  it('builds the same model on worker threads as on the calling thread', async () => {
    const { frame, labels } = syntheticFlights(40_000, 10);
    const params = { max_iter: 8 };
    const losses: number[][] = [[], [], []];
    const report = (t: number) => (it: number, m: Record<string, number>) => losses[t]!.push(it, m.train_loss!);
    const inProcess = await fit(frame, labels, { problem: 'binary', params, threads: 1, onIteration: report(0) });
    const workers = await fit(frame, labels, { problem: 'binary', params, threads: 2, onIteration: report(1) });
    const three = await fit(frame, labels, { problem: 'binary', params, threads: 3, onIteration: report(2) });
    expect(JSON.stringify(workers.toJSON())).toBe(JSON.stringify(inProcess.toJSON()));
    expect(JSON.stringify(three.toJSON())).toBe(JSON.stringify(inProcess.toJSON()));
    // The training loss, computed by every thread within the gradient pass: reported once per
    // iteration, in order, falling, and the same on any thread count.
    expect(losses[0]!.filter((_, i) => i % 2 === 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const train = losses[0]!.filter((_, i) => i % 2 === 1);
    for (let i = 1; i < train.length; i++) expect(train[i]!).toBeLessThan(train[i - 1]!);
    expect(losses[1]).toEqual(losses[0]);
    expect(losses[2]).toEqual(losses[0]);
    // Under 100,000 rows every row is in the sample: the last report is the model's log loss.
    const raw = inProcess.predictRaw(frame);
    let logLoss = 0;
    for (let i = 0; i < labels.length; i++) logLoss += Math.log1p(Math.exp(-Math.abs(raw[i]!))) + Math.max(raw[i]!, 0) - labels[i]! * raw[i]!;
    expect(train[train.length - 1]!).toBeCloseTo(logLoss / labels.length, 9);
    const y3 = Float64Array.from(labels, (v, i) => (v === 1 ? 2 : i % 2));
    const multiA = await fit(frame, y3, { problem: 'multiclass', params: { max_iter: 3 }, threads: 1 });
    const multiB = await fit(frame, y3, { problem: 'multiclass', params: { max_iter: 3 }, threads: 2 });
    expect(JSON.stringify(multiB.toJSON())).toBe(JSON.stringify(multiA.toJSON()));
  });
});

describe('gbdt model: JSON, prediction, errors', () => {
  it('round-trips through JSON text with identical predictions and an identical JSON', async () => {
    const { frame, labels } = syntheticFlights(20_000, 11);
    const model = await fit(frame, labels, { problem: 'binary', params: { max_iter: 20 } });
    const text = JSON.stringify(model.toJSON());
    const back = gbdtFromJSON(JSON.parse(text) as Record<string, unknown>);
    expect(JSON.stringify(back.toJSON())).toBe(text);
    expect(back.predict(frame)).toEqual(model.predict(frame));
    expect(auc(model.predict(frame), labels)).toBeGreaterThan(0.6);
    const splits = (model.toJSON().feature_importance as { splits: Record<string, number> }).splits;
    expect(Object.values(splits).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('scores the same with compiled trees as by walking the node arrays, missing values and unseen categories included', async () => {
    const { frame, labels } = syntheticFlights(10_000, 13);
    const y3 = Float64Array.from(labels, (v, i) => (v === 1 ? 2 : i % 2));
    const model = await fit(frame, y3, { problem: 'multiclass', params: { max_iter: 5, max_depth: 4 } });
    const origin = frame.features[4]!;
    if (origin.kind !== 'categorical') throw new Error('fixture');
    // Unseen labels and missing codes at predict time.
    const probe: FeatureFrame = { rows: frame.rows, features: frame.features.map((f) => (f === origin ? { ...origin, categories: [...origin.categories.slice(0, 250), 'ZZZ'], codes: Int32Array.from(origin.codes, (c, i) => (i % 7 === 0 ? -1 : c > 250 ? 250 : c)) } : f)) };
    expect(model.predictRaw(probe)).toEqual(model.predictRaw(probe, true));
    expect(model.predictRaw(frame)).toEqual(model.predictRaw(frame, true));
  });

  it('scores large batches on worker threads with the same results as on the calling thread', async () => {
    const { frame, labels } = syntheticFlights(60_000, 14);
    const model = await fit(frame, labels, { problem: 'binary', params: { max_iter: 10 } });
    model.poolMinRows = 1000;
    model.scoringThreads = 1;
    const local = model.predict(frame);
    model.scoringThreads = 2;
    // The first large batch starts the worker; it takes blocks as soon as it is up.
    let workerBlocks = 0;
    for (let i = 0; i < 100 && workerBlocks === 0; i++) {
      const pooled = model.predict(frame);
      expect(pooled.buffer).toBeInstanceOf(ArrayBuffer);
      expect(pooled).toEqual(local);
      workerBlocks = (model as unknown as { pool: { lastWorkerBlocks: number } | null }).pool?.lastWorkerBlocks ?? 0;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(workerBlocks).toBeGreaterThan(0);
    await model.close();
    expect(model.predict(frame)).toEqual(local);
    await model.close();
  });

  it('scores trees deeper than the score tables take with the compiled trees, as the node walk does', () => {
    // A chain of splits on x: x ≤ 0 → leaf 0, else x ≤ 1 → leaf 1, … deeper than MAX_TABLE_DEPTH.
    const depth = MAX_TABLE_DEPTH + 2;
    const nodes: GbdtJson['trees'][number]['nodes'] = [];
    for (let d = 0; d < depth; d++) {
      const id = 2 * d;
      nodes.push({ id, feature: 'x', threshold: d, missing: d % 2 === 0 ? 'left' : 'right', left: id + 1, right: id + 2, gain: 1, count: 10 });
      nodes.push({ id: id + 1, leaf: true, value: d / 10, count: 5 });
    }
    nodes.push({ id: 2 * depth, leaf: true, value: -1, count: 5 });
    const shallow = [{ id: 0, feature: 'x', threshold: 2.5, missing: 'right' as const, left: 1, right: 2, gain: 1, count: 10 }, { id: 1, leaf: true as const, value: 0.5, count: 5 }, { id: 2, leaf: true as const, value: -0.5, count: 5 }];
    const json = (trees: Array<GbdtJson['trees'][number]['nodes']>): Record<string, unknown> => ({
      kind: 'gbdt', format_version: 1, problem: 'regression', n_outputs: 1, schema: [{ name: 'x', kind: 'numeric' }], params: {}, baseline: [0.25],
      n_iterations: trees.length, best_iteration: null, feature_importance: { gain: { x: 1 }, splits: { x: 1 } }, trees: trees.map((n) => ({ output: 0, nodes: n })),
    });
    const x = Float64Array.from({ length: 40 }, (_, i) => (i % 9 === 0 ? NaN : i / 2 - 1));
    const frame = numericFrame({ x });
    const deep = gbdtFromJSON(json([shallow, nodes]));
    const walked = deep.predictRaw(frame, true);
    expect(deep.predictRaw(frame)).toEqual(walked);
    expect(walked[1]).toBe(0.25 + 0.5 + 0); // x = -0.5: left at the first split of both trees
    // Without the deep tree the same model scores through the tables, with the same sums.
    const tabled = gbdtFromJSON(json([shallow]));
    expect(tabled.predictRaw(frame)).toEqual(tabled.predictRaw(frame, true));
  });

  it('scores one row with scoreRow exactly as predict does', async () => {
    const { frame, labels } = syntheticFlights(10_000, 12);
    const model = await fit(frame, labels, { problem: 'binary', params: { max_iter: 10 } });
    const batch = model.predict(frame);
    const row = new Float64Array(frame.features.length);
    for (let r = 0; r < 200; r++) {
      frame.features.forEach((f, i) => (row[i] = f.kind === 'numeric' ? f.values[r]! : f.codes[r]!));
      expect(model.scoreRow(row)).toBe(batch[r]);
    }
  });

  it('scores small batches (compiled trees) exactly as the rows of a large batch (score tables)', async () => {
    const { frame, labels } = syntheticFlights(10_000, 15);
    const model = await fit(frame, labels, { problem: 'binary', params: { max_iter: 10 } });
    const batch = model.predict(frame);
    const slice = (start: number, n: number): FeatureFrame => ({
      rows: n,
      features: frame.features.map((f) => (f.kind === 'numeric' ? { ...f, values: f.values.slice(start, start + n) } : { ...f, codes: f.codes.slice(start, start + n) })),
    });
    for (const [start, n] of [[0, 1], [7, 5], [100, 16], [300, 17]] as const) {
      expect(model.predict(slice(start, n))).toEqual(batch.slice(start, start + n));
    }
  });

  it('refuses unknown and out-of-range parameters, naming them', async () => {
    const frame = numericFrame({ x: new Float64Array([1, 2, 3, 4]) });
    const y = new Float64Array([0, 1, 0, 1]);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ max_leafs: 3 }, 'max_leafs'],
      [{ learning_rate: 0 }, 'learning_rate'],
      [{ max_bins: 256 }, 'max_bins'],
      [{ max_iter: 2.5 }, 'max_iter'],
      [{ early_stopping: 'yes' }, 'early_stopping'],
      [{ validation_fraction: 1 }, 'validation_fraction'],
      [{ max_leaf_nodes: null }, 'max_leaf_nodes'],
      [{ max_leaf_nodes: 5000 }, 'max_leaf_nodes'],
    ];
    for (const [params, field] of cases) {
      const err = await gbdtLearner.fit(frame, y, { problem: 'binary', params: params as unknown as GbdtParams }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HangarError);
      expect((err as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((err as HangarError).field).toBe(field);
      expect((err as HangarError).message).toContain(field);
    }
    // Strings from --param KEY=VALUE are read as numbers and booleans.
    const ok = await gbdtLearner.fit(frame, y, { problem: 'binary', params: { max_iter: '2', early_stopping: 'false', min_samples_leaf: '1' } as unknown as GbdtParams });
    expect(ok.toJSON().n_iterations).toBe(2);
  });

  it('refuses labels that do not fit the problem, and frames missing a feature at predict time', async () => {
    const frame = numericFrame({ x: new Float64Array([1, 2, 3, 4]) });
    await expect(fit(frame, new Float64Array([0, 1, 2, 1]), { problem: 'binary' })).rejects.toMatchObject({ field: 'labels' });
    await expect(fit(frame, new Float64Array([0, 1]), { problem: 'regression' })).rejects.toMatchObject({ field: 'labels' });
    const model = await fit(frame, new Float64Array([0, 1, 0, 1]), { problem: 'binary', params: { min_samples_leaf: 1, max_iter: 2 } });
    expect(() => model.predict(numericFrame({ y: new Float64Array([1]) }))).toThrow(/Missing feature 'x'/);
    expect(() => gbdtFromJSON({ kind: 'linear' })).toThrow(HangarError);
    // Malformed trees are refused before anything is compiled from them.
    const json = model.toJSON() as unknown as GbdtJson;
    const split = json.trees.map((t) => t.nodes[0]!).find((nd) => 'threshold' in nd);
    if (split === undefined) throw new Error('fixture: no split');
    const broken = (edit: (n: Record<string, unknown>) => void): Record<string, unknown> => {
      const copy = structuredClone(json);
      edit(copy.trees[json.trees.findIndex((t) => t.nodes[0] === split)]!.nodes[0] as unknown as Record<string, unknown>);
      return copy as unknown as Record<string, unknown>;
    };
    expect(() => gbdtFromJSON(broken((n) => (n.threshold = '1); process.exit(1); (1')))).toThrow(/finite threshold/);
    expect(() => gbdtFromJSON(broken((n) => (n.left = 0)))).toThrow(/children out of range/);
    expect(() => gbdtFromJSON(broken((n) => (n.feature = 'nope')))).toThrow(HangarError);
  });
});
