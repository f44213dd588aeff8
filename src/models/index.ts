/**
 * Models: the package format (MLmodel), the flavors Hangar runs (`hangar.tabular`, `onnx`),
 * metrics, evaluation, and the SDK functions behind `hangar/models`. Other folders use models
 * only through this file.
 */
export * from './package/index.js';
export * from './flavors/index.js';
export * from './metrics.js';
export * from './evaluate/index.js';
export type { Feature, FeatureFrame, Labels, Learner, FitOptions, Problem, TabularModel, NumericFeature, CategoricalFeature } from './learners/types.js';
