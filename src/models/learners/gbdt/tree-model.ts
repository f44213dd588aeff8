import type { FeatureFrame, Problem, TabularModel } from '../types.js';
import { HangarError } from '../../../core/errors.js';
import { alignCodes, alignFeatures } from './binning.js';
import { availableParallelism } from 'node:os';
import { compileScorer, type CompiledScorer } from './compiled.js';
import { PredictPool, SCORE_BLOCK_ROWS, takeBlocks, type SharedBatch } from './predict-pool.js';
import { buildScoreTables, encodeFeature, scoreTables, type ScoreTables } from './table-scorer.js';
import type { GbdtJson, SchemaEntry } from './json.js';

export type { GbdtJson, GbdtJsonNode, SchemaEntry } from './json.js';

/**
 * A trained gbdt model. Its trees are flattened into typed arrays for prediction; numeric
 * thresholds are raw values, so scoring needs no bin edges.
 */
/** Batches of at most this many rows are scored by the compiled trees rather than the score tables. */
const SMALL_BATCH_ROWS = 16;

export class GbdtModel implements TabularModel {
  readonly kind = 'gbdt';
  readonly problem: Problem;
  readonly schema: SchemaEntry[];
  readonly classLabels?: string[];
  /** Outputs per row (1, or the class count for multiclass). */
  readonly outputs: number;
  /** 1-based best iteration under early stopping, else null. */
  readonly bestIteration: number | null;

  private readonly json: GbdtJson;
  private readonly nf: number;
  private readonly baseline: Float64Array;
  private readonly roots: Int32Array;
  private readonly feat: Int32Array;
  private readonly thr: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly missL: Uint8Array;
  private readonly catOff: Int32Array;
  private readonly catBits: Uint32Array;
  private readonly value: Float64Array;
  private readonly catCount: Int32Array;
  private readonly raw1: Float64Array;
  private readonly row1: Float64Array;
  /** Built on first use; null when a tree is too deep for them (the compiled trees are used). */
  private tables: ScoreTables | null | undefined;
  private readonly codes1: Uint16Array;
  /** Compiled on first use, for models without score tables; null when code generation is unavailable (the array walk is used). */
  private compiled: CompiledScorer | null | undefined;
  private pool: PredictPool | null = null;
  /**
   * Threads that score a batch of at least `poolMinRows` rows (default: the available cores,
   * at most 4). The workers start with the first such batch and take part in it as soon as
   * they are up.
   */
  scoringThreads = Math.min(4, availableParallelism());
  /** Smallest batch scored on several threads. Default 100,000. */
  poolMinRows = 100_000;

  constructor(json: GbdtJson) {
    this.json = json;
    this.problem = json.problem;
    this.schema = json.schema;
    if (json.class_labels !== undefined) this.classLabels = json.class_labels;
    this.outputs = json.n_outputs;
    this.bestIteration = json.best_iteration;
    this.nf = json.schema.length;
    this.baseline = Float64Array.from(json.baseline);
    const featIndex = new Map(json.schema.map((s, i) => [s.name, i]));
    this.catCount = Int32Array.from(json.schema, (s) => (s.kind === 'categorical' ? s.categories.length : -1));
    const catIndex = json.schema.map((s) => (s.kind === 'categorical' ? new Map(s.categories.map((c, i) => [c, i])) : null));

    let total = 0;
    let words = 0;
    for (const t of json.trees) {
      total += t.nodes.length;
      for (const n of t.nodes) {
        if ('categories_left' in n) words += Math.ceil(Math.max(1, this.catCount[featIndex.get(n.feature) ?? 0]!) / 32);
      }
    }
    this.roots = new Int32Array(json.trees.length);
    this.feat = new Int32Array(total).fill(-1);
    this.thr = new Float64Array(total);
    this.left = new Int32Array(total);
    this.right = new Int32Array(total);
    this.missL = new Uint8Array(total);
    this.catOff = new Int32Array(total).fill(-1);
    this.catBits = new Uint32Array(words);
    this.value = new Float64Array(total);
    this.raw1 = new Float64Array(this.outputs);
    this.row1 = new Float64Array(this.nf);
    this.codes1 = new Uint16Array(this.nf);

    let at = 0;
    let wordAt = 0;
    json.trees.forEach((tree, ti) => {
      this.roots[ti] = at;
      tree.nodes.forEach((n, i) => {
        const g = at + i;
        if ('leaf' in n) {
          this.value[g] = n.value;
          return;
        }
        const f = featIndex.get(n.feature);
        if (f === undefined) throw badModel(`tree ${ti} node ${n.id} splits on unknown feature '${n.feature}'`);
        this.feat[g] = f;
        this.left[g] = at + n.left;
        this.right[g] = at + n.right;
        this.missL[g] = n.missing === 'left' ? 1 : 0;
        if ('categories_left' in n) {
          const index = catIndex[f];
          if (!index) throw badModel(`tree ${ti} node ${n.id} has categories for numeric feature '${n.feature}'`);
          this.catOff[g] = wordAt;
          for (const c of n.categories_left) {
            const code = index.get(c);
            if (code !== undefined) this.catBits[wordAt + (code >>> 5)]! |= 1 << (code & 31);
          }
          wordAt += Math.ceil(Math.max(1, this.catCount[f]!) / 32);
        } else {
          this.thr[g] = n.threshold === null ? Infinity : n.threshold;
        }
      });
      at += tree.nodes.length;
    });
  }

  /** Raw feature values for every row, row-major, categorical codes in the model's category space (-1 missing). */
  private matrix(frame: FeatureFrame): Float64Array {
    const feats = alignFeatures(frame, this.schema);
    const n = frame.rows;
    const nf = this.nf;
    const x = new Float64Array(n * nf);
    for (let f = 0; f < nf; f++) {
      const s = this.schema[f]!;
      const feat = feats[f]!;
      if (feat.kind !== s.kind) throw new HangarError('INVALID_PARAMETER_VALUE', `Feature '${s.name}' must be ${s.kind}, as in training`, { field: s.name });
      if (s.kind === 'numeric' && feat.kind === 'numeric') {
        const v = feat.values;
        for (let r = 0; r < n; r++) x[r * nf + f] = v[r]!;
      } else if (s.kind === 'categorical' && feat.kind === 'categorical') {
        const codes = alignCodes(feat, s.categories);
        const c = s.categories.length;
        for (let r = 0; r < n; r++) {
          const code = codes[r]!;
          x[r * nf + f] = code >= 0 && code < c ? code : -1;
        }
      }
    }
    return x;
  }

  predict(frame: FeatureFrame): Float64Array {
    const raw = this.predictRaw(frame);
    this.link(raw, frame.rows);
    return raw;
  }

  /**
   * Raw scores (before the sigmoid or softmax), row-major rows × outputs.
   * `walk` scores by walking the node arrays instead of the score tables (for tests).
   */
  predictRaw(frame: FeatureFrame, walk = false): Float64Array {
    const n = frame.rows;
    const k = this.outputs;
    // A few rows go through the compiled trees: with the thresholds in the code, one row costs a
    // few microseconds, while the score tables pay a cache miss per tree level (about 20 µs a row
    // for 100 trees), which only batches of rows descending together hide.
    if (!walk && n <= SMALL_BATCH_ROWS && this.scorer() !== null) return this.predictRawCompiled(frame, false);
    const tables = walk ? null : this.scoreTables();
    if (tables === null) return this.predictRawCompiled(frame, walk);
    const big = n >= this.poolMinRows && this.scoringThreads > 1;
    // Large batches live on shared memory, so that scoring workers can take blocks of them.
    const alloc = <T extends Float64Array | Int32Array | Uint16Array>(Ctor: new (b: ArrayBuffer | SharedArrayBuffer) => T, length: number, bytes: number): T =>
      new Ctor(big ? new SharedArrayBuffer(length * bytes) : new ArrayBuffer(length * bytes));
    const batch: SharedBatch = { n, values: [], codes: [], encoded: alloc(Uint16Array, n * this.nf, 2), raw: alloc(Float64Array, n * k, 8) };
    const feats = alignFeatures(frame, this.schema);
    for (let f = 0; f < this.nf; f++) {
      const s = this.schema[f]!;
      const feat = feats[f]!;
      if (feat.kind !== s.kind) throw new HangarError('INVALID_PARAMETER_VALUE', `Feature '${s.name}' must be ${s.kind}, as in training`, { field: s.name });
      if (feat.kind === 'numeric') {
        batch.values.push(big ? copyTo(alloc(Float64Array, n, 8), feat.values) : feat.values);
        batch.codes.push(null);
      } else if (s.kind === 'categorical') {
        const codes = alignCodes(feat, s.categories);
        batch.values.push(null);
        batch.codes.push(big ? copyTo(alloc(Int32Array, n, 4), codes) : codes);
      }
    }
    const raw = batch.raw;
    const init = (): void => {
      for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) raw[r * k + c] = this.baseline[c]!;
    };
    init();
    if (big && this.pool === null) {
      try {
        this.pool = new PredictPool(tables, this.scoringThreads);
      } catch {
        // No workers here (thread limits, a sandbox): keep scoring on this thread.
        this.scoringThreads = 1;
      }
    }
    const pool = big && this.pool !== null && this.pool.usable() ? this.pool : null;
    if (pool !== null) {
      try {
        pool.run(batch);
        return new Float64Array(raw);
      } catch {
        // A failed worker costs speed, not the answer: score again on this thread.
        this.pool = null;
        void pool.close();
        init();
      }
    }
    const local = new Int32Array(4);
    takeBlocks(local, 0, Math.ceil(n / SCORE_BLOCK_ROWS), SCORE_BLOCK_ROWS, tables, batch, encodeFeature, scoreTables);
    if (local[3] !== 0) throw new HangarError('INTERNAL_ERROR', 'Scoring a gbdt batch failed');
    return big ? new Float64Array(raw) : raw;
  }

  /** Scores with the compiled trees (or the node-array walk): models whose trees are too deep for score tables. */
  private predictRawCompiled(frame: FeatureFrame, walk: boolean): Float64Array {
    const n = frame.rows;
    const k = this.outputs;
    const scorer = walk ? null : this.scorer();
    const x = this.matrix(frame);
    const raw = new Float64Array(n * k);
    for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) raw[r * k + c] = this.baseline[c]!;
    if (scorer !== null) scorer.run(x, 0, n, raw);
    else this.addTrees(x, n, raw);
    return raw;
  }

  /** Stops the scoring workers, if any started; the model stays usable. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
  }

  private scoreTables(): ScoreTables | null {
    if (this.tables === undefined) this.tables = buildScoreTables(this.json);
    return this.tables;
  }

  private scorer(): CompiledScorer | null {
    if (this.compiled === undefined) {
      try {
        this.compiled = compileScorer(this.json);
      } catch {
        // e.g. node --disallow-code-generation-from-strings: fall back to walking the arrays.
        this.compiled = null;
      }
    }
    return this.compiled;
  }

  private addTrees(x: Float64Array, n: number, raw: Float64Array): void {
    const nf = this.nf;
    const k = this.outputs;
    const { roots, feat, thr, left, right, missL, catOff, catBits, value } = this;
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t]!;
      const out = t % k;
      for (let r = 0; r < n; r++) {
        const row = r * nf;
        let nd = root;
        let f = feat[nd]!;
        while (f >= 0) {
          const v = x[row + f]!;
          const co = catOff[nd]!;
          let goLeft: boolean;
          if (co < 0) goLeft = v <= thr[nd]! || (v !== v && missL[nd] === 1);
          else if (v < 0) goLeft = missL[nd] === 1;
          else goLeft = ((catBits[co + (v >>> 5)]! >>> (v & 31)) & 1) === 1;
          nd = goLeft ? left[nd]! : right[nd]!;
          f = feat[nd]!;
        }
        raw[r * k + out]! += value[nd]!;
      }
    }
  }

  private link(raw: Float64Array, n: number): void {
    const k = this.outputs;
    if (this.problem === 'binary') {
      for (let i = 0; i < n; i++) raw[i] = 1 / (1 + Math.exp(-raw[i]!));
    } else if (this.problem === 'multiclass') {
      for (let r = 0; r < n; r++) softmaxInPlace(raw, r * k, k);
    }
  }

  /**
   * Scores one row without allocating: `values` holds the features in schema order (numbers for
   * numeric features, NaN when missing; category codes in the schema's order for categorical
   * ones, -1 when missing or unknown). Writes `outputs` numbers into `out` (P(1), the value, or
   * class probabilities) and returns out[0].
   */
  scoreRow(values: ArrayLike<number>, out: Float64Array = this.raw1): number {
    const k = this.outputs;
    const row = this.row1;
    const catCount = this.catCount;
    for (let f = 0; f < this.nf; f++) {
      const v = values[f]!;
      const c = catCount[f]!;
      // Codes outside the schema's categories count as missing, as in predict().
      row[f] = c < 0 ? v : Number.isInteger(v) && v >= 0 && v < c ? v : -1;
    }
    for (let c = 0; c < k; c++) out[c] = this.baseline[c]!;
    // One row: the compiled trees when code generation is available (see predictRaw).
    const compiled = this.scorer();
    const tables = compiled === null ? this.scoreTables() : null;
    if (compiled !== null) {
      compiled.run(row, 0, 1, out);
    } else if (tables !== null) {
      const codes = this.codes1;
      for (let f = 0; f < this.nf; f++) {
        const thr = tables.thresholds[f];
        const v = row[f]!;
        if (thr == null) codes[f] = v >= 0 ? v : tables.missing[f]!;
        else if (v !== v) codes[f] = tables.missing[f]!;
        else {
          let lo = 0;
          let hi = thr.length;
          while (lo < hi) {
            const m = (lo + hi) >>> 1;
            if (v <= thr[m]!) hi = m;
            else lo = m + 1;
          }
          codes[f] = lo;
        }
      }
      scoreTables(tables, codes, 0, 1, out);
    } else {
      this.addTrees(row, 1, out);
    }
    if (this.problem === 'binary') out[0] = 1 / (1 + Math.exp(-out[0]!));
    else if (this.problem === 'multiclass') softmaxInPlace(out, 0, k);
    return out[0]!;
  }

  featureImportance(): Record<string, number> {
    return { ...this.json.feature_importance.gain };
  }

  /** Split counts per feature. */
  splitCounts(): Record<string, number> {
    return { ...this.json.feature_importance.splits };
  }

  toJSON(): Record<string, unknown> {
    return structuredClone(this.json) as unknown as Record<string, unknown>;
  }
}

function copyTo<T extends Float64Array | Int32Array>(target: T, source: T): T {
  target.set(source);
  return target;
}

function softmaxInPlace(a: Float64Array, off: number, k: number): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (a[off + c]! > max) max = a[off + c]!;
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(a[off + c]! - max);
    a[off + c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) a[off + c]! /= sum;
}

function badModel(message: string): HangarError {
  return new HangarError('INVALID_PARAMETER_VALUE', `Invalid gbdt model: ${message}`, { field: 'model' });
}

/**
 * Rebuilds a model from `toJSON()` output.
 *
 * @throws HangarError INVALID_PARAMETER_VALUE when the object is not a gbdt model of a known format.
 */
export function gbdtFromJSON(json: Record<string, unknown>): GbdtModel {
  const j = json as Partial<GbdtJson>;
  if (j.kind !== 'gbdt') throw badModel(`kind is ${JSON.stringify(j.kind)}, expected "gbdt"`);
  if (j.format_version !== 1) throw badModel(`unknown format_version ${JSON.stringify(j.format_version)}`);
  if (j.problem !== 'binary' && j.problem !== 'multiclass' && j.problem !== 'regression') throw badModel(`unknown problem ${JSON.stringify(j.problem)}`);
  if (!Array.isArray(j.schema) || !Array.isArray(j.trees) || !Array.isArray(j.baseline)) throw badModel('schema, baseline and trees must be arrays');
  const outputs = j.n_outputs;
  if (typeof outputs !== 'number' || !Number.isInteger(outputs) || outputs < 1 || j.baseline.length !== outputs) throw badModel('n_outputs must match the baseline length');
  const kinds = new Map<string, string>();
  for (const s of j.schema) {
    const ok = typeof s?.name === 'string' && (s.kind === 'numeric' || (s.kind === 'categorical' && Array.isArray(s.categories) && s.categories.every((c) => typeof c === 'string')));
    if (!ok) throw badModel(`schema entry ${JSON.stringify(s)} is not a numeric or categorical feature`);
    kinds.set(s.name, s.kind);
  }
  if (typeof j.feature_importance?.gain !== 'object' || typeof j.feature_importance?.splits !== 'object') throw badModel('feature_importance needs gain and splits');
  if (!j.baseline.every(Number.isFinite)) throw badModel('baseline values must be finite numbers');
  j.trees.forEach((t, ti) => {
    if (!Array.isArray(t?.nodes) || t.nodes.length === 0) throw badModel(`tree ${ti} has no nodes`);
    if (!(Number.isInteger(t.output) && t.output === ti % outputs)) throw badModel(`tree ${ti} must add to output ${ti % outputs}`);
    const size = t.nodes.length;
    t.nodes.forEach((n, i) => {
      if (n?.id !== i) throw badModel(`tree ${ti} node ${i} has id ${n?.id}`);
      if ('leaf' in n) {
        if (!Number.isFinite(n.value)) throw badModel(`tree ${ti} leaf ${i} has no finite value`);
        return;
      }
      if (!(Number.isInteger(n.left) && Number.isInteger(n.right) && n.left > i && n.right > i && n.left < size && n.right < size)) {
        // Children after their parent rules out cycles, so scoring always ends at a leaf.
        throw badModel(`tree ${ti} node ${i} has children out of range`);
      }
      if (n.missing !== 'left' && n.missing !== 'right') throw badModel(`tree ${ti} node ${i}: missing must be "left" or "right"`);
      const kind = kinds.get(n.feature);
      if ('categories_left' in n) {
        if (kind !== 'categorical' || !Array.isArray(n.categories_left) || !n.categories_left.every((c) => typeof c === 'string')) {
          throw badModel(`tree ${ti} node ${i}: categories_left needs a categorical feature and strings`);
        }
      } else if (kind !== 'numeric' || !(n.threshold === null || Number.isFinite(n.threshold))) {
        throw badModel(`tree ${ti} node ${i}: a numeric split needs a numeric feature and a finite threshold or null`);
      }
    });
  });
  return new GbdtModel(structuredClone(j as GbdtJson));
}
