import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { artifactUriToStorePath, checkArtifactPath } from '../../artifacts/index.js';
import { HangarError, invalidParam } from '../../core/errors.js';
import { newLoggedModelId, newRunName } from '../../core/ids.js';
import { parseLoggedModelFilter, parseLoggedModelOrderBy, type LoggedModelOrderField } from '../../store/filter/index.js';
import type { LoggedModelStatus, Tag } from '../../store/types.js';
import type { ApiContext, AuditNote } from '../context.js';
import { intLike, parseInput, tagSchema } from '../input.js';
import { loggedModelToWire, pageSize } from './registry-wire.js';

/**
 * MLflow 3's LoggedModel routes (mlflow3-wire.md §2.1, §4, §6): create, get, finalize, delete,
 * search, tags, params and the artifact listing. A LoggedModel owns an artifact folder under its
 * experiment; MLflow 3's `log_model` creates one, uploads the files there, then finalizes it.
 */

/** `logged-models/search` page size: the proto's default, which is also its maximum. */
export const LOGGED_MODEL_PAGE = { default: 50, max: 50 } as const;

/** The statuses a finalize call may set; PENDING is only ever the status at creation. */
const FINAL_STATUSES: readonly LoggedModelStatus[] = ['LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'];

const idLike = z.union([z.string(), z.number().transform(String)]);
const textOrNull = z.string().nullish();

function modelIdOf(req: FastifyRequest): string {
  return (req.params as { model_id: string }).model_id;
}

function audit(req: FastifyRequest, modelId: string): AuditNote {
  const note: AuditNote = { entityType: 'logged_model', entityId: modelId };
  req.audit = note;
  return note;
}

function checkTags(tags: readonly Tag[], field: string): Tag[] {
  for (const t of tags) {
    if (t.key === '') throw invalidParam(`Invalid ${field}: a tag key must not be empty.`, field);
  }
  return [...tags];
}

export function registerLoggedModelRoutes(ctx: ApiContext): void {
  const { store } = ctx;

  ctx.mlflow('POST', '/logged-models', async (req) => {
    const body = parseInput(
      z.object({
        experiment_id: idLike,
        name: textOrNull,
        source_run_id: textOrNull,
        model_type: textOrNull,
        params: z.array(tagSchema).optional(),
        tags: z.array(tagSchema).optional(),
      }),
      req.json,
    );
    const experiment = await store.getExperiment(body.experiment_id);
    if (experiment.lifecycleStage !== 'active') {
      throw invalidParam(
        `The experiment ${experiment.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`,
        'experiment_id',
      );
    }
    const modelId = newLoggedModelId();
    const note = audit(req, modelId);
    const model = await store.createLoggedModel({
      modelId,
      experimentId: experiment.experimentId,
      // MLflow names an unnamed model at random, as it does runs.
      name: body.name === undefined || body.name === null || body.name === '' ? newRunName() : body.name,
      sourceRunId: body.source_run_id === '' ? null : (body.source_run_id ?? null),
      modelType: body.model_type ?? '',
      params: checkTags(body.params ?? [], 'params'),
      tags: checkTags(body.tags ?? [], 'tags'),
    });
    note.after = model;
    return { model: loggedModelToWire(model) };
  });

  ctx.mlflow('POST', '/logged-models/search', async (req) => {
    const body = parseInput(
      z.object({
        experiment_ids: z.array(idLike).optional(),
        filter: textOrNull,
        max_results: intLike.optional(),
        order_by: z.array(z.union([z.string(), z.object({ field_name: z.string() }).passthrough()])).nullish(),
        page_token: textOrNull,
        datasets: z.array(z.object({ dataset_name: z.string().nullish(), dataset_digest: z.string().nullish() })).nullish(),
      }),
      req.json,
    );
    if ((body.datasets ?? []).length > 0) {
      // Restricting metrics to datasets needs per-dataset metric filtering the store does not
      // offer yet; answering without it would return wrong models. A 4xx, because MLflow
      // clients retry every 5xx for minutes.
      throw new HangarError('INVALID_PARAMETER_VALUE', 'Searching logged models by datasets is not supported yet; leave out "datasets".', { field: 'datasets' });
    }
    const maxResults = pageSize(body.max_results, LOGGED_MODEL_PAGE);
    const filter = parseLoggedModelFilter(body.filter);
    const orderBy = parseLoggedModelOrderBy((body.order_by ?? []) as Array<string | LoggedModelOrderField>);
    const experimentIds = body.experiment_ids ?? [];
    if (experimentIds.length === 0) return {};
    const page = await store.searchLoggedModels({
      experimentIds,
      filter,
      orderBy,
      maxResults,
      pageToken: body.page_token ?? undefined,
    });
    const out: { models?: unknown[]; next_page_token?: string } = {};
    if (page.items.length > 0) out.models = page.items.map(loggedModelToWire);
    if (page.nextPageToken !== undefined && page.nextPageToken !== '') out.next_page_token = page.nextPageToken;
    return out;
  });

  ctx.mlflow('GET', '/logged-models/:model_id', async (req) => {
    return { model: loggedModelToWire(await store.getLoggedModel(modelIdOf(req))) };
  });

  ctx.mlflow('DELETE', '/logged-models/:model_id', async (req) => {
    const modelId = modelIdOf(req);
    const note = audit(req, modelId);
    note.before = await store.getLoggedModel(modelId);
    await store.deleteLoggedModel(modelId);
    return {};
  });

  // Finalize. The id is in the path and, from MLflow clients, also in the body; the path wins.
  ctx.mlflow('PATCH', '/logged-models/:model_id', async (req) => {
    const modelId = modelIdOf(req);
    const body = parseInput(z.object({ status: z.string() }), req.json);
    const status = FINAL_STATUSES.find((s) => s === body.status);
    if (status === undefined) {
      throw invalidParam(
        `Invalid logged model status '${body.status}'. A model can be finalized with ${FINAL_STATUSES.join(' or ')}.`,
        'status',
      );
    }
    const note = audit(req, modelId);
    note.before = await store.getLoggedModel(modelId);
    const model = await store.finalizeLoggedModel(modelId, status);
    note.after = model;
    return { model: loggedModelToWire(model) };
  });

  ctx.mlflow('PATCH', '/logged-models/:model_id/tags', async (req) => {
    const modelId = modelIdOf(req);
    const body = parseInput(z.object({ tags: z.array(tagSchema) }), req.json);
    const tags = checkTags(body.tags, 'tags');
    const note = audit(req, modelId);
    note.before = await store.getLoggedModel(modelId);
    await store.setLoggedModelTags(modelId, tags);
    note.after = await store.getLoggedModel(modelId);
    return {};
  });

  // Tag keys may contain `/`, so the key is the rest of the path.
  ctx.mlflow('DELETE', '/logged-models/:model_id/tags/*', async (req) => {
    const modelId = modelIdOf(req);
    const key = (req.params as { '*': string })['*'];
    if (key === '') throw invalidParam("Missing value for required parameter 'tag_key'.", 'tag_key');
    const note = audit(req, modelId);
    note.before = await store.getLoggedModel(modelId);
    await store.deleteLoggedModelTag(modelId, key);
    note.after = await store.getLoggedModel(modelId);
    return {};
  });

  ctx.mlflow('POST', '/logged-models/:model_id/params', async (req) => {
    const modelId = modelIdOf(req);
    const body = parseInput(z.object({ params: z.array(tagSchema).optional() }), req.json);
    const params = checkTags(body.params ?? [], 'params');
    const note = audit(req, modelId);
    note.before = await store.getLoggedModel(modelId);
    if (params.length > 0) await store.logLoggedModelParams(modelId, params);
    note.after = await store.getLoggedModel(modelId);
    return {};
  });

  // MLflow's proto names the query field `artifact_directory_path`; accept `artifact_path` too.
  ctx.mlflow('GET', '/logged-models/:model_id/artifacts/directories', async (req) => {
    const q = parseInput(z.object({ artifact_directory_path: textOrNull, artifact_path: textOrNull }), req.json);
    const model = await store.getLoggedModel(modelIdOf(req));
    const field = q.artifact_directory_path === undefined || q.artifact_directory_path === null ? 'artifact_path' : 'artifact_directory_path';
    const dir = checkArtifactPath((q.artifact_directory_path ?? q.artifact_path ?? '').replace(/^\/+|\/+$/g, ''), { allowRoot: true, field });
    const root = artifactUriToStorePath(model.artifactLocation, ctx.artifacts.rootUri);
    if (root === null) {
      throw new HangarError(
        'NOT_IMPLEMENTED',
        `The artifacts of logged model '${model.modelId}' are at ${model.artifactLocation}, outside this server's artifact store.`,
      );
    }
    const path = [root, dir].filter((p) => p !== '').join('/');
    const entries = await ctx.artifacts.list(path);
    const out: { root_uri: string; files?: unknown[] } = { root_uri: model.artifactLocation };
    if (entries !== null && entries.length > 0) {
      // Like `artifacts/list` for runs, paths are relative to the model's artifact root.
      out.files = entries.map((e) => {
        const f: { path: string; is_dir: boolean; file_size?: number } = { path: dir === '' ? e.path : `${dir}/${e.path}`, is_dir: e.isDir };
        if (!e.isDir && e.fileSize !== undefined) f.file_size = e.fileSize;
        return f;
      });
    }
    return out;
  });
}
