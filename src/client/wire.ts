/**
 * MLflow's JSON wire shapes (snake_case, proto3 JSON rules: empty fields may be absent) and the
 * functions that map them to and from the SDK's camelCase types. Kept apart from `types.ts` so
 * that callers of the SDK never see snake_case, and so that one place knows the wire quirks:
 * versions travel as strings, metric values may be the strings `NaN` / `Infinity`, absent lists
 * mean empty ones.
 */
import type {
  Dataset,
  DatasetInput,
  Experiment,
  FileInfo,
  LoggedModel,
  LoggedModelMetric,
  Metric,
  MetricInput,
  ModelOutput,
  ModelVersion,
  RegisteredModel,
  Run,
  RunInfo,
  Tag,
} from './types.js';

export interface WireTag {
  key: string;
  value?: string;
}

export interface WireExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: WireTag[];
}

/** A metric value: a number, or one of the strings MLflow uses for non-finite values. */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity' | string;

export interface WireMetric {
  key: string;
  value: WireNumber;
  timestamp?: number;
  step?: number;
  run_id?: string;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface WireRunInfo {
  run_id?: string;
  run_uuid?: string;
  experiment_id: string;
  run_name?: string;
  user_id?: string;
  status?: string;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: string;
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

export interface WireRun {
  info: WireRunInfo;
  data?: { metrics?: WireMetric[]; params?: WireTag[]; tags?: WireTag[] };
  inputs?: { dataset_inputs?: WireDatasetInput[] };
  outputs?: { model_outputs?: Array<{ model_id: string; step?: number | string }> };
}

export interface WireModelVersion {
  name: string;
  version: string | number;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  user_id?: string;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  run_link?: string;
  status?: string;
  status_message?: string;
  tags?: WireTag[];
  aliases?: string[];
  model_id?: string;
}

export interface WireRegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  user_id?: string;
  description?: string;
  tags?: WireTag[];
  aliases?: Array<{ alias: string; version: string | number }>;
  latest_versions?: WireModelVersion[];
}

export interface WireLoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name?: string;
    artifact_uri?: string;
    creation_timestamp_ms?: number;
    last_updated_timestamp_ms?: number;
    status?: string;
    status_message?: string;
    model_type?: string;
    source_run_id?: string;
    lifecycle_stage?: string;
    tags?: WireTag[];
  };
  data?: { params?: WireTag[]; metrics?: WireMetric[] };
}

export interface WireFileInfo {
  path: string;
  is_dir?: boolean;
  file_size?: number | string;
}

// ---------------------------------------------------------------------------------------------
// wire -> SDK

/** `"NaN"`, `"Infinity"`, `"-Infinity"` and numeric strings become numbers. */
export function numberFromWire(v: WireNumber | undefined): number {
  if (typeof v === 'number') return v;
  if (v === undefined) return NaN;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

/** JSON has no NaN or infinity; MLflow's clients send them as strings, and so do we. */
export function numberToWire(v: number): WireNumber {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function tagsFromWire(tags: WireTag[] | undefined): Tag[] {
  return (tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));
}

export function tagsToWire(tags: Tag[] | Record<string, string> | undefined): WireTag[] | undefined {
  if (tags === undefined) return undefined;
  const list = Array.isArray(tags) ? tags : Object.entries(tags).map(([key, value]) => ({ key, value }));
  return list.map((t) => ({ key: t.key, value: t.value }));
}

export function experimentFromWire(w: WireExperiment): Experiment {
  return {
    experimentId: w.experiment_id,
    name: w.name,
    artifactLocation: w.artifact_location ?? '',
    lifecycleStage: w.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    creationTime: w.creation_time ?? null,
    lastUpdateTime: w.last_update_time ?? null,
    tags: tagsFromWire(w.tags),
  };
}

export function metricFromWire(w: WireMetric): Metric {
  const m: Metric = {
    key: w.key,
    value: numberFromWire(w.value),
    timestamp: w.timestamp ?? 0,
    step: w.step ?? 0,
  };
  if (w.model_id !== undefined) m.modelId = w.model_id;
  if (w.dataset_name !== undefined) m.datasetName = w.dataset_name;
  if (w.dataset_digest !== undefined) m.datasetDigest = w.dataset_digest;
  return m;
}

export function metricToWire(m: MetricInput, defaults: { timestamp: number }): WireMetric {
  const w: WireMetric = {
    key: m.key,
    value: numberToWire(m.value),
    timestamp: m.timestamp ?? defaults.timestamp,
    step: m.step ?? 0,
  };
  if (m.modelId !== undefined) w.model_id = m.modelId;
  if (m.datasetName !== undefined) w.dataset_name = m.datasetName;
  if (m.datasetDigest !== undefined) w.dataset_digest = m.datasetDigest;
  return w;
}

export function runInfoFromWire(w: WireRunInfo): RunInfo {
  return {
    runId: w.run_id ?? w.run_uuid ?? '',
    experimentId: w.experiment_id,
    runName: w.run_name ?? '',
    userId: w.user_id ?? '',
    status: (w.status ?? 'RUNNING') as RunInfo['status'],
    startTime: w.start_time ?? null,
    endTime: w.end_time ?? null,
    artifactUri: w.artifact_uri ?? '',
    lifecycleStage: w.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  };
}

function datasetFromWire(w: WireDataset): Dataset {
  const d: Dataset = { name: w.name, digest: w.digest, sourceType: w.source_type, source: w.source };
  if (w.schema !== undefined) d.schema = w.schema;
  if (w.profile !== undefined) d.profile = w.profile;
  return d;
}

export function datasetInputToWire(d: DatasetInput): WireDatasetInput {
  const dataset: WireDataset = {
    name: d.dataset.name,
    digest: d.dataset.digest,
    source_type: d.dataset.sourceType,
    source: d.dataset.source,
  };
  if (d.dataset.schema !== undefined) dataset.schema = d.dataset.schema;
  if (d.dataset.profile !== undefined) dataset.profile = d.dataset.profile;
  return { tags: tagsToWire(d.tags ?? []) ?? [], dataset };
}

export function runFromWire(w: WireRun): Run {
  return {
    info: runInfoFromWire(w.info),
    data: {
      metrics: (w.data?.metrics ?? []).map(metricFromWire),
      params: tagsFromWire(w.data?.params),
      tags: tagsFromWire(w.data?.tags),
    },
    inputs: {
      datasetInputs: (w.inputs?.dataset_inputs ?? []).map((d) => ({
        tags: tagsFromWire(d.tags),
        dataset: datasetFromWire(d.dataset),
      })),
    },
    outputs: {
      modelOutputs: (w.outputs?.model_outputs ?? []).map(
        (o): ModelOutput => ({ modelId: o.model_id, step: Number(o.step ?? 0) }),
      ),
    },
  };
}

export function modelVersionFromWire(w: WireModelVersion): ModelVersion {
  return {
    name: w.name,
    version: Number(w.version),
    creationTimestamp: w.creation_timestamp ?? null,
    lastUpdatedTimestamp: w.last_updated_timestamp ?? null,
    userId: w.user_id ?? null,
    currentStage: (w.current_stage ?? 'None') as ModelVersion['currentStage'],
    description: w.description ?? '',
    source: w.source ?? '',
    runId: w.run_id ?? null,
    runLink: w.run_link ?? '',
    status: (w.status ?? 'READY') as ModelVersion['status'],
    statusMessage: w.status_message ?? null,
    tags: tagsFromWire(w.tags),
    aliases: w.aliases ?? [],
    modelId: w.model_id ?? null,
  };
}

export function registeredModelFromWire(w: WireRegisteredModel): RegisteredModel {
  return {
    name: w.name,
    creationTimestamp: w.creation_timestamp ?? null,
    lastUpdatedTimestamp: w.last_updated_timestamp ?? null,
    userId: w.user_id ?? null,
    description: w.description ?? '',
    tags: tagsFromWire(w.tags),
    aliases: (w.aliases ?? []).map((a) => ({ alias: a.alias, version: Number(a.version) })),
    latestVersions: (w.latest_versions ?? []).map(modelVersionFromWire),
  };
}

export function loggedModelFromWire(w: WireLoggedModel): LoggedModel {
  const i = w.info;
  return {
    modelId: i.model_id,
    experimentId: i.experiment_id,
    name: i.name ?? '',
    artifactUri: i.artifact_uri ?? '',
    creationTimestampMs: i.creation_timestamp_ms ?? null,
    lastUpdatedTimestampMs: i.last_updated_timestamp_ms ?? null,
    status: (i.status ?? 'LOGGED_MODEL_PENDING') as LoggedModel['status'],
    statusMessage: i.status_message ?? null,
    modelType: i.model_type ?? '',
    sourceRunId: i.source_run_id ?? null,
    tags: tagsFromWire(i.tags),
    params: tagsFromWire(w.data?.params),
    metrics: (w.data?.metrics ?? []).map(
      (m): LoggedModelMetric => ({ ...metricFromWire(m), runId: m.run_id ?? null }),
    ),
  };
}

export function fileInfoFromWire(w: WireFileInfo): FileInfo {
  const f: FileInfo = { path: w.path, isDir: w.is_dir === true };
  if (w.file_size !== undefined) f.fileSize = Number(w.file_size);
  return f;
}
