/**
 * The contract between Hangar's TypeScript learners and everything that trains, saves, loads
 * and scores them (the `hangar.tabular` flavor, `hangar train`, evaluation, serving).
 * Data is columnar on typed arrays; missing values are NaN (numeric) or -1 (categorical).
 */

export type Problem = 'binary' | 'multiclass' | 'regression';

export interface NumericFeature {
  name: string;
  kind: 'numeric';
  /** One value per row; NaN marks a missing value. */
  values: Float64Array;
}

export interface CategoricalFeature {
  name: string;
  kind: 'categorical';
  /** Index into `categories` per row; -1 marks a missing value (or a category unseen in training). */
  codes: Int32Array;
  /** The category labels, in code order. */
  categories: string[];
}

export type Feature = NumericFeature | CategoricalFeature;

/** A feature matrix, column by column. */
export interface FeatureFrame {
  /** Number of rows. */
  rows: number;
  features: Feature[];
}

/** Labels: regression targets, or class indices 0..K-1 for classification. */
export type Labels = Float64Array;

export interface FitOptions<P> {
  problem: Problem;
  /** Number of classes for multiclass (class labels are 0..classes-1). */
  classes?: number;
  /** Learner hyperparameters; unknown keys are an INVALID_PARAMETER_VALUE naming the key. */
  params: P;
  /** Held-out data for per-iteration metrics and early stopping. */
  validation?: { frame: FeatureFrame; labels: Labels };
  /** Called after each boosting iteration / optimisation epoch, e.g. to log metrics to a run. */
  onIteration?: (iteration: number, metrics: Record<string, number>) => void;
  /** Worker threads to use (default: available parallelism). */
  threads?: number;
}

/** A trained tabular model. Serialisable to readable JSON and back without loss. */
export interface TabularModel {
  /** `gbdt`, `linear`, `logistic`, … — the key `tabularModelFromJSON` dispatches on. */
  readonly kind: string;
  readonly problem: Problem;
  /** Feature names and kinds (with categories) the model was trained on, in order. */
  readonly schema: Array<{ name: string; kind: 'numeric' } | { name: string; kind: 'categorical'; categories: string[] }>;
  /** Class labels for classification problems, in index order. */
  readonly classLabels?: string[];
  /**
   * Scores for every row: regression → predicted value; binary → P(class 1);
   * multiclass → row-major rows × K probabilities.
   */
  predict(frame: FeatureFrame): Float64Array;
  /** Feature importance (total gain for trees, |standardised coefficient| for linear models), by name. */
  featureImportance(): Record<string, number>;
  /** A plain JSON object (no typed arrays) that `tabularModelFromJSON` turns back into this model. */
  toJSON(): Record<string, unknown>;
}

/** A learner: trains a TabularModel from a frame and labels. */
export interface Learner<P = Record<string, unknown>> {
  /** `gbdt` or `linear` — what `hangar train --learner` names. */
  readonly name: string;
  /** Default hyperparameters, documented per learner. */
  readonly defaults: P;
  fit(frame: FeatureFrame, labels: Labels, options: FitOptions<P>): Promise<TabularModel>;
}
