/**
 * Models: the package format (MLmodel), the flavors Hangar runs (`hangar.tabular`, `onnx`),
 * metrics, evaluation, and the SDK functions behind `hangar/models`. Other folders use models
 * only through this file.
 */
export * from './package/index.js';
export * from './flavors/index.js';
export * from './metrics.js';
export * from './evaluate/index.js';
export * from './learners/index.js';
// train.ts's own `evaluateModel` (metrics of a TabularModel on a prepared frame) stays internal;
// the exported one is evaluation's, over a loaded package.
export {
  train,
  trainRun,
  loadTrainingData,
  registerRunModel,
  HEADLINE_METRICS,
  type TrainProgress,
  type DataOptions,
  type LoadedData,
  type TrainRunOptions,
  type TrainOptions,
  type TrainResult,
} from './train.js';
export { search, parseParamArgs, rankingMetric, gridTrials, randomTrials, type SearchMode, type SearchSpace, type SearchOptions, type SearchResult } from './search.js';
