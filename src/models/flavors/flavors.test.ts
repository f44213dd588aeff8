import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HangarError } from '../../core/errors.js';
import { column, saveModelPackage } from '../package/index.js';
import {
  buildOnnxModel,
  linearRegressorOnnx,
  loadModelFromDir,
  logisticClassifierOnnx,
  onnxPackage,
  predictionRecords,
  RUNNABLE_FLAVORS,
  tabularPackage,
} from './index.js';
import { zipMapClassifier } from './test-support/onnx-models.js';
import { TinyModel, tinyFromJSON } from './test-support/tiny-model.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hangar-flavor-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('onnx flavor', () => {
  it('scores a linear regressor built in the test: columns stacked in signature order', async () => {
    const dir = await tempDir();
    // y = 2·a − 1·b + 0.5
    await saveModelPackage(dir, { ...onnxPackage(linearRegressorOnnx([2, -1], 0.5)), signature: { inputs: [column('a', 'double'), column('b', 'double')] } });
    const model = await loadModelFromDir(dir);
    expect(model.flavor).toBe('onnx');
    // MLflow's Python client loads it through python_function, as mlflow.onnx.save_model writes it.
    expect(model.metadata.flavors.python_function).toEqual({ loader_module: 'mlflow.onnx', data: 'model.onnx' });
    // Column order in the input does not matter; the signature's does. Extra columns are dropped.
    const p = await model.predict([
      { b: 2, a: 1, note: 'ignored' },
      { b: 4, a: 3, note: 'ignored' },
    ]);
    expect(p.problem).toBe('regression');
    expect(Array.from(p.values!)).toEqual([2 * 1 - 2 + 0.5, 2 * 3 - 4 + 0.5]);
    const cols = await model.predict({ a: [0, -1], b: [0, 1] });
    expect(Array.from(cols.values!)).toEqual([0.5, -2.5]);
    // An empty batch is not missing its columns.
    expect((await model.predict([])).rows).toBe(0);
    await expect(model.predict([{ a: 1 }])).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'b' });
    await model.close();
  });

  it('scores a logistic classifier with label and probabilities outputs', async () => {
    const dir = await tempDir();
    // p = sigmoid(1.5·x − 0.5·y − 1)
    await saveModelPackage(dir, {
      ...onnxPackage(logisticClassifierOnnx([1.5, -0.5], -1), { classLabels: ['stay', 'churn'] }),
      signature: { inputs: [column('x', 'double'), column('y', 'double')] },
    });
    const model = await loadModelFromDir(dir);
    const p = await model.predict({ x: [0, 2], y: [0, 1] });
    expect(p.problem).toBe('binary');
    expect(p.classLabels).toEqual(['stay', 'churn']);
    const p0 = sigmoid(-1);
    const p1 = sigmoid(1.5 * 2 - 0.5 - 1);
    expect(p.values![0]).toBeCloseTo(p0, 6);
    expect(p.values![1]).toBeCloseTo(p1, 6);
    expect(p.probabilities![0]).toBeCloseTo(1 - p0, 6);
    expect(p.labels).toEqual(['stay', 'churn']);
    const records = predictionRecords(p) as Array<{ label: string; probabilities: Record<string, number> }>;
    expect(records[1]!.label).toBe('churn');
    expect(records[1]!.probabilities.churn).toBeCloseTo(p1, 6);
    await model.close();
  });

  it('feeds several named inputs column by column', async () => {
    const dir = await tempDir();
    // z = a + 10·b from two [N, 1] double inputs.
    const bytes = buildOnnxModel({
      nodes: [
        { opType: 'Mul', inputs: ['b', 'ten'], outputs: ['b10'] },
        { opType: 'Add', inputs: ['a', 'b10'], outputs: ['z'] },
      ],
      inputs: [
        { name: 'a', type: 'DOUBLE', shape: ['N', 1] },
        { name: 'b', type: 'DOUBLE', shape: ['N', 1] },
      ],
      outputs: [{ name: 'z', type: 'DOUBLE', shape: ['N', 1] }],
      initializers: [{ name: 'ten', type: 'DOUBLE', dims: [1], values: [10] }],
    });
    await saveModelPackage(dir, { ...onnxPackage(bytes), signature: { inputs: [column('a', 'double'), column('b', 'double')] } });
    const model = await loadModelFromDir(dir);
    expect(Array.from((await model.predict({ b: [1, 2], a: [0.25, 3] })).values!)).toEqual([10.25, 23]);
    await model.close();
  });

  it('reads a one-output binary model as P(class 1) when the flavor says binary', async () => {
    const dir = await tempDir();
    const bytes = buildOnnxModel({
      nodes: [
        { opType: 'MatMul', inputs: ['input', 'W'], outputs: ['z'] },
        { opType: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
      ],
      inputs: [{ name: 'input', type: 'FLOAT', shape: ['N', 1] }],
      outputs: [{ name: 'p', type: 'FLOAT', shape: ['N', 1] }],
      initializers: [{ name: 'W', type: 'FLOAT', dims: [1, 1], values: [2] }],
    });
    await saveModelPackage(dir, { ...onnxPackage(bytes, { problem: 'binary' }), signature: { inputs: [column('x', 'double')] } });
    const model = await loadModelFromDir(dir);
    const p = await model.predict({ x: [0, 1] });
    expect(p.values![0]).toBeCloseTo(0.5, 6);
    expect(p.values![1]).toBeCloseTo(sigmoid(2), 6);
    // p = 0.5 exactly is not above the threshold: class 0, as sklearn decides.
    expect(p.labels).toEqual(['0', '1']);
    await model.close();
  });
});

describe('an ONNX model as MLflow logs it (tensor signature)', () => {
  it('loads the MLflow onnx flavor and scores TF-serving style rows (arrays) by position', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'model.onnx'), linearRegressorOnnx([1, 10, 100], 0));
    await writeFile(
      join(dir, 'MLmodel'),
      `artifact_path: model
flavors:
  onnx: {code: null, data: model.onnx, onnx_version: 1.15.0, providers: [CUDAExecutionProvider, CPUExecutionProvider]}
  python_function: {data: model.onnx, env: {conda: conda.yaml, virtualenv: python_env.yaml}, loader_module: mlflow.onnx, python_version: 3.11.2}
mlflow_version: 2.12.2
model_uuid: 0123456789abcdef0123456789abcdef
run_id: 4c9ea22a81744d14914fc3fa3fa2c912
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}, "name": "input"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}, "name": "variable"}]'
  params: null
utc_time_created: '2026-11-26 05:07:47.081585'
`,
    );
    const model = await loadModelFromDir(dir);
    expect(model.flavor).toBe('onnx');
    expect(model.environment).toBeUndefined();
    const p = await model.predict([
      [1, 2, 3],
      [0.5, 0, 1],
    ]);
    expect(Array.from(p.values!)).toEqual([321, 100.5]);
    await model.close();
  });
});

describe('sklearn-onnx default output (ZipMap)', () => {
  it('reads the labels when the probabilities are a ZipMap, which onnxruntime-node cannot return', async () => {
    const dir = await tempDir();
    await saveModelPackage(dir, { ...onnxPackage(zipMapClassifier(), { classLabels: ['ok', 'fraud'] }), signature: { inputs: [column('x', 'double')] } });
    const model = await loadModelFromDir(dir);
    expect(model.problem).toBe('binary');
    const p = await model.predict({ x: [2, -3, 0.5] });
    expect(p.labels).toEqual(['ok', 'fraud', 'ok']);
    expect(p.probabilities).toBeUndefined();
    expect(predictionRecords(p)).toEqual(['ok', 'fraud', 'ok']);
    await model.close();
  });
});

describe('hangar.tabular flavor', () => {
  it('saves a model as JSON and predicts with the schema: categories mapped, unseen as missing', async () => {
    const dir = await tempDir();
    const tiny = new TinyModel({ problem: 'regression', bias: 1, numeric: { x: 2 }, categorical: { city: { A: 10, B: 20 } } });
    await saveModelPackage(dir, { ...tabularPackage(tiny), signature: { inputs: [column('x', 'double'), column('city', 'string')] } });
    const model = await loadModelFromDir(dir, { tabularModelFromJSON: tinyFromJSON });
    expect(model.flavor).toBe('hangar.tabular');
    expect(model.metadata.flavors['hangar.tabular']).toMatchObject({ model: 'model.json', kind: 'tiny', problem: 'regression' });
    const p = await model.predict([
      { x: 1, city: 'B' },
      { x: 0.5, city: 'Z' },
      { x: null, city: 'A' },
    ]);
    expect(Array.from(p.values!)).toEqual([1 + 2 + 20, 1 + 1, 1 + 10]);
    expect(model.featureImportance()).toEqual({ x: 2 });
    await expect(model.predict([{ x: 'one', city: 'A' }])).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'x' });
    // A key present with a null value counts as the column being there; an absent key does not.
    expect(Array.from((await model.predict([{ x: 1, city: null }])).values!)).toEqual([3]);
    await expect(model.predict([{ x: 1 }])).rejects.toMatchObject({ field: 'city' });
  });

  it('gives class labels and probabilities for a binary model', async () => {
    const dir = await tempDir();
    const tiny = new TinyModel({ problem: 'binary', bias: 0, numeric: { x: 1 }, classLabels: ['no', 'yes'] });
    await saveModelPackage(dir, { ...tabularPackage(tiny), signature: { inputs: [column('x', 'double')] } });
    const model = await loadModelFromDir(dir, { tabularModelFromJSON: tinyFromJSON });
    const p = await model.predict({ x: [-2, 3] });
    expect(p.labels).toEqual(['no', 'yes']);
    expect(p.values![1]).toBeCloseTo(sigmoid(3), 12);
    expect(p.probabilities![0]).toBeCloseTo(1 - sigmoid(-2), 12);
  });
});

describe('other flavors', () => {
  it('stores a model MLflow logged with sklearn, and loading it names the flavors Hangar runs', async () => {
    const dir = await tempDir();
    await saveModelPackage(dir, {
      flavors: { python_function: { loader_module: 'mlflow.sklearn', model_path: 'model.pkl' }, sklearn: { pickled_model: 'model.pkl' } },
      files: { 'model.pkl': new Uint8Array([0x80, 0x04]) },
    });
    try {
      await loadModelFromDir(dir);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HangarError);
      expect((e as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((e as HangarError).message).toContain('python_function, sklearn');
      for (const f of RUNNABLE_FLAVORS) expect((e as HangarError).message).toContain(f);
    }
  });

  it('reports a corrupt ONNX file clearly', async () => {
    const dir = await tempDir();
    await saveModelPackage(dir, onnxPackage(new Uint8Array([1, 2, 3])));
    await writeFile(join(dir, 'model.onnx'), 'not a model');
    await expect(loadModelFromDir(dir)).rejects.toThrow(/Cannot load the ONNX model 'model.onnx'/);
  });
});
