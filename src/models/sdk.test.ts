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
  it('logs a tabular model, registers it, and loads it by version, alias and run', async () => {
    const run = await client.createRun(experimentId);
    const runId = run.info.runId;
    const name = `delays-${Date.now()}`;
    const logged = await logModel(client, {
      runId,
      model: tiny(),
      inputExample: [{ distance: 500, origin: 'SFO' }],
      registeredModelName: name,
    });
    expect(logged.modelUri).toBe(`runs:/${runId}/model`);
    expect(logged.modelVersion?.version).toBe(1);
    expect(logged.modelVersion?.source).toBe(logged.artifactUri);

    // The package landed under the run's artifacts, with MLflow's file names.
    const files = (await client.listArtifacts({ runId }, 'model')).map((f) => f.path).sort();
    expect(files).toEqual(['model/MLmodel', 'model/hangar_env.json', 'model/input_example.json', 'model/model.json']);
    const mlmodel = parseMLmodel((await client.readArtifact({ runId }, 'model/MLmodel')).toString('utf8'));
    expect(mlmodel.runId).toBe(runId);
    expect(mlmodel.signature?.inputs).toEqual([column('distance', 'double'), column('origin', 'string')]);

    // runs/log-model recorded the MLmodel on the run, as MLflow's log_model does.
    const history = JSON.parse((await client.getRun(runId)).data.tags.find((t) => t.key === 'mlflow.log-model.history')!.value) as Array<Record<string, unknown>>;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ run_id: runId, artifact_path: 'model', model_uuid: mlmodel.modelUuid });
    expect(Object.keys(history[0]!.flavors as object)).toEqual(['hangar.tabular']);

    await client.setRegisteredModelAlias(name, 'champion', 1);
    const rows = [
      { distance: 1000, origin: 'SFO', ignored: true },
      { distance: 250.5, origin: 'JFK', ignored: false },
    ];
    const expected = [sigmoid(-1 + 2 + 1), sigmoid(-1 + 0.501 - 1)];
    for (const uri of [`models:/${name}/1`, `models:/${name}@champion`, `runs:/${runId}/model`]) {
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
