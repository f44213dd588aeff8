import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import type { DatasetInput, HangarClient } from '../client/index.js';
import { invalidParam } from '../core/errors.js';
import { isQuery, readTable, tableDigest, tableSchema, toFeatureFrame, type PreparedData, type Problem, type Table } from '../data/index.js';
import { logModel } from './sdk.js';
import { learnerByName, resolveLearnerParams, withClassLabels, type TabularModel } from './learners/index.js';
import { evaluatePredictions } from './metrics.js';

/**
 * `hangar train` as a library: load a table, train a learner, and track all of it on a
 * tracking server through the SDK (params, per-iteration metrics, dataset inputs, the model,
 * holdout metrics, and optionally a registered version).
 */

/** Metrics printed and logged per problem (Hangar's names, from metrics.ts). */
export const HEADLINE_METRICS: Readonly<Record<Problem, readonly string[]>> = {
  binary: ['auc', 'log_loss', 'accuracy', 'precision', 'recall', 'f1'],
  multiclass: ['accuracy', 'macro_f1', 'log_loss'],
  regression: ['rmse', 'mae', 'r2', 'mape'],
};

/** What a training run reports while it works. */
export type TrainProgress =
  | { kind: 'phase'; message: string }
  | { kind: 'iteration'; iteration: number; metrics: Record<string, number> };

export interface DataOptions {
  /** A .parquet or .csv path, or a SQL query over files (`select … from 'f.parquet'`). */
  data: string;
  /** The label column. */
  target: string;
  /** Inferred from the target when absent. */
  problem?: Problem;
  /** Data to evaluate on (same forms as `data`). */
  holdout?: string;
  /** Columns that are not features. */
  exclude?: string[];
  /** Resolves `dataset:NAME[@VERSION]` in `data`/`holdout` to a registered dataset version, logged as registered. */
  client?: HangarClient;
}

/** Training and holdout data, loaded once (a search reuses it for every trial). */
export interface LoadedData {
  /** The label column. */
  target: string;
  train: PreparedData;
  holdout?: PreparedData;
  /** Dataset inputs to log on each run (training, and evaluation when there is a holdout). */
  datasets: DatasetInput[];
  /** The first training rows as the model takes them (raw columns, target and excluded ones left out). */
  inputExample: Array<Record<string, unknown>>;
  /** Milliseconds spent reading and preparing. */
  loadMs: number;
}

export interface TrainRunOptions {
  /** `gbdt` (default) or `linear`. */
  learner?: string;
  /** Learner hyperparameters; strings are parsed by the learner. */
  params?: Record<string, unknown>;
  /** Experiment name (default `Default`). */
  experiment?: string;
  /** Run name. */
  runName?: string;
  /** Extra run tags. */
  tags?: Record<string, string>;
  /** Register the model under this name. */
  register?: string;
  /**
   * How the model is logged (`logModel`'s layouts): `logged-model` (default, MLflow 3) makes a
   * LoggedModel linked to the run, registered from `models:/m-<id>`; `run` (MLflow 2) puts the
   * package under the run's `model/` artifacts. `runs:/<run>/model` loads either way.
   */
  layout?: 'logged-model' | 'run';
  /** More files for the model package (`logModel`'s `extraFiles`), e.g. `feature_spec.yaml`. */
  extraFiles?: Record<string, string | Uint8Array>;
  /** Worker threads for the learner (default: every core). */
  threads?: number;
  /** Progress callback (phases and iterations). */
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainOptions extends DataOptions, TrainRunOptions {
  client: HangarClient;
}

export interface TrainResult {
  runId: string;
  experimentId: string;
  problem: Problem;
  learner: string;
  model: TabularModel;
  /** Holdout metrics (Hangar names), or training metrics when there is no holdout. */
  metrics: Record<string, number>;
  /** Which data `metrics` were computed on. */
  evaluatedOn: 'holdout' | 'training';
  /** The model as `runs:/<run>/model` (resolves to the run's LoggedModel in the MLflow 3 layout). */
  modelUri: string;
  /** The LoggedModel's id (`models:/<id>` loads it); absent in the `run` layout. */
  loggedModelId?: string;
  /** The model package's artifact URI (the LoggedModel's artifact location, or the run's `model/`). */
  artifactUri: string;
  /** The registered version, with `register`. */
  registered?: { name: string; version: string };
  rows: { train: number; holdout?: number };
  /** Milliseconds per phase. */
  timings: { loadMs: number; fitMs: number; evaluateMs: number; totalMs: number };
}

function datasetName(source: string): string {
  return isQuery(source) ? 'query' : basename(source, extname(source));
}

function datasetInput(table: Table, context: 'training' | 'evaluation'): DatasetInput {
  const source = isQuery(table.source) ? { query: table.source } : { uri: resolve(table.source) };
  return {
    tags: [{ key: 'mlflow.data.context', value: context }],
    dataset: {
      name: datasetName(table.source),
      digest: tableDigest(table),
      sourceType: isQuery(table.source) ? 'duckdb' : 'local',
      source: JSON.stringify(source),
      schema: tableSchema(table),
      profile: JSON.stringify({ num_rows: table.rows, num_elements: table.rows * table.columns.length }),
    },
  };
}

const EXAMPLE_ROWS = 5;

/** The first rows of a table as records: numbers (null for NaN), booleans, Dates and strings. */
function exampleRows(table: Table, skip: Set<string>): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < Math.min(EXAMPLE_ROWS, table.rows); i++) {
    const row: Record<string, unknown> = {};
    for (const c of table.columns) {
      if (skip.has(c.name)) continue;
      if (c.type === 'string') row[c.name] = c.codes[i]! >= 0 ? c.categories[c.codes[i]!] : null;
      else if (Number.isNaN(c.values[i]!)) row[c.name] = null;
      else if (c.type === 'boolean') row[c.name] = c.values[i] === 1;
      else if (c.type === 'timestamp') row[c.name] = new Date(c.values[i]!);
      else row[c.name] = c.values[i];
    }
    out.push(row);
  }
  return out;
}

/** A registered dataset version named `dataset:NAME[@VERSION]` (issue 4): a local Parquet copy and its run input; undefined for files and SQL. */
async function datasetRef(options: DataOptions, source: string, context: 'training' | 'evaluation'): Promise<{ localPath: string; input: DatasetInput } | undefined> {
  if (!source.startsWith('dataset:')) return undefined;
  const resolved = options.client ? await options.client.datasets.resolveRef(source, join(tmpdir(), 'hangar-data-cache'), context) : null;
  if (!resolved) throw invalidParam(`'${source}' is not a dataset reference this run can resolve (dataset:NAME or dataset:NAME@VERSION, with a tracking server)`, 'data');
  return resolved;
}

/** Read and prepare the training (and holdout) data; the holdout is encoded as the training data was. */
export async function loadTrainingData(options: DataOptions): Promise<LoadedData> {
  const t0 = performance.now();
  const [trainRef, holdoutRef] = await Promise.all([datasetRef(options, options.data, 'training'), options.holdout === undefined ? undefined : datasetRef(options, options.holdout, 'evaluation')]);
  const [table, holdoutTable] = await Promise.all([readTable(trainRef?.localPath ?? options.data), options.holdout === undefined ? undefined : readTable(holdoutRef?.localPath ?? options.holdout)]);
  const train = toFeatureFrame(table, { target: options.target, problem: options.problem, exclude: options.exclude });
  if (train.frame.rows === 0) throw invalidParam(`No training rows in ${options.data} (after dropping rows without '${options.target}')`, 'data');
  const datasets = [trainRef?.input ?? datasetInput(table, 'training')];
  let holdout: PreparedData | undefined;
  if (holdoutTable) {
    const categories: Record<string, string[]> = {};
    for (const f of train.frame.features) if (f.kind === 'categorical') categories[f.name] = f.categories;
    holdout = toFeatureFrame(holdoutTable, { target: options.target, problem: train.problem, exclude: options.exclude, categories, classLabels: train.classLabels });
    datasets.push(holdoutRef?.input ?? datasetInput(holdoutTable, 'evaluation'));
  }
  const inputExample = exampleRows(table, new Set([options.target, ...(options.exclude ?? [])]));
  const out: LoadedData = { target: options.target, train, datasets, inputExample, loadMs: performance.now() - t0 };
  if (holdout) out.holdout = holdout;
  return out;
}

/** Metrics of a model on prepared data: the headline metrics of its problem. */
export function evaluateModel(model: TabularModel, data: PreparedData): Record<string, number> {
  const all = evaluatePredictions(data.problem, data.labels, model.predict(data.frame), data.classLabels?.length ?? 2);
  const out: Record<string, number> = {};
  for (const name of HEADLINE_METRICS[data.problem]) if (all[name] !== undefined) out[name] = all[name];
  return out;
}

/**
 * Let the event loop run its I/O callbacks once. Training and scoring hold the main thread for
 * seconds to minutes; meanwhile the server closes idle keep-alive connections, and the HTTP
 * client only learns of it when the loop next polls. Without this, the first request after
 * training could be written to a closed socket and fail.
 */
const settleSockets = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** Run params as MLflow stores them: text, `None` for null (as MLflow's Python client writes it). */
function paramText(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) out[k] = v === null || v === undefined ? 'None' : String(v);
  return out;
}

/**
 * Train one model on loaded data inside a new run of `experimentId`, and log everything.
 * The run ends FINISHED, or FAILED (and the error is rethrown) when anything fails after it started.
 */
export async function trainRun(client: HangarClient, experimentId: string, data: LoadedData, options: TrainRunOptions & { parentRunId?: string }): Promise<TrainResult> {
  const t0 = performance.now();
  const learnerName = options.learner ?? 'gbdt';
  const learner = learnerByName(learnerName);
  const params = resolveLearnerParams(learnerName, options.params ?? {});
  const { train, holdout } = data;
  const progress = options.onProgress ?? (() => undefined);

  const tags: Record<string, string> = {
    'mlflow.source.type': 'LOCAL',
    'mlflow.source.name': 'hangar train',
    'hangar.learner': learnerName,
    'hangar.problem': train.problem,
    'hangar.target': data.target,
    ...options.tags,
  };
  if (options.parentRunId) tags['mlflow.parentRunId'] = options.parentRunId;
  const run = await client.createRun(experimentId, { runName: options.runName, tags });
  const runId = run.info.runId;
  try {
    await client.logBatch(runId, { params: { learner: learnerName, problem: train.problem, ...paramText(params) } });
    await client.logInputs(runId, data.datasets);

    progress({ kind: 'phase', message: `training ${learnerName} (${train.problem}) on ${train.frame.rows} rows × ${train.frame.features.length} features` });
    const history: Array<{ key: string; value: number; step: number; timestamp: number }> = [];
    const fitStart = performance.now();
    let model = await learner.fit(train.frame, train.labels, {
      problem: train.problem,
      classes: train.classLabels?.length,
      params,
      threads: options.threads,
      onIteration: (iteration, metrics) => {
        const timestamp = Date.now();
        for (const [key, value] of Object.entries(metrics)) history.push({ key, value, step: iteration, timestamp });
        progress({ kind: 'iteration', iteration, metrics });
      },
    });
    const fitMs = performance.now() - fitStart;
    await settleSockets();
    if (train.classLabels) model = withClassLabels(model, train.classLabels);

    progress({ kind: 'phase', message: holdout ? `evaluating on ${holdout.frame.rows} holdout rows` : 'evaluating on the training rows (no --holdout)' });
    const evalStart = performance.now();
    // Scoring millions of training rows costs as much as a few boosting rounds, so the
    // training metrics are computed only when there is no holdout to report instead.
    const holdoutMetrics = holdout ? evaluateModel(model, holdout) : undefined;
    const trainingMetrics = holdoutMetrics ? {} : evaluateModel(model, train);
    const evaluateMs = performance.now() - evalStart;
    await settleSockets();

    const now = Date.now();
    const metrics = [
      ...history,
      ...Object.entries(trainingMetrics).map(([k, value]) => ({ key: `training_${k}`, value, step: 0, timestamp: now })),
      ...Object.entries(holdoutMetrics ?? {}).map(([key, value]) => ({ key, value, step: 0, timestamp: now })),
      { key: 'fit_seconds', value: fitMs / 1000, step: 0, timestamp: now },
    ];
    await client.logBatch(runId, { metrics });

    progress({ kind: 'phase', message: 'logging the model' });
    // The signature comes from the schema and the example: date parts read as their one datetime column, as callers send it.
    const logged = await logModel(client, {
      runId,
      model,
      inputExample: data.inputExample,
      ...(options.layout === undefined ? {} : { layout: options.layout }),
      ...(options.extraFiles === undefined ? {} : { extraFiles: options.extraFiles }),
      ...(options.register ? { registeredModelName: options.register } : {}),
    });
    const modelUri = logged.runUri;
    let registered: TrainResult['registered'];
    if (logged.modelVersion !== undefined) {
      registered = { name: logged.modelVersion.name, version: String(logged.modelVersion.version) };
      progress({ kind: 'phase', message: `registered ${registered.name} version ${registered.version}` });
    }
    await client.endRun(runId, 'FINISHED');
    const result: TrainResult = {
      runId,
      experimentId,
      problem: train.problem,
      learner: learnerName,
      model,
      metrics: holdoutMetrics ?? trainingMetrics,
      evaluatedOn: holdoutMetrics ? 'holdout' : 'training',
      modelUri,
      ...(logged.loggedModel === undefined ? {} : { loggedModelId: logged.loggedModel.modelId }),
      artifactUri: logged.artifactUri,
      rows: { train: train.frame.rows },
      timings: { loadMs: data.loadMs, fitMs, evaluateMs, totalMs: data.loadMs + performance.now() - t0 },
    };
    if (holdout) result.rows.holdout = holdout.frame.rows;
    if (registered) result.registered = registered;
    return result;
  } catch (e) {
    await client.endRun(runId, 'FAILED').catch(() => undefined);
    throw e;
  }
}

/**
 * Register a trained model as a new version of `name` (created when missing): from its
 * LoggedModel (`models:/<loggedModelId>`, as MLflow 3 and `logModel` register) when given,
 * else from the run's package at `source` (its artifact URI), MLflow 2's way.
 */
export async function registerRunModel(client: HangarClient, name: string, runId: string, source: string, loggedModelId?: string): Promise<{ name: string; version: string }> {
  await client.getOrCreateRegisteredModel(name);
  const version = await client.createModelVersion(
    // The server fills in run_id from the LoggedModel.
    loggedModelId === undefined ? { name, source, runId } : { name, source: `models:/${loggedModelId}`, modelId: loggedModelId },
  );
  return { name, version: String(version.version) };
}

/** Load the data, train, track, evaluate and (optionally) register: `hangar train`. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const progress = options.onProgress ?? (() => undefined);
  progress({ kind: 'phase', message: `loading ${options.data}` });
  const data = await loadTrainingData(options);
  const experimentId = (await options.client.getOrCreateExperiment(options.experiment ?? 'Default')).experiment.experimentId;
  return trainRun(options.client, experimentId, data, options);
}
