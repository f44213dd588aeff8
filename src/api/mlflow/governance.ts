/**
 * Governance routes on MLflow's prefixes: Databricks' transition requests, comments and
 * commented transition-stage (semantics.md §b), and MLflow 3's webhooks. Permission checks and
 * the transactional work happen in the governance service.
 */
import { z } from 'zod';
import { invalidParam } from '../../core/errors.js';
import { checkArchiveExisting, parseStage } from '../../registry/index.js';
import type { ApiContext } from '../context.js';
import { intLike, parseInput } from '../input.js';
import { governanceOf, principalOf } from '../hangar/auth.js';
import { activityToWire, commentToWire, deliveryToWire, requestToWire, webhookToWire } from '../hangar/wire.js';
import { modelVersionToWire } from './registry-wire.js';
import { parseVersion } from './registry.js';

const versionInput = z.union([z.string(), z.number()]);
const text = z.string().nullish();
const boolLike = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);

const requestBody = z.object({ name: z.string().min(1), version: versionInput, stage: z.string(), comment: text });

export function registerGovernanceRoutes(ctx: ApiContext): void {
  const { store } = ctx;
  const gov = () => governanceOf(store);

  // --- transition requests (Databricks) -------------------------------------------------------

  ctx.mlflow('POST', '/transition-requests/create', async (req) => {
    const body = parseInput(requestBody, req.json);
    const version = parseVersion(body.version);
    req.audit = { entityType: 'model_version', entityId: `${body.name}/${version}` };
    const { request } = await gov().createRequest(principalOf(req), { name: body.name, version, stage: parseStage(body.stage), comment: body.comment });
    req.audit.after = request;
    return { request: requestToWire(request) };
  });

  ctx.mlflow('GET', '/transition-requests/list', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1), version: versionInput }), req.json);
    const requests = await gov().listRequests(principalOf(req), q.name, parseVersion(q.version));
    return { requests: requests.map(requestToWire) };
  });

  ctx.mlflow('POST', '/transition-requests/approve', async (req) => {
    const body = parseInput(requestBody.extend({ archive_existing_versions: boolLike }), req.json);
    const version = parseVersion(body.version);
    const stage = parseStage(body.stage);
    checkArchiveExisting(stage, body.archive_existing_versions);
    req.audit = { entityType: 'model_version', entityId: `${body.name}/${version}` };
    const { outcome } = await gov().approveRequest(principalOf(req), {
      name: body.name,
      version,
      stage,
      archiveExisting: body.archive_existing_versions,
      comment: body.comment,
    });
    req.audit.after = outcome;
    const approved = outcome.activities.find((a) => a.activityType === 'APPROVED_REQUEST')!;
    return { activity: activityToWire(approved) };
  });

  ctx.mlflow('POST', '/transition-requests/reject', async (req) => {
    const body = parseInput(requestBody, req.json);
    const version = parseVersion(body.version);
    req.audit = { entityType: 'model_version', entityId: `${body.name}/${version}` };
    const { activity } = await gov().rejectRequest(principalOf(req), { name: body.name, version, stage: parseStage(body.stage), comment: body.comment });
    req.audit.after = activity;
    return { activity: activityToWire(activity) };
  });

  ctx.mlflow('DELETE', '/transition-requests/delete', async (req) => {
    const body = parseInput(requestBody.extend({ creator: z.string().min(1) }), { ...(req.query as object), ...(req.json as object) });
    const version = parseVersion(body.version);
    req.audit = { entityType: 'model_version', entityId: `${body.name}/${version}` };
    const { activity } = await gov().cancelRequest(principalOf(req), {
      name: body.name,
      version,
      stage: parseStage(body.stage),
      creator: body.creator,
      comment: body.comment,
    });
    req.audit.after = activity;
    return { activity: activityToWire(activity) };
  });

  // --- comments (Databricks) -----------------------------------------------------------------

  ctx.mlflow('POST', '/comments/create', async (req) => {
    const body = parseInput(z.object({ name: z.string().min(1), version: versionInput, comment: z.string() }), req.json);
    const version = parseVersion(body.version);
    req.audit = { entityType: 'model_version', entityId: `${body.name}/${version}` };
    const activity = await gov().createComment(principalOf(req), { name: body.name, version, comment: body.comment });
    req.audit.after = activity;
    return { comment: commentToWire(activity) };
  });

  ctx.mlflow('PATCH', '/comments/update', async (req) => {
    const body = parseInput(z.object({ id: intLike, comment: z.string() }), req.json);
    req.audit = { entityType: 'activity', entityId: String(body.id) };
    const activity = await gov().updateComment(principalOf(req), { id: body.id, comment: body.comment });
    req.audit.after = activity;
    return { comment: commentToWire(activity) };
  });

  ctx.mlflow('DELETE', '/comments/delete', async (req) => {
    const body = parseInput(z.object({ id: intLike }), { ...(req.query as object), ...(req.json as object) });
    req.audit = { entityType: 'activity', entityId: String(body.id) };
    await gov().deleteComment(principalOf(req), body.id);
    return {};
  });

  // --- Databricks' transition-stage: MLflow's, plus a comment ----------------------------------

  ctx.mlflow('POST', '/databricks/model-versions/transition-stage', async (req) => {
    const body = parseInput(requestBody.extend({ archive_existing_versions: boolLike.nullish() }), req.json);
    const version = parseVersion(body.version);
    const stage = parseStage(body.stage);
    const archive = body.archive_existing_versions ?? false;
    checkArchiveExisting(stage, archive);
    req.audit = { entityType: 'model_version', entityId: `${body.name}/${version}` };
    req.audit.before = await store.getModelVersion(body.name, version);
    await gov().transitionStage(principalOf(req), { name: body.name, version, stage, archiveExisting: archive, comment: body.comment });
    const after = await store.getModelVersion(body.name, version);
    req.audit.after = after;
    return { model_version_databricks: modelVersionToWire(after) };
  });

  // --- webhooks (MLflow 3) ---------------------------------------------------------------------

  // `model_name` is Hangar's (and Databricks') addition to MLflow 3's fields: a webhook limited to
  // one registered model, managed by that model's managers (Can Manage) as on Hangar's own routes.
  const webhookFields = {
    name: z.string().nullish(),
    description: text,
    url: z.string().nullish(),
    events: z.array(z.unknown()).nullish(),
    secret: text,
    status: text,
    model_name: text,
  };

  ctx.mlflow('POST', '/webhooks', async (req) => {
    const body = parseInput(z.object({ ...webhookFields, name: z.string().min(1), url: z.string().min(1), events: z.array(z.unknown()) }), req.json);
    req.audit = { entityType: 'webhook', entityId: '' };
    const webhook = await gov().createWebhook(principalOf(req), { ...body, modelName: body.model_name ?? null });
    req.audit.entityId = webhook.id;
    req.audit.after = webhookToWire(webhook);
    return { webhook: webhookToWire(webhook) };
  });

  ctx.mlflow('GET', '/webhooks', async (req) => {
    const q = parseInput(z.object({ model_name: z.string().min(1).optional() }), req.json);
    const webhooks = await gov().listWebhooks(principalOf(req), q.model_name === undefined ? {} : { modelName: q.model_name });
    return webhooks.length === 0 ? {} : { webhooks: webhooks.map(webhookToWire) };
  });

  const idParam = (req: { params: unknown }): string => parseInput(z.object({ webhook_id: z.string().min(1) }), req.params).webhook_id;

  ctx.mlflow('GET', '/webhooks/:webhook_id', async (req) => {
    const webhook = await gov().store.getWebhook(idParam(req));
    await gov().requireWebhookManager(principalOf(req), webhook, 'read webhooks');
    return { webhook: webhookToWire(webhook) };
  });

  ctx.mlflow('PATCH', '/webhooks/:webhook_id', async (req) => {
    const id = idParam(req);
    const body = parseInput(z.object(webhookFields), req.json);
    req.audit = { entityType: 'webhook', entityId: id };
    if (body.model_name != null) {
      // A webhook's scope is fixed at creation; refusing beats silently keeping the old model.
      const current = await gov().store.getWebhook(id);
      if (body.model_name !== current.modelName) {
        throw invalidParam(`model_name of webhook '${id}' cannot be changed; create a new webhook for model '${body.model_name}'.`, 'model_name');
      }
    }
    const webhook = await gov().updateWebhook(principalOf(req), id, body);
    req.audit.after = webhookToWire(webhook);
    return { webhook: webhookToWire(webhook) };
  });

  ctx.mlflow('DELETE', '/webhooks/:webhook_id', async (req) => {
    const id = idParam(req);
    req.audit = { entityType: 'webhook', entityId: id };
    await gov().deleteWebhook(principalOf(req), id);
    return {};
  });

  ctx.mlflow('POST', '/webhooks/:webhook_id/test', async (req) => {
    const id = idParam(req);
    const body = parseInput(z.object({ event: z.unknown().optional() }), req.json);
    req.audit = { entityType: 'webhook', entityId: id };
    const r = await gov().testWebhook(principalOf(req), id, body.event);
    return {
      result: {
        success: r.success,
        ...(r.responseStatus === null ? {} : { response_status: r.responseStatus }),
        ...(r.responseBody === null ? {} : { response_body: r.responseBody }),
        ...(r.errorMessage === null ? {} : { error_message: r.errorMessage }),
      },
    };
  });

  // Hangar's addition: the delivery log of one webhook, newest first.
  ctx.mlflow('GET', '/webhooks/:webhook_id/deliveries', async (req) => {
    const id = idParam(req);
    const q = parseInput(z.object({ max_results: intLike.optional() }), req.json);
    await gov().requireWebhookManager(principalOf(req), await gov().store.getWebhook(id), 'read webhook deliveries');
    const deliveries = await gov().store.listDeliveries({ webhookId: id, maxResults: q.max_results ?? 100 });
    return { deliveries: deliveries.map(deliveryToWire) };
  });
}
