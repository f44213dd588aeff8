import { availableParallelism } from 'node:os';
import type { FeatureFrame, FitOptions, Labels, Learner, Problem } from '../types.js';
import { HangarError } from '../../../core/errors.js';
import { binFrame, binOffsets, fitBinMappers, type BinMapper } from './binning.js';
import { MAX_BLOCKS, TreeGrower, type GrownNode } from './grower.js';
import { CTRL, JOB_GRAD } from './kernels.js';
import { GBDT_DEFAULTS, leafCap, resolveGbdtParams, type GbdtParams } from './params.js';
import { histPairs, runLocal, sharedState, startExecutor, type Executor } from './pool.js';
import { Rng } from './rng.js';
import { GbdtModel, type GbdtJson, type GbdtJsonNode, type SchemaEntry } from './tree-model.js';

/** Blocks of a gradient pass with several outputs: fixed, so that the training loss adds up in one order on any thread count (one output: the root histogram's blocks). */
const GRAD_BLOCKS = 8;
/** Below this many rows, fits run on the calling thread unless `threads` is given. */
const WORKERS_MIN_ROWS = 50_000;
/** Training loss is reported on an evenly spaced sample of at most this many positions (rows in their order of the moment). */
const TRAIN_LOSS_ROWS = 100_000;
/** 'auto' early stopping turns on above this many rows, as in scikit-learn. */
const AUTO_EARLY_STOPPING_ROWS = 10_000;

const KIND: Record<Problem, number> = { regression: 0, binary: 1, multiclass: 2 };

/** Histogram gradient-boosted trees: binary (log loss), multiclass (softmax) and regression (squared error). */
export const gbdtLearner: Learner<GbdtParams> = {
  name: 'gbdt',
  defaults: GBDT_DEFAULTS,
  fit: fitGbdt,
};

function bad(field: string, message: string): HangarError {
  return new HangarError('INVALID_PARAMETER_VALUE', message, { field });
}

function checkLabels(labels: Labels, rows: number, problem: Problem, classes: number | undefined): number {
  if (labels.length !== rows) throw bad('labels', `labels has ${labels.length} values for ${rows} rows`);
  if (problem === 'regression') {
    for (let i = 0; i < labels.length; i++) if (!Number.isFinite(labels[i]!)) throw bad('labels', `label of row ${i} is not a finite number`);
    return 1;
  }
  let max = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0) throw bad('labels', `label of row ${i} is ${v}; classes are 0..K-1`);
    if (v > max) max = v;
  }
  if (problem === 'binary') {
    if (max > 1) throw bad('labels', `binary labels must be 0 or 1 (found ${max})`);
    return 1;
  }
  const k = classes ?? max + 1;
  if (!Number.isInteger(k) || k < 2) throw bad('classes', `multiclass needs at least 2 classes (got ${k})`);
  if (max >= k) throw bad('labels', `label ${max} is out of range for ${k} classes`);
  return k;
}

function subsetFrame(frame: FeatureFrame, rows: Uint32Array): FeatureFrame {
  return {
    rows: rows.length,
    features: frame.features.map((f) =>
      f.kind === 'numeric'
        ? { name: f.name, kind: 'numeric' as const, values: Float64Array.from(rows, (r) => f.values[r]!) }
        : { name: f.name, kind: 'categorical' as const, categories: f.categories, codes: Int32Array.from(rows, (r) => f.codes[r]!) },
    ),
  };
}

/** Loss of raw scores against labels: mean log loss (binary, multiclass) or mean squared error. */
function meanLoss(kind: number, k: number, raw: Float64Array, y: Float64Array, n: number, stride: number): number {
  let sum = 0;
  let m = 0;
  for (let r = 0; r < n; r += stride, m++) {
    if (kind === 0) {
      const d = raw[r]! - y[r]!;
      sum += d * d;
    } else if (kind === 1) {
      const z = raw[r]!;
      const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      sum += softplus - y[r]! * z;
    } else {
      const base = r * k;
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (raw[base + c]! > max) max = raw[base + c]!;
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp(raw[base + c]! - max);
      sum += max + Math.log(s) - raw[base + y[r]!]!;
    }
  }
  return m === 0 ? 0 : sum / m;
}

function baselineScores(kind: number, k: number, y: Float64Array, n: number): Float64Array {
  const out = new Float64Array(k);
  if (n === 0) return out;
  if (kind === 0) {
    let s = 0;
    for (let i = 0; i < n; i++) s += y[i]!;
    out[0] = s / n;
  } else if (kind === 1) {
    let s = 0;
    for (let i = 0; i < n; i++) s += y[i]!;
    const p = Math.min(1 - 1e-15, Math.max(1e-15, s / n));
    out[0] = Math.log(p / (1 - p));
  } else {
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) counts[y[i]!]!++;
    let mean = 0;
    for (let c = 0; c < k; c++) {
      out[c] = Math.log(Math.max(1e-15, counts[c]! / n));
      mean += out[c]! / k;
    }
    for (let c = 0; c < k; c++) out[c]! -= mean;
  }
  return out;
}

/** Adds one tree's leaf values to raw scores of binned rows (the validation set). */
function addTreeBinned(nodes: GrownNode[], bins: Uint8Array, features: number, n: number, raw: Float64Array, k: number, out: number): void {
  for (let r = 0; r < n; r++) {
    let node = nodes[0]!;
    while (node.split !== null) {
      const b = bins[r * features + node.split.feature]!;
      node = nodes[(node.split.leftBins[b >>> 5]! >>> (b & 31)) & 1 ? node.left : node.right]!;
    }
    raw[r * k + out]! += node.value;
  }
}

async function fitGbdt(frame: FeatureFrame, labels: Labels, options: FitOptions<GbdtParams>): Promise<GbdtModel> {
  const p = resolveGbdtParams(options.params as unknown as Record<string, unknown>);
  const problem = options.problem;
  if (!(problem in KIND)) throw bad('problem', `unknown problem '${String(problem)}'; known: binary, multiclass, regression`);
  if (frame.features.length === 0) throw bad('features', 'the frame has no features');
  if (frame.rows < 2) throw bad('rows', 'at least 2 training rows are needed');
  const k = checkLabels(labels, frame.rows, problem, options.classes);
  const kind = KIND[problem];
  const earlyStopping = p.early_stopping === 'auto' ? frame.rows > AUTO_EARLY_STOPPING_ROWS : p.early_stopping;

  // Training and validation sets: the given validation set, or a seeded random share of the rows.
  let train = frame;
  let trainY = labels;
  let valid: { frame: FeatureFrame; labels: Labels } | undefined = options.validation;
  if (valid !== undefined) checkLabels(valid.labels, valid.frame.rows, problem, k > 1 ? k : undefined);
  if (valid === undefined && earlyStopping) {
    const rng = new Rng(p.random_state + 1);
    const nVal = Math.max(1, Math.min(frame.rows - 1, Math.round(frame.rows * p.validation_fraction)));
    const isVal = new Uint8Array(frame.rows);
    let picked = 0;
    while (picked < nVal) {
      const r = rng.below(frame.rows);
      if (isVal[r] === 0) {
        isVal[r] = 1;
        picked++;
      }
    }
    const tr = new Uint32Array(frame.rows - nVal);
    const va = new Uint32Array(nVal);
    for (let r = 0, a = 0, b = 0; r < frame.rows; r++) {
      if (isVal[r] === 1) va[b++] = r;
      else tr[a++] = r;
    }
    train = subsetFrame(frame, tr);
    trainY = Float64Array.from(tr, (r) => labels[r]!);
    valid = { frame: subsetFrame(frame, va), labels: Float64Array.from(va, (r) => labels[r]!) };
  }

  const n = train.rows;
  const nf = train.features.length;
  const mappers = fitBinMappers(train, p.max_bins, p.binning_sample, p.random_state);
  const offsets = binOffsets(mappers);
  const cap = leafCap(p);
  const slots = Math.min(cap, Math.ceil(n / p.min_samples_leaf)) + 1;
  const state = sharedState(n, nf, offsets, k, kind, slots + MAX_BLOCKS - 1, histPairs(offsets, nf));
  binFrame(train, mappers, state.bins[0]!, state.rowBytes);
  state.y[0]!.set(trainY);
  if (state.labelByte >= 0) for (let r = 0; r < n; r++) state.bins[0]![r * state.rowBytes + state.labelByte] = trainY[r]!;

  let vbins: Uint8Array | null = null;
  let vraw: Float64Array | null = null;
  const nv = valid?.frame.rows ?? 0;
  if (valid !== undefined) {
    vbins = new Uint8Array(nv * nf);
    binFrame(valid.frame, mappers, vbins);
  }

  const baseline = baselineScores(kind, k, state.y[0]!, n);
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) state.raw[0]![r * k + c] = baseline[c]!;
  if (valid !== undefined) {
    vraw = new Float64Array(nv * k);
    for (let r = 0; r < nv; r++) for (let c = 0; c < k; c++) vraw[r * k + c] = baseline[c]!;
  }

  const requested = options.threads ?? (n >= WORKERS_MIN_ROWS ? availableParallelism() : 1);
  const threads = Math.max(1, Math.min(requested, MAX_BLOCKS));
  // Workers that cannot start (thread limits, a sandbox) cost speed, not the fit.
  const exec: Executor = await startExecutor(state, threads).catch(() => startExecutor(state, 1));
  const trees: Array<{ output: number; nodes: GrownNode[] }> = [];
  let bestLoss = Infinity;
  let bestIter = 0;
  try {
    const grower = new TreeGrower(state, exec, mappers, {
      learningRate: p.learning_rate,
      l2: p.l2_regularization,
      minSamplesLeaf: p.min_samples_leaf,
      minGain: p.min_gain_to_split,
      maxLeaves: cap,
      maxDepth: p.max_depth ?? Infinity,
      outputs: k,
    }, slots);
    const stride = Math.max(1, Math.ceil(n / TRAIN_LOSS_ROWS));
    const sampled = Math.ceil(n / stride);
    const yv = valid?.labels;
    if (vraw !== null && yv !== undefined) bestLoss = meanLoss(kind, k, vraw, yv, nv, 1);
    // Gradients of the current raw scores; with `loss`, also the training loss of those scores
    // (on every thread, in the same pass), which is the loss of the iteration just finished.
    const gradients = (loss: boolean): number => {
      if (grower.canFuseRoot) {
        const blocks = grower.gradientsWithRoot(loss ? stride : 0);
        let sum = 0;
        for (let b = 0; b < blocks; b++) sum += state.partSums[b]!;
        return sum / sampled;
      }
      state.ctrl[CTRL.TYPE] = JOB_GRAD;
      state.ctrl[CTRL.ARG] = 0;
      state.ctrl[CTRL.ARG + 1] = n;
      state.ctrl[CTRL.ARG + 2] = state.cur;
      state.ctrl[CTRL.ARG + 3] = GRAD_BLOCKS;
      state.ctrl[CTRL.ARG + 4] = loss ? stride : 0;
      if (exec.threads > 1) exec.run();
      else runLocal(state);
      let sum = 0;
      for (let b = 0; b < GRAD_BLOCKS; b++) sum += state.partSums[b]!;
      return sum / sampled;
    };
    // An iteration's report waits for the next gradient pass, which computes its training loss.
    let pending: { it: number; validation?: number } | null = null;
    const report = (trainLoss: number): void => {
      if (pending === null) return;
      const metrics: Record<string, number> = { train_loss: trainLoss };
      if (pending.validation !== undefined) metrics.validation_loss = pending.validation;
      options.onIteration?.(pending.it, metrics);
      pending = null;
    };
    const wantReports = options.onIteration !== undefined;

    for (let it = 1; it <= p.max_iter; it++) {
      const trainLoss = gradients(wantReports && pending !== null);
      report(trainLoss);

      for (let c = 0; c < k; c++) {
        const nodes = grower.grow(c);
        if (vbins !== null && vraw !== null) addTreeBinned(nodes, vbins, nf, nv, vraw, k, c);
        trees.push({ output: c, nodes });
      }

      const done: { it: number; validation?: number } = { it };
      if (vraw !== null && yv !== undefined) {
        const loss = meanLoss(kind, k, vraw, yv, nv, 1);
        done.validation = loss;
        if (loss < bestLoss - p.tol) {
          bestLoss = loss;
          bestIter = it;
        }
      }
      if (wantReports) pending = done;
      if (earlyStopping && vraw !== null && it - bestIter >= p.n_iter_no_change) break;
    }
    if (pending !== null) report(gradients(true));
  } finally {
    await exec.close();
  }

  const kept = earlyStopping ? bestIter : trees.length / k;
  return new GbdtModel(
    toJson({
      problem,
      k,
      params: p,
      mappers,
      baseline,
      trees: trees.slice(0, kept * k),
      iterations: kept,
      bestIteration: vraw !== null ? bestIter : null,
      schema: train.features.map((f): SchemaEntry => (f.kind === 'numeric' ? { name: f.name, kind: 'numeric' } : { name: f.name, kind: 'categorical', categories: [...f.categories] })),
    }),
  );
}

function toJson(a: {
  problem: Problem;
  k: number;
  params: GbdtParams;
  mappers: BinMapper[];
  baseline: Float64Array;
  trees: Array<{ output: number; nodes: GrownNode[] }>;
  iterations: number;
  bestIteration: number | null;
  schema: SchemaEntry[];
}): GbdtJson {
  const gain: Record<string, number> = {};
  const splits: Record<string, number> = {};
  for (const m of a.mappers) {
    gain[m.name] = 0;
    splits[m.name] = 0;
  }
  const trees = a.trees.map((t) => ({
    output: t.output,
    nodes: t.nodes.map((node, id): GbdtJsonNode => {
      const s = node.split;
      // `+ 0` turns -0 into 0, which JSON could not keep anyway.
      if (s === null) return { id, leaf: true, value: node.value + 0, count: node.count };
      const m = a.mappers[s.feature]!;
      gain[m.name]! += s.gain;
      splits[m.name]!++;
      const common = { id, feature: m.name, missing: s.missingLeft ? ('left' as const) : ('right' as const), left: node.left, right: node.right, gain: s.gain, count: node.count };
      if (m.kind === 'numeric') {
        const { left, right, gain: g, count, missing } = common;
        return { id, feature: m.name, threshold: s.thresholdBin < m.nb - 1 ? m.edges[s.thresholdBin]! : null, missing, left, right, gain: g, count };
      }
      const codes: number[] = [];
      for (let b = 0; b < m.nb; b++) if ((s.leftBins[b >>> 5]! >>> (b & 31)) & 1) codes.push(...m.codesOfBin[b]!);
      codes.sort((x, y) => x - y);
      const { left, right, gain: g, count, missing } = common;
      return { id, feature: m.name, categories_left: codes.map((c) => m.categories[c]!), missing, left, right, gain: g, count };
    }),
  }));
  return {
    kind: 'gbdt',
    format_version: 1,
    problem: a.problem,
    n_outputs: a.k,
    ...(a.problem === 'regression' ? {} : { class_labels: Array.from({ length: a.problem === 'binary' ? 2 : a.k }, (_, i) => String(i)) }),
    schema: a.schema,
    params: { ...a.params },
    baseline: Array.from(a.baseline, (v) => v + 0),
    n_iterations: a.iterations,
    best_iteration: a.bestIteration,
    feature_importance: { gain, splits },
    trees,
  };
}
