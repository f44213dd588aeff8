import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangarClient } from '../client/index.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { TinyModel, tinyFromJSON } from './flavors/test-support/tiny-model.js';
import { column, linearRegressorOnnx, loadModel, logModel, parseMLmodel } from './sdk.js';

let server: TestServer;
let client: HangarClient;
let experimentId: string;

beforeAll(async () => {
  server = await startTestServer();
  client = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
  experimentId = await client.createExperiment(`sdk-${Date.now()}`);
});
afterAll(async () => {
  await server.close();
});

const tiny = () => new TinyModel({ problem: 'binary', bias: -1, numeric: { distance: 0.002 }, categorical: { origin: { SFO: 1, JFK: -1 } }, classLabels: ['on_time', 'late'] });
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('logModel / loadModel through a live server', () => {
  it('logs a LoggedModel (MLflow 3), registers models:/m-<id>, and loads it by version, alias, model id and run', async () => {
    const run = await client.createRun(experimentId, { tags: { 'mlflow.source.name': 'train.ts', 'mlflow.runName': 'r' } });
    const runId = run.info.runId;
    await client.logBatch(runId, { params: { C: '1.0' }, metrics: [{ key: 'loss', value: 0.5, step: 0, timestamp: 1000 }, { key: 'loss', value: 0.25, step: 1, timestamp: 2000 }] });
    const name = `delays-${Date.now()}`;
    const logged = await logModel(client, {
      runId,
      model: tiny(),
      inputExample: [{ distance: 500, origin: 'SFO' }],
      registeredModelName: name,
    });
    const lm = logged.loggedModel!;
    expect(lm.modelId).toMatch(/^m-[0-9a-f]{32}$/);
    expect(logged.modelUri).toBe(`models:/${lm.modelId}`);
    expect(logged.runUri).toBe(`runs:/${runId}/model`);
    expect(logged.artifactUri).toBe(lm.artifactUri);
    expect(lm.artifactUri).toMatch(new RegExp(`/models/${lm.modelId}/artifacts$`));

    // The LoggedModel: READY, the run's params and context tags (not its name), linked to the run.
    const got = await client.getLoggedModel(lm.modelId);
    expect(got).toMatchObject({ status: 'LOGGED_MODEL_READY', name: 'model', sourceRunId: runId, experimentId });
    expect(got.params).toEqual([{ key: 'C', value: '1.0' }]);
    expect(got.tags.map((t) => t.key)).toContain('mlflow.source.name');
    expect(got.tags.map((t) => t.key)).not.toContain('mlflow.runName');
    expect(got.metrics.map((m) => [m.key, m.value, m.runId])).toEqual([['loss', 0.25, runId]]);
    const after = await client.getRun(runId);
    expect(after.outputs.modelOutputs).toEqual([{ modelId: lm.modelId, step: 0 }]);
    // Re-sending the metric with model_id did not grow the run's history.
    expect((await client.getMetricHistory(runId, 'loss')).map((m) => m.value)).toEqual([0.5, 0.25]);
    // No files and no runs/log-model under the run: the package lives with the LoggedModel.
    expect(await client.listArtifacts({ runId })).toEqual([]);
    expect(after.data.tags.find((t) => t.key === 'mlflow.log-model.history')).toBeUndefined();
    const files = (await client.listArtifacts({ modelId: lm.modelId })).map((f) => f.path).sort();
    expect(files).toEqual(['MLmodel', 'hangar_env.json', 'input_example.json', 'model.json']);
    const mlmodel = parseMLmodel((await client.readArtifact({ modelId: lm.modelId }, 'MLmodel')).toString('utf8'));
    expect(mlmodel).toMatchObject({ runId, modelId: lm.modelId, artifactPath: 'model' });
    expect(mlmodel.signature?.inputs).toEqual([column('distance', 'double'), column('origin', 'string')]);

    // The version: source models:/m-<id>, run filled in by the server, files at the LoggedModel's location.
    expect(logged.modelVersion).toMatchObject({ version: 1, source: `models:/${lm.modelId}`, runId });
    expect(await client.getModelVersionDownloadUri(name, 1)).toBe(lm.artifactUri);

    await client.setRegisteredModelAlias(name, 'champion', 1);
    const rows = [
      { distance: 1000, origin: 'SFO', ignored: true },
      { distance: 250.5, origin: 'JFK', ignored: false },
    ];
    const expected = [sigmoid(-1 + 2 + 1), sigmoid(-1 + 0.501 - 1)];
    for (const uri of [`models:/${name}/1`, `models:/${name}@champion`, `models:/${lm.modelId}`, `runs:/${runId}/model`]) {
      const model = await loadModel(client, uri, { tabularModelFromJSON: tinyFromJSON });
      try {
        expect(model.metadata.modelUuid).toBe(mlmodel.modelUuid);
        const p = await model.predict(rows);
        expect(p.values![0]).toBeCloseTo(expected[0]!, 12);
        expect(p.values![1]).toBeCloseTo(expected[1]!, 12);
        expect(p.labels).toEqual(['late', 'on_time']);
        expect(await model.inputExample()).toEqual([{ distance: 500, origin: 'SFO' }]);
        await expect(model.predict([{ distance: 'far', origin: 'SFO' }])).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'distance' });
        await expect(model.predict([{ distance: 3 }])).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'origin' });
      } finally {
        await model.close();
      }
    }
  });

  it("layout 'run' logs MLflow 2's way: files under the run, runs/log-model, and runs:/<id>/model loads", async () => {
    const run = await client.createRun(experimentId);
    const runId = run.info.runId;
    const name = `delays-run-${Date.now()}`;
    const logged = await logModel(client, { runId, model: tiny(), inputExample: [{ distance: 500, origin: 'SFO' }], registeredModelName: name, layout: 'run' });
    expect(logged.modelUri).toBe(`runs:/${runId}/model`);
    expect(logged.loggedModel).toBeUndefined();
    expect(logged.modelVersion?.source).toBe(logged.artifactUri);
    const files = (await client.listArtifacts({ runId }, 'model')).map((f) => f.path).sort();
    expect(files).toEqual(['model/MLmodel', 'model/hangar_env.json', 'model/input_example.json', 'model/model.json']);
    const history = JSON.parse((await client.getRun(runId)).data.tags.find((t) => t.key === 'mlflow.log-model.history')!.value) as Array<Record<string, unknown>>;
    expect(history[0]).toMatchObject({ run_id: runId, artifact_path: 'model' });
    for (const uri of [`runs:/${runId}/model`, `models:/${name}/1`]) {
      const model = await loadModel(client, uri, { tabularModelFromJSON: tinyFromJSON });
      expect(Array.from((await model.predict([{ distance: 1000, origin: 'SFO' }])).values!)[0]).toBeCloseTo(sigmoid(2), 12);
      await model.close();
    }
  });

  it('puts extraFiles into the package beside MLmodel, and refuses paths that leave it or overwrite its files', async () => {
    const run = await client.createRun(experimentId);
    const runId = run.info.runId;
    const logged = await logModel(client, { runId, model: tiny(), extraFiles: { 'feature_spec.yaml': 'lookups: []\n', 'notes/readme.txt': 'hi' } });
    const modelId = logged.loggedModel!.modelId;
    const files = (await client.listArtifacts({ modelId })).map((f) => f.path).sort();
    expect(files).toEqual(['MLmodel', 'feature_spec.yaml', 'hangar_env.json', 'model.json', 'notes']);
    expect((await client.readArtifact({ modelId }, 'feature_spec.yaml')).toString('utf8')).toBe('lookups: []\n');
    for (const bad of ['../escape.txt', '/abs.txt', 'MLmodel', '']) {
      await expect(logModel(client, { runId, model: tiny(), artifactPath: `bad-${files.length}`, extraFiles: { [bad]: 'x' } })).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        field: 'extraFiles',
      });
    }
  });

  it('logs an ONNX file with an explicit signature and scores it after loading', async () => {
    const run = await client.createRun(experimentId);
    const dir = await mkdtemp(join(tmpdir(), 'hangar-sdk-onnx-'));
    try {
      const path = join(dir, 'regressor.onnx');
      await writeFile(path, linearRegressorOnnx([3, 0.5], -2));
      await logModel(client, { runId: run.info.runId, onnxPath: path, artifactPath: 'onnx-model', signature: { inputs: [column('x', 'double'), column('y', 'double')] } });
      const model = await loadModel(client, `runs:/${run.info.runId}/onnx-model`);
      expect(model.flavor).toBe('onnx');
      const p = await model.predict({ y: [2, 4], x: [1, -1] });
      expect(Array.from(p.values!)).toEqual([3 + 1 - 2, -3 + 2 - 2]);
      await model.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stores a model logged with another flavor, and loading it names the flavors Hangar runs', async () => {
    const run = await client.createRun(experimentId);
    const name = `sk-${Date.now()}`;
    await client.putArtifact({ runId: run.info.runId }, 'model/MLmodel', 'artifact_path: model\nflavors:\n  python_function: {loader_module: mlflow.sklearn}\n  sklearn: {pickled_model: model.pkl}\nrun_id: x\n');
    await client.putArtifact({ runId: run.info.runId }, 'model/model.pkl', Buffer.from([0x80, 0x04]));
    await client.createRegisteredModel(name);
    const root = (await client.getRun(run.info.runId)).info.artifactUri;
    await client.createModelVersion({ name, source: `${root}/model`, runId: run.info.runId });
    expect((await client.searchAllModelVersions({ filter: `name = '${name}'` })).map((v) => v.version)).toEqual([1]);
    await expect(loadModel(client, `models:/${name}/1`)).rejects.toThrow(/flavors are python_function, sklearn; Hangar runs hangar.tabular, onnx/);
  });

  it('refuses to log without exactly one model', async () => {
    await expect(logModel(client, { runId: 'x' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'model' });
  });
});

describe('signature inference', () => {
  it('turns date parts into one datetime column when the example has it, and ONNX whole numbers into doubles', async () => {
    const run = await client.createRun(experimentId);
    const model = new TinyModel({ problem: 'regression', bias: 0, numeric: { date_month: 1, date_hour: 100, distance: 0 } });
    const logged = await logModel(client, { runId: run.info.runId, model, inputExample: [{ date: '2001-06-15 13:00:00', distance: 10 }] });
    expect(logged.mlmodel.signature?.inputs).toEqual([column('date', 'datetime'), column('distance', 'double')]);
    const loaded = await loadModel(client, logged.modelUri, { tabularModelFromJSON: tinyFromJSON });
    expect(Array.from((await loaded.predict([{ date: '2001-06-15 13:00:00', distance: 10 }])).values!)).toEqual([6 + 1300]);
    await loaded.close();
    const onnx = await logModel(client, { runId: run.info.runId, onnx: linearRegressorOnnx([1], 0), artifactPath: 'o', inputExample: { x: [1, 2] } });
    expect(onnx.mlmodel.signature?.inputs).toEqual([column('x', 'double')]);
  });
});
