/**
 * Hangar's own governance REST routes under `/api/2.0/hangar/…`: who am I, tokens, model
 * permissions, activities, promotion history and rollback, the delivery log, and raising
 * events (e.g. `validation.completed`) from outside the server.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HangarError } from '../../core/errors.js';
import { REGISTRY_EVENTS, parseLevel } from '../../governance/index.js';
import { parseEventTime } from '../../serving/index.js';
import type { ApiContext, Handler } from '../context.js';
import { intLike, parseInput } from '../input.js';
import { parseVersion } from '../mlflow/registry.js';
import { MLFLOW_PREFIXES, governanceOf, mlflowPath, principalOf } from './auth.js';
import { registerValidationRoutes } from './validation-routes.js';
import { activityToWire, deliveryToWire, permissionToWire, tokenToWire, webhookToWire } from './wire.js';

export const HANGAR_API = '/api/2.0/hangar';

/**
 * An audited action and its twin: MLflow's routes answer under both prefixes
 * (`MLFLOW_PREFIXES`), so the same change is recorded under either.
 */
function sameRoute(action: string): string[] {
  const space = action.indexOf(' ');
  const route = space < 0 ? undefined : mlflowPath(action.slice(space + 1));
  if (route === undefined) return [action];
  return MLFLOW_PREFIXES.map((p) => `${action.slice(0, space)} ${p}${route}`);
}

/** JSON input as the MLflow routes read it: the query for GET, the JSON body otherwise. */
function jsonOf(req: FastifyRequest): unknown {
  if (req.method === 'GET') return req.query ?? {};
  const raw = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return req.method === 'DELETE' ? (req.query ?? {}) : {};
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Malformed JSON in request body: ${(e as Error).message}`, { field: '(body)' });
  }
}

/** Register a Hangar route under `/api/2.0/hangar<path>`: JSON in (query for GET, body otherwise), JSON out. */
export function hangarRoute(ctx: ApiContext, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, handler: Handler): void {
  ctx.app.route({
    method,
    url: `${HANGAR_API}${path}`,
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      req.json = jsonOf(req);
      const result = await handler(req, reply);
      if (reply.sent) return reply;
      return reply.type('application/json').send(result ?? {});
    },
  });
}

const versionInput = z.union([z.string(), z.number()]);

export function registerHangarRoutes(ctx: ApiContext): void {
  const gov = () => governanceOf(ctx.store);
  registerValidationRoutes(ctx, hangarRoute);

  hangarRoute(ctx, 'GET', '/whoami', async (req) => {
    const p = principalOf(req);
    return { user: p.name, is_admin: p.isAdmin, authenticated: p.authenticated, auth_required: gov().auth, default_permission: gov().defaultPermission };
  });

  // --- tokens (admins; the CLI also manages them directly on the database) ------------------------

  hangarRoute(ctx, 'POST', '/tokens/create', async (req) => {
    const body = parseInput(z.object({ user: z.string().min(1), is_admin: z.boolean().optional(), description: z.string().nullish() }), req.json);
    gov().requireAdmin(principalOf(req), 'create tokens');
    req.audit = { entityType: 'token', entityId: body.user };
    const { token, record } = await gov().createToken({ principal: body.user, isAdmin: body.is_admin ?? false, description: body.description ?? null });
    req.audit.entityId = record.tokenId;
    req.audit.after = tokenToWire(record);
    return { token, token_info: tokenToWire(record) };
  });

  hangarRoute(ctx, 'GET', '/tokens/list', async (req) => {
    const q = parseInput(z.object({ user: z.string().optional() }), req.json);
    gov().requireAdmin(principalOf(req), 'list tokens');
    return { tokens: (await gov().store.listTokens(q.user)).map(tokenToWire) };
  });

  hangarRoute(ctx, 'POST', '/tokens/revoke', async (req) => {
    const body = parseInput(z.object({ token_id: z.string().min(1) }), req.json);
    gov().requireAdmin(principalOf(req), 'revoke tokens');
    req.audit = { entityType: 'token', entityId: body.token_id };
    return { token_info: tokenToWire(await gov().store.revokeToken(body.token_id)) };
  });

  // --- audit trail (admins) ---------------------------------------------------------------------

  hangarRoute(ctx, 'GET', '/audit/list', async (req) => {
    const q = parseInput(
      z.object({
        entity_type: z.string().min(1).optional(),
        entity_id: z.string().min(1).optional(),
        principal: z.string().min(1).optional(),
        action: z.string().min(1).optional(),
        from: z.string().min(1).optional(),
        to: z.string().min(1).optional(),
        status: z.enum(['succeeded', 'failed']).optional(),
        max_results: intLike.pipe(z.number().int().min(1).max(10_000)).optional(),
        page_token: z.string().optional(),
      }),
      req.json,
    );
    const from = q.from === undefined ? undefined : parseEventTime(q.from, 'from');
    const to = q.to === undefined ? undefined : parseEventTime(q.to, 'to');
    if (from !== undefined && to !== undefined && from >= to) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `to must be after from (rows at or after from and before to); got from=${q.from}, to=${q.to}.`, { field: 'to' });
    }
    gov().requireAdmin(principalOf(req), 'read the audit trail');
    const page = await ctx.store.listAudit({
      maxResults: q.max_results ?? 100,
      pageToken: q.page_token,
      entityType: q.entity_type,
      entityId: q.entity_id,
      principal: q.principal,
      actions: q.action === undefined ? undefined : sameRoute(q.action),
      fromTimestamp: from,
      toTimestamp: to,
      outcome: q.status,
    });
    return {
      entries: page.items.map((e) => ({
        id: e.id,
        timestamp: e.timestamp,
        principal: e.principal,
        action: e.action,
        entity_type: e.entityType,
        entity_id: e.entityId,
        status: e.status,
        before: e.before === null ? null : (JSON.parse(e.before) as unknown),
        after: e.after === null ? null : (JSON.parse(e.after) as unknown),
        request_id: e.requestId,
      })),
      ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }),
    };
  });

  // --- permissions ------------------------------------------------------------------------------

  hangarRoute(ctx, 'GET', '/permissions/list', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1) }), req.json);
    return { permissions: (await gov().listPermissions(principalOf(req), q.name)).map(permissionToWire) };
  });

  hangarRoute(ctx, 'POST', '/permissions/set', async (req) => {
    const body = parseInput(z.object({ name: z.string().min(1), principal: z.string().min(1), level: z.string() }), req.json);
    const level = parseLevel(body.level);
    req.audit = { entityType: 'registered_model', entityId: body.name };
    const permission = await gov().setPermission(principalOf(req), body.name, body.principal, level);
    req.audit.after = permissionToWire(permission);
    return { permission: permissionToWire(permission) };
  });

  hangarRoute(ctx, 'DELETE', '/permissions/delete', async (req) => {
    const body = parseInput(z.object({ name: z.string().min(1), principal: z.string().min(1) }), req.json);
    req.audit = { entityType: 'registered_model', entityId: body.name };
    await gov().deletePermission(principalOf(req), body.name, body.principal);
    return {};
  });

  // --- activities, history, rollback --------------------------------------------------------------

  hangarRoute(ctx, 'GET', '/activities/list', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1), version: versionInput }), req.json);
    const activities = await gov().listActivities(principalOf(req), q.name, parseVersion(q.version));
    return { activities: activities.map(activityToWire) };
  });

  hangarRoute(ctx, 'GET', '/models/history', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1) }), req.json);
    return { history: (await gov().history(principalOf(req), q.name)).map(activityToWire) };
  });

  hangarRoute(ctx, 'POST', '/models/rollback', async (req) => {
    const body = parseInput(z.object({ name: z.string().min(1), comment: z.string().nullish() }), req.json);
    req.audit = { entityType: 'registered_model', entityId: body.name };
    const result = await gov().rollback(principalOf(req), { name: body.name, comment: body.comment });
    req.audit.after = result;
    return { from_version: String(result.from), to_version: String(result.to), activities: result.activities.map(activityToWire) };
  });

  // --- webhook delivery log and events ----------------------------------------------------------------

  // MLflow 3's webhook routes (/api/2.0/mlflow/webhooks) are for admins and registry-wide hooks;
  // these take Databricks' `model_name`, so a model's managers can run its webhooks themselves.
  const webhookInput = {
    name: z.string().min(1),
    url: z.string().min(1),
    events: z.array(z.unknown()).min(1),
    secret: z.string().nullish(),
    description: z.string().nullish(),
    status: z.string().nullish(),
    model_name: z.string().nullish(),
  };

  hangarRoute(ctx, 'POST', '/webhooks/create', async (req) => {
    const body = parseInput(z.object(webhookInput), req.json);
    req.audit = { entityType: 'webhook', entityId: '' };
    const webhook = await gov().createWebhook(principalOf(req), { ...body, modelName: body.model_name ?? null });
    req.audit.entityId = webhook.id;
    req.audit.after = webhookToWire(webhook);
    return { webhook: webhookToWire(webhook) };
  });

  hangarRoute(ctx, 'GET', '/webhooks/list', async (req) => {
    const q = parseInput(z.object({ model_name: z.string().min(1).optional() }), req.json);
    const webhooks = await gov().listWebhooks(principalOf(req), q.model_name === undefined ? {} : { modelName: q.model_name });
    return { webhooks: webhooks.map(webhookToWire) };
  });

  hangarRoute(ctx, 'DELETE', '/webhooks/delete', async (req) => {
    const body = parseInput(z.object({ id: z.string().min(1) }), req.json);
    req.audit = { entityType: 'webhook', entityId: body.id };
    await gov().deleteWebhook(principalOf(req), body.id);
    return {};
  });

  hangarRoute(ctx, 'GET', '/webhooks/deliveries', async (req) => {
    const q = parseInput(z.object({ webhook_id: z.string().optional(), max_results: intLike.optional() }), req.json);
    if (q.webhook_id === undefined) gov().requireAdmin(principalOf(req), 'read webhook deliveries');
    else await gov().requireWebhookManager(principalOf(req), await gov().store.getWebhook(q.webhook_id), 'read webhook deliveries');
    const deliveries = await gov().store.listDeliveries({ ...(q.webhook_id === undefined ? {} : { webhookId: q.webhook_id }), maxResults: q.max_results ?? 100 });
    return { deliveries: deliveries.map(deliveryToWire) };
  });

  hangarRoute(ctx, 'POST', '/events/emit', async (req) => {
    const body = parseInput(z.object({ event: z.enum(REGISTRY_EVENTS), data: z.record(z.string(), z.unknown()) }), req.json);
    const name = body.data.name;
    if (typeof name === 'string' && name !== '') await gov().require(principalOf(req), name, 'CAN_EDIT', `raise ${body.event}`);
    else gov().requireAdmin(principalOf(req), `raise ${body.event} without a model name`);
    req.audit = { entityType: 'event', entityId: body.event };
    await gov().emit(body.event, body.data);
    return {};
  });
}
