import type { Problem, TabularModel } from '../learners/types.js';
import type { InputTable, ModelPackage } from '../package/index.js';

/**
 * What a model returns for a batch. Regression fills `values`; classification fills `labels`,
 * `probabilities` and `classLabels`, and `values` with P(positive class) for binary models.
 */
export interface Predictions {
  /** The problem the model solves. */
  problem: Problem;
  /** Number of rows predicted. */
  rows: number;
  /** Regression: the predicted value per row. Binary: P(class 1) per row. Absent for multiclass. */
  values?: Float64Array;
  /** Classification: the predicted class label per row. */
  labels?: string[];
  /** Classification: row-major rows × classes probabilities, in `classLabels` order; absent when the model gives labels only. */
  probabilities?: Float64Array;
  /** Classification: the class labels in probability-column order (absent when a labels-only model does not say). */
  classLabels?: string[];
}

/** A flavor's loaded model: predicts over columns already checked against the signature. */
export interface LoadedFlavor {
  /** The flavor that loaded it (`hangar.tabular`, `onnx`). */
  flavor: string;
  /** The problem, when the flavor knows it. */
  problem: Problem | undefined;
  /** Class labels, for classifiers. */
  classLabels: string[] | undefined;
  /** Predict a batch. */
  predict(table: InputTable): Promise<Predictions>;
  /** Feature importance by feature name, when the model has one. */
  featureImportance(): Record<string, number> | undefined;
  /** Release native resources (ONNX sessions). */
  close(): Promise<void>;
}

/** Options for loading a package. */
export interface LoadFlavorOptions {
  /**
   * Turns `hangar.tabular` model JSON back into a model. Default: `tabularModelFromJSON` from
   * the learners. Tests and extensions pass their own.
   */
  tabularModelFromJSON?: (json: Record<string, unknown>) => TabularModel | Promise<TabularModel>;
}

/** A flavor Hangar can run. */
export interface Flavor {
  /** The MLmodel flavor key. */
  name: string;
  /** Load the package's model for this flavor. */
  load(pkg: ModelPackage, conf: Record<string, unknown>, options: LoadFlavorOptions): Promise<LoadedFlavor>;
}

/** Classification predictions from a probability matrix (argmax per row; ties go to the lower index). */
export function classify(problem: Problem, probabilities: Float64Array, rows: number, classLabels: string[]): Predictions {
  const k = classLabels.length;
  const labels = new Array<string>(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probabilities[i * k + j]! > probabilities[i * k + best]!) best = j;
    labels[i] = classLabels[best]!;
  }
  const out: Predictions = { problem, rows, labels, probabilities, classLabels };
  if (problem === 'binary' && k === 2) out.values = Float64Array.from({ length: rows }, (_, i) => probabilities[i * 2 + 1]!);
  return out;
}

/**
 * Records for JSON output: numbers for regression, `{label, probabilities}` objects for
 * classifiers, bare labels for classifiers that give no probabilities.
 */
export function predictionRecords(p: Predictions): Array<number | string | { label: string; probabilities: Record<string, number> }> {
  if (p.labels !== undefined && (p.probabilities === undefined || p.classLabels === undefined)) return [...p.labels];
  if (p.problem === 'regression' || p.labels === undefined || p.probabilities === undefined || p.classLabels === undefined) {
    return Array.from(p.values ?? []);
  }
  const k = p.classLabels.length;
  return p.labels.map((label, i) => ({
    label,
    probabilities: Object.fromEntries(p.classLabels!.map((c, j) => [c, p.probabilities![i * k + j]!])),
  }));
}
