import type { Problem } from '../types.js';

/** A node in the model's JSON: a leaf, a numeric split, or a categorical split. */
export type GbdtJsonNode =
  | { id: number; leaf: true; value: number; count: number }
  | {
      id: number;
      feature: string;
      /** Rows with value ≤ threshold go left; null means every non-missing value goes left. */
      threshold: number | null;
      missing: 'left' | 'right';
      left: number;
      right: number;
      gain: number;
      count: number;
    }
  | {
      id: number;
      feature: string;
      /** Categories going left; every other category goes right, missing and unseen ones follow `missing`. */
      categories_left: string[];
      missing: 'left' | 'right';
      left: number;
      right: number;
      gain: number;
      count: number;
    };

export type SchemaEntry = { name: string; kind: 'numeric' } | { name: string; kind: 'categorical'; categories: string[] };

/** The saved form of a gbdt model. */
export interface GbdtJson {
  kind: 'gbdt';
  format_version: 1;
  problem: Problem;
  /** Outputs per row: 1 for binary and regression, the class count for multiclass. */
  n_outputs: number;
  class_labels?: string[];
  schema: SchemaEntry[];
  params: Record<string, unknown>;
  /** Raw score before the first tree, per output. */
  baseline: number[];
  /** Boosting iterations kept (trees = iterations × n_outputs). */
  n_iterations: number;
  /** 1-based iteration with the best validation loss, when there was a validation set. */
  best_iteration: number | null;
  feature_importance: { gain: Record<string, number>; splits: Record<string, number> };
  /** Trees in boosting order; tree t adds to output t mod n_outputs. */
  trees: Array<{ output: number; nodes: GbdtJsonNode[] }>;
}
