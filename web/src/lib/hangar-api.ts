/**
 * Hangar's own REST routes (`/api/2.0/hangar/…`) and the Databricks-style governance routes on
 * MLflow's prefix, as the governance, monitoring and data pages call them. Every call goes
 * through `call` in api.ts, so the token and error handling are the same as everywhere else.
 */
import { call, type ModelVersion } from './api.ts';
import type { SensitiveMark } from './hangar-helpers.ts';

const H = '/api/2.0/hangar';

// ---- governance ----

export interface TransitionRequest {
  id: string;
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  to_stage: string;
  user_id: string;
  status: string;
  comment?: string;
  decided_by?: string;
  available_actions?: string[];
}

export interface Activity {
  id: string;
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  user_id: string;
  activity_type: string;
  from_stage?: string;
  to_stage?: string;
  alias?: string;
  comment?: string;
  request_id?: string;
}

export interface ComplianceCheck {
  rule: string;
  status: string;
  reason?: string;
}

export interface MetricVerdict {
  metric: string;
  candidate?: number;
  baseline?: number;
  threshold?: unknown;
  passed: boolean;
  message?: string;
  relative_change?: number;
}

export interface GateResult {
  mode?: string;
  passed?: boolean;
  status?: string;
  baseline?: { version: string; uri?: string } | null;
  validation?: { passed: boolean; message?: string; metrics: MetricVerdict[] } | null;
  run_id?: string | null;
  skipped_comparisons?: unknown;
}

export interface ValidationResults {
  name: string;
  version: string;
  compliance: { status: string; checks: ComplianceCheck[] } | null;
  gate: { status: string; run_id: string | null; result: GateResult | null } | null;
}

export interface AuditEntry {
  id: number | string;
  timestamp: number;
  principal: string;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  status: number;
  before: unknown;
  after: unknown;
  request_id: string | null;
}

// ---- monitors ----

export interface AlertRule {
  name: string;
  metric: string;
  threshold: number;
  direction?: 'above' | 'below';
  table?: 'profile' | 'drift';
  column_name?: string;
  granularity?: string;
  model_id?: string;
  slice_key?: string;
  slice_value?: string;
  num_evaluation_windows?: number;
  num_violation_windows?: number;
}

export interface MonitorDefinition {
  name: string;
  source: { inference_log: { model: string; root?: string } } | { table: string };
  profile: { type: string; granularities?: string[]; problem_type?: string; timestamp_col?: string; model_id_col?: string };
  baseline?: string;
  schedule?: string;
  alert_rules?: AlertRule[];
  columns?: string[];
  slicing_exprs?: string[];
}

export interface Monitor {
  name: string;
  definition: MonitorDefinition;
  monitor_version: number;
  status: string;
  creator: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  next_run_timestamp: number | null;
  watermark: number | null;
}

export interface MonitorRun {
  run_id: string;
  monitor_name: string;
  status: string;
  trigger: string;
  start_timestamp: number;
  end_timestamp: number | null;
  error_message: string | null;
  summary: Record<string, unknown> | null;
}

export interface MonitorAlert {
  alert_id: string;
  monitor_name: string;
  rule_name: string;
  status: string;
  run_id: string;
  resolved_run_id: string | null;
  fired_timestamp: number;
  resolved_timestamp: number | null;
  retrain_run_id: string | null;
  detail: Record<string, unknown> | null;
}

/** A row of a monitor's profile table (the metric columns vary, so the rest is open). */
export interface ProfileRow {
  window: { start: number; end: number } | null;
  granularity: string | null;
  model_id: string | null;
  column_name: string;
  [metric: string]: unknown;
}

// ---- datasets and features ----

export interface Tag {
  key: string;
  value: string;
}

export interface Dataset {
  name: string;
  description: string | null;
  tags: Tag[];
  latest_version: number;
  created_by: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface ColumnProfile {
  name: string;
  type: string;
  count?: number;
  nulls?: number;
  distinct?: number;
  min?: number | string;
  max?: number | string;
  mean?: number;
  stddev?: number;
  quantiles?: Record<string, number>;
  top?: Array<{ value: unknown; count: number }>;
}

export interface DatasetVersion {
  name: string;
  version: number;
  digest: string;
  row_count: number;
  schema: Array<{ name: string; type: string }>;
  profile: { num_rows?: number; num_elements?: number; columns?: ColumnProfile[] } | null;
  source_type: string;
  source: string | null;
  uri: string;
  size_bytes: number | null;
  expectations: unknown;
  created_by: string | null;
  creation_timestamp: number;
}

export interface FeatureSpec {
  name: string;
  type: string;
  description?: string;
  tags?: Record<string, string>;
}

export interface FeatureTable {
  name: string;
  spec: {
    name: string;
    keys: Array<{ name: string; type: string }>;
    timestampKey?: string;
    createdTimestampKey?: string;
    features: FeatureSpec[];
    source: { kind: 'sql'; sql: string } | { kind: 'transform'; module: string; export?: string; input?: string };
    ttlMs: number;
    description?: string;
    owner?: string;
    tags?: Record<string, string>;
  };
  ttl: string;
  description: string | null;
  owner: string | null;
  latest_version: number | null;
  last_end: number | null;
  /** The features the server's sensitive-data rule marks (absent from older servers). */
  sensitive_features?: SensitiveMark[];
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface FeatureVersion {
  name: string;
  version: number;
  mode: string;
  start: number | null;
  end: number | null;
  row_count: number;
  total_rows: number;
  digest: string;
  creation_timestamp: number;
}

export interface FeatureService {
  name: string;
  features: string[];
  description: string | null;
  owner: string | null;
  tags: Record<string, string>;
  version: number;
}

export interface OnlineTable {
  name: string;
  keys: Array<{ name: string; type: string }>;
  features: Array<{ name: string; type: string }>;
  ttl_ms: number;
  materialized_end?: number;
  updated_at: number;
}

export interface TrainingSet {
  training_set_id: string;
  request: { labels: string | { dataset: string; version?: number }; lookups: Array<{ table: string; features?: string[]; version?: number }>; exclude?: string[] };
  uri: string | null;
  path: string | null;
  output: string | null;
  row_count: number;
  digest: string;
  schema: Array<{ name: string; type: string }>;
  lineage: Array<{ table: string; version: number; digest: string; features: string[] }>;
  run_id: string | null;
  creation_timestamp: number;
}

export const hangar = {
  modelVersion: (name: string, version: string) => call<{ model_version: ModelVersion }>('GET', '/model-versions/get', { name, version }),

  // Transition requests, comments and activities (Databricks' routes on MLflow's prefix).
  listRequests: (name: string, version: string) => call<{ requests?: TransitionRequest[] }>('GET', '/transition-requests/list', { name, version }),
  createRequest: (b: { name: string; version: string; stage: string; comment?: string }) => call<{ request: TransitionRequest }>('POST', '/transition-requests/create', b),
  approveRequest: (b: { name: string; version: string; stage: string; archive_existing_versions: boolean; comment?: string }) =>
    call<{ activity: Activity }>('POST', '/transition-requests/approve', b),
  rejectRequest: (b: { name: string; version: string; stage: string; comment?: string }) => call<{ activity: Activity }>('POST', '/transition-requests/reject', b),
  createComment: (b: { name: string; version: string; comment: string }) => call<unknown>('POST', '/comments/create', b),
  modelHistory: (name: string) => call<{ history?: Activity[] }>('GET', `${H}/models/history`, { name }),
  activities: (name: string, version: string) => call<{ activities?: Activity[] }>('GET', `${H}/activities/list`, { name, version }),
  validationResults: (name: string, version: string) => call<{ results: ValidationResults }>('GET', `${H}/validation/results/get`, { name, version }),
  audit: (q: { entity_type?: string; entity_id?: string; principal?: string; action?: string; from?: number | string; to?: number | string; status?: string; max_results?: number; page_token?: string }) =>
    call<{ entries?: AuditEntry[]; next_page_token?: string }>('GET', `${H}/audit/list`, q),

  // Monitors.
  monitors: () => call<{ monitors?: Monitor[] }>('GET', `${H}/monitors/list`),
  monitor: (name: string) => call<{ monitor: Monitor }>('GET', `${H}/monitors/get`, { name }),
  monitorRuns: (name: string, maxResults = 20) => call<{ runs?: MonitorRun[] }>('GET', `${H}/monitors/runs/list`, { name, max_results: maxResults }),
  monitorAlerts: (name: string) => call<{ alerts?: MonitorAlert[] }>('GET', `${H}/monitors/alerts/list`, { name, max_results: 200 }),
  profileMetrics: (q: { name: string; column_name?: string; whole_table?: boolean; log_type?: 'INPUT' | 'BASELINE'; granularity?: string; max_results?: number }) =>
    call<{ rows?: ProfileRow[] }>('GET', `${H}/monitors/metrics/profile`, q),

  // Datasets and features.
  datasets: (q: { max_results?: number; page_token?: string; name_contains?: string }) =>
    call<{ datasets?: Dataset[]; next_page_token?: string }>('GET', `${H}/datasets/list`, q),
  dataset: (name: string) => call<{ dataset: Dataset }>('GET', `${H}/datasets/get`, { name }),
  datasetVersions: (name: string) => call<{ dataset_versions?: DatasetVersion[] }>('GET', `${H}/datasets/versions/list`, { name }),
  featureTables: () => call<{ feature_tables?: FeatureTable[] }>('GET', `${H}/features/tables/list`),
  featureTable: (name: string) => call<{ feature_table: FeatureTable; versions?: FeatureVersion[] }>('GET', `${H}/features/tables/get`, { name }),
  featureServices: () => call<{ feature_services?: FeatureService[] }>('GET', `${H}/features/services/list`),
  trainingSet: (id: string) => call<{ training_set: TrainingSet }>('GET', `${H}/features/training-sets/get`, { training_set_id: id }),
  onlineTables: () => call<{ store_type: string; tables?: OnlineTable[] }>('GET', `${H}/features/online/tables`),
};
