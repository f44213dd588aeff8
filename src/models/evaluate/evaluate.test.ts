import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangarClient } from '../../client/index.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { buildOnnxModel, loadModelFromDir, logModel, onnxPackage, tabularPackage } from '../flavors/index.js';
import { TinyModel, tinyFromJSON } from '../flavors/test-support/tiny-model.js';
import { zipMapClassifier } from '../flavors/test-support/onnx-models.js';
import { binaryMetrics, multiclassMetrics, regressionMetrics } from '../metrics.js';
import { column, saveModelPackage } from '../package/index.js';
import { evaluate, evaluateModel, niceTicks, xmlEscape } from './index.js';

/** A small XML well-formedness check: balanced tags, quoted attributes, escaped text. */
function expectWellFormedSvg(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const stack: string[] = [];
  const tokens = svg.split(/(<[^>]*>)/);
  for (const t of tokens) {
    if (t.startsWith('<')) {
      const m = /^<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(t);
      expect(m, `malformed tag ${t}`).not.toBeNull();
      const [, close, name, , self] = m!;
      if (close === '/') expect(stack.pop()).toBe(name);
      else if (self !== '/') stack.push(name!);
    } else {
      expect(t).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot|apos);)/);
    }
  }
  expect(stack).toEqual([]);
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hangar-eval-'));
  dirs.push(d);
  return d;
}

let server: TestServer;
let client: HangarClient;
beforeAll(async () => {
  server = await startTestServer();
  client = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const binaryTiny = () => new TinyModel({ problem: 'binary', bias: 0, numeric: { x: 1 }, categorical: { c: { a: 0.5, b: -0.5 } }, classLabels: ['no', 'yes'] });
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('evaluateModel (in memory)', () => {
  it('binary: metrics equal the metric functions on hand-computed scores, with every plot', async () => {
    const dir = await tempDir();
    await saveModelPackage(dir, { ...tabularPackage(binaryTiny()), signature: { inputs: [column('x', 'double'), column('c', 'string')] } });
    const model = await loadModelFromDir(dir, { tabularModelFromJSON: tinyFromJSON });
    const rows = [
      { x: 1, c: 'a', label: 'yes' },
      { x: -2, c: 'b', label: 'no' },
      { x: 0.2, c: 'b', label: 'yes' },
      { x: -0.1, c: 'a', label: 'no' },
      { x: 3, c: 'z', label: 'yes' },
      { x: 0, c: 'a', label: null },
    ];
    const r = await evaluateModel(model, rows, 'label');
    expect(r.problem).toBe('binary');
    expect(r.rows).toBe(5);
    const p = Float64Array.of(sigmoid(1.5), sigmoid(-2.5), sigmoid(-0.3), sigmoid(0.4), sigmoid(3));
    expect(r.metrics).toEqual(binaryMetrics(Float64Array.of(1, 0, 1, 0, 1), p));
    // By hand: predicted [1, 0, 0, 1, 1] → tp 2, fp 1, fn 1, tn 1; AUC 5/6 (the pair (0.2 → −0.3, −0.1 → 0.4) is misordered).
    expect([r.metrics.true_positives, r.metrics.false_positives, r.metrics.false_negatives, r.metrics.true_negatives]).toEqual([2, 1, 1, 1]);
    expect(r.metrics.roc_auc).toBeCloseTo(5 / 6, 12);
    expect(Object.keys(r.plots).sort()).toEqual(['confusion_matrix.svg', 'feature_importance.svg', 'precision_recall_curve_plot.svg', 'roc_curve_plot.svg']);
    for (const svg of Object.values(r.plots)) expectWellFormedSvg(svg);
    expect(r.plots['roc_curve_plot.svg']).toContain('ROC curve (AUC = 0.8333)');
    expect(r.plots['confusion_matrix.svg']).toContain('>yes</text>');
  });

  it('regression on an ONNX model, with the residuals plot', async () => {
    const dir = await tempDir();
    const bytes = buildOnnxModel({
      nodes: [{ opType: 'Mul', inputs: ['input', 'two'], outputs: ['y'] }],
      inputs: [{ name: 'input', type: 'DOUBLE', shape: ['N', 1] }],
      outputs: [{ name: 'y', type: 'DOUBLE', shape: ['N', 1] }],
      initializers: [{ name: 'two', type: 'DOUBLE', dims: [1], values: [2] }],
    });
    await saveModelPackage(dir, { ...onnxPackage(bytes), signature: { inputs: [column('x', 'double')] } });
    const model = await loadModelFromDir(dir);
    const r = await evaluateModel(model, { x: [1, 2, 3, 4], y: [2.5, 4, 5, 8] }, 'y');
    expect(r.metrics).toEqual(regressionMetrics(Float64Array.of(2.5, 4, 5, 8), Float64Array.of(2, 4, 6, 8)));
    // By hand: errors 0.5, 0, −1, 0 → MAE 0.375, RMSE √(1.25/4), max error 1.
    expect(r.metrics.mae).toBe(0.375);
    expect(r.metrics.rmse).toBeCloseTo(Math.sqrt(1.25 / 4), 14);
    expect(r.metrics.max_error).toBe(1);
    expect(Object.keys(r.plots)).toEqual(['residuals_plot.svg']);
    expectWellFormedSvg(r.plots['residuals_plot.svg']!);
    await model.close();
  });

  it('multiclass on an ONNX softmax model', async () => {
    const dir = await tempDir();
    // logits = [x, 0, −x] → softmax.
    const bytes = buildOnnxModel({
      nodes: [
        { opType: 'MatMul', inputs: ['input', 'W'], outputs: ['z'] },
        { opType: 'Softmax', inputs: ['z'], outputs: ['probabilities'], attributes: { axis: 1 }, intAttributes: ['axis'] },
      ],
      inputs: [{ name: 'input', type: 'FLOAT', shape: ['N', 1] }],
      outputs: [{ name: 'probabilities', type: 'FLOAT', shape: ['N', 3] }],
      initializers: [{ name: 'W', type: 'FLOAT', dims: [1, 3], values: [1, 0, -1] }],
    });
    await saveModelPackage(dir, { ...onnxPackage(bytes, { classLabels: ['hi', 'mid', 'lo'] }), signature: { inputs: [column('x', 'double')] } });
    const model = await loadModelFromDir(dir);
    const r = await evaluateModel(model, { x: [2, 0.1, -3, -1], k: ['hi', 'mid', 'lo', 'mid'] }, 'k');
    expect(r.problem).toBe('multiclass');
    const softmax = (x: number) => {
      const e = [Math.exp(x), 1, Math.exp(-x)];
      const s = e[0]! + e[1]! + e[2]!;
      return e.map((v) => v / s);
    };
    const probs = Float64Array.from([2, 0.1, -3, -1].flatMap(softmax));
    const expected = multiclassMetrics(Float64Array.of(0, 1, 2, 1), probs, 3);
    // Predicted hi, hi, lo, lo → accuracy 2/4.
    expect(r.metrics.accuracy).toBe(0.5);
    expect(r.metrics.log_loss).toBeCloseTo(expected.log_loss!, 6);
    expect(r.metrics.macro_f1).toBeCloseTo(expected.macro_f1!, 12);
    expectWellFormedSvg(r.plots['confusion_matrix.svg']!);
    await model.close();
  });

  it('takes a data-layer table: timestamps give the date parts a model trained on derived features needs', async () => {
    const dir = await tempDir();
    // Trained on the data layer's derived features: the signature lists date_hour, not date.
    const tiny = new TinyModel({ problem: 'regression', bias: 0, numeric: { date_hour: 1, date_month: 100 } });
    await saveModelPackage(dir, { ...tabularPackage(tiny), signature: { inputs: [column('date_hour', 'double'), column('date_month', 'double')] } });
    const model = await loadModelFromDir(dir, { tabularModelFromJSON: tinyFromJSON });
    const table = {
      rows: 2,
      source: 'memory',
      columns: [
        { name: 'date', type: 'timestamp' as const, values: Float64Array.of(Date.UTC(2001, 5, 1, 8), Date.UTC(2001, 0, 2, 23)) },
        { name: 'y', type: 'number' as const, values: Float64Array.of(608, 123) },
      ],
    };
    const r = await evaluateModel(model, table, 'y');
    // Predictions 6·100 + 8 = 608 and 1·100 + 23 = 123: a perfect fit.
    expect(r.metrics.rmse).toBe(0);
    expect(r.metrics.r2).toBe(1);
  });

  it('labels-only classifier (ZipMap probabilities): label metrics, no AUC or log loss', async () => {
    const dir = await tempDir();
    await saveModelPackage(dir, { ...onnxPackage(zipMapClassifier()), signature: { inputs: [column('x', 'double')] } });
    const model = await loadModelFromDir(dir);
    // Predicted 0, 1, 0, 1 (class 1 when x < 0) against 0, 1, 1, 1.
    const r = await evaluateModel(model, { x: [2, -3, 0.5, -1], y: [0, 1, 1, 1] }, 'y');
    expect(r.problem).toBe('binary');
    expect(r.metrics.accuracy).toBe(0.75);
    expect(r.metrics.precision).toBe(1);
    expect(r.metrics.recall).toBeCloseTo(2 / 3, 14);
    expect(r.metrics.auc).toBeUndefined();
    expect(r.metrics.log_loss).toBeUndefined();
    expect(Object.keys(r.plots)).toEqual(['confusion_matrix.svg']);
    await model.close();
  });

  it('names an unknown class and a missing target column', async () => {
    const dir = await tempDir();
    await saveModelPackage(dir, { ...tabularPackage(binaryTiny()), signature: { inputs: [column('x', 'double'), column('c', 'string')] } });
    const model = await loadModelFromDir(dir, { tabularModelFromJSON: tinyFromJSON });
    await expect(evaluateModel(model, [{ x: 1, c: 'a', label: 'maybe' }], 'label')).rejects.toThrow(/class 'maybe', which the model does not know \(classes: no, yes\)/);
    await expect(evaluateModel(model, [{ x: 1, c: 'a' }], 'label')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'target' });
  });
});

describe('evaluate (logged to a run)', () => {
  it('reads a CSV, logs metrics under both names and the plots to a new run', async () => {
    const { experiment } = await client.getOrCreateExperiment(`eval-${Date.now()}`);
    const run = await client.createRun(experiment.experimentId);
    // Labels other than yes/no, which DuckDB's CSV sniffer reads as booleans.
    const model = new TinyModel({ ...binaryTiny().spec, classLabels: ['early', 'late'] });
    const logged = await logModel(client, { runId: run.info.runId, model });
    const dir = await tempDir();
    const csv = join(dir, 'holdout.csv');
    await writeFile(csv, 'x,c,label\n1,a,late\n-2,b,early\n0.2,b,late\n-0.1,a,early\n3,z,late\n');
    const r = await evaluate(client, { modelUri: logged.modelUri, data: csv, target: 'label', experiment: experiment.name, loadOptions: { tabularModelFromJSON: tinyFromJSON } });
    expect(r.runId).not.toBe(run.info.runId);
    const evalRun = await client.getRun(r.runId);
    expect(evalRun.info.status).toBe('FINISHED');
    const metrics = Object.fromEntries(evalRun.data.metrics.map((m) => [m.key, m.value]));
    expect(metrics.roc_auc).toBeCloseTo(5 / 6, 12);
    expect(metrics.auc).toBe(metrics.roc_auc);
    expect(metrics.f1_score).toBe(metrics.f1);
    // The evaluation data is recorded as the run's input, for lineage.
    expect(evalRun.inputs.datasetInputs.map((d) => [d.dataset.name, d.tags.find((t) => t.key === 'mlflow.data.context')?.value])).toEqual([['holdout', 'evaluation']]);
    const files = (await client.listArtifacts({ runId: r.runId }, 'evaluation')).map((f) => f.path).sort();
    expect(files).toEqual([
      'evaluation/confusion_matrix.svg',
      'evaluation/feature_importance.svg',
      'evaluation/metrics.json',
      'evaluation/precision_recall_curve_plot.svg',
      'evaluation/roc_curve_plot.svg',
    ]);
    expectWellFormedSvg((await client.readArtifact({ runId: r.runId }, 'evaluation/roc_curve_plot.svg')).toString('utf8'));
  });

  it('logs into a given run with a prefix, leaving the run open', async () => {
    const { experiment } = await client.getOrCreateExperiment(`eval-prefix-${Date.now()}`);
    const run = await client.createRun(experiment.experimentId);
    const logged = await logModel(client, { runId: run.info.runId, model: binaryTiny() });
    const r = await evaluate(client, {
      modelUri: logged.modelUri,
      data: { x: [1, -1], c: ['a', 'b'], label: ['yes', 'no'] },
      target: 'label',
      runId: run.info.runId,
      prefix: 'champion_',
      loadOptions: { tabularModelFromJSON: tinyFromJSON },
    });
    expect(r.artifacts).toContain('evaluation/champion_roc_curve_plot.svg');
    const again = await client.getRun(run.info.runId);
    expect(again.info.status).toBe('RUNNING');
    expect(again.data.metrics.find((m) => m.key === 'champion_accuracy')?.value).toBe(1);
  });
});

describe('plot helpers', () => {
  it('makes nice ticks and escapes text', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3, 17)).toEqual([0, 5, 10, 15]);
    expect(xmlEscape(`a<b & "c"`)).toBe('a&lt;b &amp; &quot;c&quot;');
  });
});
