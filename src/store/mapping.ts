/**
 * Row ↔ domain mapping for the Kysely store. Rows are the stored shapes of `schema.ts`; the
 * domain shapes are those of `types.ts`.
 */
import type {
  AuditEntry,
  Experiment,
  LifecycleStage,
  LoggedModel,
  LoggedModelMetric,
  LoggedModelStatus,
  Metric,
  ModelVersion,
  ModelVersionStatus,
  RunInfo,
  RunStatus,
  Stage,
  Tag,
} from './types.js';
import type { AuditRow, ExperimentRow, LoggedModelRow, ModelVersionRow, RunRow } from './schema.js';

/** A metric value as stored: NaN becomes 0 with a flag, ±Infinity becomes ±Number.MAX_VALUE. */
export function encodeMetricValue(value: number): { value: number; is_nan: number } {
  if (Number.isNaN(value)) return { value: 0, is_nan: 1 };
  if (value === Infinity) return { value: Number.MAX_VALUE, is_nan: 0 };
  if (value === -Infinity) return { value: -Number.MAX_VALUE, is_nan: 0 };
  return { value, is_nan: 0 };
}

export function decodeMetricValue(row: { value: number; is_nan: number }): number {
  return row.is_nan ? NaN : row.value;
}

/** Whether stored point `a` is later than `b`: greater step, then timestamp, then value, NaN lowest. */
export function isLaterPoint(
  a: { step: number; timestamp: number; value: number; is_nan: number },
  b: { step: number; timestamp: number; value: number; is_nan: number },
): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  if (a.is_nan !== b.is_nan) return a.is_nan < b.is_nan;
  return a.is_nan === 0 && a.value > b.value;
}

export function toTags(rows: ReadonlyArray<{ key: string; value: string }>): Tag[] {
  return rows.map((r) => ({ key: r.key, value: r.value })).sort((a, b) => compareText(a.key, b.key));
}

/** Code-point order, the order both engines use for keys. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function toExperiment(row: ExperimentRow, tags: Tag[]): Experiment {
  return {
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    creationTime: row.creation_time,
    lastUpdateTime: row.last_update_time,
    deletedTime: row.deleted_time,
    tags,
  };
}

export function toRunInfo(row: RunRow): RunInfo {
  return {
    runId: row.run_id,
    experimentId: String(row.experiment_id),
    runName: row.name,
    userId: row.user_id,
    status: row.status as RunStatus,
    startTime: row.start_time,
    endTime: row.end_time,
    artifactUri: row.artifact_uri,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    deletedTime: row.deleted_time,
  };
}

export function toMetric(row: { key: string; value: number; is_nan: number; timestamp: number; step: number }): Metric {
  return { key: row.key, value: decodeMetricValue(row), timestamp: row.timestamp, step: row.step };
}

export function toModelVersion(row: ModelVersionRow, tags: Tag[], aliases: string[]): ModelVersion {
  return {
    name: row.name,
    version: row.version,
    creationTimestamp: row.creation_timestamp,
    lastUpdatedTimestamp: row.last_updated_timestamp,
    userId: row.user_id,
    currentStage: row.current_stage as Stage,
    description: row.description,
    source: row.source,
    storageLocation: row.storage_location,
    runId: row.run_id,
    runLink: row.run_link,
    status: row.status as ModelVersionStatus,
    statusMessage: row.status_message,
    tags,
    aliases: [...aliases].sort(compareText),
    modelId: row.model_id,
  };
}

export function toLoggedModel(row: LoggedModelRow, tags: Tag[], params: Tag[], metrics: LoggedModelMetric[]): LoggedModel {
  return {
    modelId: row.model_id,
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    creationTimestampMs: row.creation_timestamp_ms,
    lastUpdatedTimestampMs: row.last_updated_timestamp_ms,
    status: row.status as LoggedModelStatus,
    statusMessage: row.status_message,
    modelType: row.model_type,
    sourceRunId: row.source_run_id,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    tags,
    params,
    metrics,
  };
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    timestamp: row.timestamp,
    principal: row.principal,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    status: row.status,
    before: row.before_json,
    after: row.after_json,
    requestId: row.request_id,
  };
}

/** Split `items` into arrays of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Group rows by a key, keeping their order. */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list === undefined) out.set(k, [row]);
    else list.push(row);
  }
  return out;
}
