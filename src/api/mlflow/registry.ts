import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalidParam } from '../../core/errors.js';
import {
  checkArchiveExisting,
  dedupeTags,
  parseStage,
  resolveVersionSource,
  validateAliasName,
  validateRegistryTag,
} from '../../registry/index.js';
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from '../../store/filter/index.js';
import type { Tag } from '../../store/types.js';
import type { ApiContext, AuditNote } from '../context.js';
import { intLike, parseInput, tagSchema } from '../input.js';
import { optionalGovernanceOf, principalOf } from '../hangar/auth.js';
import { listParam, modelVersionToWire, pageSize, registeredModelToWire } from './registry-wire.js';

/**
 * MLflow's model-registry REST routes (mlflow-wire.md §3 "Registered models", "Model versions",
 * "Aliases" and §4.2): registered models, versions, stages, tags and aliases. Handlers validate
 * at the edge, call the Store port and map results with `registry-wire.ts`; every write records
 * the entity before and after it in the audit trail.
 */

/** Search page sizes: MLflow's defaults and the largest value it accepts. */
export const REGISTERED_MODEL_PAGE = { default: 100, max: 1000 } as const;
export const MODEL_VERSION_PAGE = { default: 10_000, max: 200_000 } as const;

const versionInput = z.union([z.string(), z.number()]);
const tagList = z.array(tagSchema);
const textOrNull = z.string().nullish();

/** A field that must be present and non-empty, with MLflow's wording for a missing model name. */
function requireName(name: string, field = 'name'): string {
  if (name === '') throw invalidParam('Registered model name cannot be empty.', field);
  return name;
}

/** Model versions are decimal integers on the wire (`"3"`), and some clients send numbers. */
export function parseVersion(value: string | number, field = 'version'): number {
  const text = String(value).trim();
  const n = Number(text);
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw invalidParam(`Model version must be an integer, got '${String(value)}' (parameter '${field}').`, field);
  }
  return n;
}

function checkTags(entity: 'Registered model' | 'Model version', tags: readonly Tag[] | undefined): Tag[] {
  const list = dedupeTags(tags ?? []);
  for (const t of list) validateRegistryTag(entity, t, { key: 'tags', value: 'tags' });
  return list;
}

/** MLflow's registry does not record users; Hangar does once requests carry a real principal. */
const userOf = (req: FastifyRequest): string | null => (req.principal === 'anonymous' ? null : req.principal);

function audit(req: FastifyRequest, entityType: 'registered_model' | 'model_version', entityId: string): AuditNote {
  const note: AuditNote = { entityType, entityId };
  req.audit = note;
  return note;
}

const versionId = (name: string, version: number): string => `${name}/${version}`;

/** The GET form of a search sends lists in the query string; the POST form as JSON arrays. */
function searchInput(json: unknown): { filter?: string | null | undefined; max_results?: number | undefined; order_by?: string[]; page_token?: string | null | undefined } {
  const parsed = parseInput(
    z.object({ filter: textOrNull, max_results: intLike.optional(), page_token: textOrNull }),
    json,
  );
  const orderBy = listParam(json, 'order_by');
  const order_by = orderBy === undefined ? undefined : parseInput(z.object({ order_by: z.array(z.string()) }), { order_by: orderBy }).order_by;
  return { ...parsed, ...(order_by === undefined ? {} : { order_by }) };
}

export function registerRegistryRoutes(ctx: ApiContext): void {
  const { store } = ctx;

  // --- registered models -------------------------------------------------------------------

  ctx.mlflow('POST', '/registered-models/create', async (req) => {
    const body = parseInput(z.object({ name: z.string(), tags: tagList.optional(), description: textOrNull }), req.json);
    const name = requireName(body.name);
    const tags = checkTags('Registered model', body.tags);
    const note = audit(req, 'registered_model', name);
    const model = await store.createRegisteredModel({ name, tags, description: body.description ?? '', userId: userOf(req) });
    note.after = model;
    return { registered_model: registeredModelToWire(model) };
  });

  // MLflow 3 clients call this before most registry calls (the prompt check, mlflow3-wire.md
  // §4.10), so it stays one store read.
  ctx.mlflow('GET', '/registered-models/get', async (req) => {
    const { name } = parseInput(z.object({ name: z.string() }), req.json);
    return { registered_model: registeredModelToWire(await store.getRegisteredModel(requireName(name))) };
  });

  ctx.mlflow('GET', '/registered-models/search', async (req) => {
    const q = searchInput(req.json);
    const page = await store.searchRegisteredModels({
      filter: parseRegisteredModelFilter(q.filter),
      orderBy: parseRegisteredModelOrderBy(q.order_by),
      maxResults: pageSize(q.max_results, REGISTERED_MODEL_PAGE),
      pageToken: q.page_token ?? undefined,
    });
    const out: { registered_models?: unknown[]; next_page_token?: string } = {};
    if (page.items.length > 0) out.registered_models = page.items.map(registeredModelToWire);
    if (page.nextPageToken !== undefined && page.nextPageToken !== '') out.next_page_token = page.nextPageToken;
    return out;
  });

  ctx.mlflow('POST', '/registered-models/rename', async (req) => {
    const body = parseInput(z.object({ name: z.string(), new_name: z.string() }), req.json);
    const name = requireName(body.name);
    const newName = requireName(body.new_name, 'new_name');
    const note = audit(req, 'registered_model', name);
    note.before = await store.getRegisteredModel(name);
    const model = await store.renameRegisteredModel(name, newName);
    note.after = model;
    return { registered_model: registeredModelToWire(model) };
  });

  ctx.mlflow('PATCH', '/registered-models/update', async (req) => {
    const body = parseInput(z.object({ name: z.string(), description: textOrNull }), req.json);
    const name = requireName(body.name);
    const note = audit(req, 'registered_model', name);
    note.before = await store.getRegisteredModel(name);
    const model = await store.updateRegisteredModel(name, { description: body.description ?? '' });
    note.after = model;
    return { registered_model: registeredModelToWire(model) };
  });

  ctx.mlflow('DELETE', '/registered-models/delete', async (req) => {
    const { name } = parseInput(z.object({ name: z.string() }), req.json);
    const note = audit(req, 'registered_model', requireName(name));
    note.before = await store.getRegisteredModel(name);
    await store.deleteRegisteredModel(name);
    return {};
  });

  ctx.mlflow('POST', '/registered-models/set-tag', async (req) => {
    const body = parseInput(z.object({ name: z.string(), key: z.string(), value: z.string() }), req.json);
    const name = requireName(body.name);
    const tag = { key: body.key, value: body.value };
    validateRegistryTag('Registered model', tag);
    const note = audit(req, 'registered_model', name);
    note.before = await store.getRegisteredModel(name);
    await store.setRegisteredModelTag(name, tag);
    note.after = await store.getRegisteredModel(name);
    return {};
  });

  ctx.mlflow('DELETE', '/registered-models/delete-tag', async (req) => {
    const body = parseInput(z.object({ name: z.string(), key: z.string() }), req.json);
    const name = requireName(body.name);
    const note = audit(req, 'registered_model', name);
    note.before = await store.getRegisteredModel(name);
    await store.deleteRegisteredModelTag(name, body.key);
    note.after = await store.getRegisteredModel(name);
    return {};
  });

  const getLatestVersions = async (req: FastifyRequest): Promise<unknown> => {
    const { name } = parseInput(z.object({ name: z.string() }), req.json);
    const raw = listParam(req.json, 'stages') ?? [];
    const { stages } = parseInput(z.object({ stages: z.array(z.string()) }), { stages: raw });
    const versions = await store.getLatestVersions(requireName(name), stages.map((s) => parseStage(s, 'stages')));
    return versions.length === 0 ? {} : { model_versions: versions.map((v) => modelVersionToWire(v)) };
  };
  ctx.mlflow('POST', '/registered-models/get-latest-versions', getLatestVersions);
  ctx.mlflow('GET', '/registered-models/get-latest-versions', getLatestVersions);

  // --- model versions ----------------------------------------------------------------------

  ctx.mlflow('POST', '/model-versions/create', async (req) => {
    const body = parseInput(
      z.object({
        name: z.string(),
        source: z.string(),
        run_id: textOrNull,
        tags: tagList.optional(),
        run_link: textOrNull,
        description: textOrNull,
        model_id: textOrNull,
      }),
      req.json,
    );
    const name = requireName(body.name);
    if (body.source === '') {
      throw invalidParam("Missing value for required parameter 'source'. See the API docs for more information about request parameters.", 'source');
    }
    const tags = checkTags('Model version', body.tags);
    const modelId = body.model_id === undefined || body.model_id === null || body.model_id === '' ? null : body.model_id;
    const resolved = await resolveVersionSource(store, { source: body.source, runId: body.run_id, modelId });
    const note = audit(req, 'model_version', name);
    const version = await store.createModelVersion({
      name,
      source: body.source,
      storageLocation: resolved.storageLocation,
      runId: resolved.runId,
      runLink: body.run_link ?? '',
      description: body.description ?? '',
      tags,
      userId: userOf(req),
      modelId,
    });
    note.entityId = versionId(name, version.version);
    note.after = version;
    return { model_version: modelVersionToWire(version) };
  });

  ctx.mlflow('GET', '/model-versions/get', async (req) => {
    const q = parseInput(z.object({ name: z.string(), version: versionInput }), req.json);
    const version = await store.getModelVersion(requireName(q.name), parseVersion(q.version));
    return { model_version: modelVersionToWire(version) };
  });

  ctx.mlflow('PATCH', '/model-versions/update', async (req) => {
    const body = parseInput(z.object({ name: z.string(), version: versionInput, description: textOrNull }), req.json);
    const name = requireName(body.name);
    const v = parseVersion(body.version);
    const note = audit(req, 'model_version', versionId(name, v));
    note.before = await store.getModelVersion(name, v);
    const version = await store.updateModelVersion(name, v, { description: body.description ?? '' });
    note.after = version;
    return { model_version: modelVersionToWire(version) };
  });

  ctx.mlflow('DELETE', '/model-versions/delete', async (req) => {
    const body = parseInput(z.object({ name: z.string(), version: versionInput }), req.json);
    const name = requireName(body.name);
    const v = parseVersion(body.version);
    const note = audit(req, 'model_version', versionId(name, v));
    note.before = await store.getModelVersion(name, v);
    await store.deleteModelVersion(name, v);
    return {};
  });

  ctx.mlflow('POST', '/model-versions/transition-stage', async (req) => {
    const body = parseInput(
      z.object({
        name: z.string(),
        version: versionInput,
        stage: z.string(),
        archive_existing_versions: z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]).nullish(),
      }),
      req.json,
    );
    const name = requireName(body.name);
    const v = parseVersion(body.version);
    const stage = parseStage(body.stage);
    const archive = body.archive_existing_versions ?? false;
    checkArchiveExisting(stage, archive);
    const note = audit(req, 'model_version', versionId(name, v));
    note.before = await store.getModelVersion(name, v);
    // Through governance: permission by from/to stage, activity log, champion kept on Production.
    const governance = optionalGovernanceOf(store);
    if (governance === undefined) await store.transitionModelVersionStage(name, v, stage, archive);
    else await governance.transitionStage(principalOf(req), { name, version: v, stage, archiveExisting: archive });
    const version = await store.getModelVersion(name, v);
    note.after = version;
    return { model_version: modelVersionToWire(version) };
  });

  ctx.mlflow('POST', '/model-versions/set-tag', async (req) => {
    const body = parseInput(z.object({ name: z.string(), version: versionInput, key: z.string(), value: z.string() }), req.json);
    const name = requireName(body.name);
    const v = parseVersion(body.version);
    const tag = { key: body.key, value: body.value };
    validateRegistryTag('Model version', tag);
    const note = audit(req, 'model_version', versionId(name, v));
    note.before = await store.getModelVersion(name, v);
    await store.setModelVersionTag(name, v, tag);
    note.after = await store.getModelVersion(name, v);
    return {};
  });

  ctx.mlflow('DELETE', '/model-versions/delete-tag', async (req) => {
    const body = parseInput(z.object({ name: z.string(), version: versionInput, key: z.string() }), req.json);
    const name = requireName(body.name);
    const v = parseVersion(body.version);
    const note = audit(req, 'model_version', versionId(name, v));
    note.before = await store.getModelVersion(name, v);
    await store.deleteModelVersionTag(name, v, body.key);
    note.after = await store.getModelVersion(name, v);
    return {};
  });

  ctx.mlflow('GET', '/model-versions/search', async (req) => {
    const q = searchInput(req.json);
    const page = await store.searchModelVersions({
      filter: parseModelVersionFilter(q.filter),
      orderBy: parseModelVersionOrderBy(q.order_by),
      maxResults: pageSize(q.max_results, MODEL_VERSION_PAGE),
      pageToken: q.page_token ?? undefined,
    });
    const out: { model_versions?: unknown[]; next_page_token?: string } = {};
    if (page.items.length > 0) out.model_versions = page.items.map((v) => modelVersionToWire(v));
    if (page.nextPageToken !== undefined && page.nextPageToken !== '') out.next_page_token = page.nextPageToken;
    return out;
  });

  ctx.mlflow('GET', '/model-versions/get-download-uri', async (req) => {
    const q = parseInput(z.object({ name: z.string(), version: versionInput }), req.json);
    const version = await store.getModelVersion(requireName(q.name), parseVersion(q.version));
    return { artifact_uri: version.storageLocation };
  });

  // --- aliases -----------------------------------------------------------------------------

  ctx.mlflow('POST', '/registered-models/alias', async (req) => {
    const body = parseInput(z.object({ name: z.string(), alias: z.string(), version: versionInput }), req.json);
    const name = requireName(body.name);
    validateAliasName(body.alias);
    const v = parseVersion(body.version);
    const note = audit(req, 'registered_model', name);
    note.before = await store.getRegisteredModel(name);
    const governance = optionalGovernanceOf(store);
    if (governance === undefined) await store.setAlias(name, body.alias, v);
    else await governance.setAlias(principalOf(req), { name, alias: body.alias, version: v });
    note.after = await store.getRegisteredModel(name);
    return {};
  });

  ctx.mlflow('GET', '/registered-models/alias', async (req) => {
    const q = parseInput(z.object({ name: z.string(), alias: z.string() }), req.json);
    const name = requireName(q.name);
    validateAliasName(q.alias);
    const version = await store.getModelVersionByAlias(name, q.alias);
    return { model_version: modelVersionToWire(version, { withAliases: true }) };
  });

  ctx.mlflow('DELETE', '/registered-models/alias', async (req) => {
    const body = parseInput(z.object({ name: z.string(), alias: z.string() }), req.json);
    const name = requireName(body.name);
    validateAliasName(body.alias);
    const note = audit(req, 'registered_model', name);
    note.before = await store.getRegisteredModel(name);
    const governance = optionalGovernanceOf(store);
    if (governance === undefined) await store.deleteAlias(name, body.alias);
    else await governance.deleteAlias(principalOf(req), { name, alias: body.alias });
    note.after = await store.getRegisteredModel(name);
    return {};
  });
}
