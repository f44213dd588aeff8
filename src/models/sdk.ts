/**
 * `hangar/models`: log, load and evaluate models through a Hangar (or MLflow) server.
 *
 * ```ts
 * import { HangarClient } from 'hangar/client';
 * import { logModel, loadModel } from 'hangar/models';
 * const client = new HangarClient('http://127.0.0.1:5000');
 * await logModel(client, { runId, model, inputExample: rows.slice(0, 5), registeredModelName: 'delays' });
 * const loaded = await loadModel(client, 'models:/delays@champion');
 * const { labels, values } = await loaded.predict([{ distance: 300, origin: 'SFO', destination: 'LAX', date: '2001-06-01 08:00' }]);
 * ```
 *
 * Kept apart from `hangar/client`, which stays free of native dependencies: this entry loads
 * onnxruntime-node (lazily, when an ONNX model is loaded) and DuckDB (when evaluating a file).
 */
export { logModel, loadModel, hasColumnSignature, type LogModelOptions, type LoggedModelResult, type LoadModelOptions, type RemoteLoadedModel } from './flavors/index.js';
export { evaluate, evaluateModel, tableToColumns, type EvaluateOptions, type EvaluateResult, type EvaluationData, type EvaluationResult } from './evaluate/index.js';
export type { LoadedModel, Predictions } from './flavors/index.js';
export { predictionRecords, RUNNABLE_FLAVORS, linearRegressorOnnx, logisticClassifierOnnx, buildOnnxModel } from './flavors/index.js';
export {
  column,
  inferSignatureFromColumns,
  inferSignatureFromFrame,
  inferSignatureFromRows,
  parseMLmodel,
  stringifyMLmodel,
  type ColumnSpec,
  type ExecutionEnvironment,
  type MLmodel,
  type ModelInput,
  type ModelSignature,
} from './package/index.js';
export * from './metrics.js';
