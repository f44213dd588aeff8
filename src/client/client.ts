import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { HangarError } from '../core/errors.js';
import { isApiError } from './errors.js';
import { transportFor, type Transport, type BodyInit, type HangarClientOptions, type Query, type RequestOptions } from './http.js';
export type { HangarClientOptions } from './http.js';
import { canonicalStage, parseModelUri } from './model-uri.js';
import { AuditClient, GovernanceClient } from './governance.js';
import { DatasetsClient } from './datasets.js';
import { ValidationClient } from './validation.js';
import type {
  ArtifactRoot,
  CreateExperimentOptions,
  CreateLoggedModelInput,
  CreateModelVersionInput,
  CreateRegisteredModelOptions,
  CreateRunOptions,
  DatasetInput,
  Experiment,
  FileInfo,
  LogBatchInput,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  MetricInput,
  ModelOutput,
  ModelVersion,
  Page,
  RegisteredModel,
  ResolvedModel,
  Run,
  RunInfo,
  RunStatus,
  SearchExperimentsOptions,
  SearchLoggedModelsOptions,
  SearchOptions,
  SearchRunsOptions,
  Stage,
  TagsInput,
  UpdateRunOptions,
} from './types.js';
import {
  datasetInputToWire,
  experimentFromWire,
  fileInfoFromWire,
  loggedModelFromWire,
  metricFromWire,
  metricToWire,
  modelVersionFromWire,
  registeredModelFromWire,
  runFromWire,
  runInfoFromWire,
  tagsToWire,
  type WireExperiment,
  type WireFileInfo,
  type WireLoggedModel,
  type WireMetric,
  type WireModelVersion,
  type WireRegisteredModel,
  type WireRun,
  type WireRunInfo,
  type WireTag,
} from './wire.js';

const API = '/api/2.0/mlflow';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';
const SDK_VERSION = '0.1.0';

/** MLflow's per-request limits for `runs/log-batch` (mlflow-wire.md 1.8). */
const BATCH = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;


const READ: RequestOptions = { idempotent: true };

/**
 * A typed client for Hangar's (and MLflow's) tracking and registry REST API. Every method maps
 * to the REST calls MLflow's own client makes, so it works against any MLflow-compatible server.
 * Failures are {@link ApiError}s (a HangarError) carrying the server's `error_code`.
 */
export class HangarClient {
  private readonly http: Transport;
  /** Transition requests, comments, activities, history and rollback, permissions, tokens, webhooks. */
  readonly governance: GovernanceClient;
  /** Compliance checks and the validation gate run by the server, and the recorded verdicts. */
  readonly validation: ValidationClient;
  /** The audit trail (admins). */
  readonly audit: AuditClient;

  constructor(options: string | HangarClientOptions) {
    this.http = transportFor(options, { userAgent: `hangar-client/${SDK_VERSION}` });
    this.governance = new GovernanceClient(this.http);
    this.validation = new ValidationClient(this.http);
    this.audit = new AuditClient(this.http);
  }

  /** Versioned datasets: register, list, download, and record versions as run inputs (`client.datasets`). */
  get datasets(): DatasetsClient {
    return new DatasetsClient(this.http, this);
  }

  /**
   * Raise a registry event for the server's webhooks, e.g. `validation.completed` (shorthand
   * for `governance.emitEvent`).
   */
  emitEvent(event: string, data: Record<string, unknown>): Promise<void> {
    return this.governance.emitEvent(event, data);
  }

  /** The server's base URL, without a trailing slash. */
  get trackingUri(): string {
    return this.http.baseUrl;
  }

  private get<T>(path: string, query: Query): Promise<T> {
    return this.http.json<T>('GET', `${API}${path}`, { query, idempotent: true });
  }

  private post<T>(path: string, json: unknown, idempotent: boolean): Promise<T> {
    return this.http.json<T>('POST', `${API}${path}`, { json, idempotent });
  }

  private send<T>(method: 'PATCH' | 'DELETE', path: string, json: unknown): Promise<T> {
    return this.http.json<T>(method, `${API}${path}`, { json, idempotent: true });
  }

  // --- server --------------------------------------------------------------------------

  /** True when `GET /health` answers. */
  async health(): Promise<boolean> {
    try {
      await this.http.send('GET', '/health', READ);
      return true;
    } catch {
      return false;
    }
  }

  // --- experiments ---------------------------------------------------------------------

  /** Create an experiment and return its id. RESOURCE_ALREADY_EXISTS when the name is taken. */
  async createExperiment(name: string, opts: CreateExperimentOptions = {}): Promise<string> {
    const res = await this.post<{ experiment_id: string }>(
      '/experiments/create',
      { name, artifact_location: opts.artifactLocation, tags: tagsToWire(opts.tags) },
      false,
    );
    return res.experiment_id;
  }

  /** RESOURCE_DOES_NOT_EXIST when there is no such experiment. */
  async getExperiment(experimentId: string): Promise<Experiment> {
    const res = await this.get<{ experiment: WireExperiment }>('/experiments/get', { experiment_id: experimentId });
    return experimentFromWire(res.experiment);
  }

  /** The experiment with that name, or null when there is none. */
  async getExperimentByName(name: string): Promise<Experiment | null> {
    try {
      const res = await this.get<{ experiment: WireExperiment }>('/experiments/get-by-name', { experiment_name: name });
      return experimentFromWire(res.experiment);
    } catch (e) {
      if (isApiError(e) && e.code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw e;
    }
  }

  /**
   * The active experiment with that name, created (with `opts`) when missing, as
   * `mlflow.set_experiment` does. Tolerates a concurrent creator. INVALID_STATE when the name belongs to a deleted
   * experiment.
   */
  async getOrCreateExperiment(name: string, opts: CreateExperimentOptions = {}): Promise<{ experiment: Experiment; created: boolean }> {
    const found = await this.getExperimentByName(name);
    if (found !== null) return { experiment: ensureActive(found), created: false };
    try {
      const id = await this.createExperiment(name, opts);
      return { experiment: await this.getExperiment(id), created: true };
    } catch (e) {
      if (!(isApiError(e) && e.code === 'RESOURCE_ALREADY_EXISTS')) throw e;
      const again = await this.getExperimentByName(name);
      if (again === null) throw e;
      return { experiment: ensureActive(again), created: false };
    }
  }

  /** One page of experiments (default order: newest first). */
  async searchExperiments(opts: SearchExperimentsOptions = {}): Promise<Page<Experiment>> {
    const res = await this.post<{ experiments?: WireExperiment[]; next_page_token?: string }>(
      '/experiments/search',
      {
        max_results: opts.maxResults,
        view_type: opts.viewType ?? 'ACTIVE_ONLY',
        filter: opts.filter,
        order_by: opts.orderBy,
        page_token: opts.pageToken,
      },
      true,
    );
    return page((res.experiments ?? []).map(experimentFromWire), res.next_page_token);
  }

  /** Every experiment matching, following page tokens. */
  iterateExperiments(opts: Omit<SearchExperimentsOptions, 'pageToken'> = {}): AsyncGenerator<Experiment> {
    return paginate((pageToken) => this.searchExperiments({ ...opts, pageToken }));
  }

  /** Every experiment matching, as one array. */
  searchAllExperiments(opts: Omit<SearchExperimentsOptions, 'pageToken'> = {}): Promise<Experiment[]> {
    return collect(this.iterateExperiments(opts));
  }

  /** Rename. RESOURCE_ALREADY_EXISTS when the new name is taken. */
  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.post('/experiments/update', { experiment_id: experimentId, new_name: newName }, true);
  }

  /** Soft-delete the experiment and its runs. */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.post('/experiments/delete', { experiment_id: experimentId }, true);
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.post('/experiments/restore', { experiment_id: experimentId }, true);
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.post('/experiments/set-experiment-tag', { experiment_id: experimentId, key, value }, true);
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.post('/experiments/delete-experiment-tag', { experiment_id: experimentId, key }, true);
  }

  // --- runs ----------------------------------------------------------------------------

  /** Start a run in an active experiment. */
  async createRun(experimentId: string, opts: CreateRunOptions = {}): Promise<Run> {
    const res = await this.post<{ run: WireRun }>(
      '/runs/create',
      {
        experiment_id: experimentId,
        user_id: opts.userId ?? 'unknown',
        run_name: opts.runName,
        start_time: opts.startTime ?? Date.now(),
        tags: tagsToWire(opts.tags),
      },
      false,
    );
    return runFromWire(res.run);
  }

  /** RESOURCE_DOES_NOT_EXIST when there is no such run. */
  async getRun(runId: string): Promise<Run> {
    const res = await this.get<{ run: WireRun }>('/runs/get', { run_id: runId, run_uuid: runId });
    return runFromWire(res.run);
  }

  /** Change status, end time or name. */
  async updateRun(runId: string, patch: UpdateRunOptions): Promise<RunInfo> {
    const res = await this.post<{ run_info: WireRunInfo }>(
      '/runs/update',
      { run_id: runId, run_uuid: runId, status: patch.status, end_time: patch.endTime, run_name: patch.runName },
      true,
    );
    return runInfoFromWire(res.run_info);
  }

  /** End a run now (`FINISHED` unless told otherwise). */
  endRun(runId: string, status: RunStatus = 'FINISHED'): Promise<RunInfo> {
    return this.updateRun(runId, { status, endTime: Date.now() });
  }

  /** Soft-delete a run. */
  async deleteRun(runId: string): Promise<void> {
    await this.post('/runs/delete', { run_id: runId }, true);
  }

  async restoreRun(runId: string): Promise<void> {
    await this.post('/runs/restore', { run_id: runId }, true);
  }

  /** One page of runs (default order: newest first). */
  async searchRuns(opts: SearchRunsOptions): Promise<Page<Run>> {
    const res = await this.post<{ runs?: WireRun[]; next_page_token?: string }>(
      '/runs/search',
      {
        experiment_ids: opts.experimentIds,
        filter: opts.filter,
        run_view_type: opts.viewType ?? 'ACTIVE_ONLY',
        max_results: opts.maxResults,
        order_by: opts.orderBy,
        page_token: opts.pageToken,
      },
      true,
    );
    return page((res.runs ?? []).map(runFromWire), res.next_page_token);
  }

  iterateRuns(opts: Omit<SearchRunsOptions, 'pageToken'>): AsyncGenerator<Run> {
    return paginate((pageToken) => this.searchRuns({ ...opts, pageToken }));
  }

  searchAllRuns(opts: Omit<SearchRunsOptions, 'pageToken'>): Promise<Run[]> {
    return collect(this.iterateRuns(opts));
  }

  // --- logging -------------------------------------------------------------------------

  /** Append one metric point (`step` 0 and `timestamp` now unless given). */
  async logMetric(runId: string, key: string, value: number, opts: Omit<MetricInput, 'key' | 'value'> = {}): Promise<void> {
    const m = metricToWire({ key, value, ...opts }, { timestamp: Date.now() });
    await this.post('/runs/log-metric', { run_id: runId, run_uuid: runId, ...m }, false);
  }

  /** Log a param; logging another value for a logged key fails with INVALID_PARAMETER_VALUE. */
  async logParam(runId: string, key: string, value: string | number | boolean): Promise<void> {
    await this.post('/runs/log-parameter', { run_id: runId, run_uuid: runId, key, value: String(value) }, true);
  }

  /** Set (or overwrite) a run tag. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.post('/runs/set-tag', { run_id: runId, run_uuid: runId, key, value }, true);
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.post('/runs/delete-tag', { run_id: runId, key }, true);
  }

  /**
   * Log metrics, params and tags. A batch within the server's limits (1000 metrics, 100 params,
   * 100 tags, 1000 in all) is one atomic request; a larger one is split into several, as
   * MLflow's client does, and is then no longer atomic.
   */
  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    const now = Date.now();
    const metrics = (batch.metrics ?? []).map((m) => metricToWire(m, { timestamp: now }));
    const params = tagsToWire(batch.params) ?? [];
    const tags = tagsToWire(batch.tags) ?? [];
    let pi = 0;
    let ti = 0;
    let mi = 0;
    do {
      const p = params.slice(pi, pi + BATCH.params);
      const t = tags.slice(ti, ti + BATCH.tags);
      const m = metrics.slice(mi, mi + Math.min(BATCH.metrics, BATCH.total - p.length - t.length));
      pi += p.length;
      ti += t.length;
      mi += m.length;
      const body: { run_id: string; params?: WireTag[]; tags?: WireTag[]; metrics?: WireMetric[] } = { run_id: runId };
      if (p.length > 0) body.params = p;
      if (m.length > 0) body.metrics = m;
      if (t.length > 0) body.tags = t;
      await this.post('/runs/log-batch', body, false);
    } while (pi < params.length || ti < tags.length || mi < metrics.length);
  }

  /** Record the datasets a run used. */
  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    await this.post('/runs/log-inputs', { run_id: runId, datasets: datasets.map(datasetInputToWire) }, true);
  }

  /** MLflow 3: record the LoggedModels a run produced. */
  /**
   * Record a model logged to the run (`runs/log-model`, what MLflow's `log_model` calls): the
   * server appends the MLmodel (its JSON form) to the run tag `mlflow.log-model.history`. The
   * model files travel separately through the artifact calls.
   */
  async recordLoggedModel(runId: string, mlmodel: Record<string, unknown>): Promise<void> {
    await this.post('/runs/log-model', { run_id: runId, model_json: JSON.stringify(mlmodel) }, false);
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    await this.post('/runs/outputs', { run_id: runId, models: models.map((m) => ({ model_id: m.modelId, step: m.step })) }, true);
  }

  /** The full history of one metric, ordered by step (every page fetched). */
  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    return collect(
      paginate(async (pageToken) => {
        const res = await this.get<{ metrics?: WireMetric[]; next_page_token?: string }>('/metrics/get-history', {
          run_id: runId,
          run_uuid: runId,
          metric_key: key,
          max_results: 25_000,
          page_token: pageToken,
        });
        return page((res.metrics ?? []).map(metricFromWire), res.next_page_token);
      }),
    );
  }

  /** History of one metric for several runs, optionally within a step range (the UI's chart call). */
  async getMetricHistoryBulkInterval(
    runIds: string[],
    key: string,
    opts: { startStep?: number; endStep?: number; maxResults?: number } = {},
  ): Promise<Array<Metric & { runId: string }>> {
    const res = await this.get<{ metrics?: Array<WireMetric & { run_id: string }> }>('/metrics/get-history-bulk-interval', {
      run_ids: runIds,
      metric_key: key,
      start_step: opts.startStep,
      end_step: opts.endStep,
      max_results: opts.maxResults,
    });
    return (res.metrics ?? []).map((m) => ({ ...metricFromWire(m), runId: m.run_id }));
  }

  // --- registered models ---------------------------------------------------------------

  /** RESOURCE_ALREADY_EXISTS when the name is taken. */
  async createRegisteredModel(name: string, opts: CreateRegisteredModelOptions = {}): Promise<RegisteredModel> {
    const res = await this.post<{ registered_model: WireRegisteredModel }>(
      '/registered-models/create',
      { name, description: opts.description, tags: tagsToWire(opts.tags) },
      false,
    );
    return registeredModelFromWire(res.registered_model);
  }

  /** The model with that name, created when missing (what `log_model(registered_model_name=…)` does). */
  async getOrCreateRegisteredModel(name: string, opts: CreateRegisteredModelOptions = {}): Promise<{ model: RegisteredModel; created: boolean }> {
    try {
      return { model: await this.createRegisteredModel(name, opts), created: true };
    } catch (e) {
      if (!(isApiError(e) && e.code === 'RESOURCE_ALREADY_EXISTS')) throw e;
      return { model: await this.getRegisteredModel(name), created: false };
    }
  }

  /** RESOURCE_DOES_NOT_EXIST when there is no such model. */
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const res = await this.get<{ registered_model: WireRegisteredModel }>('/registered-models/get', { name });
    return registeredModelFromWire(res.registered_model);
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const res = await this.post<{ registered_model: WireRegisteredModel }>('/registered-models/rename', { name, new_name: newName }, true);
    return registeredModelFromWire(res.registered_model);
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    const res = await this.send<{ registered_model: WireRegisteredModel }>('PATCH', '/registered-models/update', { name, description });
    return registeredModelFromWire(res.registered_model);
  }

  /** Delete the model with all its versions. */
  async deleteRegisteredModel(name: string): Promise<void> {
    await this.send('DELETE', '/registered-models/delete', { name });
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.post('/registered-models/set-tag', { name, key, value }, true);
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.send('DELETE', '/registered-models/delete-tag', { name, key });
  }

  /** One page of registered models (default order: name). */
  async searchRegisteredModels(opts: SearchOptions = {}): Promise<Page<RegisteredModel>> {
    const res = await this.get<{ registered_models?: WireRegisteredModel[]; next_page_token?: string }>('/registered-models/search', {
      filter: opts.filter,
      max_results: opts.maxResults,
      order_by: opts.orderBy,
      page_token: opts.pageToken,
    });
    return page((res.registered_models ?? []).map(registeredModelFromWire), res.next_page_token);
  }

  iterateRegisteredModels(opts: Omit<SearchOptions, 'pageToken'> = {}): AsyncGenerator<RegisteredModel> {
    return paginate((pageToken) => this.searchRegisteredModels({ ...opts, pageToken }));
  }

  searchAllRegisteredModels(opts: Omit<SearchOptions, 'pageToken'> = {}): Promise<RegisteredModel[]> {
    return collect(this.iterateRegisteredModels(opts));
  }

  /** For each stage asked for (every stage when none), the highest version in it. */
  async getLatestVersions(name: string, stages: Array<Stage | string> = []): Promise<ModelVersion[]> {
    const res = await this.post<{ model_versions?: WireModelVersion[] }>('/registered-models/get-latest-versions', { name, stages }, true);
    return (res.model_versions ?? []).map(modelVersionFromWire);
  }

  // --- model versions ------------------------------------------------------------------

  /** Register a new version (numbered by the server). The registered model must exist. */
  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    const res = await this.post<{ model_version: WireModelVersion }>(
      '/model-versions/create',
      {
        name: input.name,
        source: input.source,
        run_id: input.runId,
        tags: tagsToWire(input.tags),
        run_link: input.runLink,
        description: input.description,
        model_id: input.modelId,
      },
      false,
    );
    return modelVersionFromWire(res.model_version);
  }

  async getModelVersion(name: string, version: number | string): Promise<ModelVersion> {
    const res = await this.get<{ model_version: WireModelVersion }>('/model-versions/get', { name, version: String(version) });
    return modelVersionFromWire(res.model_version);
  }

  async updateModelVersion(name: string, version: number | string, description: string): Promise<ModelVersion> {
    const res = await this.send<{ model_version: WireModelVersion }>('PATCH', '/model-versions/update', { name, version: String(version), description });
    return modelVersionFromWire(res.model_version);
  }

  async deleteModelVersion(name: string, version: number | string): Promise<void> {
    await this.send('DELETE', '/model-versions/delete', { name, version: String(version) });
  }

  /**
   * Move a version to a stage (case-insensitive). With `archiveExisting`, other versions in
   * Staging or Production move to Archived in the same step.
   */
  async transitionModelVersionStage(name: string, version: number | string, stage: Stage | string, archiveExisting = false): Promise<ModelVersion> {
    const res = await this.post<{ model_version: WireModelVersion }>(
      '/model-versions/transition-stage',
      { name, version: String(version), stage: canonicalStage(stage) ?? stage, archive_existing_versions: archiveExisting },
      true,
    );
    return modelVersionFromWire(res.model_version);
  }

  async setModelVersionTag(name: string, version: number | string, key: string, value: string): Promise<void> {
    await this.post('/model-versions/set-tag', { name, version: String(version), key, value }, true);
  }

  async deleteModelVersionTag(name: string, version: number | string, key: string): Promise<void> {
    await this.send('DELETE', '/model-versions/delete-tag', { name, version: String(version), key });
  }

  /** One page of versions (default order: most recently updated first). */
  async searchModelVersions(opts: SearchOptions = {}): Promise<Page<ModelVersion>> {
    const res = await this.get<{ model_versions?: WireModelVersion[]; next_page_token?: string }>('/model-versions/search', {
      filter: opts.filter,
      max_results: opts.maxResults,
      order_by: opts.orderBy,
      page_token: opts.pageToken,
    });
    return page((res.model_versions ?? []).map(modelVersionFromWire), res.next_page_token);
  }

  iterateModelVersions(opts: Omit<SearchOptions, 'pageToken'> = {}): AsyncGenerator<ModelVersion> {
    return paginate((pageToken) => this.searchModelVersions({ ...opts, pageToken }));
  }

  searchAllModelVersions(opts: Omit<SearchOptions, 'pageToken'> = {}): Promise<ModelVersion[]> {
    return collect(this.iterateModelVersions(opts));
  }

  /** Where the version's files are (its source, or the LoggedModel's location). */
  async getModelVersionDownloadUri(name: string, version: number | string): Promise<string> {
    const res = await this.get<{ artifact_uri: string }>('/model-versions/get-download-uri', { name, version: String(version) });
    return res.artifact_uri;
  }

  // --- aliases -------------------------------------------------------------------------

  /** Point an alias at a version (moving it if it pointed elsewhere). */
  async setRegisteredModelAlias(name: string, alias: string, version: number | string): Promise<void> {
    await this.post('/registered-models/alias', { name, alias, version: String(version) }, true);
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.send('DELETE', '/registered-models/alias', { name, alias });
  }

  /** INVALID_PARAMETER_VALUE (MLflow's choice, not 404) when the alias does not exist. */
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const res = await this.get<{ model_version: WireModelVersion }>('/registered-models/alias', { name, alias });
    return modelVersionFromWire(res.model_version);
  }

  // --- logged models (MLflow 3) --------------------------------------------------------

  /** Create a LoggedModel in `LOGGED_MODEL_PENDING`; upload its files, then finalize it. */
  async createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel> {
    const res = await this.post<{ model: WireLoggedModel }>(
      '/logged-models',
      {
        experiment_id: input.experimentId,
        name: input.name,
        source_run_id: input.sourceRunId,
        model_type: input.modelType,
        params: tagsToWire(input.params),
        tags: tagsToWire(input.tags),
      },
      false,
    );
    return loggedModelFromWire(res.model);
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const res = await this.get<{ model: WireLoggedModel }>(`/logged-models/${encodeURIComponent(modelId)}`, {});
    return loggedModelFromWire(res.model);
  }

  /** Mark the upload done (`LOGGED_MODEL_READY`) or failed. */
  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus = 'LOGGED_MODEL_READY'): Promise<LoggedModel> {
    const res = await this.send<{ model: WireLoggedModel }>('PATCH', `/logged-models/${encodeURIComponent(modelId)}`, { model_id: modelId, status });
    return loggedModelFromWire(res.model);
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.send('DELETE', `/logged-models/${encodeURIComponent(modelId)}`, {});
  }

  async setLoggedModelTags(modelId: string, tags: TagsInput): Promise<void> {
    await this.send('PATCH', `/logged-models/${encodeURIComponent(modelId)}/tags`, { tags: tagsToWire(tags) });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.send('DELETE', `/logged-models/${encodeURIComponent(modelId)}/tags/${encodeURIComponent(key)}`, {});
  }

  async logLoggedModelParams(modelId: string, params: TagsInput): Promise<void> {
    await this.post(`/logged-models/${encodeURIComponent(modelId)}/params`, { model_id: modelId, params: tagsToWire(params) }, true);
  }

  async searchLoggedModels(opts: SearchLoggedModelsOptions): Promise<Page<LoggedModel>> {
    const res = await this.post<{ models?: WireLoggedModel[]; next_page_token?: string }>(
      '/logged-models/search',
      {
        experiment_ids: opts.experimentIds,
        filter: opts.filter,
        max_results: opts.maxResults,
        order_by: opts.orderBy?.map((o) => ({ field_name: o.fieldName, ascending: o.ascending ?? true })),
        page_token: opts.pageToken,
      },
      true,
    );
    return page((res.models ?? []).map(loggedModelFromWire), res.next_page_token);
  }

  iterateLoggedModels(opts: Omit<SearchLoggedModelsOptions, 'pageToken'>): AsyncGenerator<LoggedModel> {
    return paginate((pageToken) => this.searchLoggedModels({ ...opts, pageToken }));
  }

  searchAllLoggedModels(opts: Omit<SearchLoggedModelsOptions, 'pageToken'>): Promise<LoggedModel[]> {
    return collect(this.iterateLoggedModels(opts));
  }

  // --- artifacts -----------------------------------------------------------------------

  /** The artifact URI of a run or LoggedModel (an artifact URI is returned as given). */
  async artifactRootUri(root: ArtifactRoot): Promise<string> {
    if (typeof root === 'string') return root;
    if ('runId' in root) return (await this.getRun(root.runId)).info.artifactUri;
    return (await this.getLoggedModel(root.modelId)).artifactUri;
  }

  /** Upload bytes (or text) to `path` under the artifact root. */
  async putArtifact(root: ArtifactRoot, path: string, data: Buffer | Uint8Array | string): Promise<void> {
    const base = proxyPath(await this.artifactRootUri(root));
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await this.http.send('PUT', `${ARTIFACTS}/${encodePath(joinArtifactPath(base, checkRelative(path, 'path')))}`, {
      body: () => bytes as BodyInit,
      contentType: contentTypeFor(path),
      idempotent: true,
    });
  }

  /**
   * Upload a local file to `<artifactDir>/<file name>` under the artifact root (the file is
   * streamed, not read into memory).
   */
  async logArtifact(root: ArtifactRoot, localPath: string, artifactDir = ''): Promise<string> {
    const base = proxyPath(await this.artifactRootUri(root));
    const rel = posix.join(checkRelative(artifactDir, 'artifactDir'), basename(localPath));
    await this.uploadFile(base, rel, localPath);
    return rel;
  }

  /** Upload a local directory tree under `<artifactDir>`. Returns the uploaded paths. */
  async logArtifacts(root: ArtifactRoot, localDir: string, artifactDir = ''): Promise<string[]> {
    const base = proxyPath(await this.artifactRootUri(root));
    const uploaded: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) await walk(join(dir, e.name), childRel);
        else if (e.isFile()) {
          await this.uploadFile(base, childRel, join(dir, e.name));
          uploaded.push(childRel);
        }
      }
    };
    await walk(localDir, checkRelative(artifactDir, 'artifactDir'));
    return uploaded;
  }

  private async uploadFile(base: string, rel: string, localPath: string): Promise<void> {
    const info = await stat(localPath);
    if (!info.isFile()) throw new HangarError('INVALID_PARAMETER_VALUE', `${localPath} is not a file.`, { field: 'localPath' });
    await this.http.send('PUT', `${ARTIFACTS}/${encodePath(joinArtifactPath(base, rel))}`, {
      body: () => Readable.toWeb(createReadStream(localPath)) as unknown as BodyInit,
      contentType: contentTypeFor(rel),
      idempotent: true,
    });
  }

  /**
   * Direct children of `path` (the root when empty), with paths relative to the artifact root.
   * A file, an empty directory or a missing path lists as `[]`, as on MLflow's proxy.
   */
  async listArtifacts(root: ArtifactRoot, path = ''): Promise<FileInfo[]> {
    const base = proxyPath(await this.artifactRootUri(root));
    return this.listUnder(base, checkRelative(path, 'path'));
  }

  private async listUnder(base: string, rel: string): Promise<FileInfo[]> {
    const res = await this.http.json<{ files?: WireFileInfo[] }>('GET', ARTIFACTS, { query: { path: joinArtifactPath(base, rel) }, idempotent: true });
    return (res.files ?? []).map((f) => {
      const info = fileInfoFromWire(f);
      // The proxy lists bare names; join them to the listed directory as MlflowClient does.
      return { ...info, path: rel === '' ? info.path : `${rel}/${info.path}` };
    });
  }

  /** The bytes of one artifact file. RESOURCE_DOES_NOT_EXIST when it is missing. */
  async readArtifact(root: ArtifactRoot, path: string): Promise<Buffer> {
    const base = proxyPath(await this.artifactRootUri(root));
    const res = await this.http.send('GET', `${ARTIFACTS}/${encodePath(joinArtifactPath(base, checkRelative(path, 'path')))}`, READ);
    return Buffer.from(await res.arrayBuffer());
  }

  /**
   * Download a file or a directory tree to `<destDir>/<path>` (or `destDir` itself for the
   * root), streaming each file to disk. Returns the local path. Lists `path` first, as MLflow's
   * client does: an empty listing means a file.
   */
  async downloadArtifacts(root: ArtifactRoot, path: string, destDir: string): Promise<string> {
    const base = proxyPath(await this.artifactRootUri(root));
    return this.downloadUnder(base, checkRelative(path, 'path'), destDir, false);
  }

  private async downloadUnder(base: string, rel: string, destDir: string, knownDir: boolean): Promise<string> {
    const target = rel === '' ? destDir : join(destDir, ...rel.split('/'));
    const entries = await this.listUnder(base, rel);
    if (entries.length === 0 && rel !== '' && !knownDir) {
      await this.downloadFile(base, rel, target);
      return target;
    }
    await mkdir(target, { recursive: true });
    for (const e of entries) {
      if (e.isDir) await this.downloadUnder(base, e.path, destDir, true);
      else await this.downloadFile(base, e.path, join(destDir, ...e.path.split('/')));
    }
    return target;
  }

  private async downloadFile(base: string, rel: string, target: string): Promise<void> {
    const res = await this.http.send('GET', `${ARTIFACTS}/${encodePath(joinArtifactPath(base, rel))}`, READ);
    await mkdir(dirname(target), { recursive: true });
    if (res.body === null) {
      await pipeline(Readable.from([]), createWriteStream(target));
      return;
    }
    await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), createWriteStream(target));
  }

  // --- model URIs ----------------------------------------------------------------------

  /**
   * Resolve a model URI to the version it names (when there is one) and the artifact URI of
   * its files, through the same REST calls MLflow's client makes:
   * - `models:/NAME/3`: `model-versions/get`, then `get-download-uri`
   * - `models:/NAME/Staging`: `get-latest-versions` for that stage, then `get-download-uri`
   * - `models:/NAME/latest`: `get-latest-versions` for every stage, highest version wins
   * - `models:/NAME@alias`: `registered-models/alias`, then `get-download-uri`
   * - `models:/m-<id>`: `logged-models/<id>`
   * - `runs:/RUN/PATH`: `runs/get`; when nothing is listed under PATH, a LoggedModel named PATH
   *   from that run (MLflow 3's fallback) is used instead
   * RESOURCE_DOES_NOT_EXIST when nothing matches.
   */
  async resolveModelUri(uri: string): Promise<ResolvedModel> {
    const parsed = parseModelUri(uri);
    switch (parsed.kind) {
      case 'version': {
        const mv = await this.getModelVersion(parsed.name, parsed.version);
        return { uri, parsed, modelVersion: mv, artifactUri: await this.getModelVersionDownloadUri(mv.name, mv.version) };
      }
      case 'stage':
      case 'latest': {
        const versions = await this.getLatestVersions(parsed.name, parsed.kind === 'stage' ? [parsed.stage] : []);
        const mv = versions.reduce<ModelVersion | undefined>((best, v) => (best === undefined || v.version > best.version ? v : best), undefined);
        if (mv === undefined) {
          const where = parsed.kind === 'stage' ? ` in stage '${parsed.stage}'` : '';
          throw new HangarError('RESOURCE_DOES_NOT_EXIST', `No versions of model with name '${parsed.name}'${where} found.`);
        }
        return { uri, parsed, modelVersion: mv, artifactUri: await this.getModelVersionDownloadUri(mv.name, mv.version) };
      }
      case 'alias': {
        const mv = await this.getModelVersionByAlias(parsed.name, parsed.alias);
        return { uri, parsed, modelVersion: mv, artifactUri: await this.getModelVersionDownloadUri(mv.name, mv.version) };
      }
      case 'logged-model': {
        const lm = await this.getLoggedModel(parsed.modelId);
        return { uri, parsed, loggedModel: lm, artifactUri: lm.artifactUri };
      }
      case 'run': {
        const run = await this.getRun(parsed.runId);
        const runUri = parsed.path === '' ? run.info.artifactUri : `${run.info.artifactUri.replace(/\/+$/, '')}/${parsed.path}`;
        const found = { uri, parsed, runId: run.info.runId, artifactUri: runUri };
        if (parsed.path === '' || parsed.path.includes('/')) return found;
        if ((await this.listArtifactsQuiet(runUri)).length > 0) return found;
        // MLflow 3 keeps model files with the LoggedModel, not under the run.
        const lm = await this.findRunLoggedModel(run, parsed.path);
        return lm === undefined ? found : { ...found, loggedModel: lm, artifactUri: lm.artifactUri };
      }
    }
  }

  private async listArtifactsQuiet(uri: string): Promise<FileInfo[]> {
    try {
      return await this.listArtifacts(uri);
    } catch (e) {
      // Artifacts the proxy cannot reach (another scheme) are simply "not listed here".
      if (e instanceof HangarError && e.code === 'NOT_IMPLEMENTED') return [];
      throw e;
    }
  }

  private async findRunLoggedModel(run: Run, name: string): Promise<LoggedModel | undefined> {
    let best: LoggedModel | undefined;
    const stepOf = (id: string): number => run.outputs.modelOutputs.find((o) => o.modelId === id)?.step ?? -1;
    try {
      for await (const lm of this.iterateLoggedModels({ experimentIds: [run.info.experimentId], filter: `name = '${name.replaceAll("'", "\\'")}'` })) {
        if (lm.sourceRunId !== run.info.runId) continue;
        if (best === undefined || stepOf(lm.modelId) > stepOf(best.modelId)) best = lm;
      }
    } catch (e) {
      // A server without LoggedModels (MLflow 2) has no fallback to offer.
      if (isApiError(e) && e.code === 'ENDPOINT_NOT_FOUND') return undefined;
      throw e;
    }
    return best;
  }
}

// -----------------------------------------------------------------------------------------

function page<T>(items: T[], nextPageToken: string | undefined): Page<T> {
  return nextPageToken === undefined || nextPageToken === '' ? { items } : { items, nextPageToken };
}

/** Walk every page of a search, one item at a time. */
export async function* paginate<T>(fetchPage: (pageToken: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  let token: string | undefined;
  const seen = new Set<string>();
  do {
    const p = await fetchPage(token);
    yield* p.items;
    token = p.nextPageToken;
    // A server that hands back a token it already gave would page forever.
    if (token !== undefined) {
      if (seen.has(token)) throw new HangarError('INTERNAL_ERROR', 'The server repeated a page token; stopping to avoid an endless loop.');
      seen.add(token);
    }
  } while (token !== undefined);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function ensureActive(e: Experiment): Experiment {
  if (e.lifecycleStage === 'deleted') {
    throw new HangarError(
      'INVALID_STATE',
      `Experiment '${e.name}' (id ${e.experimentId}) is deleted; restore it or choose another name.`,
    );
  }
  return e;
}

/**
 * The proxy path of an artifact URI: `mlflow-artifacts:/1/abc/artifacts` → `1/abc/artifacts`.
 * Other schemes are not reachable through the server, so the SDK refuses them.
 */
export function proxyPath(uri: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri);
  if (m === null) {
    throw new HangarError(
      'NOT_IMPLEMENTED',
      `Artifact URI '${uri}' is not served by the tracking server's artifact proxy; the SDK reaches artifacts only through mlflow-artifacts: URIs.`,
    );
  }
  return m[1]!.replace(/\/+$/, '');
}

function joinArtifactPath(base: string, rel: string): string {
  if (rel === '') return base;
  return base === '' ? rel : `${base}/${rel}`;
}

function checkRelative(path: string, field: string): string {
  const p = path.replaceAll('\\', '/').replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (p.startsWith('/') || p.split('/').some((s) => s === '..')) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Artifact path '${path}' must be relative and may not contain '..'.`, { field });
  }
  return p === '.' ? '' : p;
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

const TEXT = new Set(['.txt', '.json', '.yaml', '.yml', '.md', '.csv', '.log', '.py', '.toml']);

/** Content type as MLflow's client guesses it; the server accepts any. */
function contentTypeFor(path: string): string {
  const name = posix.basename(path);
  const dot = name.lastIndexOf('.');
  if (name === 'MLmodel' || (dot >= 0 && TEXT.has(name.slice(dot).toLowerCase()))) return 'text/plain';
  return 'application/octet-stream';
}
