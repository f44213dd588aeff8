import { HangarError, invalidParam } from '../../../core/errors.js';
import type { FeatureFrame, Problem, TabularModel } from '../types.js';

/**
 * A linear model over standardised numeric features and one-hot categorical features:
 * ridge regression (`kind: 'linear'`) or binary / multinomial logistic regression
 * (`kind: 'logistic'`). Coefficients apply to standardised values, so their sizes compare.
 */

/** A numeric input: standardised as (x − mean) / std; a missing value is imputed with `mean`. */
export interface LinearNumericTerm {
  name: string;
  kind: 'numeric';
  /** Training mean, also the imputed value for a missing one. */
  mean: number;
  /** Training standard deviation (1 for a constant column). */
  std: number;
  /** One coefficient per output (1, or K classes for multinomial). */
  coef: number[];
}

/** A categorical input, one-hot encoded: a missing or unseen category contributes nothing. */
export interface LinearCategoricalTerm {
  name: string;
  kind: 'categorical';
  categories: string[];
  /** Per category, one coefficient per output. */
  coef: number[][];
}

export type LinearTerm = LinearNumericTerm | LinearCategoricalTerm;

/** The JSON form (`toJSON()`), readable as is. */
export interface LinearModelJSON {
  kind: 'linear' | 'logistic';
  /** Format version of this JSON. */
  format_version: 1;
  problem: Problem;
  class_labels?: string[];
  /** Regression only: the target was standardised with these before fitting. */
  target?: { mean: number; std: number };
  /** One intercept per output. */
  intercept: number[];
  terms: LinearTerm[];
  /** Standard deviation of each term's contribution to the score on the training data. */
  feature_importance: Record<string, number>;
  /** The hyperparameters it was trained with. */
  params: Record<string, unknown>;
  /** Optimiser iterations run, and whether it converged. */
  training: { iterations: number; converged: boolean };
}

/**
 * A frame's columns as the model's terms see them: numeric values, and categorical codes
 * re-mapped to the model's category order by label (so frames from another file line up).
 */
export interface EncodedInputs {
  rows: number;
  numeric: Array<Float64Array | null>;
  codes: Array<Int32Array | null>;
}

export function encodeInputs(terms: LinearTerm[], frame: FeatureFrame): EncodedInputs {
  const byName = new Map(frame.features.map((f) => [f.name, f]));
  const numeric: Array<Float64Array | null> = [];
  const codes: Array<Int32Array | null> = [];
  for (const term of terms) {
    const f = byName.get(term.name);
    if (!f) throw invalidParam(`Missing feature '${term.name}' (the model needs: ${terms.map((t) => t.name).join(', ')})`, term.name);
    if (term.kind === 'numeric') {
      if (f.kind !== 'numeric') throw invalidParam(`Feature '${term.name}' must be numeric, got categorical`, term.name);
      numeric.push(f.values);
      codes.push(null);
    } else {
      if (f.kind !== 'categorical') throw invalidParam(`Feature '${term.name}' must be categorical, got numeric`, term.name);
      numeric.push(null);
      codes.push(sameCategories(f.categories, term.categories) ? f.codes : remap(f.codes, f.categories, term.categories));
    }
  }
  return { rows: frame.rows, numeric, codes };
}

function sameCategories(a: string[], b: string[]): boolean {
  return a === b || (a.length === b.length && a.every((c, i) => c === b[i]));
}

function remap(codes: Int32Array, from: string[], to: string[]): Int32Array {
  const index = new Map(to.map((c, i) => [c, i]));
  const map = Int32Array.from(from, (c) => index.get(c) ?? -1);
  const out = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = codes[i]! >= 0 ? (map[codes[i]!] ?? -1) : -1;
  return out;
}

/**
 * Raw scores (before the link function) for every row: row-major rows × outputs.
 * `weights` is laid out as in the learner: per term, per output (numeric) or per category and
 * output (categorical), then one intercept per output.
 */
export function linearScores(terms: LinearTerm[], inputs: EncodedInputs, weights: Float64Array, outputs: number): Float64Array {
  const n = inputs.rows;
  const z = new Float64Array(n * outputs);
  let off = 0;
  for (let t = 0; t < terms.length; t++) {
    const term = terms[t]!;
    if (term.kind === 'numeric') {
      const x = inputs.numeric[t]!;
      const mean = term.mean;
      const inv = 1 / term.std;
      for (let k = 0; k < outputs; k++) {
        const w = weights[off + k]!;
        if (w === 0) continue;
        for (let i = 0; i < n; i++) {
          const v = x[i]!;
          // A missing value is the mean, which standardises to 0.
          if (v === v) z[i * outputs + k] = z[i * outputs + k]! + (w * (v - mean) * inv);
        }
      }
      off += outputs;
    } else {
      const codes = inputs.codes[t]!;
      for (let i = 0; i < n; i++) {
        const c = codes[i]!;
        if (c < 0) continue;
        const base = off + c * outputs;
        for (let k = 0; k < outputs; k++) z[i * outputs + k] = z[i * outputs + k]! + (weights[base + k]!);
      }
      off += term.categories.length * outputs;
    }
  }
  for (let i = 0; i < n; i++) for (let k = 0; k < outputs; k++) z[i * outputs + k] = z[i * outputs + k]! + (weights[off + k]!);
  return z;
}

/** Scores to predictions in place: identity (regression, then un-standardised), sigmoid (binary), softmax (multiclass). */
export function applyLink(problem: Problem, z: Float64Array, outputs: number, target?: { mean: number; std: number }): Float64Array {
  if (problem === 'regression') {
    const { mean, std } = target ?? { mean: 0, std: 1 };
    for (let i = 0; i < z.length; i++) z[i] = z[i]! * std + mean;
  } else if (problem === 'binary') {
    for (let i = 0; i < z.length; i++) z[i] = 1 / (1 + Math.exp(-z[i]!));
  } else {
    for (let r = 0; r < z.length; r += outputs) {
      let max = -Infinity;
      for (let k = 0; k < outputs; k++) max = Math.max(max, z[r + k]!);
      let sum = 0;
      for (let k = 0; k < outputs; k++) sum += z[r + k] = Math.exp(z[r + k]! - max);
      for (let k = 0; k < outputs; k++) z[r + k] = z[r + k]! / sum;
    }
  }
  return z;
}

/** Flatten terms and intercepts into the learner's weight layout. */
export function packWeights(terms: LinearTerm[], intercept: number[]): Float64Array {
  const out: number[] = [];
  for (const t of terms) {
    if (t.kind === 'numeric') out.push(...t.coef);
    else for (const c of t.coef) out.push(...c);
  }
  out.push(...intercept);
  return Float64Array.from(out);
}

export class LinearModel implements TabularModel {
  readonly kind: 'linear' | 'logistic';
  readonly problem: Problem;
  readonly schema: TabularModel['schema'];
  readonly classLabels?: string[];
  private readonly json: LinearModelJSON;
  private readonly weights: Float64Array;
  private readonly outputs: number;

  constructor(json: LinearModelJSON) {
    this.json = json;
    this.kind = json.kind;
    this.problem = json.problem;
    this.schema = json.terms.map((t) => (t.kind === 'numeric' ? { name: t.name, kind: 'numeric' as const } : { name: t.name, kind: 'categorical' as const, categories: t.categories }));
    if (json.class_labels) this.classLabels = json.class_labels;
    this.outputs = json.intercept.length;
    this.weights = packWeights(json.terms, json.intercept);
  }

  predict(frame: FeatureFrame): Float64Array {
    const z = linearScores(this.json.terms, encodeInputs(this.json.terms, frame), this.weights, this.outputs);
    return applyLink(this.problem, z, this.outputs, this.json.target);
  }

  featureImportance(): Record<string, number> {
    return { ...this.json.feature_importance };
  }

  toJSON(): Record<string, unknown> {
    return structuredClone(this.json) as unknown as Record<string, unknown>;
  }
}

/** A linear or logistic model from its JSON; INVALID_PARAMETER_VALUE when the JSON is not one. */
export function linearFromJSON(json: Record<string, unknown>): LinearModel {
  const j = json as Partial<LinearModelJSON>;
  if ((j.kind !== 'linear' && j.kind !== 'logistic') || j.format_version !== 1) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Not a linear model JSON (kind ${JSON.stringify(j.kind)}, format_version ${JSON.stringify(j.format_version)})`, { field: 'kind' });
  }
  if (!Array.isArray(j.terms) || !Array.isArray(j.intercept) || typeof j.problem !== 'string') {
    throw invalidParam('Linear model JSON lacks terms, intercept or problem', 'terms');
  }
  const outputs = j.intercept.length;
  for (const t of j.terms) {
    const ok = t.kind === 'numeric' ? t.coef.length === outputs : t.coef.length === t.categories.length && t.coef.every((c) => c.length === outputs);
    if (!ok) throw invalidParam(`Linear model JSON: term '${t.name}' has the wrong number of coefficients`, 'terms');
  }
  return new LinearModel(structuredClone(j as LinearModelJSON));
}
