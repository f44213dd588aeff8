/**
 * Kysely row types of the metadata database. These are the stored shapes (snake_case, numbers
 * for flags, integer experiment ids); `kysely-store.ts` maps them to the domain types of
 * `types.ts`. Both engines share this schema: SQLite through type affinity, PostgreSQL with
 * BIGINT read back as JS numbers (see `dialects/postgres.ts`).
 */
import type { Generated, Insertable, Selectable } from 'kysely';
import type { GovernanceTables } from './governance-schema.js';
import type { GovernanceScopeTables } from './governance-scopes-schema.js';
import type { MonitoringTables } from './monitoring-schema.js';
import type { ServingTables } from './serving-schema.js';
import type { FeatureStoreTables } from './features-schema.js';
import type { DataTables } from './data-schema.js';

export interface ExperimentsTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  deleted_time: number | null;
}

export interface ExperimentTagsTable {
  experiment_id: number;
  key: string;
  value: string;
}

export interface RunsTable {
  /** Compact integer key the metric tables use instead of `run_id`. */
  run_pk: Generated<number>;
  run_id: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: string;
  deleted_time: number | null;
}

export interface KeyValueOfRun {
  run_id: string;
  key: string;
  value: string;
}

/**
 * One metric point. NaN is stored as value 0 with `is_nan = 1` (SQLite would turn NaN into
 * NULL, and NULL cannot take part in the primary key that deduplicates identical points).
 */
export interface MetricsTable {
  run_pk: number;
  key: string;
  value: number;
  is_nan: number;
  timestamp: number;
  step: number;
}

/** The latest point per (run, key): greatest step, then timestamp, then value (NaN lowest). */
export type LatestMetricsTable = MetricsTable;

export interface DatasetsTable {
  dataset_id: string;
  experiment_id: number;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface RunInputsTable {
  input_id: string;
  run_id: string;
  dataset_id: string;
  /** Insertion order within the run, so inputs come back in the order they were logged. */
  position: number;
}

export interface RunInputTagsTable {
  input_id: string;
  key: string;
  value: string;
}

export interface RunOutputsTable {
  run_id: string;
  model_id: string;
  step: number;
}

export interface RegisteredModelsTable {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string | null;
  description: string;
  /** Highest version number ever handed out; deleted numbers are never reused. */
  last_version: number;
}

export interface RegisteredModelTagsTable {
  name: string;
  key: string;
  value: string;
}

export interface ModelVersionsTable {
  name: string;
  version: number;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string | null;
  current_stage: string;
  description: string;
  source: string;
  storage_location: string;
  run_id: string;
  run_link: string;
  status: string;
  status_message: string | null;
  model_id: string | null;
}

export interface ModelVersionTagsTable {
  name: string;
  version: number;
  key: string;
  value: string;
}

export interface RegisteredModelAliasesTable {
  name: string;
  alias: string;
  version: number;
}

export interface LoggedModelsTable {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  status: string;
  status_message: string | null;
  model_type: string;
  source_run_id: string | null;
  lifecycle_stage: string;
}

export interface LoggedModelKeyValue {
  model_id: string;
  key: string;
  value: string;
}

export interface LoggedModelMetricsTable {
  model_id: string;
  run_id: string;
  key: string;
  value: number;
  is_nan: number;
  timestamp: number;
  step: number;
  dataset_name: string | null;
  dataset_digest: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  timestamp: number;
  principal: string;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  status: number;
  before_json: string | null;
  after_json: string | null;
  request_id: string | null;
}

/** Every table; the governance tables are declared in governance-schema.ts. */
export interface Database
  extends GovernanceTables,
    DataTables, FeatureStoreTables, ServingTables, MonitoringTables, GovernanceScopeTables {
  experiments: ExperimentsTable;
  experiment_tags: ExperimentTagsTable;
  runs: RunsTable;
  run_tags: KeyValueOfRun;
  params: KeyValueOfRun;
  metrics: MetricsTable;
  latest_metrics: LatestMetricsTable;
  datasets: DatasetsTable;
  run_inputs: RunInputsTable;
  run_input_tags: RunInputTagsTable;
  run_outputs: RunOutputsTable;
  registered_models: RegisteredModelsTable;
  registered_model_tags: RegisteredModelTagsTable;
  model_versions: ModelVersionsTable;
  model_version_tags: ModelVersionTagsTable;
  registered_model_aliases: RegisteredModelAliasesTable;
  logged_models: LoggedModelsTable;
  logged_model_tags: LoggedModelKeyValue;
  logged_model_params: LoggedModelKeyValue;
  logged_model_metrics: LoggedModelMetricsTable;
  audit_log: AuditLogTable;
}

export type TableName = keyof Database;

export type ExperimentRow = Selectable<ExperimentsTable>;
export type RunRow = Selectable<RunsTable>;
export type MetricRow = Selectable<MetricsTable>;
export type ModelVersionRow = Selectable<ModelVersionsTable>;
export type RegisteredModelRow = Selectable<RegisteredModelsTable>;
export type LoggedModelRow = Selectable<LoggedModelsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type NewMetricRow = Insertable<MetricsTable>;

/**
 * Every table in an order where parents come before children (for copying between databases),
 * with its primary key (the order rows are read in) and its database-assigned id column if any.
 */
export const TABLES_IN_DEPENDENCY_ORDER: ReadonlyArray<{ table: TableName; key: readonly string[]; identity?: string }> = [
  { table: 'experiments', key: ['experiment_id'], identity: 'experiment_id' },
  { table: 'experiment_tags', key: ['experiment_id', 'key'] },
  { table: 'runs', key: ['run_pk'], identity: 'run_pk' },
  { table: 'run_tags', key: ['run_id', 'key'] },
  { table: 'params', key: ['run_id', 'key'] },
  { table: 'metrics', key: ['run_pk', 'key', 'step', 'timestamp', 'value', 'is_nan'] },
  { table: 'latest_metrics', key: ['run_pk', 'key'] },
  { table: 'datasets', key: ['dataset_id'] },
  { table: 'run_inputs', key: ['input_id'] },
  { table: 'run_input_tags', key: ['input_id', 'key'] },
  { table: 'logged_models', key: ['model_id'] },
  { table: 'logged_model_tags', key: ['model_id', 'key'] },
  { table: 'logged_model_params', key: ['model_id', 'key'] },
  { table: 'logged_model_metrics', key: ['model_id', 'key', 'step', 'timestamp', 'run_id', 'value', 'is_nan'] },
  { table: 'run_outputs', key: ['run_id', 'model_id', 'step'] },
  { table: 'registered_models', key: ['name'] },
  { table: 'registered_model_tags', key: ['name', 'key'] },
  { table: 'model_versions', key: ['name', 'version'] },
  { table: 'model_version_tags', key: ['name', 'version', 'key'] },
  { table: 'registered_model_aliases', key: ['name', 'alias'] },
  { table: 'audit_log', key: ['id'], identity: 'id' },
  { table: 'api_tokens', key: ['token_id'] },
  { table: 'model_permissions', key: ['name', 'principal'] },
  { table: 'transition_requests', key: ['request_id'], identity: 'request_id' },
  { table: 'activities', key: ['activity_id'], identity: 'activity_id' },
  { table: 'webhooks', key: ['webhook_id'] },
  { table: 'webhook_scopes', key: ['webhook_id'] },
  { table: 'webhook_deliveries', key: ['delivery_id'] },
  { table: 'data_assets', key: ['name'] },
  { table: 'data_asset_versions', key: ['name', 'version'] },
  { table: 'monitors', key: ['name'] },
  { table: 'monitor_runs', key: ['run_id'] },
  { table: 'monitor_alert_rules', key: ['monitor_name', 'rule_name'] },
  { table: 'monitor_alerts', key: ['alert_id'] },
  { table: 'inference_log_files', key: ['file_id'] },
  { table: 'feature_tables', key: ['name'] },
  { table: 'feature_table_versions', key: ['name', 'version'] },
  { table: 'training_sets', key: ['training_set_id'] },
  { table: 'feature_services', key: ['name'] },
];
