/**
 * The SDK's request and response types. They are camelCase versions of MLflow's wire shapes
 * (see `wire.ts` for the mapping): model versions are numbers, timestamps are epoch
 * milliseconds, and lists the server left out (proto3 drops empty fields) are empty arrays.
 */

export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type Stage = 'None' | 'Staging' | 'Production' | 'Archived';
export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
export type LoggedModelStatus = 'LOGGED_MODEL_PENDING' | 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED';

/** The four registry stages, in their canonical spelling. */
export const STAGES: readonly Stage[] = ['None', 'Staging', 'Production', 'Archived'];

/** A key/value pair: a tag or a param. Values are always strings on the wire. */
export interface Tag {
  /** Tag or param key. */
  key: string;
  /** Tag or param value. */
  value: string;
}

/** Tags may be given as a list of pairs or as a plain object. */
export type TagsInput = Tag[] | Record<string, string>;

/** One page of a search; follow `nextPageToken` (or use the `*All` / `iterate*` helpers). */
export interface Page<T> {
  /** The entities on this page. */
  items: T[];
  /** Pass back as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string;
}

/** Common fields of every search request. */
export interface SearchOptions {
  /** MLflow filter string, e.g. `metrics.rmse < 1 and params.model = 'linear'`. */
  filter?: string;
  /** Ordering clauses, e.g. `['metrics.rmse ASC', 'attributes.start_time DESC']`. */
  orderBy?: string[];
  /** Page size; each server endpoint has its own default and cap. */
  maxResults?: number;
  /** Token from the previous page's `nextPageToken`. */
  pageToken?: string;
}

// --- experiments -------------------------------------------------------------------------

export interface Experiment {
  /** The experiment id (a string of digits on Hangar and MLflow servers). */
  experimentId: string;
  /** Unique experiment name. */
  name: string;
  /** Where its runs keep artifacts, e.g. `mlflow-artifacts:/1`. */
  artifactLocation: string;
  /** `deleted` once soft-deleted. */
  lifecycleStage: LifecycleStage;
  /** Epoch ms; null when the server did not say. */
  creationTime: number | null;
  /** Epoch ms; null when the server did not say. */
  lastUpdateTime: number | null;
  /** Experiment tags. */
  tags: Tag[];
}

export interface CreateExperimentOptions {
  /** Artifact root for the experiment; the server picks one by default (proxied artifacts). */
  artifactLocation?: string;
  /** Initial tags. */
  tags?: TagsInput;
}

export interface SearchExperimentsOptions extends SearchOptions {
  /** Which lifecycle stages to include. Default `ACTIVE_ONLY`. */
  viewType?: ViewType;
}

// --- runs --------------------------------------------------------------------------------

export interface RunInfo {
  /** 32 lowercase hex characters. */
  runId: string;
  /** The experiment the run belongs to. */
  experimentId: string;
  /** Human-readable name; the server generates one when none was given. */
  runName: string;
  /** Who started the run. */
  userId: string;
  /** Current status. */
  status: RunStatus;
  /** Epoch ms. */
  startTime: number | null;
  /** Epoch ms; null while the run has not ended. */
  endTime: number | null;
  /** Root of the run's artifacts, e.g. `mlflow-artifacts:/1/<runId>/artifacts`. */
  artifactUri: string;
  /** `deleted` once soft-deleted. */
  lifecycleStage: LifecycleStage;
}

export interface Metric {
  /** Metric name. */
  key: string;
  /** The value; NaN and ±Infinity survive the round trip (servers may store ±Infinity as ±Number.MAX_VALUE). */
  value: number;
  /** Epoch ms. */
  timestamp: number;
  /** Training step. */
  step: number;
  /** MLflow 3: the LoggedModel this point is linked to. */
  modelId?: string;
  /** MLflow 3: the dataset this point was computed on. */
  datasetName?: string;
  /** MLflow 3: digest of that dataset. */
  datasetDigest?: string;
}

/** A metric point to log; `timestamp` defaults to now and `step` to 0. */
export interface MetricInput {
  /** Metric name (at most 250 characters). */
  key: string;
  /** Any number, including NaN and ±Infinity. */
  value: number;
  /** Epoch ms; default `Date.now()`. */
  timestamp?: number;
  /** Training step; default 0. */
  step?: number;
  /** MLflow 3: link the point to a LoggedModel. */
  modelId?: string;
  /** MLflow 3: dataset name. */
  datasetName?: string;
  /** MLflow 3: dataset digest. */
  datasetDigest?: string;
}

export interface Dataset {
  /** Dataset name. */
  name: string;
  /** Content digest; with the name it identifies the dataset within an experiment. */
  digest: string;
  /** Kind of source, e.g. `local`, `s3`, `http`. */
  sourceType: string;
  /** Source description, usually JSON text such as `{"uri": "s3://…"}`. */
  source: string;
  /** Schema as JSON text. */
  schema?: string;
  /** Profile (row counts and the like) as JSON text. */
  profile?: string;
}

export interface DatasetInput {
  /** Input tags; `mlflow.data.context` (e.g. `training`) is the usual one. */
  tags?: Tag[];
  /** The dataset used. */
  dataset: Dataset;
}

export interface ModelOutput {
  /** The LoggedModel the run produced. */
  modelId: string;
  /** Step at which it was produced. */
  step: number;
}

export interface Run {
  /** Identity, status and timing. */
  info: RunInfo;
  data: {
    /** Latest point of each metric (not the history; see `getMetricHistory`). */
    metrics: Metric[];
    /** Params (write-once). */
    params: Tag[];
    /** Tags, including `mlflow.*` context tags. */
    tags: Tag[];
  };
  inputs: {
    /** Datasets the run consumed. */
    datasetInputs: Array<{ tags: Tag[]; dataset: Dataset }>;
  };
  outputs: {
    /** MLflow 3: LoggedModels the run produced. */
    modelOutputs: ModelOutput[];
  };
}

export interface CreateRunOptions {
  /** Run name; the server generates an adjective-animal-number name by default. */
  runName?: string;
  /** Epoch ms; default now. */
  startTime?: number;
  /** Who starts the run; default `unknown`, as `MlflowClient.create_run` sends. */
  userId?: string;
  /** Initial tags. */
  tags?: TagsInput;
}

export interface UpdateRunOptions {
  /** New status. */
  status?: RunStatus;
  /** Epoch ms. */
  endTime?: number;
  /** New name (also rewrites the `mlflow.runName` tag). */
  runName?: string;
}

export interface SearchRunsOptions extends SearchOptions {
  /** Experiments to search (required by the server). */
  experimentIds: string[];
  /** Which lifecycle stages to include. Default `ACTIVE_ONLY`. */
  viewType?: ViewType;
}

export interface LogBatchInput {
  /** Metric points; batches larger than the server's limits are split into several requests. */
  metrics?: MetricInput[];
  /** Params (write-once per run). */
  params?: TagsInput;
  /** Tags (last write wins). */
  tags?: TagsInput;
}

// --- registry ----------------------------------------------------------------------------

export interface ModelVersion {
  /** Registered model name. */
  name: string;
  /** Version number, 1, 2, … per registered model. */
  version: number;
  /** Epoch ms. */
  creationTimestamp: number | null;
  /** Epoch ms. */
  lastUpdatedTimestamp: number | null;
  /** Who created it, when the server says. */
  userId: string | null;
  /** Current stage. */
  currentStage: Stage;
  /** Free text. */
  description: string;
  /** Where the version came from: a run artifact URI or a `models:/` URI. */
  source: string;
  /** The run that produced it, when known. */
  runId: string | null;
  /** Link to the run in another system, usually empty. */
  runLink: string;
  /** `READY` on Hangar and MLflow's SQL store. */
  status: ModelVersionStatus;
  /** Why registration failed, for `FAILED_REGISTRATION`. */
  statusMessage: string | null;
  /** Version tags. */
  tags: Tag[];
  /** Aliases pointing at this version (servers report them only on some calls). */
  aliases: string[];
  /** MLflow 3: the LoggedModel this version registers, when the server reports it. */
  modelId: string | null;
}

export interface RegisteredModelAlias {
  /** Alias name, e.g. `champion`. */
  alias: string;
  /** The version it points at. */
  version: number;
}

export interface RegisteredModel {
  /** Unique model name. */
  name: string;
  /** Epoch ms. */
  creationTimestamp: number | null;
  /** Epoch ms; moves when versions are created or transitioned. */
  lastUpdatedTimestamp: number | null;
  /** Who created it, when the server says. */
  userId: string | null;
  /** Free text. */
  description: string;
  /** Model tags. */
  tags: Tag[];
  /** Aliases and their versions. */
  aliases: RegisteredModelAlias[];
  /** For each stage, the highest version in it. */
  latestVersions: ModelVersion[];
}

export interface CreateRegisteredModelOptions {
  /** Free text. */
  description?: string;
  /** Initial tags. */
  tags?: TagsInput;
}

export interface CreateModelVersionInput {
  /** The registered model (must exist). */
  name: string;
  /** Where the files are: a run artifact URI (`…/artifacts/model`), `models:/m-<id>` or `models:/<name>/<v>`. */
  source: string;
  /** The run that produced it. */
  runId?: string;
  /** Initial tags. */
  tags?: TagsInput;
  /** Link to the run elsewhere. */
  runLink?: string;
  /** Free text. */
  description?: string;
  /** MLflow 3: the LoggedModel to register. */
  modelId?: string;
}

// --- logged models (MLflow 3) ------------------------------------------------------------

export interface LoggedModelMetric extends Metric {
  /** The run the point was logged in. */
  runId: string | null;
}

export interface LoggedModel {
  /** `m-` and 32 hex characters. */
  modelId: string;
  /** The experiment it belongs to. */
  experimentId: string;
  /** Model name within the run, e.g. `model`. */
  name: string;
  /** Where its files live, e.g. `mlflow-artifacts:/1/models/m-…/artifacts`. */
  artifactUri: string;
  /** Epoch ms. */
  creationTimestampMs: number | null;
  /** Epoch ms. */
  lastUpdatedTimestampMs: number | null;
  /** Upload status. */
  status: LoggedModelStatus;
  /** Why the upload failed, when it did. */
  statusMessage: string | null;
  /** Free-form model type, often empty. */
  modelType: string;
  /** The run that produced it. */
  sourceRunId: string | null;
  /** Tags, sorted by key. */
  tags: Tag[];
  /** Params given on creation or logged later. */
  params: Tag[];
  /** Metric points linked to the model. */
  metrics: LoggedModelMetric[];
}

export interface CreateLoggedModelInput {
  /** The (active) experiment to create it in. */
  experimentId: string;
  /** Name; the server picks one by default. */
  name?: string;
  /** The run that produced it. */
  sourceRunId?: string;
  /** Free-form model type. */
  modelType?: string;
  /** Params. */
  params?: TagsInput;
  /** Tags. */
  tags?: TagsInput;
}

export interface SearchLoggedModelsOptions {
  /** Experiments to search. */
  experimentIds: string[];
  /** Filter, e.g. `name = 'model'`. */
  filter?: string;
  /** Ordering by field name. */
  orderBy?: Array<{ fieldName: string; ascending?: boolean }>;
  /** Page size (server default and cap 50 in MLflow). */
  maxResults?: number;
  /** Token from the previous page. */
  pageToken?: string;
}

// --- artifacts ---------------------------------------------------------------------------

/** One entry of an artifact listing. */
export interface FileInfo {
  /** Path relative to the artifact root the listing was asked for (not just the bare name). */
  path: string;
  /** True for directories. */
  isDir: boolean;
  /** Bytes; files only. */
  fileSize?: number;
}

/**
 * Where artifacts live: an artifact URI (`mlflow-artifacts:/…`, as found in a run's
 * `artifactUri`), a run, or a LoggedModel.
 */
export type ArtifactRoot = string | { runId: string } | { modelId: string };

// --- model URIs --------------------------------------------------------------------------

/** A parsed `models:/…` or `runs:/…` URI. */
export type ModelUri =
  | { kind: 'version'; name: string; version: number }
  | { kind: 'stage'; name: string; stage: Stage }
  | { kind: 'latest'; name: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'logged-model'; modelId: string }
  | { kind: 'run'; runId: string; path: string };

/** What `resolveModelUri` found. */
export interface ResolvedModel {
  /** The URI as given. */
  uri: string;
  /** The parsed URI. */
  parsed: ModelUri;
  /** The registered model version, for `models:/NAME/…` and `models:/NAME@alias`. */
  modelVersion?: ModelVersion;
  /** The LoggedModel, for `models:/m-<id>` and for a `runs:/` URI that points at one. */
  loggedModel?: LoggedModel;
  /** The run, for `runs:/` URIs. */
  runId?: string;
  /** Where the model files are (`mlflow-artifacts:/…` or whatever the server stores). */
  artifactUri: string;
}

// --- validation: compliance checks and the gate (Hangar) ----------------------------------

/** Compliance rules, as in the project file's `compliance` section (absent keys take its defaults). */
export interface ComplianceRulesInput {
  required_tags?: string[];
  required_metrics?: string[];
  description?: boolean;
  signature?: boolean;
  input_example?: boolean;
  dataset_lineage?: boolean;
  environment?: boolean;
  /** Off by default; `true` allows no sensitive feature, an object allows some (`table:feature` or `table:*`, or any once the version has `require_tag`). */
  sensitive_features?: boolean | { allow?: string[]; require_tag?: string };
}

/** One compliance rule's outcome. */
export interface ComplianceCheckInfo {
  /** The rule, as named in the project file (`required_tags`, `signature`, …). */
  rule: string;
  /** PASS, FAIL, or SKIP when switched off. */
  status: 'PASS' | 'FAIL' | 'SKIP';
  /** Why, in one sentence. */
  reason: string;
}

/** The compliance checks' report on one version. */
export interface ComplianceReportInfo {
  /** `models:/NAME/VERSION`. */
  modelUri: string;
  name: string;
  version: number;
  /** No rule failed. */
  passed: boolean;
  checks: ComplianceCheckInfo[];
}

/** A MetricThreshold in MLflow's snake_case. */
export interface MetricThresholdInfo {
  threshold?: number;
  min_absolute_change?: number;
  min_relative_change?: number;
  greater_is_better: boolean;
}

/** A MetricThreshold as the SDK reports it (camelCase). */
export interface MetricThresholdValue {
  threshold?: number;
  minAbsoluteChange?: number;
  minRelativeChange?: number;
  greaterIsBetter: boolean;
}

/** The gate's verdict on one metric (MLflow 2.12's `_validate` rules). */
export interface MetricVerdict {
  metric: string;
  candidate?: number;
  baseline?: number;
  threshold: MetricThresholdValue;
  missingCandidate: boolean;
  missingBaseline: boolean;
  thresholdFailed: boolean;
  absoluteChangeFailed: boolean;
  relativeChangeFailed: boolean;
  relativeChange?: number;
  passed: boolean;
  /** One sentence per failed check, in MLflow's wording. */
  failures: string[];
  message: string;
}

/** What the validation gate did (the same shape whether it ran on the server or in the client). */
export interface GateRunResult {
  mode: 'disabled' | 'dry_run' | 'enabled';
  /** Every threshold passed (also true when disabled). */
  passed: boolean;
  /** The failure must stop deployment (`enabled` and a failure). */
  blocking: boolean;
  /** The `validation_status` written: `approved`, `failed`, `dry_run_failed`; null when disabled. */
  status: 'approved' | 'failed' | 'dry_run_failed' | null;
  candidate: { name: string; version: number; metrics: Record<string, number> } | null;
  /** The champion compared with; null when there is none. */
  baseline: { version: number; uri: string; metrics: Record<string, number> } | null;
  validation: { passed: boolean; message: string; metrics: MetricVerdict[] } | null;
  runId: string | null;
  runLink: string | null;
  /** Metrics whose change bounds were dropped for want of a baseline. */
  skippedComparisons: string[];
  /** Why the `validation.completed` event could not be raised, if it could not. */
  hookError?: string;
}

/** What `client.validation.runGate` sends. */
export interface GateRunInput {
  name: string;
  version: number | string;
  /** Absolute path of a Parquet or CSV file **on the server**, or `dataset:NAME[@VERSION]` (a registered dataset); SQL is refused. */
  data: string;
  /** Label column. */
  target: string;
  /** Default `dry_run`. */
  mode?: 'disabled' | 'dry_run' | 'enabled';
  /** Metric name → bounds. Required unless the mode is `disabled`. */
  thresholds?: Record<string, MetricThresholdInfo & { higher_is_better?: boolean }>;
  /** Compare with the champion (default true). */
  baseline?: boolean;
  /** MLflow's signed relative change on negative baselines (default false). */
  mlflowCompat?: boolean;
  /** Experiment of the validation run (default `hangar-validation`). */
  experimentName?: string;
}

/** The last recorded compliance and gate verdicts of a version. */
export interface ValidationResultsInfo {
  name: string;
  version: number;
  /** From the `compliance_status` and `compliance.<rule>` tags; null when never recorded. */
  compliance: { status: 'passed' | 'failed'; checks: ComplianceCheckInfo[] } | null;
  /** From the `validation_status` tag and the validation run; null when the gate never recorded. */
  gate: { status: 'approved' | 'failed' | 'dry_run_failed'; runId: string | null; result: GateRunResult | null } | null;
}

// --- audit trail (Hangar) ------------------------------------------------------------------

/** One row of the audit trail: a mutating request and what it changed. */
export interface AuditEntry {
  id: number;
  /** Epoch ms. */
  timestamp: number;
  /** Who made the request (`anonymous` without a token). */
  principal: string;
  /** `METHOD /route/pattern`. */
  action: string;
  entityType: string | null;
  entityId: string | null;
  /** HTTP status of the answer. */
  status: number;
  /** The entity before and after the change (registry changes), as JSON values. */
  before: unknown;
  after: unknown;
  requestId: string | null;
}

/** Filters and paging of `client.audit.list`; the filters given are combined with AND. */
export interface AuditListOptions {
  entityType?: string;
  entityId?: string;
  /** Exactly this principal (who). */
  principal?: string;
  /**
   * Exactly this action (what), `METHOD /route/pattern`, e.g. `POST /api/2.0/mlflow/transition-requests/approve`;
   * an MLflow route matches under both of its prefixes (`/api/2.0/mlflow` and the web UI's `/ajax-api/2.0/mlflow`).
   */
  action?: string;
  /** Rows at or after this time: epoch ms, a Date, or ISO-8601 (a time without a zone is UTC). */
  from?: number | string | Date;
  /** Rows before this time (same forms as `from`). */
  to?: number | string | Date;
  /** `succeeded`: answered below HTTP 400; `failed`: 400 or above. */
  status?: 'succeeded' | 'failed';
  /** 1–10 000, default 100. */
  maxResults?: number;
  pageToken?: string;
}
