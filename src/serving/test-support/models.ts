/**
 * Models for the serving tests and the benchmark: a gradient-boosted classifier trained on a
 * seeded synthetic set (a numeric and a categorical feature that both matter), and an ONNX
 * logistic model, logged and registered through a live server.
 */
import type { HangarClient } from '../../client/index.js';
import { column, gbdtLearner, logModel, logisticClassifierOnnx, withClassLabels, type FeatureFrame, type TabularModel } from '../../models/index.js';
import { mulberry32 } from '../../core/random.js';

const ORIGINS = ['ATL', 'JFK', 'LAX', 'ORD', 'SFO'];

/** A small deterministic generator (mulberry32). */
export const rng = mulberry32;

/** Rows of the synthetic set: `distance` (double), `origin` (string), and the label `late`. */
export function syntheticRows(n: number, seed = 7): Array<{ distance: number; origin: string; late: number }> {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const distance = Math.round(100 + r() * 2400);
    const origin = ORIGINS[Math.floor(r() * ORIGINS.length)]!;
    const z = (distance - 1200) / 600 + (origin === 'JFK' || origin === 'ORD' ? 1 : -0.5) + (r() - 0.5);
    return { distance, origin, late: z > 0 ? 1 : 0 };
  });
}

/** A GBDT binary classifier on `syntheticRows` (few small trees: trained in well under a second). */
export async function trainGbdt(options: { rows?: number; seed?: number; iterations?: number; classLabels?: string[] } = {}): Promise<TabularModel> {
  const rows = syntheticRows(options.rows ?? 2000, options.seed ?? 7);
  const frame: FeatureFrame = {
    rows: rows.length,
    features: [
      { name: 'distance', kind: 'numeric', values: Float64Array.from(rows, (x) => x.distance) },
      { name: 'origin', kind: 'categorical', codes: Int32Array.from(rows, (x) => ORIGINS.indexOf(x.origin)), categories: ORIGINS },
    ],
  };
  const labels = Float64Array.from(rows, (x) => x.late);
  const model = await gbdtLearner.fit(frame, labels, {
    problem: 'binary',
    params: { ...gbdtLearner.defaults, max_iter: options.iterations ?? 20, early_stopping: false, min_samples_leaf: 5 },
    threads: 1,
  });
  return options.classLabels === undefined ? model : withClassLabels(model, options.classLabels);
}

/** Log a model to a new run and register it as the next version of `name`; returns the version. */
export async function registerTabular(client: HangarClient, experimentId: string, name: string, model: TabularModel): Promise<number> {
  const run = await client.createRun(experimentId);
  const logged = await logModel(client, {
    runId: run.info.runId,
    model,
    signature: { inputs: [column('distance', 'double'), column('origin', 'string')] },
    inputExample: [{ distance: 800, origin: 'SFO' }],
    registeredModelName: name,
  });
  return Number(logged.modelVersion!.version);
}

/** An ONNX logistic model over `distance` and `hour`, registered as the next version of `name`. */
export async function registerOnnx(client: HangarClient, experimentId: string, name: string): Promise<number> {
  const run = await client.createRun(experimentId);
  const logged = await logModel(client, {
    runId: run.info.runId,
    onnx: logisticClassifierOnnx([0.002, 0.1], -2),
    onnxOptions: { problem: 'binary', classLabels: ['0', '1'] },
    signature: { inputs: [column('distance', 'double'), column('hour', 'double')] },
    inputExample: [{ distance: 800, hour: 9 }],
    registeredModelName: name,
  });
  return Number(logged.modelVersion!.version);
}
