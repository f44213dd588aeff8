import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HangarError } from '../core/errors.js';
import { parseDatasetRef, type DatasetInput, type HangarClient } from '../client/index.js';
import { readTable, type Table } from '../data/index.js';
import { evaluate, tableToColumns } from '../models/index.js';
import type { Evaluator } from './gate.js';

/**
 * The gate's default evaluator: the models module's `evaluate()` on one data source (a Parquet
 * or CSV path, or a SQL query over files), for both the candidate and the baseline. Metrics and
 * plots go into the validation run, the baseline's under `baseline_` (as MLOps Stacks names
 * them) and in `evaluation/baseline/`, the candidate's in `evaluation/candidate/`; the file is
 * recorded as the run's evaluation input.
 */
export function dataEvaluator(client: HangarClient, data: string, target: string): Evaluator {
  return async (modelUri, ctx) => {
    const result = await evaluate(client, { modelUri, data, target, runId: ctx.runId, prefix: ctx.prefix, artifactDir: `evaluation/${ctx.role}` });
    return { metrics: result.metrics, logged: true };
  };
}

/**
 * The evaluator for a registered dataset version's Parquet copy at `localPath`: as
 * `dataEvaluator`, but the file is read once for both models and is not logged as an input of
 * its own, because the gate records the dataset version itself (`GateOptions.inputs`), so the
 * run's lineage names the dataset and its digest rather than a cache file.
 */
export function datasetEvaluator(client: HangarClient, localPath: string, target: string): Evaluator {
  let table: Promise<Table> | undefined;
  return async (modelUri, ctx) => {
    table ??= readTable(localPath);
    // Columns rather than a Table: evaluate() logs a Table's source file as an input.
    const data = tableToColumns(await table);
    const result = await evaluate(client, { modelUri, data, target, runId: ctx.runId, prefix: ctx.prefix, artifactDir: `evaluation/${ctx.role}` });
    return { metrics: result.metrics, logged: true };
  };
}

/** What the gate evaluates on: the evaluator bound to the data, its label, and the inputs to record. */
export interface GateData {
  /** Scores a model URI on the data. */
  evaluate: Evaluator;
  /** Recorded as the run's `validation_data` param: the path or SQL, or `dataset:NAME@VERSION` with the version resolved. */
  dataLabel: string;
  /** Dataset versions to record as the validation run's inputs (empty for files and SQL, which `evaluate()` records). */
  inputs: DatasetInput[];
}

/**
 * Bind the gate to its data on the caller's side: `dataset:NAME[@VERSION]` (the latest version
 * without one) is resolved through the server's dataset catalogue and downloaded to `cacheDir`
 * (default: `hangar-data-cache` under the temp directory; a copy of the right size is reused)
 * and recorded as an `evaluation` input with its digest; anything else is a path or SQL for
 * `dataEvaluator`. INVALID_PARAMETER_VALUE for a malformed reference, RESOURCE_DOES_NOT_EXIST
 * for an unknown dataset or version.
 */
export async function gateData(client: HangarClient, data: string, target: string, options: { cacheDir?: string } = {}): Promise<GateData> {
  if (!data.startsWith('dataset:')) return { evaluate: dataEvaluator(client, data, target), dataLabel: data, inputs: [] };
  checkDatasetRef(data);
  const resolved = await client.datasets.resolveRef(data, options.cacheDir ?? join(tmpdir(), 'hangar-data-cache'), 'evaluation');
  if (resolved === null) throw badRef(data);
  return {
    evaluate: datasetEvaluator(client, resolved.localPath, target),
    dataLabel: `dataset:${resolved.version.name}@${resolved.version.version}`,
    inputs: [resolved.input],
  };
}

/** Throws INVALID_PARAMETER_VALUE naming `data` unless `ref` is `dataset:NAME` or `dataset:NAME@VERSION`. */
export function checkDatasetRef(ref: string): { name: string; version?: number } {
  const parsed = parseDatasetRef(ref);
  if (parsed === null) throw badRef(ref);
  return parsed;
}

function badRef(ref: string): HangarError {
  return new HangarError('INVALID_PARAMETER_VALUE', `'data': '${ref}' is not a dataset reference; write dataset:NAME or dataset:NAME@VERSION.`, { field: 'data' });
}
