import type {
  AuditEntry,
  AuditQuery,
  AuditInput,
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  ModelOutput,
  ModelVersion,
  Page,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
  SearchQuery,
  Stage,
  Tag,
  ViewType,
} from './types.js';

/**
 * The metadata store port. One adapter per engine (SQLite, PostgreSQL), both behind Kysely,
 * both passing the same behaviour suite. Every method is atomic: it commits all of its writes
 * or none. Errors are HangarErrors with MLflow's codes (RESOURCE_DOES_NOT_EXIST,
 * RESOURCE_ALREADY_EXISTS, INVALID_PARAMETER_VALUE), whatever the engine.
 *
 * Field-level validation (lengths, formats, limits) happens at the API edge; the store enforces
 * the rules that need the stored state (existence, uniqueness, write-once params, lifecycle).
 */
export interface Store {
  /** Engine name, for logs and `/version` style diagnostics. */
  readonly engine: 'sqlite' | 'postgres';

  // --- lifecycle -------------------------------------------------------------------------

  /** Apply every pending migration. Returns the schema version now in place. */
  migrate(): Promise<number>;
  /** The schema version in the database and the version this code expects. */
  schemaStatus(): Promise<{ current: number; latest: number }>;
  /** Close connections. */
  close(): Promise<void>;

  // --- experiments -----------------------------------------------------------------------

  /**
   * Create an experiment. `artifactLocation` defaults to `<defaultArtifactRoot>/<id>`.
   * Throws RESOURCE_ALREADY_EXISTS when the name is taken (by an active or deleted experiment).
   */
  createExperiment(input: { name: string; artifactLocation?: string | undefined; tags?: Tag[] }): Promise<string>;
  /** Throws RESOURCE_DOES_NOT_EXIST. */
  getExperiment(experimentId: string): Promise<Experiment>;
  /** Returns null when no experiment has that name. */
  getExperimentByName(name: string): Promise<Experiment | null>;
  /** Default order: creation_time DESC, experiment_id ASC. */
  searchExperiments(query: SearchQuery & { viewType: ViewType }): Promise<Page<Experiment>>;
  /** Rename; RESOURCE_ALREADY_EXISTS when the new name is taken. */
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  /** Soft-delete the experiment and its runs (sets their deleted time). RESOURCE_DOES_NOT_EXIST if unknown. */
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  // --- runs ------------------------------------------------------------------------------

  /**
   * Create a run in an active experiment (INVALID_PARAMETER_VALUE if deleted,
   * RESOURCE_DOES_NOT_EXIST if unknown). `artifactUri` becomes
   * `<experiment artifact location>/<runId>/artifacts`. The `mlflow.runName` tag is set to
   * `runName`.
   */
  createRun(input: {
    runId: string;
    experimentId: string;
    userId: string;
    runName: string;
    startTime: number;
    tags: Tag[];
  }): Promise<Run>;
  /** Throws RESOURCE_DOES_NOT_EXIST with message `Run with id=<id> not found`. */
  getRun(runId: string): Promise<Run>;
  /** Update status, end time and/or name (a new name also rewrites the `mlflow.runName` tag). */
  updateRun(runId: string, patch: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  /**
   * Log metrics, params and tags atomically. The run must be active (INVALID_PARAMETER_VALUE
   * otherwise). A param already logged with another value fails the whole batch with
   * INVALID_PARAMETER_VALUE and MLflow's message; the same value again is a no-op. A metric
   * point identical in key, value, timestamp and step to a stored one is not stored again.
   * Metrics with `modelId` are also recorded against that LoggedModel. A `mlflow.runName`
   * tag renames the run. The run's latest value per key is the point with the greatest
   * (step, timestamp, value); at equal step and timestamp NaN ranks below every number.
   */
  logBatch(runId: string, batch: { metrics?: Metric[]; params?: Tag[]; tags?: Tag[] }): Promise<void>;
  /** RESOURCE_DOES_NOT_EXIST when the tag is absent. */
  deleteRunTag(runId: string, key: string): Promise<void>;
  /** The full history of one metric, ordered by step, timestamp. */
  getMetricHistory(runId: string, key: string, page?: { maxResults?: number; pageToken?: string }): Promise<Page<Metric>>;
  /**
   * History of one metric for several runs, steps within [startStep, endStep]. `maxResults`
   * caps the distinct steps per run: above it, steps are sampled evenly, keeping the first and
   * last, with every point at a chosen step.
   */
  getMetricHistoryBulk(runIds: string[], key: string, range: { startStep?: number; endStep?: number; maxResults: number }): Promise<Array<Metric & { runId: string }>>;
  /**
   * Default order: start_time DESC, run_id ASC. Ordering on a metric, param or tag puts runs
   * without it last in both directions (for metrics, NaN just before those).
   */
  searchRuns(query: SearchQuery & { experimentIds: string[]; viewType: ViewType }): Promise<Page<Run>>;
  /** Record dataset inputs (datasets are deduplicated per experiment by name and digest). */
  logInputs(runId: string, inputs: DatasetInput[]): Promise<void>;
  /** MLflow 3: link LoggedModels the run produced. */
  logOutputs(runId: string, outputs: ModelOutput[]): Promise<void>;

  // --- registered models -----------------------------------------------------------------

  createRegisteredModel(input: { name: string; description?: string; tags?: Tag[]; userId?: string | null }): Promise<RegisteredModel>;
  /** Throws RESOURCE_DOES_NOT_EXIST with `Registered Model with name=<name> not found`. */
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** Versions, aliases and tags follow the new name. */
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  updateRegisteredModel(name: string, patch: { description: string }): Promise<RegisteredModel>;
  /** Deletes the model with its versions, tags and aliases. */
  deleteRegisteredModel(name: string): Promise<void>;
  setRegisteredModelTag(name: string, tag: Tag): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;
  /** Default order: name ASC. */
  searchRegisteredModels(query: SearchQuery): Promise<Page<RegisteredModel>>;
  /** For each requested stage (all stages when empty), the highest version in it. */
  getLatestVersions(name: string, stages: Stage[]): Promise<ModelVersion[]>;

  // --- model versions --------------------------------------------------------------------

  /**
   * Create the next version (1, 2, … with no gaps or duplicates under concurrency). The model
   * must exist (RESOURCE_DOES_NOT_EXIST). Status is READY. With `modelId`, appends
   * `{name, version}` (version as a JSON number) to the LoggedModel's `mlflow.modelVersions`
   * tag. Moves the registered model's last_updated_timestamp.
   */
  createModelVersion(input: {
    name: string;
    source: string;
    storageLocation: string;
    runId?: string | null;
    runLink?: string;
    description?: string;
    tags?: Tag[];
    userId?: string | null;
    modelId?: string | null;
  }): Promise<ModelVersion>;
  /** Throws RESOURCE_DOES_NOT_EXIST with `Model Version (name=<n>, version=<v>) not found`. */
  getModelVersion(name: string, version: number): Promise<ModelVersion>;
  updateModelVersion(name: string, version: number, patch: { description: string }): Promise<ModelVersion>;
  /** Its aliases go with it. */
  deleteModelVersion(name: string, version: number): Promise<void>;
  /**
   * Move a version to a stage. With `archiveExisting` (only for Staging and Production), every
   * other version in that stage moves to Archived in the same transaction. Moves the model's
   * last_updated_timestamp.
   */
  transitionModelVersionStage(name: string, version: number, stage: Stage, archiveExisting: boolean): Promise<ModelVersion>;
  setModelVersionTag(name: string, version: number, tag: Tag): Promise<void>;
  deleteModelVersionTag(name: string, version: number, key: string): Promise<void>;
  /** Default order: last_updated_timestamp DESC, name ASC, version DESC. */
  searchModelVersions(query: SearchQuery): Promise<Page<ModelVersion>>;

  // --- aliases ---------------------------------------------------------------------------

  /** Set or move an alias; the version must exist. */
  setAlias(name: string, alias: string, version: number): Promise<void>;
  deleteAlias(name: string, alias: string): Promise<void>;
  /** Throws INVALID_PARAMETER_VALUE `Registered model alias <alias> not found.` */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;

  // --- logged models (MLflow 3) ----------------------------------------------------------

  /** `artifactLocation` is `<experiment artifact location>/models/<modelId>/artifacts`. */
  createLoggedModel(input: {
    modelId: string;
    experimentId: string;
    name: string;
    sourceRunId?: string | null;
    modelType?: string;
    params?: Tag[];
    tags?: Tag[];
  }): Promise<LoggedModel>;
  /** Throws RESOURCE_DOES_NOT_EXIST `Logged model with ID '<id>' not found.` */
  getLoggedModel(modelId: string): Promise<LoggedModel>;
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel>;
  deleteLoggedModel(modelId: string): Promise<void>;
  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void>;
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>;
  logLoggedModelParams(modelId: string, params: Tag[]): Promise<void>;
  /** Default order: creation_timestamp DESC, model_id ASC. */
  searchLoggedModels(query: SearchQuery & { experimentIds: string[] }): Promise<Page<LoggedModel>>;

  // --- audit -----------------------------------------------------------------------------

  appendAudit(entry: AuditInput): Promise<void>;
  /** Newest first (by id), the filters combined with AND; pages with keyset tokens. */
  listAudit(query: AuditQuery): Promise<Page<AuditEntry>>;

  // --- garbage collection ----------------------------------------------------------------

  /** Runs and experiments soft-deleted before `olderThan` (epoch ms). */
  listDeletedBefore(olderThan: number): Promise<{ runs: RunInfo[]; experiments: Experiment[] }>;
  /** Permanently remove a deleted run and everything it owns. INVALID_PARAMETER_VALUE if active. */
  purgeRun(runId: string): Promise<void>;
  /** Permanently remove a deleted experiment, its runs and logged models. */
  purgeExperiment(experimentId: string): Promise<void>;
}
