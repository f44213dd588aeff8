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
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isApiError, type HangarClient, type LoggedModel, type MetricInput } from '../client/index.js';
import { logModel as logModelToRun, type LogModelOptions, type LoggedModelResult } from './flavors/index.js';
import { logArtifactPath, writeLogPackage } from './flavors/remote.js';
import { stringifyMLmodel } from './package/index.js';

export { loadModel, hasColumnSignature, type LogModelOptions, type LoggedModelResult, type LoadModelOptions, type RemoteLoadedModel } from './flavors/index.js';
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

/** `logModel`'s options: those of the run layout, plus where the package goes. */
export interface LogLoggedModelOptions extends LogModelOptions {
  /**
   * `logged-model` (default, MLflow 3): a LoggedModel named `artifactPath` (default `model`) holds
   * the package under its own artifact location, linked to the run as an output; a registered
   * version's source is `models:/m-<id>`. `run` (MLflow 2): the package goes under the run's
   * artifacts and `runs/log-model` records it. A server without LoggedModel endpoints gets the
   * `run` layout automatically.
   */
  layout?: 'logged-model' | 'run';
}

/** What `logModel` logged. */
export interface LogModelResult extends LoggedModelResult {
  /** The LoggedModel (READY), absent in the `run` layout. */
  loggedModel?: LoggedModel;
  /**
   * `runs:/<runId>/<artifactPath>`: still loads in the LoggedModel layout (the client falls
   * back to the run's LoggedModel of that name, as MLflow 3's does).
   */
  runUri: string;
}

/**
 * Log a model as MLflow 3's `log_model(name=…)` does: create a LoggedModel from the run (its
 * params, and its context tags minus `mlflow.runName`), link it to the run (`runs/outputs`),
 * re-send the run's latest metrics with the model's id (the server records them against the
 * model without growing the run's history), upload the package under the LoggedModel's artifact
 * location, and finalize it `LOGGED_MODEL_READY` (or `LOGGED_MODEL_UPLOAD_FAILED` if the upload
 * broke). With `registeredModelName`, a version is created from `models:/m-<id>` with `model_id`.
 * `layout: 'run'` logs MLflow 2's way instead (see `LogLoggedModelOptions`).
 */
export async function logModel(client: HangarClient, options: LogLoggedModelOptions): Promise<LogModelResult> {
  const name = logArtifactPath(options);
  const runUri = `runs:/${options.runId}/${name}`;
  if (options.layout === 'run') return { ...(await logModelToRun(client, options)), runUri };

  const run = await client.getRun(options.runId);
  let lm: LoggedModel;
  try {
    lm = await client.createLoggedModel({
      experimentId: run.info.experimentId,
      name,
      sourceRunId: options.runId,
      params: run.data.params,
      tags: run.data.tags.filter((t) => t.key.startsWith('mlflow.') && t.key !== 'mlflow.runName'),
    });
  } catch (e) {
    // An MLflow 2 server has no LoggedModels: log the way its own clients do.
    if (isApiError(e) && e.code === 'ENDPOINT_NOT_FOUND') return { ...(await logModelToRun(client, options)), runUri };
    throw e;
  }
  await client.logOutputs(options.runId, [{ modelId: lm.modelId, step: 0 }]);
  const metrics: MetricInput[] = run.data.metrics.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step, modelId: lm.modelId }));
  if (metrics.length > 0) await client.logBatch(options.runId, { metrics });

  const dir = await mkdtemp(join(tmpdir(), 'hangar-log-model-'));
  try {
    const mlmodel = await writeLogPackage(dir, options, name);
    // MLflow 3 writes the LoggedModel's id into the MLmodel, so a package names its model.
    mlmodel.modelId = lm.modelId;
    await writeFile(join(dir, 'MLmodel'), stringifyMLmodel(mlmodel));
    try {
      await client.logArtifacts({ modelId: lm.modelId }, dir);
    } catch (e) {
      await client.finalizeLoggedModel(lm.modelId, 'LOGGED_MODEL_UPLOAD_FAILED').catch(() => undefined);
      throw e;
    }
    lm = await client.finalizeLoggedModel(lm.modelId, 'LOGGED_MODEL_READY');
    const result: LogModelResult = { modelUri: `models:/${lm.modelId}`, artifactUri: lm.artifactUri, mlmodel, loggedModel: lm, runUri };
    if (options.registeredModelName !== undefined) {
      await client.getOrCreateRegisteredModel(options.registeredModelName);
      // As MLflow 3: the source is the LoggedModel; the server fills in run_id from it.
      result.modelVersion = await client.createModelVersion({
        name: options.registeredModelName,
        source: `models:/${lm.modelId}`,
        modelId: lm.modelId,
        ...(options.versionDescription === undefined ? {} : { description: options.versionDescription }),
        ...(options.versionTags === undefined ? {} : { tags: options.versionTags }),
      });
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
