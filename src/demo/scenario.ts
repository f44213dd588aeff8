import { createHash } from 'node:crypto';
import type { Experiment, HangarClient, MetricInput, ModelVersion, ResolvedModel, Run } from '../client/index.js';
import { mulberry32 } from '../core/random.js';

/**
 * The demo's scenario, over the SDK only, so it is exactly what a user's training script would
 * do against any Hangar (or MLflow) server: set up an experiment, train a small model while
 * tracking it, store the model as an artifact, register it and promote it to Staging.
 */

export interface DemoOptions {
  /** Experiment to create or reuse. Default `hangar-demo`. */
  experimentName?: string;
  /** Registered model to create or reuse. Default `hangar-demo-model`. */
  modelName?: string;
  /** Training epochs, one metric step each. Default 30. */
  epochs?: number;
  /** Where progress lines go. Default: nowhere. */
  log?: (line: string) => void;
}

export interface DemoResult {
  /** The experiment the run went into. */
  experiment: Experiment;
  /** True when this invocation created the experiment. */
  experimentCreated: boolean;
  /** The finished run, as the server reports it. */
  run: Run;
  /** Artifact paths uploaded, relative to the run's artifact root. */
  artifacts: string[];
  /** The new version, now in Staging. */
  modelVersion: ModelVersion;
  /** Versions that were in Staging before and are now Archived. */
  archivedVersions: number[];
  /** `models:/<name>/Staging`, resolved through the server. */
  resolved: ResolvedModel;
}


interface Point {
  x: number;
  y: number;
}

/** y = 3x + 2 plus Gaussian noise, x in [0, 10). */
function makeData(n: number, seed: number): Point[] {
  const rand = mulberry32(seed);
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    const x = rand() * 10;
    // Box–Muller for N(0, 1) noise.
    const noise = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    out.push({ x, y: 3 * x + 2 + noise });
  }
  return out;
}

function mse(data: Point[], slope: number, intercept: number): number {
  return data.reduce((s, p) => s + (slope * p.x + intercept - p.y) ** 2, 0) / data.length;
}

function r2(data: Point[], slope: number, intercept: number): number {
  const mean = data.reduce((s, p) => s + p.y, 0) / data.length;
  const total = data.reduce((s, p) => s + (p.y - mean) ** 2, 0);
  return 1 - (mse(data, slope, intercept) * data.length) / total;
}

const round = (v: number, digits = 4): number => Number(v.toFixed(digits));

/** Run the scenario against `client`. Safe to repeat: names are reused, versions accumulate. */
export async function runDemoScenario(client: HangarClient, opts: DemoOptions = {}): Promise<DemoResult> {
  const log = opts.log ?? (() => undefined);
  const experimentName = opts.experimentName ?? 'hangar-demo';
  const modelName = opts.modelName ?? 'hangar-demo-model';
  const epochs = opts.epochs ?? 30;
  const learningRate = 0.01;
  const seed = 42;

  const { experiment, created } = await client.getOrCreateExperiment(experimentName, { tags: { purpose: 'hangar demo' } });
  log(`experiment  ${experiment.name} (id ${experiment.experimentId}, ${created ? 'created' : 'reused'})`);

  const started = await client.createRun(experiment.experimentId, {
    userId: 'hangar-demo',
    tags: { 'mlflow.source.name': 'hangar demo', 'mlflow.source.type': 'LOCAL', 'mlflow.user': 'hangar-demo' },
  });
  const runId = started.info.runId;

  // Train a one-feature linear regression by gradient descent, tracking both losses per epoch.
  const data = makeData(200, seed);
  const train = data.slice(0, 160);
  const valid = data.slice(160);
  await client.logInputs(runId, [
    {
      tags: [{ key: 'mlflow.data.context', value: 'training' }],
      dataset: {
        name: 'synthetic-linear',
        digest: createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16),
        sourceType: 'synthetic',
        source: JSON.stringify({ generator: 'y = 3x + 2 + N(0,1)', seed, rows: data.length }),
      },
    },
  ]);
  await client.logBatch(runId, {
    params: { model_type: 'linear-regression', learning_rate: String(learningRate), epochs: String(epochs), seed: String(seed), train_rows: String(train.length) },
  });

  let slope = 0;
  let intercept = 0;
  const points: MetricInput[] = [];
  const t0 = Date.now();
  const firstLoss = mse(train, slope, intercept);
  for (let epoch = 0; epoch < epochs; epoch++) {
    let gs = 0;
    let gi = 0;
    for (const p of train) {
      const err = slope * p.x + intercept - p.y;
      gs += (2 * err * p.x) / train.length;
      gi += (2 * err) / train.length;
    }
    slope -= learningRate * gs;
    intercept -= learningRate * gi;
    points.push({ key: 'train_loss', value: mse(train, slope, intercept), step: epoch, timestamp: t0 + epoch });
    points.push({ key: 'val_loss', value: mse(valid, slope, intercept), step: epoch, timestamp: t0 + epoch });
  }
  await client.logBatch(runId, { metrics: points });
  const rmse = Math.sqrt(mse(valid, slope, intercept));
  await client.logMetric(runId, 'val_rmse', rmse, { step: epochs - 1 });
  await client.logMetric(runId, 'val_r2', r2(valid, slope, intercept), { step: epochs - 1 });
  const lastLoss = points[points.length - 2]!.value;
  log(`run         ${started.info.runName} (${runId})`);
  log(`            train_loss ${round(firstLoss, 2)} → ${round(lastLoss, 3)} over ${epochs} steps, val_rmse ${round(rmse, 3)}`);

  const model = {
    format: 'hangar-demo/linear-regression',
    feature: 'x',
    target: 'y',
    coefficients: { slope: round(slope, 6), intercept: round(intercept, 6) },
    trained_on: { dataset: 'synthetic-linear', rows: train.length },
  };
  const modelJson = `${JSON.stringify(model, null, 2)}\n`;
  await client.putArtifact({ runId }, 'model/model.json', modelJson);
  await client.endRun(runId, 'FINISHED');
  const run = await client.getRun(runId);
  const listed = await client.listArtifacts(run.info.artifactUri, 'model');
  log(`artifact    ${listed.map((f) => `${f.path} (${f.fileSize ?? 0} bytes)`).join(', ')}`);

  const { created: modelCreated } = await client.getOrCreateRegisteredModel(modelName, {
    description: 'Linear regression trained by `hangar demo`.',
  });
  const version = await client.createModelVersion({
    name: modelName,
    source: `${run.info.artifactUri}/model`,
    runId,
    tags: { val_rmse: String(round(rmse, 4)) },
  });
  const before = await client.getLatestVersions(modelName, ['Staging']);
  const staged = await client.transitionModelVersionStage(modelName, version.version, 'Staging', true);
  const archivedVersions = before.map((v) => v.version).filter((v) => v !== staged.version);
  const archived = archivedVersions.length > 0 ? ` (archived ${archivedVersions.map((v) => `v${v}`).join(', ')})` : '';
  log(`model       ${modelName} v${staged.version} → ${staged.currentStage}${archived}${modelCreated ? ', model created' : ''}`);

  const uri = `models:/${modelName}/Staging`;
  const resolved = await client.resolveModelUri(uri);
  log(`resolves    ${uri} → ${resolved.artifactUri}`);

  return {
    experiment,
    experimentCreated: created,
    run,
    artifacts: listed.map((f) => f.path),
    modelVersion: staged,
    archivedVersions,
    resolved,
  };
}
