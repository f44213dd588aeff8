import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangarClient } from '../../src/client/index.js';
import { linearRegressorOnnx, loadModel, logModel } from '../../src/models/sdk.js';
import { startServerProcess, type ServerProcess } from '../support/process.js';

/**
 * `hangar/models`' MLflow 3 logging against a `hangar server` process: the SDK logs and registers
 * a LoggedModel; the wire then looks as MLflow 3.5's client leaves it (mlflow3-wire.md 3.1, 4.6,
 * 4.8, 4.9), a third-party MLflow client sees the run's output link and no files under the run,
 * and every URI form loads the model.
 */
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MLflow = require('mlflow') as new (opts: { endpoint: string }) => any;

describe('MLflow 3 LoggedModel logging against a live server process', () => {
  let server: ServerProcess;
  let home: string;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'hangar-e2e-logged-model-'));
    server = await startServerProcess(['--home', home]);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('logs, registers and loads an ONNX model the MLflow 3 way', async () => {
    const sdk = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
    const { experiment } = await sdk.getOrCreateExperiment('e2e-logged-model');
    const run = await sdk.createRun(experiment.experimentId);
    const runId = run.info.runId;
    await sdk.logMetric(runId, 'rmse', 0.4);
    const logged = await logModel(sdk, {
      runId,
      onnx: linearRegressorOnnx([2, -1], 0.5),
      inputExample: { a: [1.5], b: [2] },
      registeredModelName: 'e2e-regressor',
    });
    const modelId = logged.loggedModel!.modelId;

    // The wire as MLflow 3.5 leaves it.
    const raw = async (path: string) => (await (await fetch(`${server.url}/api/2.0/mlflow/${path}`)).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const version = (await raw('model-versions/get?name=e2e-regressor&version=1')).model_version;
    expect(version).toMatchObject({ source: `models:/${modelId}`, run_id: runId, status: 'READY' });
    expect((await raw('model-versions/get-download-uri?name=e2e-regressor&version=1')).artifact_uri).toBe(`mlflow-artifacts:/${experiment.experimentId}/models/${modelId}/artifacts`);
    const lm = (await raw(`logged-models/${modelId}`)).model;
    expect(lm.info).toMatchObject({ status: 'LOGGED_MODEL_READY', source_run_id: runId, name: 'model' });
    expect(lm.data.metrics).toEqual([expect.objectContaining({ key: 'rmse', value: 0.4, model_id: modelId, run_id: runId })]);

    // A third-party MLflow client: the run names its model output and holds no model files.
    const mlflow = new MLflow({ endpoint: server.url });
    const { run: seen } = await mlflow.Runs.get({ run_id: runId });
    expect(seen.outputs).toEqual({ model_outputs: [{ model_id: modelId, step: 0 }] });
    expect((await mlflow.Artifacts.list({ run_id: runId })).files ?? []).toEqual([]);

    await sdk.setRegisteredModelAlias('e2e-regressor', 'champion', 1);
    for (const uri of [`models:/${modelId}`, 'models:/e2e-regressor/1', 'models:/e2e-regressor@champion', `runs:/${runId}/model`]) {
      const model = await loadModel(sdk, uri);
      try {
        expect(Array.from((await model.predict({ a: [1, 0], b: [0, 2] })).values!)).toEqual([2.5, -1.5]);
      } finally {
        await model.close();
      }
    }
  });
});
