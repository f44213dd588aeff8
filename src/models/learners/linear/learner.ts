import { HangarError, invalidParam } from '../../../core/errors.js';
import type { FeatureFrame, FitOptions, Labels, Learner } from '../types.js';
import { lbfgs } from './lbfgs.js';
import { applyLink, encodeInputs, LinearModel, linearScores, type LinearModelJSON, type LinearTerm } from './model.js';

/**
 * Hyperparameters of the linear learner (ridge regression; binary and multinomial logistic
 * regression). The objective is the mean loss over the rows plus `alpha / 2 · ‖w‖²` over the
 * coefficients of the standardised features (intercepts are not penalised); a regression
 * target is standardised too, so `alpha` means the same whatever the target's scale.
 */
export interface LinearParams {
  /** L2 penalty strength. Default 1e-4; ≥ 0. */
  alpha: number;
  /** Most L-BFGS iterations (one `onIteration` call each). Default 200; integer ≥ 1. */
  max_iter: number;
  /** Stop when every gradient component is at most `tol`, or an iteration improves the objective by less than `tol × 1e-3` relatively. Default 1e-6; > 0. */
  tol: number;
}

export const LINEAR_DEFAULTS: Readonly<LinearParams> = Object.freeze({ alpha: 1e-4, max_iter: 200, tol: 1e-6 });

/**
 * Defaults merged with `params`; numbers given as strings (from `--param KEY=VALUE`) are
 * accepted. INVALID_PARAMETER_VALUE naming the key for an unknown key or a bad value.
 */
export function resolveLinearParams(params: Partial<LinearParams> | Record<string, unknown> | undefined): LinearParams {
  const out: LinearParams = { ...LINEAR_DEFAULTS };
  for (const [key, raw] of Object.entries(params ?? {})) {
    if (raw === undefined) continue;
    if (!Object.hasOwn(LINEAR_DEFAULTS, key)) throw new HangarError('INVALID_PARAMETER_VALUE', `Unknown linear parameter '${key}'; known: ${Object.keys(LINEAR_DEFAULTS).join(', ')}`, { field: key });
    const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    const bad = (rule: string) => new HangarError('INVALID_PARAMETER_VALUE', `linear parameter '${key}' ${rule} (got ${JSON.stringify(raw)})`, { field: key });
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a finite number');
    if (key === 'alpha' && v < 0) throw bad('must be ≥ 0');
    if (key === 'tol' && v <= 0) throw bad('must be > 0');
    if (key === 'max_iter' && (!Number.isInteger(v) || v < 1)) throw bad('must be an integer ≥ 1');
    out[key as keyof LinearParams] = v;
  }
  return out;
}

interface Layout {
  terms: LinearTerm[];
  /** Per term, its first weight index. */
  offsets: number[];
  /** Standardised, mean-imputed numeric columns (null for categorical terms). */
  standardised: Array<Float64Array | null>;
  codes: Array<Int32Array | null>;
  size: number;
  interceptAt: number;
}

function layout(frame: FeatureFrame, outputs: number): Layout {
  const terms: LinearTerm[] = [];
  const offsets: number[] = [];
  const standardised: Array<Float64Array | null> = [];
  const codes: Array<Int32Array | null> = [];
  let size = 0;
  for (const f of frame.features) {
    offsets.push(size);
    if (f.kind === 'numeric') {
      let sum = 0;
      let count = 0;
      for (const v of f.values) {
        if (v === v) {
          sum += v;
          count++;
        }
      }
      const mean = count > 0 ? sum / count : 0;
      let ss = 0;
      for (const v of f.values) if (v === v) ss += (v - mean) * (v - mean);
      const sd = count > 1 ? Math.sqrt(ss / count) : 0;
      const std = sd > 1e-12 * Math.max(1, Math.abs(mean)) ? sd : 1;
      const xs = new Float64Array(frame.rows);
      for (let i = 0; i < frame.rows; i++) {
        const v = f.values[i]!;
        xs[i] = v === v ? (v - mean) / std : 0;
      }
      terms.push({ name: f.name, kind: 'numeric', mean, std, coef: [] });
      standardised.push(xs);
      codes.push(null);
      size += outputs;
    } else {
      terms.push({ name: f.name, kind: 'categorical', categories: [...f.categories], coef: [] });
      standardised.push(null);
      codes.push(f.codes);
      size += f.categories.length * outputs;
    }
  }
  return { terms, offsets, standardised, codes, size: size + outputs, interceptAt: size };
}

/**
 * Mean loss and its gradient over standardised inputs, plus the L2 penalty. `dataLoss()` is
 * the mean loss without the penalty at the point evaluated last (which L-BFGS reports after
 * accepting it), so per-iteration metrics cost no extra pass over the rows.
 */
function objective(lay: Layout, rows: number, outputs: number, problem: FitOptions<unknown>['problem'], y: Float64Array, alpha: number) {
  const z = new Float64Array(rows * outputs);
  const r = new Float64Array(rows * outputs);
  let last = NaN;
  const fg = (w: Float64Array, g: Float64Array): number => {
    z.fill(0);
    for (let t = 0; t < lay.terms.length; t++) {
      const off = lay.offsets[t]!;
      const xs = lay.standardised[t];
      if (xs) {
        for (let k = 0; k < outputs; k++) {
          const wk = w[off + k]!;
          for (let i = 0; i < rows; i++) z[i * outputs + k] = z[i * outputs + k]! + (wk * xs[i]!);
        }
      } else {
        const codes = lay.codes[t]!;
        for (let i = 0; i < rows; i++) {
          const c = codes[i]!;
          if (c >= 0) for (let k = 0; k < outputs; k++) z[i * outputs + k] = z[i * outputs + k]! + (w[off + c * outputs + k]!);
        }
      }
    }
    for (let i = 0; i < rows; i++) for (let k = 0; k < outputs; k++) z[i * outputs + k] = z[i * outputs + k]! + (w[lay.interceptAt + k]!);

    // Loss and residual (dLoss/dz) per row.
    let loss = 0;
    if (problem === 'regression') {
      for (let i = 0; i < rows; i++) {
        const d = z[i]! - y[i]!;
        r[i] = d;
        loss += 0.5 * d * d;
      }
    } else if (problem === 'binary') {
      for (let i = 0; i < rows; i++) {
        const s = z[i]!;
        // log(1 + e^s) − y·s, computed without overflow.
        loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - y[i]! * s;
        r[i] = 1 / (1 + Math.exp(-s)) - y[i]!;
      }
    } else {
      for (let i = 0; i < rows; i++) {
        const base = i * outputs;
        let max = -Infinity;
        for (let k = 0; k < outputs; k++) max = Math.max(max, z[base + k]!);
        let sum = 0;
        for (let k = 0; k < outputs; k++) sum += Math.exp(z[base + k]! - max);
        const lse = max + Math.log(sum);
        const yi = y[i]!;
        loss += lse - z[base + yi]!;
        for (let k = 0; k < outputs; k++) r[base + k] = Math.exp(z[base + k]! - lse) - (k === yi ? 1 : 0);
      }
    }
    const inv = 1 / rows;
    g.fill(0);
    for (let t = 0; t < lay.terms.length; t++) {
      const off = lay.offsets[t]!;
      const xs = lay.standardised[t];
      if (xs) {
        for (let k = 0; k < outputs; k++) {
          let s = 0;
          for (let i = 0; i < rows; i++) s += r[i * outputs + k]! * xs[i]!;
          g[off + k] = s * inv;
        }
      } else {
        const codes = lay.codes[t]!;
        for (let i = 0; i < rows; i++) {
          const c = codes[i]!;
          if (c >= 0) for (let k = 0; k < outputs; k++) g[off + c * outputs + k] = g[off + c * outputs + k]! + (r[i * outputs + k]! * inv);
        }
      }
    }
    for (let i = 0; i < rows; i++) for (let k = 0; k < outputs; k++) g[lay.interceptAt + k] = g[lay.interceptAt + k]! + (r[i * outputs + k]! * inv);
    let penalty = 0;
    for (let j = 0; j < lay.interceptAt; j++) {
      penalty += w[j]! * w[j]!;
      g[j] = g[j]! + (alpha * w[j]!);
    }
    last = loss * inv;
    return last + 0.5 * alpha * penalty;
  };
  return { fg, dataLoss: () => last };
}

/** Mean log loss (classification) or RMSE (regression) of predictions against labels. */
function lossOf(problem: FitOptions<unknown>['problem'], pred: Float64Array, labels: Labels, outputs: number): number {
  const n = labels.length;
  const eps = 1e-15;
  let s = 0;
  if (problem === 'regression') {
    for (let i = 0; i < n; i++) s += (pred[i]! - labels[i]!) ** 2;
    return Math.sqrt(s / n);
  }
  if (problem === 'binary') {
    for (let i = 0; i < n; i++) {
      const p = Math.min(1 - eps, Math.max(eps, pred[i]!));
      s -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
    }
    return s / n;
  }
  for (let i = 0; i < n; i++) s -= Math.log(Math.max(eps, pred[i * outputs + labels[i]!]!));
  return s / n;
}

function checkLabels(labels: Labels, rows: number, problem: FitOptions<unknown>['problem'], classes: number): void {
  if (labels.length !== rows) throw invalidParam(`Labels have ${labels.length} rows, features ${rows}`, 'labels');
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (problem === 'regression' ? !Number.isFinite(v) : !(Number.isInteger(v) && v >= 0 && v < classes)) {
      throw invalidParam(`Label at row ${i} is ${v}; ${problem === 'regression' ? 'regression labels must be finite' : `class labels must be integers in 0..${classes - 1}`}`, 'labels');
    }
  }
}

/** Ridge regression and (multinomial) logistic regression, fitted with L-BFGS. */
export const linearLearner: Learner<Partial<LinearParams>> = {
  name: 'linear',
  defaults: LINEAR_DEFAULTS,
  async fit(frame: FeatureFrame, labels: Labels, options: FitOptions<Partial<LinearParams>>): Promise<LinearModel> {
    const params = resolveLinearParams(options.params);
    const problem = options.problem;
    let classes = 1;
    if (problem === 'binary') classes = 2;
    if (problem === 'multiclass') {
      let max = 0;
      for (const v of labels) max = Math.max(max, v);
      classes = options.classes ?? max + 1;
      if (classes < 2) throw invalidParam('Multiclass needs at least two classes', 'classes');
    }
    if (frame.rows === 0) throw invalidParam('Cannot train on zero rows', 'data');
    checkLabels(labels, frame.rows, problem, classes);
    const outputs = problem === 'multiclass' ? classes : 1;
    const lay = layout(frame, outputs);

    let y: Float64Array = labels;
    let target: { mean: number; std: number } | undefined;
    const w0 = new Float64Array(lay.size);
    if (problem === 'regression') {
      let mean = 0;
      for (const v of labels) mean += v;
      mean /= labels.length;
      let ss = 0;
      for (const v of labels) ss += (v - mean) ** 2;
      const std = Math.sqrt(ss / labels.length) || 1;
      target = { mean, std };
      y = Float64Array.from(labels, (v) => (v - mean) / std);
    } else {
      // Start from the class priors, which is where the intercepts end up without features.
      const counts = new Float64Array(classes);
      for (const v of labels) counts[v]!++;
      const p = (k: number) => (counts[k]! + 0.5) / (labels.length + 0.5 * classes);
      if (problem === 'binary') w0[lay.interceptAt] = Math.log(p(1) / p(0));
      else for (let k = 0; k < classes; k++) w0[lay.interceptAt + k] = Math.log(p(k));
    }

    const validation = options.validation;
    const validationInputs = validation ? encodeInputs(lay.terms, validation.frame) : undefined;
    // Per iteration: `train_loss` and `validation_loss`, RMSE for regression and mean log loss otherwise.
    const obj = objective(lay, frame.rows, outputs, problem, y, params.alpha);
    // The objective's mean loss is half the squared error of the standardised target for regression.
    const trainLoss = () => (target ? Math.sqrt(2 * obj.dataLoss()) * target.std : obj.dataLoss());
    const report = options.onIteration
      ? (iteration: number, _value: number, w: Float64Array) => {
          const metrics: Record<string, number> = { train_loss: trainLoss() };
          if (validation && validationInputs) {
            const pred = applyLink(problem, linearScores(lay.terms, validationInputs, w, outputs), outputs, target);
            metrics.validation_loss = lossOf(problem, pred, validation.labels, outputs);
          }
          options.onIteration!(iteration, metrics);
        }
      : undefined;

    const result = lbfgs(obj.fg, w0, {
      maxIter: params.max_iter,
      gtol: params.tol,
      ftol: params.tol * 1e-3,
      onIteration: report,
    });
    // linearScores reads the raw frame, so the terms need their standardisation and coefficients filled in.
    const w = result.x;
    const importance: Record<string, number> = {};
    lay.terms.forEach((term, t) => {
      const off = lay.offsets[t]!;
      if (term.kind === 'numeric') {
        term.coef = Array.from(w.subarray(off, off + outputs));
        importance[term.name] = term.coef.reduce((s, c) => s + Math.abs(c), 0);
      } else {
        term.coef = term.categories.map((_, c) => Array.from(w.subarray(off + c * outputs, off + (c + 1) * outputs)));
        importance[term.name] = categoricalSpread(lay.codes[t]!, term.coef, outputs);
      }
    });
    const json: LinearModelJSON = {
      kind: problem === 'regression' ? 'linear' : 'logistic',
      format_version: 1,
      problem,
      intercept: Array.from(w.subarray(lay.interceptAt, lay.interceptAt + outputs)),
      terms: lay.terms,
      feature_importance: importance,
      params: { ...params },
      training: { iterations: result.iterations, converged: result.converged },
    };
    if (target) json.target = target;
    // The learner sees class indices only; `hangar train` puts the real labels in the JSON.
    if (problem !== 'regression') json.class_labels = Array.from({ length: classes }, (_, k) => String(k));
    return new LinearModel(json);
  },
};

/**
 * How much a categorical term moves the score across the training rows: the standard
 * deviation of its one-hot contribution (summed over outputs), comparable to |coefficient|
 * of a standardised numeric feature.
 */
function categoricalSpread(codes: Int32Array, coef: number[][], outputs: number): number {
  const counts = new Float64Array(coef.length);
  for (const c of codes) if (c >= 0) counts[c]!++;
  const n = codes.length;
  let total = 0;
  for (let k = 0; k < outputs; k++) {
    let mean = 0;
    for (let c = 0; c < coef.length; c++) mean += (counts[c]! / n) * coef[c]![k]!;
    let v = 0;
    for (let c = 0; c < coef.length; c++) v += (counts[c]! / n) * (coef[c]![k]! - mean) ** 2;
    // Rows with a missing category contribute 0.
    const missing = 1 - counts.reduce((s, x) => s + x, 0) / n;
    v += missing * mean * mean;
    total += Math.sqrt(v);
  }
  return total;
}
