/**
 * Evaluation metrics on typed arrays, matching scikit-learn's definitions (which MLflow's
 * default evaluator uses). Each result carries Hangar's short names (`auc`, `f1`, `rmse`, …) and
 * MLflow's names for the same values (`roc_auc`, `f1_score`, `root_mean_squared_error`, …),
 * so thresholds and searches written for either work.
 */
import { HangarError } from '../core/errors.js';

/** MLflow's name for each Hangar metric name that has one (semantics.md §c "Built-in metrics"). */
export const MLFLOW_ALIASES: Readonly<Record<string, string>> = {
  auc: 'roc_auc',
  pr_auc: 'precision_recall_auc',
  accuracy: 'accuracy_score',
  precision: 'precision_score',
  recall: 'recall_score',
  f1: 'f1_score',
  weighted_f1: 'f1_score',
  weighted_precision: 'precision_score',
  weighted_recall: 'recall_score',
  rmse: 'root_mean_squared_error',
  mse: 'mean_squared_error',
  mae: 'mean_absolute_error',
  r2: 'r2_score',
  mape: 'mean_absolute_percentage_error',
  macro_f1: 'f1_score_macro',
};

/** Float64 machine epsilon: sklearn's clip for log loss and its floor for MAPE denominators. */
const EPS = 2.220446049250313e-16;

/** Metrics under Hangar's names plus MLflow's aliases (entries without an alias appear once). */
export function withMlflowNames(metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...metrics };
  for (const [k, v] of Object.entries(metrics)) {
    const alias = MLFLOW_ALIASES[k];
    // Multiclass f1 etc. come as `weighted_*`; the plain names never exist there.
    if (alias !== undefined && !(alias in out)) out[alias] = v;
  }
  return out;
}

// --- curves ------------------------------------------------------------------------------

/**
 * The scores of the positive and of the negative rows, each sorted ascending. Typed-array sorts
 * are native and numeric, several times faster than sorting an index array with a comparator,
 * and every curve and AUC below is a merge of these two lists. NaN scores are refused.
 */
function scoresByClass(y: ArrayLike<number>, score: ArrayLike<number>): { pos: Float64Array; neg: Float64Array } {
  let p = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) p++;
  const pos = new Float64Array(p);
  const neg = new Float64Array(y.length - p);
  let a = 0;
  let b = 0;
  for (let i = 0; i < y.length; i++) {
    const s = score[i]!;
    if (Number.isNaN(s)) throw new HangarError('INVALID_PARAMETER_VALUE', `The model scored row ${i} as NaN; metrics need a number for every row.`, { field: 'predictions' });
    if (y[i] === 1) pos[a++] = s;
    else neg[b++] = s;
  }
  return { pos: pos.sort(), neg: neg.sort() };
}

/** Cumulative true and false positives at each distinct score, highest score first. */
function thresholdCounts(y: ArrayLike<number>, score: ArrayLike<number>): { tps: number[]; fps: number[]; thresholds: number[] } {
  const { pos, neg } = scoresByClass(y, score);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  while (i >= 0 || j >= 0) {
    // Tied scores form one threshold, across both classes.
    const s = Math.max(i >= 0 ? pos[i]! : -Infinity, j >= 0 ? neg[j]! : -Infinity);
    for (; i >= 0 && pos[i] === s; i--) tp++;
    for (; j >= 0 && neg[j] === s; j--) fp++;
    tps.push(tp);
    fps.push(fp);
    thresholds.push(s);
  }
  return { tps, fps, thresholds };
}

/** ROC curve points from (0, 0) to (1, 1), one per distinct score (sklearn's `roc_curve` without dropping collinear points). */
export function rocCurve(y: ArrayLike<number>, score: ArrayLike<number>): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const { tps, fps, thresholds } = thresholdCounts(y, score);
  const p = tps.at(-1) ?? 0;
  const nn = fps.at(-1) ?? 0;
  return {
    fpr: [0, ...fps.map((f) => (nn === 0 ? NaN : f / nn))],
    tpr: [0, ...tps.map((t) => (p === 0 ? NaN : t / p))],
    thresholds: [Infinity, ...thresholds],
  };
}

/**
 * Precision–recall curve as scikit-learn 1.2's `precision_recall_curve`: one point per distinct
 * score, lowest threshold first (decreasing recall), then the point (recall 0, precision 1).
 */
export function precisionRecallCurve(y: ArrayLike<number>, score: ArrayLike<number>): { precision: number[]; recall: number[] } {
  const { tps, fps } = thresholdCounts(y, score);
  const p = tps.at(-1) ?? 0;
  const precision: number[] = [];
  const recall: number[] = [];
  for (let k = tps.length - 1; k >= 0; k--) {
    const predicted = tps[k]! + fps[k]!;
    precision.push(predicted === 0 ? 0 : tps[k]! / predicted);
    recall.push(p === 0 ? NaN : tps[k]! / p);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall };
}

/** Trapezoidal area under a curve given as x, y points (x monotonic either way). */
export function trapezoid(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return Math.abs(area);
}

/**
 * ROC AUC, exact and tie-aware: the Mann–Whitney U statistic (each positive–negative pair
 * counts 1 when ordered right, ½ when tied), which equals the trapezoidal area under the ROC
 * curve. NaN when only one class occurs.
 */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const { pos, neg } = scoresByClass(y, score);
  const p = pos.length;
  const n = neg.length;
  if (p === 0 || n === 0) return NaN;
  // For each group of tied positive scores s: negatives below s count 1, negatives equal to s ½.
  let sum = 0;
  let j = 0;
  for (let i = 0; i < p; ) {
    const s = pos[i]!;
    let g = i;
    while (g < p && pos[g] === s) g++;
    while (j < n && neg[j]! < s) j++;
    let e = j;
    while (e < n && neg[e] === s) e++;
    sum += (g - i) * (j + (e - j) / 2);
    i = g;
  }
  return sum / (p * n);
}

// --- classification ------------------------------------------------------------------------

/** Confusion matrix counts[actual][predicted] for K classes (labels and predictions are class indices). */
export function confusionMatrix(y: ArrayLike<number>, predicted: ArrayLike<number>, k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < y.length; i++) m[y[i]!]![predicted[i]!]!++;
  return m;
}

const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Binary metrics. `y` holds 0/1, `p` P(class 1); predictions are `p > threshold` (default 0.5,
 * ties to class 0 as sklearn's `predict`). Precision and F1 are 0 when nothing is predicted
 * positive, as sklearn's `zero_division` default gives. AUCs are left out when one class is absent.
 */
export function binaryMetrics(y: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): Record<string, number> {
  const n = y.length;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let ll = 0;
  for (let i = 0; i < n; i++) {
    const pi = Math.min(Math.max(p[i]!, EPS), 1 - EPS);
    const positive = p[i]! > threshold;
    if (y[i] === 1) {
      ll -= Math.log(pi);
      if (positive) tp++;
      else fn++;
    } else {
      ll -= Math.log(1 - pi);
      if (positive) fp++;
      else tn++;
    }
  }
  const precision = div(tp, tp + fp);
  const recall = div(tp, tp + fn);
  const out: Record<string, number> = {
    example_count: n,
    accuracy: div(tp + tn, n),
    precision,
    recall,
    f1: div(2 * precision * recall, precision + recall),
    log_loss: ll / n,
    true_positives: tp,
    false_positives: fp,
    true_negatives: tn,
    false_negatives: fn,
  };
  const auc = rocAuc(y, p);
  if (!Number.isNaN(auc)) {
    out.auc = auc;
    const pr = precisionRecallCurve(y, p);
    out.pr_auc = trapezoid(pr.recall, pr.precision);
  }
  return withMlflowNames(out);
}

/**
 * Multiclass metrics. `y` holds class indices 0..K-1, `probs` row-major rows × K probabilities;
 * predictions are the argmax (lowest index on ties). Weighted averages weight each class by its
 * support, as MLflow's evaluator reports them.
 */
export function multiclassMetrics(y: ArrayLike<number>, probs: ArrayLike<number>, k: number): Record<string, number> {
  const n = y.length;
  const predicted = new Int32Array(n);
  let ll = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const v = probs[i * k + j]!;
      sum += v;
      if (v > probs[i * k + best]!) best = j;
    }
    predicted[i] = best;
    // sklearn renormalises each row before clipping.
    const pt = Math.min(Math.max(probs[i * k + y[i]!]! / (sum === 0 ? 1 : sum), EPS), 1 - EPS);
    ll -= Math.log(pt);
  }
  const cm = confusionMatrix(y, predicted, k);
  let correct = 0;
  let macroF1 = 0;
  let wF1 = 0;
  let wP = 0;
  let wR = 0;
  for (let c = 0; c < k; c++) {
    const tp = cm[c]![c]!;
    correct += tp;
    const support = cm[c]!.reduce((a, b) => a + b, 0);
    const predictedC = cm.reduce((a, row) => a + row[c]!, 0);
    const precision = div(tp, predictedC);
    const recall = div(tp, support);
    const f1 = div(2 * precision * recall, precision + recall);
    macroF1 += f1 / k;
    wF1 += (f1 * support) / n;
    wP += (precision * support) / n;
    wR += (recall * support) / n;
  }
  return withMlflowNames({
    example_count: n,
    accuracy: div(correct, n),
    macro_f1: macroF1,
    weighted_f1: wF1,
    weighted_precision: wP,
    weighted_recall: wR,
    log_loss: ll / n,
  });
}

// --- regression ------------------------------------------------------------------------------

/** Regression metrics, as sklearn defines them (MAPE as a fraction, with sklearn's epsilon floor on |y|). */
export function regressionMetrics(y: ArrayLike<number>, yhat: ArrayLike<number>): Record<string, number> {
  const n = y.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += y[i]!;
  const mean = sum / n;
  let se = 0;
  let ae = 0;
  let ape = 0;
  let tot = 0;
  let maxErr = 0;
  for (let i = 0; i < n; i++) {
    const e = y[i]! - yhat[i]!;
    se += e * e;
    ae += Math.abs(e);
    ape += Math.abs(e) / Math.max(Math.abs(y[i]!), EPS);
    tot += (y[i]! - mean) ** 2;
    maxErr = Math.max(maxErr, Math.abs(e));
  }
  // sklearn: a constant target gives R² 1 for a perfect fit, else 0.
  const r2 = tot === 0 ? (se === 0 ? 1 : 0) : 1 - se / tot;
  return withMlflowNames({
    example_count: n,
    rmse: Math.sqrt(se / n),
    mse: se / n,
    mae: ae / n,
    r2,
    mape: ape / n,
    max_error: maxErr,
    sum_on_target: sum,
    mean_on_target: mean,
  });
}

/**
 * The metrics of a problem from labels and scores: binary `scores` are P(class 1) per row,
 * multiclass row-major rows × `classes` probabilities, regression predicted values.
 * INVALID_PARAMETER_VALUE when the lengths do not match.
 */
export function evaluatePredictions(problem: 'binary' | 'multiclass' | 'regression', y: ArrayLike<number>, scores: ArrayLike<number>, classes = 2): Record<string, number> {
  const expected = problem === 'multiclass' ? y.length * classes : y.length;
  if (scores.length !== expected) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Expected ${expected} predictions for ${y.length} rows, got ${scores.length}.`, { field: 'predictions' });
  }
  if (problem === 'binary') return binaryMetrics(y, scores);
  if (problem === 'multiclass') return multiclassMetrics(y, scores, classes);
  return regressionMetrics(y, scores);
}
