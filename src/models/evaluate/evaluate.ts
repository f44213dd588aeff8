/**
 * Model evaluation: score a model on labelled data, compute the problem's metrics (binary,
 * multiclass, regression; semantics.md §c names as aliases), draw the plots, and log all of
 * it to a run, as MLflow's `mlflow.evaluate` does with its default evaluator.
 */
import { basename, resolve } from 'node:path';
import { HangarError } from '../../core/errors.js';
import type { DatasetInput, HangarClient } from '../../client/index.js';
import { dateParts, isQuery, readTable, tableDigest, tableSchema, type Column, type Table } from '../../data/index.js';
import type { Problem } from '../learners/types.js';
import type { LoadedModel, Predictions } from '../flavors/index.js';
import { toInputTable, type ColumnsInput, type ModelInput } from '../package/index.js';
import { binaryMetrics, confusionMatrix, multiclassMetrics, precisionRecallCurve, regressionMetrics, rocCurve } from '../metrics.js';
import { loadModel, type LoadModelOptions } from '../flavors/index.js';
import { barChart, confusionMatrixChart, lineChart, scatterChart } from './plots.js';

/** Evaluation data: a Parquet/CSV path (or SQL query), a data-layer table, rows or columns. */
export type EvaluationData = string | Table | ModelInput;

export interface EvaluationResult {
  /** The problem evaluated. */
  problem: Problem;
  /** Rows scored (rows with a missing target are left out). */
  rows: number;
  /** Metrics under Hangar's names and MLflow's aliases. */
  metrics: Record<string, number>;
  /** SVG plots by file name (`roc_curve_plot.svg`, …). */
  plots: Record<string, string>;
}

function isTable(d: unknown): d is Table {
  return typeof d === 'object' && d !== null && !Array.isArray(d) && typeof (d as Table).rows === 'number' && Array.isArray((d as Table).columns);
}

/**
 * A data-layer table as model input columns: strings as text, booleans as booleans, timestamps
 * as epoch ms, plus the date parts the data layer derives (`c_hour`, …) so that models whose
 * signature lists derived features and models that derive them both find their columns.
 */
export function tableToColumns(table: Table): ColumnsInput {
  const out: Record<string, ArrayLike<unknown>> = {};
  for (const c of table.columns) {
    switch (c.type) {
      case 'number':
        out[c.name] = c.values;
        break;
      case 'boolean':
        out[c.name] = Array.from(c.values, (v) => (Number.isNaN(v) ? null : v === 1));
        break;
      case 'timestamp': {
        out[c.name] = c.values;
        const p = dateParts(c.values);
        for (const part of ['hour', 'weekday', 'month', 'day'] as const) if (!(`${c.name}_${part}` in out)) out[`${c.name}_${part}`] = p[part];
        break;
      }
      case 'string':
        out[c.name] = Array.from(c.codes, (k) => (k < 0 ? null : c.categories[k]!));
        break;
    }
  }
  return out;
}

function targetOf(table: Table, target: string): Column {
  const col = table.columns.find((c) => c.name === target);
  if (col === undefined) throw new HangarError('INVALID_PARAMETER_VALUE', `The data has no target column '${target}'; columns: ${table.columns.map((c) => c.name).join(', ')}.`, { field: 'target' });
  return col;
}

/** Target values as text labels (classification) or numbers (regression); null for missing. */
function targetValues(data: EvaluationData, target: string): { input: ColumnsInput; values: ArrayLike<unknown> } {
  if (isTable(data)) {
    const col = targetOf(data, target);
    const values =
      col.type === 'string'
        ? Array.from(col.codes, (k) => (k < 0 ? null : col.categories[k]!))
        : col.type === 'boolean'
          ? Array.from(col.values, (v) => (Number.isNaN(v) ? null : v === 1))
          : col.values;
    return { input: tableToColumns(data), values };
  }
  const t = toInputTable(data as ModelInput);
  const values = t.columns.get(target);
  if (values === undefined) throw new HangarError('INVALID_PARAMETER_VALUE', `The data has no target column '${target}'; columns: ${[...t.columns.keys()].join(', ')}.`, { field: 'target' });
  return { input: Object.fromEntries(t.columns), values };
}

const missing = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/** Keep only rows where `keep[i]`. */
function filterColumns(input: ColumnsInput, keep: Uint8Array, n: number): ColumnsInput {
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(input)) {
    const col: unknown[] = new Array<unknown>(n);
    let j = 0;
    for (let i = 0; i < v.length; i++) if (keep[i] === 1) col[j++] = v[i];
    out[k] = col;
  }
  return out;
}

/** Evaluate a loaded model on data with a target column (no server involved). */
export async function evaluateModel(model: LoadedModel, data: EvaluationData, target: string): Promise<EvaluationResult> {
  const source = typeof data === 'string' ? await readTable(data) : data;
  const { input: allInput, values: allTarget } = targetValues(source, target);
  const keep = new Uint8Array(allTarget.length);
  let n = 0;
  for (let i = 0; i < allTarget.length; i++) {
    if (missing(allTarget[i])) continue;
    keep[i] = 1;
    n++;
  }
  const input = n === allTarget.length ? allInput : filterColumns(allInput, keep, n);
  const targetVals = n === allTarget.length ? allTarget : Array.from(allTarget).filter((_, i) => keep[i] === 1);
  if (n === 0) throw new HangarError('INVALID_PARAMETER_VALUE', `The target column '${target}' has no values to evaluate against.`, { field: 'target' });
  const { [target]: _dropTarget, ...features } = input;
  const p = await model.predict(features);
  const result = scorePredictions(p, targetVals, target);
  const importance = model.featureImportance();
  if (importance !== undefined && Object.keys(importance).length > 0) result.plots['feature_importance.svg'] = barChart('Feature importance', 'importance', importance);
  return result;
}

function scorePredictions(p: Predictions, target: ArrayLike<unknown>, targetName: string): EvaluationResult {
  const n = p.rows;
  const plots: Record<string, string> = {};
  if (p.problem === 'regression') {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = target[i];
      const x = typeof v === 'number' ? v : Number(v);
      if (Number.isNaN(x)) throw new HangarError('INVALID_PARAMETER_VALUE', `The target column '${targetName}' holds ${JSON.stringify(v)}; a regression target must be numeric.`, { field: 'target' });
      y[i] = x;
    }
    const yhat = p.values!;
    const residuals = Float64Array.from(y, (v, i) => v - yhat[i]!);
    plots['residuals_plot.svg'] = scatterChart({ title: 'Residuals', xLabel: 'Predicted value', yLabel: 'Actual − predicted', x: yhat, y: residuals, hLine: 0 });
    return { problem: 'regression', rows: n, metrics: regressionMetrics(y, yhat), plots };
  }
  // A labels-only model may not name its classes: take those seen, in sorted order.
  const classLabels = p.classLabels ?? [...new Set([...Array.from(target, String), ...p.labels!])].sort();
  const index = new Map(classLabels.map((c, i) => [c, i]));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const text = String(target[i]);
    const k = index.get(text);
    if (k === undefined) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `The target column '${targetName}' holds class '${text}', which the model does not know (classes: ${classLabels.join(', ')}).`, {
        field: 'target',
      });
    }
    y[i] = k;
  }
  const k = classLabels.length;
  const predicted = Int32Array.from(p.labels!, (l) => index.get(l) ?? 0);
  plots['confusion_matrix.svg'] = confusionMatrixChart('Confusion matrix', classLabels, confusionMatrix(y, predicted, k));
  if (p.probabilities === undefined) {
    // Labels only: the metrics that need scores (AUCs, log loss) are left out, as MLflow does
    // for a model without predict_proba.
    const metrics =
      k === 2
        ? binaryMetrics(y, Float64Array.from(predicted))
        : multiclassMetrics(y, Float64Array.from({ length: n * k }, (_, j) => (predicted[Math.floor(j / k)] === j % k ? 1 : 0)), k);
    for (const key of ['auc', 'roc_auc', 'pr_auc', 'precision_recall_auc', 'log_loss']) delete metrics[key];
    return { problem: k === 2 ? 'binary' : 'multiclass', rows: n, metrics, plots };
  }
  if (p.problem === 'binary') {
    const scores = p.values!;
    const metrics = binaryMetrics(y, scores);
    if (metrics.auc !== undefined) {
      const roc = rocCurve(y, scores);
      plots['roc_curve_plot.svg'] = lineChart({
        title: `ROC curve (AUC = ${metrics.auc.toFixed(4)})`,
        xLabel: 'False positive rate',
        yLabel: 'True positive rate',
        series: [{ name: `positive class ${classLabels[1]}`, x: roc.fpr, y: roc.tpr }],
        xDomain: [0, 1],
        yDomain: [0, 1],
        diagonal: true,
        legend: 'bottom-right',
      });
      const pr = precisionRecallCurve(y, scores);
      plots['precision_recall_curve_plot.svg'] = lineChart({
        title: `Precision–recall curve (AUC = ${(metrics.pr_auc ?? NaN).toFixed(4)})`,
        xLabel: 'Recall',
        yLabel: 'Precision',
        series: [{ name: `positive class ${classLabels[1]}`, x: pr.recall, y: pr.precision }],
        xDomain: [0, 1],
        yDomain: [0, 1],
        legend: 'bottom-left',
      });
    }
    return { problem: 'binary', rows: n, metrics, plots };
  }
  return { problem: 'multiclass', rows: n, metrics: multiclassMetrics(y, p.probabilities!, k), plots };
}

/** The evaluation data as a run input (`mlflow.data.context` = `evaluation`), as MLflow's evaluate logs it. */
function datasetInput(table: Table): DatasetInput {
  const query = isQuery(table.source);
  return {
    tags: [{ key: 'mlflow.data.context', value: 'evaluation' }],
    dataset: {
      name: query ? 'query' : basename(table.source).replace(/\.[^.]+$/, '') || 'dataset',
      digest: tableDigest(table),
      sourceType: query ? 'duckdb' : 'local',
      source: JSON.stringify(query ? { query: table.source } : { uri: resolve(table.source) }),
      schema: tableSchema(table),
      profile: JSON.stringify({ num_rows: table.rows, num_elements: table.rows * table.columns.length }),
    },
  };
}

export interface EvaluateOptions {
  /** `models:/…`, `runs:/…` or a local package directory. */
  modelUri: string;
  /** Labelled data: a Parquet/CSV path or SQL query, a table, rows or columns. */
  data: EvaluationData;
  /** The label column. */
  target: string;
  /** Log into this run (left open). Default: a new run, ended when done. */
  runId?: string;
  /** Experiment name for a new run. Default `Default`. */
  experiment?: string;
  /** Prefix for metric keys and plot names (e.g. `champion_`), to evaluate two models in one run. */
  prefix?: string;
  /** Artifact directory for the plots and `metrics.json`. Default `evaluation`. */
  artifactDir?: string;
  /** Options for loading the model. */
  loadOptions?: LoadModelOptions;
}

export interface EvaluateResult extends EvaluationResult {
  /** The run the metrics and plots were logged to. */
  runId: string;
  /** Artifact paths written. */
  artifacts: string[];
}

/**
 * Evaluate a model and log the metrics and plots to a run. INVALID_PARAMETER_VALUE for a
 * missing target column, an unknown class, a signature mismatch or a flavor Hangar cannot run.
 */
export async function evaluate(client: HangarClient, options: EvaluateOptions): Promise<EvaluateResult> {
  const data = typeof options.data === 'string' ? await readTable(options.data) : options.data;
  const model = await loadModel(client, options.modelUri, options.loadOptions);
  let result: EvaluationResult;
  try {
    result = await evaluateModel(model, data, options.target);
  } finally {
    await model.close();
  }
  let runId = options.runId;
  const created = runId === undefined;
  if (runId === undefined) {
    const { experiment } = await client.getOrCreateExperiment(options.experiment ?? 'Default');
    const run = await client.createRun(experiment.experimentId, {
      runName: `evaluate ${options.modelUri}`.slice(0, 250),
      tags: { 'hangar.evaluation.model_uri': options.modelUri },
    });
    runId = run.info.runId;
  }
  const prefix = options.prefix ?? '';
  const dir = (options.artifactDir ?? 'evaluation').replace(/^\/+|\/+$/g, '');
  const now = Date.now();
  try {
    await client.logBatch(runId, {
      metrics: Object.entries(result.metrics).map(([k, v]) => ({ key: `${prefix}${k}`, value: v, timestamp: now, step: 0 })),
      tags: { [`hangar.evaluation.${prefix}model_uri`]: options.modelUri, [`hangar.evaluation.${prefix}target`]: options.target },
    });
    // Tables read from a file or query are recorded as the run's evaluation dataset (lineage).
    if (isTable(data)) await client.logInputs(runId, [datasetInput(data)]);
    const artifacts: string[] = [];
    const put = async (name: string, body: string): Promise<void> => {
      const path = dir === '' ? `${prefix}${name}` : `${dir}/${prefix}${name}`;
      await client.putArtifact({ runId: runId! }, path, body);
      artifacts.push(path);
    };
    for (const [name, svg] of Object.entries(result.plots)) await put(name, svg);
    await put('metrics.json', `${JSON.stringify({ model_uri: options.modelUri, problem: result.problem, rows: result.rows, metrics: result.metrics }, null, 2)}\n`);
    if (created) await client.endRun(runId, 'FINISHED');
    return { ...result, runId, artifacts };
  } catch (e) {
    if (created) await client.endRun(runId, 'FAILED').catch(() => {});
    throw e;
  }
}
