import { invalidParam } from '../../core/errors.js';
import type {
  LoggedModel,
  LoggedModelMetric,
  ModelVersion,
  RegisteredModel,
  RegisteredModelAlias,
  Tag,
} from '../../store/types.js';

/**
 * Registry and LoggedModel domain objects in MLflow's JSON shapes. MLflow's protos are proto2,
 * so a field is on the wire when the server set it, even to `""`; these converters reproduce
 * what MLflow's SQL store sets (mlflow-wire.md §1.5, mlflow3-wire.md §2.1): a version always
 * carries `description` and `run_link`, a registered model only the fields that hold something,
 * a LoggedModel always `model_type`. Empty lists are left out.
 */

export interface WireTag {
  key: string;
  value: string;
}

export interface WireModelVersion {
  name: string;
  /** The version number as a decimal string. */
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: string;
  description: string;
  source: string;
  run_id?: string;
  status: string;
  status_message?: string;
  tags?: WireTag[];
  run_link: string;
  aliases?: string[];
}

export interface WireAlias {
  alias: string;
  version: string;
}

export interface WireRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  description?: string;
  latest_versions?: WireModelVersion[];
  tags?: WireTag[];
  aliases?: WireAlias[];
}

export interface WireLoggedModelMetric {
  key: string;
  /** A number, or `"NaN"`; infinities are stored as ±Number.MAX_VALUE already. */
  value: number | string;
  timestamp: number;
  step: number;
  run_id?: string;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface WireLoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    artifact_uri: string;
    status: string;
    model_type: string;
    source_run_id?: string;
    tags?: WireTag[];
  };
  data: {
    params?: WireTag[];
    metrics?: WireLoggedModelMetric[];
  };
}

const tagsToWire = (tags: readonly Tag[]): WireTag[] => tags.map((t) => ({ key: t.key, value: t.value }));

/**
 * A model version. `aliases` appear only when asked for: of MLflow's responses only
 * `GET registered-models/alias` carries them (mlflow-wire.md §1.5). `model_id` is kept by the
 * store but, like MLflow 3.5, not echoed (mlflow3-wire.md §4.8).
 */
export function modelVersionToWire(mv: ModelVersion, options: { withAliases?: boolean } = {}): WireModelVersion {
  const out: WireModelVersion = {
    name: mv.name,
    version: String(mv.version),
    creation_timestamp: mv.creationTimestamp,
    last_updated_timestamp: mv.lastUpdatedTimestamp,
    current_stage: mv.currentStage,
    description: mv.description,
    source: mv.source,
    status: mv.status,
    run_link: mv.runLink,
  };
  if (mv.userId !== null && mv.userId !== '') out.user_id = mv.userId;
  if (mv.runId !== '') out.run_id = mv.runId;
  if (mv.statusMessage !== null && mv.statusMessage !== '') out.status_message = mv.statusMessage;
  if (mv.tags.length > 0) out.tags = tagsToWire(mv.tags);
  if (options.withAliases === true && mv.aliases.length > 0) out.aliases = [...mv.aliases];
  return orderVersionKeys(out);
}

// Key order only matters to people reading responses; keep MLflow's so captures diff cleanly.
const VERSION_KEY_ORDER: (keyof WireModelVersion)[] = [
  'name', 'version', 'creation_timestamp', 'last_updated_timestamp', 'user_id', 'current_stage', 'description',
  'source', 'run_id', 'status', 'status_message', 'tags', 'run_link', 'aliases',
];

function orderVersionKeys(v: WireModelVersion): WireModelVersion {
  const out: Record<string, unknown> = {};
  for (const k of VERSION_KEY_ORDER) if (v[k] !== undefined) out[k] = v[k];
  return out as unknown as WireModelVersion;
}

export const aliasToWire = (a: RegisteredModelAlias): WireAlias => ({ alias: a.alias, version: String(a.version) });

/** A registered model; `latest_versions`, `tags` and `aliases` only when non-empty. */
export function registeredModelToWire(rm: RegisteredModel): WireRegisteredModel {
  const out: WireRegisteredModel = {
    name: rm.name,
    creation_timestamp: rm.creationTimestamp,
    last_updated_timestamp: rm.lastUpdatedTimestamp,
  };
  if (rm.userId !== null && rm.userId !== '') out.user_id = rm.userId;
  if (rm.description !== '') out.description = rm.description;
  if (rm.latestVersions.length > 0) out.latest_versions = rm.latestVersions.map((v) => modelVersionToWire(v));
  if (rm.tags.length > 0) out.tags = tagsToWire(rm.tags);
  if (rm.aliases.length > 0) out.aliases = rm.aliases.map(aliasToWire);
  return out;
}

function metricToWire(m: LoggedModelMetric, modelId: string): WireLoggedModelMetric {
  const out: WireLoggedModelMetric = {
    key: m.key,
    value: Number.isNaN(m.value) ? 'NaN' : m.value,
    timestamp: m.timestamp,
    step: m.step,
  };
  out.model_id = m.modelId ?? modelId;
  if (m.runId !== null && m.runId !== '') out.run_id = m.runId;
  if (m.datasetName !== undefined && m.datasetName !== null && m.datasetName !== '') out.dataset_name = m.datasetName;
  if (m.datasetDigest !== undefined && m.datasetDigest !== null && m.datasetDigest !== '') out.dataset_digest = m.datasetDigest;
  return out;
}

const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** A LoggedModel (`{info, data}`); tags sorted by key, `model_type` always present. */
export function loggedModelToWire(lm: LoggedModel): WireLoggedModel {
  const info: WireLoggedModel['info'] = {
    model_id: lm.modelId,
    experiment_id: lm.experimentId,
    name: lm.name,
    creation_timestamp_ms: lm.creationTimestampMs,
    last_updated_timestamp_ms: lm.lastUpdatedTimestampMs,
    artifact_uri: lm.artifactLocation,
    status: lm.status,
    model_type: lm.modelType,
  };
  if (lm.sourceRunId !== null && lm.sourceRunId !== '') info.source_run_id = lm.sourceRunId;
  if (lm.tags.length > 0) info.tags = tagsToWire([...lm.tags].sort(byKey));
  const data: WireLoggedModel['data'] = {};
  if (lm.params.length > 0) data.params = tagsToWire([...lm.params].sort(byKey));
  if (lm.metrics.length > 0) data.metrics = lm.metrics.map((m) => metricToWire(m, lm.modelId));
  return { info, data };
}

// ---------------------------------------------------------------------------------------------
// Request helpers shared by the registry and LoggedModel routes.

/**
 * A list parameter from a query string. Clients send `stages=a&stages=b`, `stages[]=a`,
 * `stages[0]=a&stages[1]=b` or a single `stages=a` (mlflow-wire.md §1.2); JSON bodies send an
 * array. Returns undefined when the parameter is absent.
 */
export function listParam(input: unknown, name: string): unknown[] | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const obj = input as Record<string, unknown>;
  const found: unknown[] = [];
  let present = false;
  const add = (v: unknown): void => {
    present = true;
    if (Array.isArray(v)) found.push(...(v as unknown[]));
    else found.push(v);
  };
  if (obj[name] !== undefined) add(obj[name]);
  if (obj[`${name}[]`] !== undefined) add(obj[`${name}[]`]);
  const indexed: Array<[number, unknown]> = [];
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\[(\\d+)\\]$`);
  for (const [k, v] of Object.entries(obj)) {
    const m = pattern.exec(k);
    if (m !== null) indexed.push([Number(m[1]), v]);
  }
  indexed.sort((a, b) => a[0] - b[0]);
  for (const [, v] of indexed) add(v);
  return present ? found : undefined;
}

/**
 * Resolve `max_results`: the endpoint's default when absent, else a positive integer no larger
 * than `max` (MLflow rejects larger values rather than clamping them).
 */
export function pageSize(value: number | undefined, limits: { default: number; max: number }): number {
  if (value === undefined) return limits.default;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw invalidParam(`Invalid value for request parameter max_results. It must be a positive integer, but got value ${value}`, 'max_results');
  }
  if (value > limits.max) {
    throw invalidParam(`Invalid value for request parameter max_results. It must be at most ${limits.max}, but got value ${value}`, 'max_results');
  }
  return value;
}
