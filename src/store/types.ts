/**
 * Domain types of the metadata store. These are Hangar's own shapes (camelCase, numbers for
 * versions); the API layer maps them to MLflow's wire shapes, and each adapter maps its rows
 * to them.
 */

export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type Stage = 'None' | 'Staging' | 'Production' | 'Archived';
export type LoggedModelStatus = 'LOGGED_MODEL_PENDING' | 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED';
export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export const STAGES: readonly Stage[] = ['None', 'Staging', 'Production', 'Archived'];

export interface Tag {
  key: string;
  value: string;
}

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: number;
  lastUpdateTime: number;
  /** Set when the experiment was soft-deleted (epoch ms). */
  deletedTime: number | null;
  tags: Tag[];
}

/** One metric point. `value` may be NaN; ±Infinity are stored as ±Number.MAX_VALUE. */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  /** MLflow 3: the LoggedModel this point is linked to. */
  modelId?: string | null;
  datasetName?: string | null;
  datasetDigest?: string | null;
}

export interface RunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  status: RunStatus;
  startTime: number | null;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
  deletedTime: number | null;
}

export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string | null;
  profile?: string | null;
}

export interface DatasetInput {
  tags: Tag[];
  dataset: Dataset;
}

export interface ModelOutput {
  modelId: string;
  step: number;
}

export interface Run {
  info: RunInfo;
  data: {
    /** Latest point per key (greatest step, then timestamp, then value). */
    metrics: Metric[];
    params: Tag[];
    tags: Tag[];
  };
  inputs: { datasetInputs: DatasetInput[] };
  outputs: { modelOutputs: ModelOutput[] };
}

export interface ModelVersion {
  name: string;
  version: number;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string | null;
  currentStage: Stage;
  description: string;
  source: string;
  /** Where the files are: `source`, or what a `models:/…` source resolves to. */
  storageLocation: string;
  runId: string;
  runLink: string;
  status: ModelVersionStatus;
  statusMessage: string | null;
  tags: Tag[];
  aliases: string[];
  /** MLflow 3: the LoggedModel this version registers. */
  modelId: string | null;
}

export interface RegisteredModelAlias {
  alias: string;
  version: number;
}

export interface RegisteredModel {
  name: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string | null;
  description: string;
  tags: Tag[];
  aliases: RegisteredModelAlias[];
  /** Per stage, the highest version number in that stage. */
  latestVersions: ModelVersion[];
}

export interface LoggedModelMetric extends Metric {
  runId: string | null;
}

export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactLocation: string;
  creationTimestampMs: number;
  lastUpdatedTimestampMs: number;
  status: LoggedModelStatus;
  statusMessage: string | null;
  modelType: string;
  sourceRunId: string | null;
  lifecycleStage: LifecycleStage;
  /** Sorted by key. */
  tags: Tag[];
  params: Tag[];
  metrics: LoggedModelMetric[];
}

export interface AuditEntry {
  id: number;
  timestamp: number;
  principal: string;
  /** e.g. `POST /api/2.0/mlflow/runs/log-batch` */
  action: string;
  entityType: string | null;
  entityId: string | null;
  status: number;
  /** JSON text of the entity before the change (registry and configuration changes). */
  before: string | null;
  /** JSON text of the entity after the change. */
  after: string | null;
  requestId: string | null;
}

export type AuditInput = Omit<AuditEntry, 'id'>;

/** What `listAudit` reads: one page, newest first, of the rows matching every filter given (AND). */
export interface AuditQuery {
  /** Rows per page. */
  maxResults: number;
  /** The token of the previous page. */
  pageToken?: string;
  entityType?: string;
  entityId?: string;
  /** Exactly this principal. */
  principal?: string;
  /** Any of these actions, each exactly, `METHOD /route/pattern`. */
  actions?: readonly string[];
  /** Epoch ms; rows at or after it. */
  fromTimestamp?: number;
  /** Epoch ms; rows before it. */
  toTimestamp?: number;
  /** `succeeded`: the request was answered below 400; `failed`: 400 or above. */
  outcome?: 'succeeded' | 'failed';
}

// ---------------------------------------------------------------------------------------------
// Search: parsed filters and orderings. The parser (src/store/filter) turns MLflow's filter
// grammar into these; each adapter turns them into SQL.

export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

/**
 * One `AND`-joined clause. `entity` says where `key` lives:
 * - `metric`: latest value of metric `key` (numeric comparison)
 * - `param`, `tag`: string comparison on the param or tag `key`
 * - `attribute`: a column of the searched entity, by canonical name (for runs: `run_id`,
 *   `run_name`, `status`, `user_id`, `artifact_uri`, `start_time`, `end_time`; experiments:
 *   `name`, `creation_time`, `last_update_time`; registered models: `name`; model versions:
 *   `name`, `run_id`, `source_path`, `version_number`; logged models: `name`, `model_id`,
 *   `status`, `source_run_id`, `creation_timestamp`, `last_updated_timestamp`, `model_type`)
 * - `dataset`: `name`, `digest` or `context` of a run's dataset inputs
 */
export interface FilterClause {
  entity: 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
  key: string;
  op: Comparator;
  /** A number for numeric comparisons, a string for string ones, a list for IN / NOT IN. */
  value: string | number | string[];
}

export interface OrderBy {
  entity: 'metric' | 'param' | 'tag' | 'attribute';
  /** For attributes, the canonical column name as in FilterClause. */
  key: string;
  ascending: boolean;
}

export interface Page<T> {
  items: T[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

export interface SearchQuery {
  filter: FilterClause[];
  orderBy: OrderBy[];
  maxResults: number;
  pageToken?: string | undefined;
}
