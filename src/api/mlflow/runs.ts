import { z } from 'zod';
import { invalidParam } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { parseRunFilter, parseRunOrderBy } from '../../store/filter/index.js';
import type { DatasetInput, Metric, Run, Tag } from '../../store/types.js';
import {
  appendLogModelHistory,
  BULK_INTERVAL_MAX_RESULTS_PER_RUN,
  BULK_INTERVAL_MAX_RUN_IDS,
  BULK_RUNS_MAX,
  MAX_BATCH_REQUEST_BYTES,
  parseModelJson,
  resolveMaxResults,
  resolveRunName,
  RUNS_DEFAULT_MAX_RESULTS,
  RUNS_MAX_RESULTS,
  sampleBulkHistory,
  validateBatch,
  validateDatasetInputs,
  validateExperimentId,
  validateMetric,
  validateParam,
  validateRunId,
  validateRunTag,
} from '../../tracking/index.js';
import type { ApiContext } from '../context.js';
import { intLike, listOf, parseInput, tagSchema } from '../input.js';
import {
  foldQueryLists,
  idString,
  metricToWire,
  metricValueToWire,
  metricValue,
  pageToWire,
  requiredString,
  runInfoToWire,
  runStatus,
  runToWire,
  viewType,
} from './wire.js';

/*
 * MLflow's run and metric endpoints (mlflow-wire.md §3 Runs and Metrics, §4.1; mlflow3-wire.md
 * §2.4, §4.5, §4.6). `runs/log-metric` and `runs/log-batch` are the hot path: each parses its
 * body once with zod, validates in one pass and makes exactly one store call.
 */

/**
 * Run endpoints take `run_id` or its deprecated twin `run_uuid` (the Python client sends both).
 * Copying `run_uuid` over before validation lets one schema name `run_id` in its errors.
 */
function withRunId<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess(
    (v) => {
      if (v === null || typeof v !== 'object') return v;
      const o = v as Record<string, unknown>;
      return (o.run_id === undefined || o.run_id === '') && o.run_uuid !== undefined ? { ...o, run_id: o.run_uuid } : o;
    },
    z.object({ run_id: requiredString, ...shape }),
  );
}

const optionalString = z.string().nullish();

/** A metric as `runs/log-metric` and each entry of `runs/log-batch` carry it. */
const metricFields = {
  key: z.string(),
  value: metricValue,
  timestamp: intLike,
  step: intLike.nullish(),
  model_id: optionalString,
  dataset_name: optionalString,
  dataset_digest: optionalString,
};

function toMetric(m: {
  key: string;
  value: number;
  timestamp: number;
  step?: number | null | undefined;
  model_id?: string | null | undefined;
  dataset_name?: string | null | undefined;
  dataset_digest?: string | null | undefined;
}): Metric {
  const out: Metric = { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step ?? 0 };
  // MLflow 3 fields: only set when sent, so the store sees plain run metrics as before.
  if (m.model_id) out.modelId = m.model_id;
  if (m.dataset_name) out.datasetName = m.dataset_name;
  if (m.dataset_digest) out.datasetDigest = m.dataset_digest;
  return out;
}

const paramValue = z.string().nullish().transform((v) => v ?? '');

const CreateRun = z.object({
  experiment_id: idString,
  user_id: z.string().nullish(),
  run_name: z.string().nullish(),
  start_time: intLike.nullish(),
  tags: z.array(tagSchema).nullish(),
});
const RunIdOnly = withRunId({});
const UpdateRun = withRunId({ status: runStatus.nullish(), end_time: intLike.nullish(), run_name: z.string().nullish() });
const SearchRuns = z.object({
  experiment_ids: z.array(idString).nullish(),
  filter: z.string().nullish(),
  run_view_type: viewType,
  max_results: intLike.optional(),
  order_by: z.array(z.string()).nullish(),
  page_token: z.string().nullish(),
});
const LogParam = withRunId({ key: z.string(), value: paramValue });
const SetTag = withRunId({ key: z.string(), value: paramValue });
const DeleteTag = withRunId({ key: requiredString });
const LogMetric = withRunId(metricFields);
const LogBatch = withRunId({
  metrics: z.array(z.object(metricFields)).nullish(),
  params: z.array(z.object({ key: z.string(), value: paramValue })).nullish(),
  tags: z.array(tagSchema).nullish(),
});
const LogModel = withRunId({ model_json: requiredString });
const DatasetInputSchema = z.object({
  tags: z.array(tagSchema).nullish(),
  dataset: z.object({
    name: z.string(),
    digest: z.string(),
    source_type: z.string(),
    source: z.string(),
    schema: optionalString,
    profile: optionalString,
  }),
});
const LogInputs = withRunId({ datasets: z.array(DatasetInputSchema).nullish() });
const LogOutputs = withRunId({
  models: z.array(z.object({ model_id: requiredString, step: intLike.nullish() })),
});
const GetMetricHistory = withRunId({
  metric_key: requiredString,
  max_results: intLike.optional(),
  page_token: z.string().nullish(),
});
const GetMetricHistoryBulkInterval = z.object({
  run_ids: listOf(requiredString),
  metric_key: requiredString,
  start_step: intLike.optional(),
  end_step: intLike.optional(),
  max_results: intLike.optional(),
});
const DeleteRuns = z.object({ experiment_id: idString, max_timestamp_millis: intLike, max_runs: intLike.optional() });
const RestoreRuns = z.object({ experiment_id: idString, min_timestamp_millis: intLike, max_runs: intLike.optional() });

/** Parse a body whose only field is the run id, and check the id's form. */
function runIdOf(json: unknown): string {
  const { run_id } = parseInput(RunIdOnly, json);
  validateRunId(run_id);
  return run_id;
}

export function registerRunRoutes(ctx: ApiContext): void {
  const { store } = ctx;

  ctx.mlflow('POST', '/runs/create', async (req) => {
    const input = parseInput(CreateRun, req.json);
    validateExperimentId(input.experiment_id);
    const tags: Tag[] = input.tags ?? [];
    tags.forEach((t, i) => validateRunTag(t, `tags.${i}.`));
    const startTime = input.start_time ?? Date.now();
    if (startTime < 0) throw invalidParam(`Invalid value ${startTime} for parameter 'start_time' supplied: must be non-negative`, 'start_time');
    const runId = newRunId();
    req.audit = { entityType: 'run', entityId: runId };
    const run = await store.createRun({
      runId,
      experimentId: input.experiment_id,
      userId: input.user_id ?? '',
      runName: resolveRunName(input.run_name ?? undefined, tags),
      startTime,
      tags,
    });
    return { run: runToWire(run, 'create') };
  });

  ctx.mlflow('GET', '/runs/get', async (req) => {
    const run = await store.getRun(runIdOf(req.json));
    return { run: runToWire(run) };
  });

  ctx.mlflow('POST', '/runs/update', async (req) => {
    const input = parseInput(UpdateRun, req.json);
    validateRunId(input.run_id);
    const patch: Parameters<typeof store.updateRun>[1] = {};
    if (input.status != null) patch.status = input.status;
    if (input.end_time != null) {
      if (input.end_time < 0) throw invalidParam(`Invalid value ${input.end_time} for parameter 'end_time' supplied: must be non-negative`, 'end_time');
      patch.endTime = input.end_time;
    }
    if (input.run_name) patch.runName = input.run_name;
    req.audit = { entityType: 'run', entityId: input.run_id };
    const info = await store.updateRun(input.run_id, patch);
    return { run_info: runInfoToWire(info) };
  });

  ctx.mlflow('POST', '/runs/delete', async (req) => {
    const runId = runIdOf(req.json);
    req.audit = { entityType: 'run', entityId: runId };
    await store.deleteRun(runId);
    return {};
  });

  ctx.mlflow('POST', '/runs/restore', async (req) => {
    const runId = runIdOf(req.json);
    req.audit = { entityType: 'run', entityId: runId };
    await store.restoreRun(runId);
    return {};
  });

  ctx.mlflow('POST', '/runs/search', async (req) => {
    const input = parseInput(SearchRuns, req.json);
    const page = await store.searchRuns({
      experimentIds: input.experiment_ids ?? [],
      viewType: input.run_view_type,
      filter: parseRunFilter(input.filter),
      orderBy: parseRunOrderBy(input.order_by),
      maxResults: resolveMaxResults(input.max_results, RUNS_DEFAULT_MAX_RESULTS, RUNS_MAX_RESULTS),
      pageToken: input.page_token || undefined,
    });
    return pageToWire('runs', page.items.map((r: Run) => runToWire(r)), page.nextPageToken);
  });

  ctx.mlflow('POST', '/runs/log-parameter', async (req) => {
    const input = parseInput(LogParam, req.json);
    validateRunId(input.run_id);
    const param = { key: input.key, value: input.value };
    validateParam(param);
    req.audit = { entityType: 'run', entityId: input.run_id };
    await store.logBatch(input.run_id, { params: [param] });
    return {};
  });

  ctx.mlflow('POST', '/runs/set-tag', async (req) => {
    const input = parseInput(SetTag, req.json);
    validateRunId(input.run_id);
    const tag = { key: input.key, value: input.value };
    validateRunTag(tag);
    req.audit = { entityType: 'run', entityId: input.run_id };
    await store.logBatch(input.run_id, { tags: [tag] });
    return {};
  });

  ctx.mlflow('POST', '/runs/delete-tag', async (req) => {
    const input = parseInput(DeleteTag, req.json);
    validateRunId(input.run_id);
    req.audit = { entityType: 'run', entityId: input.run_id };
    await store.deleteRunTag(input.run_id, input.key);
    return {};
  });

  ctx.mlflow('POST', '/runs/log-metric', async (req) => {
    const input = parseInput(LogMetric, req.json);
    validateRunId(input.run_id);
    const metric = toMetric(input);
    validateMetric(metric);
    req.audit = { entityType: 'run', entityId: input.run_id };
    await store.logBatch(input.run_id, { metrics: [metric] });
    return {};
  });

  ctx.mlflow('POST', '/runs/log-batch', async (req) => {
    // MLflow checks the raw size before parsing anything; the wrapper has parsed already, but
    // the answer is the same.
    const size = (req.body as Buffer | undefined)?.length ?? 0;
    if (size > MAX_BATCH_REQUEST_BYTES) {
      throw invalidParam(
        `Batched logging API requests must be at most ${MAX_BATCH_REQUEST_BYTES} bytes, got a request of size ${size}.`,
        '(body)',
      );
    }
    const input = parseInput(LogBatch, req.json);
    validateRunId(input.run_id);
    const batch = {
      metrics: (input.metrics ?? []).map(toMetric),
      params: (input.params ?? []) as Tag[],
      tags: (input.tags ?? []) as Tag[],
    };
    validateBatch(batch);
    req.audit = { entityType: 'run', entityId: input.run_id };
    await store.logBatch(input.run_id, batch);
    return {};
  });

  ctx.mlflow('POST', '/runs/log-model', async (req) => {
    const input = parseInput(LogModel, req.json);
    validateRunId(input.run_id);
    const model = parseModelJson(input.model_json);
    req.audit = { entityType: 'run', entityId: input.run_id };
    // Read-modify-write of one tag, as MLflow does; two concurrent log-model calls on one run
    // can lose an entry there too.
    const run = await store.getRun(input.run_id);
    await store.logBatch(input.run_id, { tags: [appendLogModelHistory(run.data.tags, model)] });
    return {};
  });

  ctx.mlflow('POST', '/runs/log-inputs', async (req) => {
    const input = parseInput(LogInputs, req.json);
    validateRunId(input.run_id);
    const inputs: DatasetInput[] = (input.datasets ?? []).map((d) => ({
      tags: d.tags ?? [],
      dataset: {
        name: d.dataset.name,
        digest: d.dataset.digest,
        sourceType: d.dataset.source_type,
        source: d.dataset.source,
        schema: d.dataset.schema ?? null,
        profile: d.dataset.profile ?? null,
      },
    }));
    validateDatasetInputs(inputs);
    req.audit = { entityType: 'run', entityId: input.run_id };
    await store.logInputs(input.run_id, inputs);
    return {};
  });

  ctx.mlflow('POST', '/runs/outputs', async (req) => {
    const input = parseInput(LogOutputs, req.json);
    validateRunId(input.run_id);
    req.audit = { entityType: 'run', entityId: input.run_id };
    await store.logOutputs(
      input.run_id,
      input.models.map((m) => ({ modelId: m.model_id, step: m.step ?? 0 })),
    );
    return {};
  });

  ctx.mlflow('GET', '/metrics/get-history', async (req) => {
    const input = parseInput(GetMetricHistory, req.json);
    validateRunId(input.run_id);
    if (input.max_results !== undefined && input.max_results < 1) {
      throw invalidParam(`Invalid value ${input.max_results} for parameter 'max_results' supplied: must be a positive integer`, 'max_results');
    }
    const page = await store.getMetricHistory(input.run_id, input.metric_key, {
      ...(input.max_results !== undefined ? { maxResults: input.max_results } : {}),
      ...(input.page_token ? { pageToken: input.page_token } : {}),
    });
    return pageToWire('metrics', page.items.map(metricToWire), page.nextPageToken);
  });

  ctx.mlflow('GET', '/metrics/get-history-bulk-interval', async (req) => {
    const input = parseInput(GetMetricHistoryBulkInterval, foldQueryLists(req.json));
    const runIds = [...new Set(input.run_ids)];
    if (runIds.length === 0) {
      throw invalidParam('GetMetricHistoryBulkInterval request must specify at least one run_id.', 'run_ids');
    }
    if (runIds.length > BULK_INTERVAL_MAX_RUN_IDS) {
      throw invalidParam(
        `GetMetricHistoryBulkInterval request cannot specify more than ${BULK_INTERVAL_MAX_RUN_IDS} run_ids. ` +
          `Received ${runIds.length} run_ids.`,
        'run_ids',
      );
    }
    runIds.forEach((id) => validateRunId(id, 'run_ids'));
    const { start_step: startStep, end_step: endStep } = input;
    if ((startStep === undefined) !== (endStep === undefined)) {
      throw invalidParam('If either start step or end step are specified, both must be specified.', 'start_step');
    }
    if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
      throw invalidParam('end_step must be greater than start_step. ', 'end_step');
    }
    if (input.max_results !== undefined && input.max_results < 1) {
      throw invalidParam(`Invalid value ${input.max_results} for parameter 'max_results' supplied: must be a positive integer`, 'max_results');
    }
    const perRun = Math.min(input.max_results ?? BULK_INTERVAL_MAX_RESULTS_PER_RUN, BULK_INTERVAL_MAX_RESULTS_PER_RUN);
    const points = await store.getMetricHistoryBulk(runIds, input.metric_key, {
      ...(startStep !== undefined ? { startStep } : {}),
      ...(endStep !== undefined ? { endStep } : {}),
      maxResults: Number.MAX_SAFE_INTEGER,
    });
    const sampled = sampleBulkHistory(points, runIds, perRun, startStep, endStep);
    return pageToWire(
      'metrics',
      sampled.map((m) => ({ key: m.key, value: metricValueToWire(m.value), timestamp: m.timestamp, step: m.step, run_id: m.runId })),
      undefined,
    );
  });

  // Databricks' bulk delete and restore, which MLflow's server also answers.
  ctx.mlflow('POST', '/databricks/runs/delete-runs', async (req) => {
    const input = parseInput(DeleteRuns, req.json);
    validateExperimentId(input.experiment_id);
    const maxRuns = resolveMaxResults(input.max_runs, BULK_RUNS_MAX, BULK_RUNS_MAX, 'max_runs');
    req.audit = { entityType: 'experiment', entityId: input.experiment_id };
    const page = await store.searchRuns({
      experimentIds: [input.experiment_id],
      viewType: 'ACTIVE_ONLY',
      filter: [{ entity: 'attribute', key: 'start_time', op: '<=', value: input.max_timestamp_millis }],
      orderBy: [],
      maxResults: maxRuns,
    });
    for (const run of page.items) await store.deleteRun(run.info.runId);
    return { runs_deleted: page.items.length };
  });

  ctx.mlflow('POST', '/databricks/runs/restore-runs', async (req) => {
    const input = parseInput(RestoreRuns, req.json);
    validateExperimentId(input.experiment_id);
    const maxRuns = resolveMaxResults(input.max_runs, BULK_RUNS_MAX, BULK_RUNS_MAX, 'max_runs');
    req.audit = { entityType: 'experiment', entityId: input.experiment_id };
    // The filter grammar has no deleted time, so page through the deleted runs and pick here.
    const chosen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await store.searchRuns({
        experimentIds: [input.experiment_id],
        viewType: 'DELETED_ONLY',
        filter: [],
        orderBy: [],
        maxResults: RUNS_MAX_RESULTS,
        pageToken,
      });
      for (const run of page.items) {
        if (chosen.length < maxRuns && (run.info.deletedTime ?? 0) >= input.min_timestamp_millis) chosen.push(run.info.runId);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined && chosen.length < maxRuns);
    for (const runId of chosen) await store.restoreRun(runId);
    return { runs_restored: chosen.length };
  });
}
