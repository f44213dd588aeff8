/**
 * The one implementation of the Store port, shared by SQLite and PostgreSQL. Engine
 * differences come from the `Engine` capability object; everything else (queries, rules,
 * messages) is written once here.
 *
 * Every public method runs in one transaction (`read` or `write`), so it commits all of its
 * writes or none and reads a consistent snapshot. Driver errors leave as HangarErrors.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { HangarError} from '../core/errors.js';
import { isHangarError, notFound, alreadyExists, invalidParam } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Engine } from './dialects/engine.js';
import { inTransaction, translateStoreError } from './transaction.js';
import { LATEST_SCHEMA_VERSION, currentSchemaVersion, migrateToLatest } from './migrations/index.js';
import {
  chunk,
  compareText,
  encodeMetricValue,
  groupBy,
  isLaterPoint,
  toAuditEntry,
  toExperiment,
  toLoggedModel,
  toMetric,
  toModelVersion,
  toRunInfo,
  toTags,
} from './mapping.js';
import { decodeKeysetToken, decodeOffsetToken, encodeKeysetToken, encodeOffsetToken } from './page-token.js';
import type { Store } from './port.js';
import type { Database, ExperimentRow, LoggedModelRow, ModelVersionRow, RegisteredModelRow, RunRow } from './schema.js';
import { orderClauses, whereClauses, type SearchSpec } from './search-sql.js';
import {
  STAGES,
  type AuditEntry,
  type AuditQuery,
  type AuditInput,
  type DatasetInput,
  type Experiment,
  type LoggedModel,
  type LoggedModelMetric,
  type LoggedModelStatus,
  type Metric,
  type ModelOutput,
  type ModelVersion,
  type OrderBy,
  type Page,
  type RegisteredModel,
  type Run,
  type RunInfo,
  type RunStatus,
  type SearchQuery,
  type Stage,
  type Tag,
  type ViewType,
} from './types.js';

type Db = Kysely<Database>;

export interface KyselyStoreOptions {
  /** Root under which experiments get `<root>/<experimentId>` when created without a location. */
  defaultArtifactRoot: string;
  /** Time source for every timestamp the store sets. Default: the system clock. */
  clock?: Clock;
}

const RUN_NAME_TAG = 'mlflow.runName';
const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';
const METRIC_COLUMNS = ['run_pk', 'key', 'step', 'timestamp', 'value', 'is_nan'] as const;
/** Replace the latest point only with a later one: greater step, then timestamp, then value, NaN lowest (as isLaterPoint). */
const LATEST_METRIC_UPSERT = `on conflict (run_pk, key) do update set
  step = excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
  where excluded.step > latest_metrics.step
    or (excluded.step = latest_metrics.step and excluded.timestamp > latest_metrics.timestamp)
    or (excluded.step = latest_metrics.step and excluded.timestamp = latest_metrics.timestamp
        and excluded.is_nan <= latest_metrics.is_nan
        and (excluded.is_nan < latest_metrics.is_nan or excluded.value > latest_metrics.value))`;
/** Ids per `IN (…)` list when loading a page's children; well under both engines' parameter caps. */
const IN_LIST_SIZE = 5_000;

const RUN_SEARCH: SearchSpec = {
  entity: 'runs',
  attributes: {
    run_id: { column: 'r.run_id', kind: 'string' },
    run_name: { column: 'r.name', kind: 'string' },
    status: { column: 'r.status', kind: 'string' },
    user_id: { column: 'r.user_id', kind: 'string' },
    artifact_uri: { column: 'r.artifact_uri', kind: 'string' },
    start_time: { column: 'r.start_time', kind: 'number' },
    end_time: { column: 'r.end_time', kind: 'number' },
  },
  param: { table: 'params', link: (t) => `${t}.run_id = r.run_id` },
  tag: { table: 'run_tags', link: (t) => `${t}.run_id = r.run_id` },
  metric: { table: 'latest_metrics', link: (t) => `${t}.run_pk = r.run_pk`, latest: true },
  datasetRunColumn: 'r.run_id',
};

const EXPERIMENT_SEARCH: SearchSpec = {
  entity: 'experiments',
  attributes: {
    name: { column: 'e.name', kind: 'string' },
    experiment_id: { column: 'e.experiment_id', kind: 'number' },
    creation_time: { column: 'e.creation_time', kind: 'number' },
    last_update_time: { column: 'e.last_update_time', kind: 'number' },
  },
  tag: { table: 'experiment_tags', link: (t) => `${t}.experiment_id = e.experiment_id` },
};

const REGISTERED_MODEL_SEARCH: SearchSpec = {
  entity: 'registered models',
  attributes: {
    name: { column: 'm.name', kind: 'string' },
    creation_timestamp: { column: 'm.creation_timestamp', kind: 'number' },
    last_updated_timestamp: { column: 'm.last_updated_timestamp', kind: 'number' },
  },
  tag: { table: 'registered_model_tags', link: (t) => `${t}.name = m.name` },
};

const MODEL_VERSION_SEARCH: SearchSpec = {
  entity: 'model versions',
  attributes: {
    name: { column: 'v.name', kind: 'string' },
    run_id: { column: 'v.run_id', kind: 'string' },
    source_path: { column: 'v.source', kind: 'string' },
    version_number: { column: 'v.version', kind: 'number' },
    current_stage: { column: 'v.current_stage', kind: 'string' },
    creation_timestamp: { column: 'v.creation_timestamp', kind: 'number' },
    last_updated_timestamp: { column: 'v.last_updated_timestamp', kind: 'number' },
  },
  tag: { table: 'model_version_tags', link: (t) => `${t}.name = v.name and ${t}.version = v.version` },
};

const LOGGED_MODEL_SEARCH: SearchSpec = {
  entity: 'logged models',
  attributes: {
    name: { column: 'lm.name', kind: 'string' },
    model_id: { column: 'lm.model_id', kind: 'string' },
    status: { column: 'lm.status', kind: 'string' },
    source_run_id: { column: 'lm.source_run_id', kind: 'string' },
    model_type: { column: 'lm.model_type', kind: 'string' },
    creation_timestamp: { column: 'lm.creation_timestamp_ms', kind: 'number' },
    last_updated_timestamp: { column: 'lm.last_updated_timestamp_ms', kind: 'number' },
  },
  param: { table: 'logged_model_params', link: (t) => `${t}.model_id = lm.model_id` },
  tag: { table: 'logged_model_tags', link: (t) => `${t}.model_id = lm.model_id` },
  metric: { table: 'logged_model_metrics', link: (t) => `${t}.model_id = lm.model_id`, latest: false },
};

const attr = (key: string, ascending: boolean): OrderBy => ({ entity: 'attribute', key, ascending });

/** Parse a numeric experiment id; null when it cannot name a stored experiment. */
function experimentIdNumber(id: string): number | null {
  return /^\d{1,15}$/.test(id) ? Number(id) : null;
}

function lifecycleFilter(column: string, viewType: ViewType): RawBuilder<boolean> {
  if (viewType === 'ALL') return sql<boolean>`(1 = 1)`;
  return sql<boolean>`(${sql.raw(column)} = ${viewType === 'DELETED_ONLY' ? 'deleted' : 'active'})`;
}

function andAll(conditions: ReadonlyArray<RawBuilder<boolean>>): RawBuilder<boolean> {
  return conditions.length === 0 ? sql<boolean>`(1 = 1)` : sql<boolean>`${sql.join(conditions, sql` and `)}`;
}

/** Last value per key wins, in first-seen key order. */
function lastPerKey(tags: readonly Tag[]): Tag[] {
  const byKey = new Map<string, string>();
  for (const t of tags) byKey.set(t.key, t.value);
  return [...byKey].map(([key, value]) => ({ key, value }));
}

function versionNotFound(name: string, version: number | string): HangarError {
  return notFound(`Model Version (name=${name}, version=${version}) not found`);
}

function loggedModelNotFound(modelId: string): HangarError {
  return notFound(`Logged model with ID '${modelId}' not found.`);
}

function runNotActive(runId: string, stage: string): HangarError {
  return invalidParam(`The run ${runId} must be in the 'active' state. Current state is ${stage}.`);
}

function experimentNotActive(experimentId: string | number, stage: string): HangarError {
  return invalidParam(`The experiment ${experimentId} must be in the 'active' state. Current state is ${stage}.`);
}

export class KyselyStore implements Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly #e: Engine;
  readonly #root: string;
  readonly #clock: Clock;
  /** Rows per multi-row INSERT for a table of `columns` columns. */
  readonly #rowsFor: (columns: number) => number;

  constructor(engine: Engine, options: KyselyStoreOptions) {
    this.engine = engine.name;
    this.#e = engine;
    this.#root = options.defaultArtifactRoot.replace(/\/+$/, '');
    this.#clock = options.clock ?? systemClock;
    this.#rowsFor = (columns) => Math.max(1, Math.min(1000, Math.floor(engine.maxParameters / columns)));
  }

  /** The engine under a store this module opened, for `copyStore`; undefined for any other Store. */
  static engineOf(store: unknown): Engine | undefined {
    return store instanceof KyselyStore ? store.#e : undefined;
  }

  // --- transactions ----------------------------------------------------------------------

  #tx<T>(mode: 'read' | 'write', fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return inTransaction(this.#e, mode, fn);
  }

  #translate(e: unknown): HangarError {
    return translateStoreError(this.#e, e);
  }

  #read<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#tx('read', fn);
  }

  #write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#tx('write', fn);
  }

  // --- lifecycle -------------------------------------------------------------------------

  async migrate(): Promise<number> {
    let version: number;
    try {
      version = await migrateToLatest(this.#e);
    } catch (e) {
      throw isHangarError(e) ? e : this.#translate(e);
    }
    await this.#write(async (trx) => {
      const now = this.#clock.now();
      // MLflow creates experiment 0 with the database; a name clash (someone renamed another
      // experiment to Default) leaves things as they are.
      await trx
        .insertInto('experiments')
        .values({
          experiment_id: 0,
          name: 'Default',
          artifact_location: `${this.#root}/0`,
          lifecycle_stage: 'active',
          creation_time: now,
          last_update_time: now,
          deleted_time: null,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
    });
    return version;
  }

  async schemaStatus(): Promise<{ current: number; latest: number }> {
    try {
      return { current: await currentSchemaVersion(this.#e), latest: LATEST_SCHEMA_VERSION };
    } catch (e) {
      throw this.#translate(e);
    }
  }

  async close(): Promise<void> {
    await this.#e.destroy();
  }

  // --- experiments -----------------------------------------------------------------------

  async #experimentRow(trx: Db, experimentId: string): Promise<ExperimentRow> {
    const id = experimentIdNumber(experimentId);
    const row =
      id === null ? undefined : await trx.selectFrom('experiments').selectAll().where('experiment_id', '=', id).executeTakeFirst();
    if (row === undefined) throw notFound(`No Experiment with id=${experimentId} exists`);
    return row;
  }

  async #activeExperimentRow(trx: Db, experimentId: string): Promise<ExperimentRow> {
    const row = await this.#experimentRow(trx, experimentId);
    if (row.lifecycle_stage !== 'active') throw experimentNotActive(experimentId, row.lifecycle_stage);
    return row;
  }

  async #loadExperiments(trx: Db, rows: readonly ExperimentRow[]): Promise<Experiment[]> {
    const ids = rows.map((r) => r.experiment_id);
    const tags = [];
    for (const part of chunk(ids, IN_LIST_SIZE)) {
      tags.push(...(await trx.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', part).execute()));
    }
    const byId = groupBy(tags, (t) => String(t.experiment_id));
    return rows.map((r) => toExperiment(r, toTags(byId.get(String(r.experiment_id)) ?? [])));
  }

  createExperiment(input: { name: string; artifactLocation?: string | undefined; tags?: Tag[] }): Promise<string> {
    return this.#write(async (trx) => {
      const taken = await trx.selectFrom('experiments').select('experiment_id').where('name', '=', input.name).executeTakeFirst();
      if (taken !== undefined) throw alreadyExists(`Experiment(name=${input.name}) already exists.`);
      const now = this.#clock.now();
      const inserted = await trx
        .insertInto('experiments')
        .values({
          name: input.name,
          artifact_location: input.artifactLocation ?? '',
          lifecycle_stage: 'active',
          creation_time: now,
          last_update_time: now,
          deleted_time: null,
        })
        .returning('experiment_id')
        .executeTakeFirstOrThrow();
      const id = inserted.experiment_id;
      if (input.artifactLocation === undefined || input.artifactLocation === '') {
        await trx.updateTable('experiments').set({ artifact_location: `${this.#root}/${id}` }).where('experiment_id', '=', id).execute();
      }
      const tags = lastPerKey(input.tags ?? []);
      if (tags.length > 0) {
        await trx
          .insertInto('experiment_tags')
          .values(tags.map((t) => ({ experiment_id: id, key: t.key, value: t.value })))
          .execute();
      }
      return String(id);
    });
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return this.#read(async (trx) => (await this.#loadExperiments(trx, [await this.#experimentRow(trx, experimentId)]))[0]!);
  }

  getExperimentByName(name: string): Promise<Experiment | null> {
    return this.#read(async (trx) => {
      const row = await trx.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
      return row === undefined ? null : (await this.#loadExperiments(trx, [row]))[0]!;
    });
  }

  async searchExperiments(query: SearchQuery & { viewType: ViewType }): Promise<Page<Experiment>> {
    const offset = decodeOffsetToken(query.pageToken);
    const where = andAll([lifecycleFilter('e.lifecycle_stage', query.viewType), ...whereClauses(this.#e, EXPERIMENT_SEARCH, query.filter)]);
    const order = orderClauses(this.#e, EXPERIMENT_SEARCH, query.orderBy, [attr('creation_time', false), attr('experiment_id', true)]);
    return this.#read(async (trx) => {
      const rows = await this.#page<ExperimentRow>(trx, sql`select e.* from experiments e`, order, where, query.maxResults, offset);
      return this.#pageOf(await this.#loadExperiments(trx, rows), query.maxResults, offset);
    });
  }

  renameExperiment(experimentId: string, newName: string): Promise<void> {
    return this.#write(async (trx) => {
      const row = await this.#experimentRow(trx, experimentId);
      if (row.lifecycle_stage !== 'active') throw invalidParam('Cannot rename a non-active experiment.');
      if (row.name === newName) return;
      const taken = await trx.selectFrom('experiments').select('experiment_id').where('name', '=', newName).executeTakeFirst();
      if (taken !== undefined) throw alreadyExists(`Experiment(name=${newName}) already exists.`);
      await trx
        .updateTable('experiments')
        .set({ name: newName, last_update_time: this.#clock.now() })
        .where('experiment_id', '=', row.experiment_id)
        .execute();
    });
  }

  deleteExperiment(experimentId: string): Promise<void> {
    return this.#write(async (trx) => {
      const row = await this.#experimentRow(trx, experimentId);
      const now = this.#clock.now();
      await trx
        .updateTable('experiments')
        .set({ lifecycle_stage: 'deleted', deleted_time: now, last_update_time: now })
        .where('experiment_id', '=', row.experiment_id)
        .execute();
      await trx
        .updateTable('runs')
        .set({ lifecycle_stage: 'deleted', deleted_time: now })
        .where('experiment_id', '=', row.experiment_id)
        .where('lifecycle_stage', '=', 'active')
        .execute();
    });
  }

  restoreExperiment(experimentId: string): Promise<void> {
    return this.#write(async (trx) => {
      const row = await this.#experimentRow(trx, experimentId);
      if (row.lifecycle_stage === 'active') return;
      await trx
        .updateTable('experiments')
        .set({ lifecycle_stage: 'active', deleted_time: null, last_update_time: this.#clock.now() })
        .where('experiment_id', '=', row.experiment_id)
        .execute();
      // MLflow restores the experiment's deleted runs with it.
      await trx
        .updateTable('runs')
        .set({ lifecycle_stage: 'active', deleted_time: null })
        .where('experiment_id', '=', row.experiment_id)
        .where('lifecycle_stage', '=', 'deleted')
        .execute();
    });
  }

  setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    return this.#write(async (trx) => {
      const row = await this.#activeExperimentRow(trx, experimentId);
      await trx
        .insertInto('experiment_tags')
        .values({ experiment_id: row.experiment_id, key: tag.key, value: tag.value })
        .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value: tag.value }))
        .execute();
    });
  }

  deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    return this.#write(async (trx) => {
      const row = await this.#activeExperimentRow(trx, experimentId);
      const result = await trx
        .deleteFrom('experiment_tags')
        .where('experiment_id', '=', row.experiment_id)
        .where('key', '=', key)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
    });
  }

  // --- runs ------------------------------------------------------------------------------

  async #runRow(trx: Db, runId: string): Promise<RunRow> {
    const row = await trx.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
    if (row === undefined) throw notFound(`Run with id=${runId} not found`);
    return row;
  }

  async #activeRunRow(trx: Db, runId: string): Promise<RunRow> {
    const row = await this.#runRow(trx, runId);
    if (row.lifecycle_stage !== 'active') throw runNotActive(runId, row.lifecycle_stage);
    return row;
  }

  /** Build full runs for a page with one query per child table, never one per run. */
  async #loadRuns(trx: Db, rows: readonly RunRow[]): Promise<Run[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.run_id);
    const pks = rows.map((r) => r.run_pk);
    const tags = [];
    const params = [];
    const metrics = [];
    const inputs = [];
    const outputs = [];
    for (const part of chunk(ids, IN_LIST_SIZE)) {
      tags.push(...(await trx.selectFrom('run_tags').select(['run_id', 'key', 'value']).where('run_id', 'in', part).execute()));
      params.push(...(await trx.selectFrom('params').select(['run_id', 'key', 'value']).where('run_id', 'in', part).execute()));
      inputs.push(
        ...(await trx
          .selectFrom('run_inputs as i')
          .innerJoin('datasets as d', 'd.dataset_id', 'i.dataset_id')
          .select(['i.run_id', 'i.input_id', 'i.position', 'd.name', 'd.digest', 'd.source_type', 'd.source', 'd.schema', 'd.profile'])
          .where('i.run_id', 'in', part)
          .execute()),
      );
      outputs.push(...(await trx.selectFrom('run_outputs').selectAll().where('run_id', 'in', part).execute()));
    }
    for (const part of chunk(pks, IN_LIST_SIZE)) {
      metrics.push(...(await trx.selectFrom('latest_metrics').selectAll().where('run_pk', 'in', part).execute()));
    }
    const inputTags = [];
    for (const part of chunk(
      inputs.map((i) => i.input_id),
      IN_LIST_SIZE,
    )) {
      inputTags.push(...(await trx.selectFrom('run_input_tags').selectAll().where('input_id', 'in', part).execute()));
    }
    const tagsBy = groupBy(tags, (t) => t.run_id);
    const paramsBy = groupBy(params, (t) => t.run_id);
    const metricsBy = groupBy(metrics, (t) => String(t.run_pk));
    const inputsBy = groupBy(inputs, (t) => t.run_id);
    const outputsBy = groupBy(outputs, (t) => t.run_id);
    const inputTagsBy = groupBy(inputTags, (t) => t.input_id);
    return rows.map((row) => ({
      info: toRunInfo(row),
      data: {
        metrics: (metricsBy.get(String(row.run_pk)) ?? []).map(toMetric).sort((a, b) => compareText(a.key, b.key)),
        params: toTags(paramsBy.get(row.run_id) ?? []),
        tags: toTags(tagsBy.get(row.run_id) ?? []),
      },
      inputs: {
        datasetInputs: (inputsBy.get(row.run_id) ?? [])
          .sort((a, b) => a.position - b.position)
          .map((i) => ({
            tags: toTags(inputTagsBy.get(i.input_id) ?? []),
            dataset: { name: i.name, digest: i.digest, sourceType: i.source_type, source: i.source, schema: i.schema, profile: i.profile },
          })),
      },
      outputs: {
        modelOutputs: (outputsBy.get(row.run_id) ?? [])
          .sort((a, b) => a.step - b.step || compareText(a.model_id, b.model_id))
          .map((o) => ({ modelId: o.model_id, step: o.step })),
      },
    }));
  }

  createRun(input: { runId: string; experimentId: string; userId: string; runName: string; startTime: number; tags: Tag[] }): Promise<Run> {
    return this.#write(async (trx) => {
      const experiment = await this.#experimentRow(trx, input.experimentId);
      if (experiment.lifecycle_stage !== 'active') throw experimentNotActive(input.experimentId, experiment.lifecycle_stage);
      const existing = await trx.selectFrom('runs').select('run_id').where('run_id', '=', input.runId).executeTakeFirst();
      if (existing !== undefined) throw alreadyExists(`Run with id=${input.runId} already exists.`);
      const values = {
        run_id: input.runId,
        experiment_id: experiment.experiment_id,
        name: input.runName,
        user_id: input.userId,
        status: 'RUNNING',
        start_time: input.startTime,
        end_time: null,
        artifact_uri: `${experiment.artifact_location}/${input.runId}/artifacts`,
        lifecycle_stage: 'active',
        deleted_time: null,
      };
      const { run_pk } = await trx.insertInto('runs').values(values).returning('run_pk').executeTakeFirstOrThrow();
      const row: RunRow = { ...values, run_pk };
      const tags = lastPerKey([...input.tags.filter((t) => t.key !== RUN_NAME_TAG), { key: RUN_NAME_TAG, value: input.runName }]);
      await trx
        .insertInto('run_tags')
        .values(tags.map((t) => ({ run_id: input.runId, key: t.key, value: t.value })))
        .execute();
      return (await this.#loadRuns(trx, [row]))[0]!;
    });
  }

  getRun(runId: string): Promise<Run> {
    return this.#read(async (trx) => (await this.#loadRuns(trx, [await this.#runRow(trx, runId)]))[0]!);
  }

  updateRun(runId: string, patch: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo> {
    return this.#write(async (trx) => {
      const row = await this.#activeRunRow(trx, runId);
      const next: RunRow = {
        ...row,
        status: patch.status ?? row.status,
        end_time: patch.endTime ?? row.end_time,
        name: patch.runName ?? row.name,
      };
      await trx.updateTable('runs').set({ status: next.status, end_time: next.end_time, name: next.name }).where('run_id', '=', runId).execute();
      if (patch.runName !== undefined) await this.#upsertRunTags(trx, runId, [{ key: RUN_NAME_TAG, value: patch.runName }]);
      return toRunInfo(next);
    });
  }

  deleteRun(runId: string): Promise<void> {
    return this.#write(async (trx) => {
      await this.#runRow(trx, runId);
      await trx.updateTable('runs').set({ lifecycle_stage: 'deleted', deleted_time: this.#clock.now() }).where('run_id', '=', runId).execute();
    });
  }

  restoreRun(runId: string): Promise<void> {
    return this.#write(async (trx) => {
      await this.#runRow(trx, runId);
      await trx.updateTable('runs').set({ lifecycle_stage: 'active', deleted_time: null }).where('run_id', '=', runId).execute();
    });
  }

  async #upsertRunTags(trx: Db, runId: string, tags: readonly Tag[]): Promise<void> {
    for (const part of chunk(lastPerKey(tags), this.#rowsFor(3))) {
      await trx
        .insertInto('run_tags')
        .values(part.map((t) => ({ run_id: runId, key: t.key, value: t.value })))
        .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }))
        .execute();
    }
  }

  async logBatch(runId: string, batch: { metrics?: Metric[]; params?: Tag[]; tags?: Tag[] }): Promise<void> {
    const metrics = batch.metrics ?? [];
    const params = batch.params ?? [];
    const tags = batch.tags ?? [];
    // A batch that names one param twice with different values can never be applied.
    const seen = new Map<string, string>();
    const duplicates = new Set<string>();
    for (const p of params) {
      const prior = seen.get(p.key);
      if (prior !== undefined && prior !== p.value) duplicates.add(p.key);
      seen.set(p.key, p.value);
    }
    if (duplicates.size > 0) {
      throw invalidParam(
        `Duplicate parameter keys have been submitted: [${[...duplicates].map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
      );
    }
    return this.#write(async (trx) => {
      const run = await this.#activeRunRow(trx, runId);
      if (seen.size > 0) await this.#logParams(trx, runId, seen);
      if (metrics.length > 0) await this.#logMetrics(trx, run, metrics);
      if (tags.length > 0) {
        await this.#upsertRunTags(trx, runId, tags);
        const runName = lastPerKey(tags).find((t) => t.key === RUN_NAME_TAG);
        if (runName !== undefined) await trx.updateTable('runs').set({ name: runName.value }).where('run_id', '=', runId).execute();
      }
    });
  }

  async #logParams(trx: Db, runId: string, params: ReadonlyMap<string, string>): Promise<void> {
    const rows = [...params].map(([key, value]) => ({ run_id: runId, key, value }));
    for (const part of chunk(rows, this.#rowsFor(3))) {
      await trx.insertInto('params').values(part).onConflict((oc) => oc.doNothing()).execute();
    }
    // Read back after inserting: a value logged earlier (or by a concurrent batch that won the
    // insert) shows up here, and any difference fails the whole batch.
    for (const part of chunk([...params.keys()], IN_LIST_SIZE)) {
      const stored = await trx.selectFrom('params').select(['key', 'value']).where('run_id', '=', runId).where('key', 'in', part).execute();
      for (const s of stored) {
        const wanted = params.get(s.key)!;
        if (s.value !== wanted) {
          throw invalidParam(
            `Changing param values is not allowed. Param with key='${s.key}' was already logged with value='${s.value}' for run ID='${runId}'. Attempted logging new value '${wanted}'.`,
          );
        }
      }
    }
  }

  async #logMetrics(trx: Db, run: RunRow, metrics: readonly Metric[]): Promise<void> {
    const runId = run.run_id;
    const rows = metrics.map((m) => {
      const { value, is_nan } = encodeMetricValue(m.value);
      return { key: m.key, step: m.step, timestamp: m.timestamp, value, is_nan };
    });
    await this.#e.insertRows(
      trx,
      'metrics',
      METRIC_COLUMNS,
      rows.map((r) => [run.run_pk, r.key, r.step, r.timestamp, r.value, r.is_nan]),
      'on conflict do nothing',
    );

    // Reduce to one candidate per key first: PostgreSQL refuses an upsert that touches a row
    // twice, and it saves SQLite the redundant work.
    const latest = new Map<string, (typeof rows)[number]>();
    for (const row of rows) {
      const current = latest.get(row.key);
      if (current === undefined || isLaterPoint(row, current)) latest.set(row.key, row);
    }
    const candidates = [...latest.values()].sort((a, b) => compareText(a.key, b.key));
    await this.#e.insertRows(
      trx,
      'latest_metrics',
      METRIC_COLUMNS,
      candidates.map((r) => [run.run_pk, r.key, r.step, r.timestamp, r.value, r.is_nan]),
      LATEST_METRIC_UPSERT,
    );

    const linked = metrics.filter((m) => m.modelId !== undefined && m.modelId !== null && m.modelId !== '');
    if (linked.length > 0) {
      const modelIds = [...new Set(linked.map((m) => m.modelId!))];
      const found = await trx
        .selectFrom('logged_models')
        .select('model_id')
        .where('model_id', 'in', modelIds)
        .where('lifecycle_stage', '=', 'active')
        .execute();
      const known = new Set(found.map((f) => f.model_id));
      const missing = modelIds.find((id) => !known.has(id));
      if (missing !== undefined) throw loggedModelNotFound(missing);
      const modelRows = linked.map((m) => ({
        model_id: m.modelId!,
        run_id: runId,
        key: m.key,
        step: m.step,
        timestamp: m.timestamp,
        ...encodeMetricValue(m.value),
        dataset_name: m.datasetName ?? null,
        dataset_digest: m.datasetDigest ?? null,
      }));
      for (const part of chunk(modelRows, this.#rowsFor(9))) {
        await trx.insertInto('logged_model_metrics').values(part).onConflict((oc) => oc.doNothing()).execute();
      }
    }
  }

  deleteRunTag(runId: string, key: string): Promise<void> {
    return this.#write(async (trx) => {
      await this.#activeRunRow(trx, runId);
      const result = await trx.deleteFrom('run_tags').where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  async getMetricHistory(runId: string, key: string, page?: { maxResults?: number; pageToken?: string }): Promise<Page<Metric>> {
    const offset = decodeOffsetToken(page?.pageToken);
    const max = page?.maxResults;
    return this.#read(async (trx) => {
      const run = await this.#runRow(trx, runId);
      let q = trx
        .selectFrom('metrics')
        .select(['key', 'value', 'is_nan', 'timestamp', 'step'])
        .where('run_pk', '=', run.run_pk)
        .where('key', '=', key)
        .orderBy('step')
        .orderBy('timestamp')
        .orderBy('is_nan', 'desc')
        .orderBy('value');
      if (max !== undefined) q = q.limit(max + 1).offset(offset);
      else if (offset > 0) q = q.offset(offset).limit(Number.MAX_SAFE_INTEGER);
      const rows = await q.execute();
      const items = rows.map(toMetric);
      if (max === undefined) return { items };
      return this.#pageOf(items, max, offset);
    });
  }

  getMetricHistoryBulk(
    runIds: string[],
    key: string,
    range: { startStep?: number; endStep?: number; maxResults: number },
  ): Promise<Array<Metric & { runId: string }>> {
    return this.#read(async (trx) => {
      if (runIds.length === 0) return [];
      let q = trx
        .selectFrom('metrics')
        .innerJoin('runs', 'runs.run_pk', 'metrics.run_pk')
        .select(['runs.run_id', 'metrics.key', 'metrics.value', 'metrics.is_nan', 'metrics.timestamp', 'metrics.step'])
        .where('runs.run_id', 'in', runIds)
        .where('metrics.key', '=', key);
      if (range.startStep !== undefined) q = q.where('metrics.step', '>=', range.startStep);
      if (range.endStep !== undefined) q = q.where('metrics.step', '<=', range.endStep);
      const rows = await q.orderBy('runs.run_id').orderBy('metrics.step').orderBy('metrics.timestamp').execute();
      const byRun = groupBy(rows, (r) => r.run_id);
      const out: Array<Metric & { runId: string }> = [];
      for (const runId of new Set(runIds)) {
        for (const row of sampleBySteps(byRun.get(runId) ?? [], range.maxResults)) out.push({ ...toMetric(row), runId });
      }
      return out;
    });
  }

  async searchRuns(query: SearchQuery & { experimentIds: string[]; viewType: ViewType }): Promise<Page<Run>> {
    const offset = decodeOffsetToken(query.pageToken);
    const experimentIds = query.experimentIds.map(experimentIdNumber).filter((id): id is number => id !== null);
    if (experimentIds.length === 0) return { items: [] };
    const where = andAll([
      sql<boolean>`r.experiment_id in (${sql.join(experimentIds)})`,
      lifecycleFilter('r.lifecycle_stage', query.viewType),
      ...whereClauses(this.#e, RUN_SEARCH, query.filter),
    ]);
    const order = orderClauses(this.#e, RUN_SEARCH, query.orderBy, [attr('start_time', false), attr('run_id', true)]);
    return this.#read(async (trx) => {
      const rows = await this.#page<RunRow>(trx, sql`select r.* from runs r`, order, where, query.maxResults, offset);
      return this.#pageOf(await this.#loadRuns(trx, rows), query.maxResults, offset);
    });
  }

  logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    return this.#write(async (trx) => {
      const run = await this.#activeRunRow(trx, runId);
      const last = await trx
        .selectFrom('run_inputs')
        .select((eb) => eb.fn.max('position').as('position'))
        .where('run_id', '=', runId)
        .executeTakeFirst();
      let position = (last?.position ?? -1) + 1;
      for (const input of inputs) {
        const d = input.dataset;
        await trx
          .insertInto('datasets')
          .values({
            dataset_id: randomUUID(),
            experiment_id: run.experiment_id,
            name: d.name,
            digest: d.digest,
            source_type: d.sourceType,
            source: d.source,
            schema: d.schema ?? null,
            profile: d.profile ?? null,
          })
          .onConflict((oc) => oc.columns(['experiment_id', 'name', 'digest']).doNothing())
          .execute();
        const dataset = await trx
          .selectFrom('datasets')
          .select('dataset_id')
          .where('experiment_id', '=', run.experiment_id)
          .where('name', '=', d.name)
          .where('digest', '=', d.digest)
          .executeTakeFirstOrThrow();
        // Logging the same dataset to the same run again is a no-op, as in MLflow.
        const existing = await trx
          .selectFrom('run_inputs')
          .select('input_id')
          .where('run_id', '=', runId)
          .where('dataset_id', '=', dataset.dataset_id)
          .executeTakeFirst();
        if (existing !== undefined) continue;
        const inputId = randomUUID();
        await trx.insertInto('run_inputs').values({ input_id: inputId, run_id: runId, dataset_id: dataset.dataset_id, position: position++ }).execute();
        const tags = lastPerKey(input.tags);
        if (tags.length > 0) {
          await trx
            .insertInto('run_input_tags')
            .values(tags.map((t) => ({ input_id: inputId, key: t.key, value: t.value })))
            .execute();
        }
      }
    });
  }

  logOutputs(runId: string, outputs: ModelOutput[]): Promise<void> {
    return this.#write(async (trx) => {
      await this.#activeRunRow(trx, runId);
      for (const output of outputs) {
        await this.#loggedModelRow(trx, output.modelId);
        await trx
          .insertInto('run_outputs')
          .values({ run_id: runId, model_id: output.modelId, step: output.step })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    });
  }

  // --- registered models -----------------------------------------------------------------

  async #registeredModelRow(trx: Db, name: string, lock = false): Promise<RegisteredModelRow> {
    // The row lock (PostgreSQL) serialises version numbering and stage transitions per model.
    const rows = await sql<RegisteredModelRow>`select * from registered_models where name = ${name}${lock ? this.#e.forUpdate : sql``}`.execute(trx);
    const row = rows.rows[0];
    if (row === undefined) throw notFound(`Registered Model with name=${name} not found`);
    return row;
  }

  async #loadVersions(trx: Db, rows: readonly ModelVersionRow[]): Promise<ModelVersion[]> {
    if (rows.length === 0) return [];
    const names = [...new Set(rows.map((r) => r.name))];
    const tags = [];
    const aliases = [];
    for (const part of chunk(names, IN_LIST_SIZE)) {
      tags.push(...(await trx.selectFrom('model_version_tags').selectAll().where('name', 'in', part).execute()));
      aliases.push(...(await trx.selectFrom('registered_model_aliases').selectAll().where('name', 'in', part).execute()));
    }
    const id = (r: { name: string; version: number }): string => `${r.version}\u0000${r.name}`;
    const tagsBy = groupBy(tags, id);
    const aliasesBy = groupBy(aliases, id);
    return rows.map((r) =>
      toModelVersion(
        r,
        toTags(tagsBy.get(id(r)) ?? []),
        (aliasesBy.get(id(r)) ?? []).map((a) => a.alias),
      ),
    );
  }

  async #versionRow(trx: Db, name: string, version: number): Promise<ModelVersionRow> {
    const row = await trx.selectFrom('model_versions').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
    if (row === undefined) throw versionNotFound(name, version);
    return row;
  }

  async #latestVersionRows(trx: Db, names: readonly string[]): Promise<ModelVersionRow[]> {
    const out: ModelVersionRow[] = [];
    for (const part of chunk(names, IN_LIST_SIZE)) {
      const rows = await sql<ModelVersionRow>`
        select v.* from model_versions v
        where v.name in (${sql.join(part)})
          and v.version = (select max(w.version) from model_versions w where w.name = v.name and w.current_stage = v.current_stage)`.execute(trx);
      out.push(...rows.rows);
    }
    return out;
  }

  async #loadRegisteredModels(trx: Db, rows: readonly RegisteredModelRow[]): Promise<RegisteredModel[]> {
    if (rows.length === 0) return [];
    const names = rows.map((r) => r.name);
    const tags = [];
    const aliases = [];
    for (const part of chunk(names, IN_LIST_SIZE)) {
      tags.push(...(await trx.selectFrom('registered_model_tags').selectAll().where('name', 'in', part).execute()));
      aliases.push(...(await trx.selectFrom('registered_model_aliases').selectAll().where('name', 'in', part).execute()));
    }
    const latest = await this.#loadVersions(trx, await this.#latestVersionRows(trx, names));
    const tagsBy = groupBy(tags, (t) => t.name);
    const aliasesBy = groupBy(aliases, (a) => a.name);
    const latestBy = groupBy(latest, (v) => v.name);
    const stageOrder = (s: Stage): number => STAGES.indexOf(s);
    return rows.map((r) => ({
      name: r.name,
      creationTimestamp: r.creation_timestamp,
      lastUpdatedTimestamp: r.last_updated_timestamp,
      userId: r.user_id,
      description: r.description,
      tags: toTags(tagsBy.get(r.name) ?? []),
      aliases: (aliasesBy.get(r.name) ?? [])
        .map((a) => ({ alias: a.alias, version: a.version }))
        .sort((a, b) => compareText(a.alias, b.alias)),
      latestVersions: (latestBy.get(r.name) ?? []).sort((a, b) => stageOrder(a.currentStage) - stageOrder(b.currentStage)),
    }));
  }

  createRegisteredModel(input: { name: string; description?: string; tags?: Tag[]; userId?: string | null }): Promise<RegisteredModel> {
    return this.#write(async (trx) => {
      const taken = await trx.selectFrom('registered_models').select('name').where('name', '=', input.name).executeTakeFirst();
      if (taken !== undefined) throw alreadyExists(`Registered Model (name=${input.name}) already exists.`);
      const now = this.#clock.now();
      const row: RegisteredModelRow = {
        name: input.name,
        creation_timestamp: now,
        last_updated_timestamp: now,
        user_id: input.userId ?? null,
        description: input.description ?? '',
        last_version: 0,
      };
      await trx.insertInto('registered_models').values(row).execute();
      const tags = lastPerKey(input.tags ?? []);
      if (tags.length > 0) {
        await trx
          .insertInto('registered_model_tags')
          .values(tags.map((t) => ({ name: input.name, key: t.key, value: t.value })))
          .execute();
      }
      return (await this.#loadRegisteredModels(trx, [row]))[0]!;
    });
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.#read(async (trx) => (await this.#loadRegisteredModels(trx, [await this.#registeredModelRow(trx, name)]))[0]!);
  }

  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.#write(async (trx) => {
      const row = await this.#registeredModelRow(trx, name, true);
      if (newName !== name) {
        const taken = await trx.selectFrom('registered_models').select('name').where('name', '=', newName).executeTakeFirst();
        if (taken !== undefined) throw alreadyExists(`Registered Model (name=${newName}) already exists.`);
        // ON UPDATE CASCADE carries versions, tags and aliases to the new name.
        await trx.updateTable('registered_models').set({ name: newName, last_updated_timestamp: this.#clock.now() }).where('name', '=', row.name).execute();
      }
      return (await this.#loadRegisteredModels(trx, [await this.#registeredModelRow(trx, newName)]))[0]!;
    });
  }

  updateRegisteredModel(name: string, patch: { description: string }): Promise<RegisteredModel> {
    return this.#write(async (trx) => {
      await this.#registeredModelRow(trx, name, true);
      await trx
        .updateTable('registered_models')
        .set({ description: patch.description, last_updated_timestamp: this.#clock.now() })
        .where('name', '=', name)
        .execute();
      return (await this.#loadRegisteredModels(trx, [await this.#registeredModelRow(trx, name)]))[0]!;
    });
  }

  deleteRegisteredModel(name: string): Promise<void> {
    return this.#write(async (trx) => {
      await this.#registeredModelRow(trx, name, true);
      await trx.deleteFrom('registered_models').where('name', '=', name).execute();
    });
  }

  setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    return this.#write(async (trx) => {
      await this.#registeredModelRow(trx, name);
      await trx
        .insertInto('registered_model_tags')
        .values({ name, key: tag.key, value: tag.value })
        .onConflict((oc) => oc.columns(['name', 'key']).doUpdateSet({ value: tag.value }))
        .execute();
    });
  }

  deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    return this.#write(async (trx) => {
      await this.#registeredModelRow(trx, name);
      await trx.deleteFrom('registered_model_tags').where('name', '=', name).where('key', '=', key).execute();
    });
  }

  async searchRegisteredModels(query: SearchQuery): Promise<Page<RegisteredModel>> {
    const offset = decodeOffsetToken(query.pageToken);
    const where = andAll(whereClauses(this.#e, REGISTERED_MODEL_SEARCH, query.filter));
    const order = orderClauses(this.#e, REGISTERED_MODEL_SEARCH, query.orderBy, [attr('name', true)]);
    return this.#read(async (trx) => {
      const rows = await this.#page<RegisteredModelRow>(trx, sql`select m.* from registered_models m`, order, where, query.maxResults, offset);
      return this.#pageOf(await this.#loadRegisteredModels(trx, rows), query.maxResults, offset);
    });
  }

  getLatestVersions(name: string, stages: Stage[]): Promise<ModelVersion[]> {
    return this.#read(async (trx) => {
      await this.#registeredModelRow(trx, name);
      const wanted = stages.length === 0 ? STAGES : stages;
      const latest = await this.#loadVersions(trx, await this.#latestVersionRows(trx, [name]));
      const byStage = new Map(latest.map((v) => [v.currentStage, v]));
      return [...new Set(wanted)].map((s) => byStage.get(s)).filter((v): v is ModelVersion => v !== undefined);
    });
  }

  // --- model versions --------------------------------------------------------------------

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
  }): Promise<ModelVersion> {
    return this.#write(async (trx) => {
      const model = await this.#registeredModelRow(trx, input.name, true);
      const version = model.last_version + 1;
      const now = this.#clock.now();
      let runId = input.runId ?? null;
      const modelId = input.modelId === undefined || input.modelId === '' ? null : input.modelId;
      if (modelId !== null) {
        const logged = await this.#loggedModelRow(trx, modelId);
        if (runId === null || runId === '') runId = logged.source_run_id;
      }
      const row: ModelVersionRow = {
        name: input.name,
        version,
        creation_timestamp: now,
        last_updated_timestamp: now,
        user_id: input.userId ?? null,
        current_stage: 'None',
        description: input.description ?? '',
        source: input.source,
        storage_location: input.storageLocation,
        run_id: runId ?? '',
        run_link: input.runLink ?? '',
        status: 'READY',
        status_message: null,
        model_id: modelId,
      };
      await trx.insertInto('model_versions').values(row).execute();
      await trx.updateTable('registered_models').set({ last_version: version, last_updated_timestamp: now }).where('name', '=', input.name).execute();
      const tags = lastPerKey(input.tags ?? []);
      if (tags.length > 0) {
        await trx
          .insertInto('model_version_tags')
          .values(tags.map((t) => ({ name: input.name, version, key: t.key, value: t.value })))
          .execute();
      }
      if (modelId !== null) await this.#appendModelVersionTag(trx, modelId, input.name, version);
      return (await this.#loadVersions(trx, [row]))[0]!;
    });
  }

  /** Append `{name, version}` to the LoggedModel's `mlflow.modelVersions` JSON array tag. */
  async #appendModelVersionTag(trx: Db, modelId: string, name: string, version: number): Promise<void> {
    const existing = await trx
      .selectFrom('logged_model_tags')
      .select('value')
      .where('model_id', '=', modelId)
      .where('key', '=', MODEL_VERSIONS_TAG)
      .executeTakeFirst();
    let list: unknown[] = [];
    if (existing !== undefined) {
      try {
        const parsed: unknown = JSON.parse(existing.value);
        // A tag someone overwrote with something else is replaced rather than failing registration.
        if (Array.isArray(parsed)) list = parsed;
      } catch {
        list = [];
      }
    }
    list.push({ name, version });
    const value = JSON.stringify(list);
    await trx
      .insertInto('logged_model_tags')
      .values({ model_id: modelId, key: MODEL_VERSIONS_TAG, value })
      .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value }))
      .execute();
  }

  getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.#read(async (trx) => (await this.#loadVersions(trx, [await this.#versionRow(trx, name, version)]))[0]!);
  }

  updateModelVersion(name: string, version: number, patch: { description: string }): Promise<ModelVersion> {
    return this.#write(async (trx) => {
      const row = await this.#versionRow(trx, name, version);
      const next = { ...row, description: patch.description, last_updated_timestamp: this.#clock.now() };
      await trx
        .updateTable('model_versions')
        .set({ description: next.description, last_updated_timestamp: next.last_updated_timestamp })
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
      return (await this.#loadVersions(trx, [next]))[0]!;
    });
  }

  deleteModelVersion(name: string, version: number): Promise<void> {
    return this.#write(async (trx) => {
      await this.#registeredModelRow(trx, name, true);
      await this.#versionRow(trx, name, version);
      // Aliases and tags go with it through ON DELETE CASCADE.
      await trx.deleteFrom('model_versions').where('name', '=', name).where('version', '=', version).execute();
      await trx.updateTable('registered_models').set({ last_updated_timestamp: this.#clock.now() }).where('name', '=', name).execute();
    });
  }

  async transitionModelVersionStage(name: string, version: number, stage: Stage, archiveExisting: boolean): Promise<ModelVersion> {
    if (!STAGES.includes(stage)) {
      throw invalidParam(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`, 'stage');
    }
    if (archiveExisting && stage !== 'Staging' && stage !== 'Production') {
      throw invalidParam(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are Staging, Production`,
        'archive_existing_versions',
      );
    }
    return this.#write(async (trx) => {
      await this.#registeredModelRow(trx, name, true);
      const row = await this.#versionRow(trx, name, version);
      const now = this.#clock.now();
      if (archiveExisting) {
        await trx
          .updateTable('model_versions')
          .set({ current_stage: 'Archived', last_updated_timestamp: now })
          .where('name', '=', name)
          .where('current_stage', '=', stage)
          .where('version', '!=', version)
          .execute();
      }
      await trx
        .updateTable('model_versions')
        .set({ current_stage: stage, last_updated_timestamp: now })
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
      await trx.updateTable('registered_models').set({ last_updated_timestamp: now }).where('name', '=', name).execute();
      return (await this.#loadVersions(trx, [{ ...row, current_stage: stage, last_updated_timestamp: now }]))[0]!;
    });
  }

  setModelVersionTag(name: string, version: number, tag: Tag): Promise<void> {
    return this.#write(async (trx) => {
      await this.#versionRow(trx, name, version);
      await trx
        .insertInto('model_version_tags')
        .values({ name, version, key: tag.key, value: tag.value })
        .onConflict((oc) => oc.columns(['name', 'version', 'key']).doUpdateSet({ value: tag.value }))
        .execute();
    });
  }

  deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    return this.#write(async (trx) => {
      await this.#versionRow(trx, name, version);
      await trx.deleteFrom('model_version_tags').where('name', '=', name).where('version', '=', version).where('key', '=', key).execute();
    });
  }

  async searchModelVersions(query: SearchQuery): Promise<Page<ModelVersion>> {
    const offset = decodeOffsetToken(query.pageToken);
    const where = andAll(whereClauses(this.#e, MODEL_VERSION_SEARCH, query.filter));
    const order = orderClauses(this.#e, MODEL_VERSION_SEARCH, query.orderBy, [
      attr('last_updated_timestamp', false),
      attr('name', true),
      attr('version_number', false),
    ]);
    return this.#read(async (trx) => {
      const rows = await this.#page<ModelVersionRow>(trx, sql`select v.* from model_versions v`, order, where, query.maxResults, offset);
      return this.#pageOf(await this.#loadVersions(trx, rows), query.maxResults, offset);
    });
  }

  // --- aliases ---------------------------------------------------------------------------

  setAlias(name: string, alias: string, version: number): Promise<void> {
    return this.#write(async (trx) => {
      await this.#registeredModelRow(trx, name);
      await this.#versionRow(trx, name, version);
      await trx
        .insertInto('registered_model_aliases')
        .values({ name, alias, version })
        .onConflict((oc) => oc.columns(['name', 'alias']).doUpdateSet({ version }))
        .execute();
    });
  }

  deleteAlias(name: string, alias: string): Promise<void> {
    return this.#write(async (trx) => {
      await this.#registeredModelRow(trx, name);
      await trx.deleteFrom('registered_model_aliases').where('name', '=', name).where('alias', '=', alias).execute();
    });
  }

  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.#read(async (trx) => {
      await this.#registeredModelRow(trx, name);
      const found = await trx
        .selectFrom('registered_model_aliases')
        .select('version')
        .where('name', '=', name)
        .where('alias', '=', alias)
        .executeTakeFirst();
      if (found === undefined) throw invalidParam(`Registered model alias ${alias} not found.`);
      return (await this.#loadVersions(trx, [await this.#versionRow(trx, name, found.version)]))[0]!;
    });
  }

  // --- logged models ---------------------------------------------------------------------

  async #loggedModelRow(trx: Db, modelId: string): Promise<LoggedModelRow> {
    const row = await trx
      .selectFrom('logged_models')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('lifecycle_stage', '=', 'active')
      .executeTakeFirst();
    if (row === undefined) throw loggedModelNotFound(modelId);
    return row;
  }

  async #loadLoggedModels(trx: Db, rows: readonly LoggedModelRow[]): Promise<LoggedModel[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.model_id);
    const tags = [];
    const params = [];
    const metrics = [];
    for (const part of chunk(ids, IN_LIST_SIZE)) {
      tags.push(...(await trx.selectFrom('logged_model_tags').selectAll().where('model_id', 'in', part).execute()));
      params.push(...(await trx.selectFrom('logged_model_params').selectAll().where('model_id', 'in', part).execute()));
      metrics.push(
        ...(await trx
          .selectFrom('logged_model_metrics')
          .selectAll()
          .where('model_id', 'in', part)
          // Byte order, as SQLite sorts: PostgreSQL's default collation would follow the locale.
          .orderBy(sql`key${this.#e.binaryCollation}`)
          .orderBy('step')
          .orderBy('timestamp')
          .orderBy(sql`run_id${this.#e.binaryCollation}`)
          .execute()),
      );
    }
    const tagsBy = groupBy(tags, (t) => t.model_id);
    const paramsBy = groupBy(params, (t) => t.model_id);
    const metricsBy = groupBy(metrics, (t) => t.model_id);
    return rows.map((r) =>
      toLoggedModel(
        r,
        toTags(tagsBy.get(r.model_id) ?? []),
        toTags(paramsBy.get(r.model_id) ?? []),
        (metricsBy.get(r.model_id) ?? []).map(
          (m): LoggedModelMetric => ({
            ...toMetric(m),
            modelId: m.model_id,
            runId: m.run_id,
            datasetName: m.dataset_name,
            datasetDigest: m.dataset_digest,
          }),
        ),
      ),
    );
  }

  createLoggedModel(input: {
    modelId: string;
    experimentId: string;
    name: string;
    sourceRunId?: string | null;
    modelType?: string;
    params?: Tag[];
    tags?: Tag[];
  }): Promise<LoggedModel> {
    return this.#write(async (trx) => {
      const experiment = await this.#activeExperimentRow(trx, input.experimentId);
      const now = this.#clock.now();
      const row: LoggedModelRow = {
        model_id: input.modelId,
        experiment_id: experiment.experiment_id,
        name: input.name,
        artifact_location: `${experiment.artifact_location}/models/${input.modelId}/artifacts`,
        creation_timestamp_ms: now,
        last_updated_timestamp_ms: now,
        status: 'LOGGED_MODEL_PENDING',
        status_message: null,
        model_type: input.modelType ?? '',
        source_run_id: input.sourceRunId ?? null,
        lifecycle_stage: 'active',
      };
      const existing = await trx.selectFrom('logged_models').select('model_id').where('model_id', '=', input.modelId).executeTakeFirst();
      if (existing !== undefined) throw alreadyExists(`Logged model with ID '${input.modelId}' already exists.`);
      await trx.insertInto('logged_models').values(row).execute();
      const params = lastPerKey(input.params ?? []);
      if (params.length > 0) {
        await trx
          .insertInto('logged_model_params')
          .values(params.map((p) => ({ model_id: input.modelId, key: p.key, value: p.value })))
          .execute();
      }
      const tags = lastPerKey(input.tags ?? []);
      if (tags.length > 0) {
        await trx
          .insertInto('logged_model_tags')
          .values(tags.map((t) => ({ model_id: input.modelId, key: t.key, value: t.value })))
          .execute();
      }
      return (await this.#loadLoggedModels(trx, [row]))[0]!;
    });
  }

  getLoggedModel(modelId: string): Promise<LoggedModel> {
    return this.#read(async (trx) => (await this.#loadLoggedModels(trx, [await this.#loggedModelRow(trx, modelId)]))[0]!);
  }

  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.#write(async (trx) => {
      const row = await this.#loggedModelRow(trx, modelId);
      const next = { ...row, status, last_updated_timestamp_ms: this.#clock.now() };
      await trx
        .updateTable('logged_models')
        .set({ status, last_updated_timestamp_ms: next.last_updated_timestamp_ms })
        .where('model_id', '=', modelId)
        .execute();
      return (await this.#loadLoggedModels(trx, [next]))[0]!;
    });
  }

  deleteLoggedModel(modelId: string): Promise<void> {
    return this.#write(async (trx) => {
      await this.#loggedModelRow(trx, modelId);
      await trx
        .updateTable('logged_models')
        .set({ lifecycle_stage: 'deleted', last_updated_timestamp_ms: this.#clock.now() })
        .where('model_id', '=', modelId)
        .execute();
    });
  }

  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    return this.#write(async (trx) => {
      await this.#loggedModelRow(trx, modelId);
      // Deliberately leaves last_updated_timestamp_ms alone, as MLflow does.
      for (const part of chunk(lastPerKey(tags), this.#rowsFor(3))) {
        await trx
          .insertInto('logged_model_tags')
          .values(part.map((t) => ({ model_id: modelId, key: t.key, value: t.value })))
          .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }))
          .execute();
      }
    });
  }

  deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    return this.#write(async (trx) => {
      await this.#loggedModelRow(trx, modelId);
      const result = await trx.deleteFrom('logged_model_tags').where('model_id', '=', modelId).where('key', '=', key).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
    });
  }

  logLoggedModelParams(modelId: string, params: Tag[]): Promise<void> {
    return this.#write(async (trx) => {
      await this.#loggedModelRow(trx, modelId);
      for (const part of chunk(lastPerKey(params), this.#rowsFor(3))) {
        await trx
          .insertInto('logged_model_params')
          .values(part.map((p) => ({ model_id: modelId, key: p.key, value: p.value })))
          .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }))
          .execute();
      }
    });
  }

  async searchLoggedModels(query: SearchQuery & { experimentIds: string[] }): Promise<Page<LoggedModel>> {
    const offset = decodeOffsetToken(query.pageToken);
    const experimentIds = query.experimentIds.map(experimentIdNumber).filter((id): id is number => id !== null);
    if (experimentIds.length === 0) return { items: [] };
    const where = andAll([
      sql<boolean>`lm.experiment_id in (${sql.join(experimentIds)})`,
      sql<boolean>`lm.lifecycle_stage = 'active'`,
      ...whereClauses(this.#e, LOGGED_MODEL_SEARCH, query.filter),
    ]);
    const order = orderClauses(this.#e, LOGGED_MODEL_SEARCH, query.orderBy, [attr('creation_timestamp', false), attr('model_id', true)]);
    return this.#read(async (trx) => {
      const rows = await this.#page<LoggedModelRow>(trx, sql`select lm.* from logged_models lm`, order, where, query.maxResults, offset);
      return this.#pageOf(await this.#loadLoggedModels(trx, rows), query.maxResults, offset);
    });
  }

  // --- audit -----------------------------------------------------------------------------

  appendAudit(entry: AuditInput): Promise<void> {
    return this.#write(async (trx) => {
      await trx
        .insertInto('audit_log')
        .values({
          timestamp: entry.timestamp,
          principal: entry.principal,
          action: entry.action,
          entity_type: entry.entityType,
          entity_id: entry.entityId,
          status: entry.status,
          before_json: entry.before,
          after_json: entry.after,
          request_id: entry.requestId,
        })
        .execute();
    });
  }

  async listAudit(query: AuditQuery): Promise<Page<AuditEntry>> {
    const before = decodeKeysetToken(query.pageToken);
    if (query.actions?.length === 0) return { items: [] };
    return this.#read(async (trx) => {
      let q = trx.selectFrom('audit_log').selectAll();
      if (before !== null) q = q.where('id', '<', before);
      if (query.entityType !== undefined) q = q.where('entity_type', '=', query.entityType);
      if (query.entityId !== undefined) q = q.where('entity_id', '=', query.entityId);
      if (query.principal !== undefined) q = q.where('principal', '=', query.principal);
      if (query.actions !== undefined) q = q.where('action', 'in', [...query.actions]);
      if (query.fromTimestamp !== undefined) q = q.where('timestamp', '>=', query.fromTimestamp);
      if (query.toTimestamp !== undefined) q = q.where('timestamp', '<', query.toTimestamp);
      // Literal 400, not a parameter: only then may SQLite and PostgreSQL use the partial index of failures.
      if (query.outcome === 'failed') q = q.where(sql<boolean>`status >= 400`);
      if (query.outcome === 'succeeded') q = q.where(sql<boolean>`status < 400`);
      const rows = await q.orderBy('id', 'desc').limit(query.maxResults + 1).execute();
      const items = rows.slice(0, query.maxResults).map(toAuditEntry);
      return rows.length > query.maxResults ? { items, nextPageToken: encodeKeysetToken(items[items.length - 1]!.id) } : { items };
    });
  }

  // --- garbage collection ----------------------------------------------------------------

  listDeletedBefore(olderThan: number): Promise<{ runs: RunInfo[]; experiments: Experiment[] }> {
    return this.#read(async (trx) => {
      const runs = await trx
        .selectFrom('runs')
        .selectAll()
        .where('lifecycle_stage', '=', 'deleted')
        .where('deleted_time', '<', olderThan)
        .orderBy('deleted_time')
        .orderBy('run_id')
        .execute();
      const experiments = await trx
        .selectFrom('experiments')
        .selectAll()
        .where('lifecycle_stage', '=', 'deleted')
        .where('deleted_time', '<', olderThan)
        .orderBy('deleted_time')
        .orderBy('experiment_id')
        .execute();
      return { runs: runs.map(toRunInfo), experiments: await this.#loadExperiments(trx, experiments) };
    });
  }

  purgeRun(runId: string): Promise<void> {
    return this.#write(async (trx) => {
      const row = await this.#runRow(trx, runId);
      if (row.lifecycle_stage !== 'deleted') throw invalidParam(`Run ${runId} is not deleted; only deleted runs can be purged.`);
      // Tags, params, metrics, inputs and outputs go through ON DELETE CASCADE.
      await trx.deleteFrom('runs').where('run_id', '=', runId).execute();
    });
  }

  purgeExperiment(experimentId: string): Promise<void> {
    return this.#write(async (trx) => {
      const row = await this.#experimentRow(trx, experimentId);
      if (row.lifecycle_stage !== 'deleted') {
        throw invalidParam(`Experiment ${experimentId} is not deleted; only deleted experiments can be purged.`);
      }
      // Runs, logged models, datasets and tags go through ON DELETE CASCADE.
      await trx.deleteFrom('experiments').where('experiment_id', '=', row.experiment_id).execute();
    });
  }

  // --- paging ----------------------------------------------------------------------------

  /** Run `select … from … [joins] where … order by … limit max+1 offset …`. */
  async #page<R>(
    trx: Db,
    selectFrom: RawBuilder<unknown>,
    order: { joins: Array<RawBuilder<unknown>>; terms: Array<RawBuilder<unknown>> },
    where: RawBuilder<boolean>,
    maxResults: number,
    offset: number,
  ): Promise<R[]> {
    const joins = order.joins.length > 0 ? sql.join(order.joins, sql` `) : sql``;
    const result = await sql<R>`${selectFrom} ${joins} where ${where} order by ${sql.join(order.terms)} limit ${maxResults + 1} offset ${offset}`.execute(trx);
    return result.rows;
  }

  /** Trim the extra row fetched to detect a next page and build the page. */
  #pageOf<T>(items: T[], maxResults: number, offset: number): Page<T> {
    if (items.length <= maxResults) return { items };
    return { items: items.slice(0, maxResults), nextPageToken: encodeOffsetToken(offset + maxResults) };
  }
}

/**
 * At most `max` distinct steps of one run's points, spread evenly over the steps present and
 * always keeping the first and last, with every point at a chosen step (MLflow's bulk
 * interval sampling).
 */
function sampleBySteps<T extends { step: number }>(points: readonly T[], max: number): T[] {
  const steps = [...new Set(points.map((p) => p.step))];
  if (steps.length <= max) return [...points];
  if (max <= 0) return [];
  const chosen = new Set<number>();
  if (max === 1) chosen.add(steps[0]!);
  else for (let i = 0; i < max; i++) chosen.add(steps[Math.round((i * (steps.length - 1)) / (max - 1))]!);
  return points.filter((p) => chosen.has(p.step));
}
