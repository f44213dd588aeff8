import { z } from 'zod';
import type {
  DatasetInput,
  Experiment,
  Metric,
  ModelOutput,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from '../../store/types.js';

/*
 * MLflow's JSON shapes for the tracking API, both directions. Responses follow MLflow's proto
 * JSON: fields MLflow leaves unset are left out (empty lists, an absent end time, an absent
 * next page token), so a Hangar response is key-for-key what MLflow's server sends
 * (mlflow-wire.md §1.5). Keys come in proto field order, like MLflow's.
 */

// ---------------------------------------------------------------------------------------------
// Response side

export interface WireTag {
  key: string;
  value: string;
}

/** A metric value on the wire: a number, or the string `"NaN"` (JSON has no NaN). */
export type WireMetricValue = number | 'NaN';

export interface WireMetric {
  key: string;
  value: WireMetricValue;
  timestamp: number;
  step: number;
}

export interface WireExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  last_update_time: number;
  creation_time: number;
  tags?: WireTag[];
}

export interface WireRunInfo {
  run_uuid: string;
  experiment_id: string;
  run_name: string;
  user_id: string;
  status: RunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage: string;
  run_id: string;
}

export interface WireRunData {
  metrics?: WireMetric[];
  params?: WireTag[];
  tags?: WireTag[];
}

export interface WireDataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface WireDatasetInput {
  tags?: WireTag[];
  dataset: WireDataset;
}

export interface WireRunInputs {
  dataset_inputs?: WireDatasetInput[];
}

export interface WireRunOutputs {
  model_outputs?: Array<{ model_id: string; step: number }>;
}

export interface WireRun {
  info: WireRunInfo;
  data: WireRunData;
  inputs?: WireRunInputs;
  outputs?: WireRunOutputs;
}

/**
 * NaN goes out as the string `"NaN"` and ±Infinity as ±DBL_MAX, which is what MLflow's SQL store
 * answers (mlflow-wire.md §1.4); JSON.stringify would otherwise turn all three into `null`.
 */
export function metricValueToWire(v: number): WireMetricValue {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return Number.MAX_VALUE;
  if (v === -Infinity) return -Number.MAX_VALUE;
  return v;
}

export function metricToWire(m: Metric): WireMetric {
  return { key: m.key, value: metricValueToWire(m.value), timestamp: m.timestamp, step: m.step };
}

function tagsToWire(tags: readonly Tag[]): WireTag[] {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

export function experimentToWire(e: Experiment): WireExperiment {
  const out: WireExperiment = {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
  };
  if (e.tags.length > 0) out.tags = tagsToWire(e.tags);
  return out;
}

/** MLflow always sets `user_id` and `start_time`; `end_time` only once the run has ended. */
export function runInfoToWire(i: RunInfo): WireRunInfo {
  return {
    run_uuid: i.runId,
    experiment_id: i.experimentId,
    run_name: i.runName,
    user_id: i.userId,
    status: i.status,
    ...(i.startTime !== null ? { start_time: i.startTime } : {}),
    ...(i.endTime ? { end_time: i.endTime } : {}),
    ...(i.artifactUri ? { artifact_uri: i.artifactUri } : {}),
    lifecycle_stage: i.lifecycleStage,
    run_id: i.runId,
  };
}

export function runDataToWire(d: Run['data']): WireRunData {
  const out: WireRunData = {};
  if (d.metrics.length > 0) out.metrics = d.metrics.map(metricToWire);
  if (d.params.length > 0) out.params = tagsToWire(d.params);
  if (d.tags.length > 0) out.tags = tagsToWire(d.tags);
  return out;
}

export function datasetInputToWire(input: DatasetInput): WireDatasetInput {
  const d = input.dataset;
  const dataset: WireDataset = { name: d.name, digest: d.digest, source_type: d.sourceType, source: d.source };
  if (d.schema) dataset.schema = d.schema;
  if (d.profile) dataset.profile = d.profile;
  return input.tags.length > 0 ? { tags: tagsToWire(input.tags), dataset } : { dataset };
}

export function modelOutputToWire(o: ModelOutput): { model_id: string; step: number } {
  return { model_id: o.modelId, step: o.step };
}

/**
 * A run as MLflow answers it. `full` (runs/get, runs/search): with `inputs` (`{}` when there are
 * none) and MLflow 3's `outputs`. `create` (runs/create): with `inputs` but no `outputs`, as an
 * MLflow 3 server answers (mlflow3-wire.md §1); MLflow 2.12 left `inputs` out there too, and
 * clients of both versions accept either.
 */
export function runToWire(run: Run, shape: 'full' | 'create' = 'full'): WireRun {
  const inputs: WireRunInputs = {};
  if (run.inputs.datasetInputs.length > 0) inputs.dataset_inputs = run.inputs.datasetInputs.map(datasetInputToWire);
  const out: WireRun = { info: runInfoToWire(run.info), data: runDataToWire(run.data), inputs };
  if (shape === 'full') {
    const outputs: WireRunOutputs = {};
    if (run.outputs.modelOutputs.length > 0) outputs.model_outputs = run.outputs.modelOutputs.map(modelOutputToWire);
    out.outputs = outputs;
  }
  return out;
}

/** `{[key]: items, next_page_token?}`, with an empty list left out as MLflow does. */
export function pageToWire<T>(key: string, items: T[], nextPageToken: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (items.length > 0) out[key] = items;
  if (nextPageToken) out.next_page_token = nextPageToken;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Request side: field schemas the tracking routes share

/**
 * A required, non-empty string. MLflow treats `""` as missing (proto2 strings read as `""` when
 * unset), so both get the same 400.
 */
export const requiredString = z.string().min(1, 'must not be empty');

/**
 * An entity id (`experiment_id`, …). The wire type is a string, but JSON clients that hold ids
 * as numbers are common, so integers are accepted and turned into their decimal string.
 */
export const idString = z.union([requiredString, z.number().int().nonnegative().transform(String)]);

const NUMERIC_STRING = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const SPECIAL_VALUES: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/**
 * A metric value: a JSON number, or `"NaN"`, `"Infinity"`, `"-Infinity"` as MLflow's client
 * sends them (proto3 JSON), or a decimal string (also proto3 JSON). ±Infinity become ±DBL_MAX
 * here, which is how MLflow stores and returns them, so the store and the identical-point check
 * only ever see finite numbers or NaN.
 */
export const metricValue = z.union([
  z.number(),
  z.string().transform((s, ctx) => {
    const special = SPECIAL_VALUES[s];
    if (special !== undefined) return special === Infinity ? Number.MAX_VALUE : special === -Infinity ? -Number.MAX_VALUE : special;
    if (NUMERIC_STRING.test(s)) return Number(s);
    ctx.addIssue({ code: 'custom', message: 'expected a number, "NaN", "Infinity" or "-Infinity"' });
    return z.NEVER;
  }),
]);

const VIEW_TYPES: Record<string, ViewType> = {
  ACTIVE_ONLY: 'ACTIVE_ONLY',
  DELETED_ONLY: 'DELETED_ONLY',
  ALL: 'ALL',
  '1': 'ACTIVE_ONLY',
  '2': 'DELETED_ONLY',
  '3': 'ALL',
};

/** `view_type` / `run_view_type`: the enum name, or its proto number (1, 2, 3); default ACTIVE_ONLY. */
export const viewType = z
  .union([z.string(), z.number()])
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return 'ACTIVE_ONLY' as ViewType;
    const t = VIEW_TYPES[String(v).toUpperCase()];
    if (t === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected one of ACTIVE_ONLY, DELETED_ONLY, ALL' });
      return z.NEVER;
    }
    return t;
  });

const RUN_STATUSES: Record<string, RunStatus> = {
  RUNNING: 'RUNNING',
  SCHEDULED: 'SCHEDULED',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
  '1': 'RUNNING',
  '2': 'SCHEDULED',
  '3': 'FINISHED',
  '4': 'FAILED',
  '5': 'KILLED',
};

/** A run status: the enum name or its proto number. */
export const runStatus = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const s = RUN_STATUSES[String(v).toUpperCase()];
  if (s === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED' });
    return z.NEVER;
  }
  return s;
});

const LIST_SUFFIX = /^(.+)\[\d*\]$/;

/**
 * Query strings may spell a list as `k=a&k=b`, `k[]=a&k[]=b` or `k[0]=a` (mlflow-wire.md §1.2).
 * Fold the suffixed forms into the plain key; `listOf` then accepts a single value too.
 */
export function foldQueryLists(query: unknown): Record<string, unknown> {
  const q = (query ?? {}) as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(q)) {
    const m = LIST_SUFFIX.exec(k);
    if (m === null) continue;
    out ??= { ...q };
    delete out[k];
    const base = m[1]!;
    const prev = out[base];
    const add = Array.isArray(v) ? v : [v];
    out[base] = prev === undefined ? add : [...(Array.isArray(prev) ? prev : [prev]), ...add];
  }
  return out ?? q;
}
