/**
 * Governance at the HTTP edge: authentication (bearer tokens), permission checks on MLflow's
 * registry routes (keyed by route, so the route handlers stay as they are), and webhook events
 * for the MLflow writes that the governance service does not perform itself.
 */
import type { FastifyRequest } from 'fastify';
import { HangarError } from '../../core/errors.js';
import type { Store } from '../../store/port.js';
import type { ModelVersion, RegisteredModel } from '../../store/types.js';
import { atLeast, governanceFor, optionalGovernanceFor, type Governance, type PermissionLevel, type Principal, type RegistryEventName } from '../../governance/index.js';
import type { ApiContext } from '../context.js';

const PRINCIPALS = new WeakMap<FastifyRequest, Principal>();
const ANON: Principal = { name: 'anonymous', isAdmin: false, authenticated: false };

/** The authenticated principal of a request (anonymous when it carried no token). */
export function principalOf(req: FastifyRequest): Principal {
  return PRINCIPALS.get(req) ?? ANON;
}

/** The governance service of the server that owns `store` (NOT_IMPLEMENTED for a store test double). */
export function governanceOf(store: Store): Governance {
  return governanceFor(store);
}

/**
 * The governance service, or undefined for a store that is not a database `openStore` opened
 * (test doubles); the registry routes then write through the store as before.
 */
export function optionalGovernanceOf(store: Store): Governance | undefined {
  return optionalGovernanceFor(store);
}

/** MLflow's REST routes answer under `/api/2.0/mlflow` and, for the web UI, `/ajax-api/2.0/mlflow`. */
export const MLFLOW_PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'] as const;
/** The artifact proxy answers under both prefixes too (the web UI uses the ajax one). */
const ARTIFACT_PREFIXES = ['/api/2.0/mlflow-artifacts/', '/ajax-api/2.0/mlflow-artifacts/'];
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Model-level checks on MLflow's registry routes: the level the caller needs on the model named in the request. */
const MODEL_ROUTES: Record<string, { level: PermissionLevel; what: string; field?: string }> = {
  'POST /registered-models/rename': { level: 'CAN_MANAGE', what: 'rename a registered model' },
  'DELETE /registered-models/delete': { level: 'CAN_MANAGE', what: 'delete a registered model' },
  'PATCH /registered-models/update': { level: 'CAN_EDIT', what: 'edit a registered model' },
  'POST /registered-models/set-tag': { level: 'CAN_EDIT', what: 'tag a registered model' },
  'DELETE /registered-models/delete-tag': { level: 'CAN_EDIT', what: 'untag a registered model' },
  'POST /model-versions/create': { level: 'CAN_EDIT', what: 'create a model version' },
  'PATCH /model-versions/update': { level: 'CAN_EDIT', what: 'edit a model version' },
  'POST /model-versions/set-tag': { level: 'CAN_EDIT', what: 'tag a model version' },
  'DELETE /model-versions/delete-tag': { level: 'CAN_EDIT', what: 'untag a model version' },
  'DELETE /model-versions/delete': { level: 'CAN_MANAGE', what: 'delete a model version' },
  'GET /registered-models/get': { level: 'CAN_READ', what: 'read a registered model' },
  'GET /model-versions/get': { level: 'CAN_READ', what: 'read a model version' },
  'GET /registered-models/get-latest-versions': { level: 'CAN_READ', what: 'read a registered model' },
  'POST /registered-models/get-latest-versions': { level: 'CAN_READ', what: 'read a registered model' },
  'GET /model-versions/get-download-uri': { level: 'CAN_READ', what: 'read a model version' },
  'GET /registered-models/alias': { level: 'CAN_READ', what: 'read a registered model' },
};

/**
 * Routes whose permission depends on state read inside the governed transaction (stage
 * changes, aliases) or that check their own rules (governance routes): left to the service.
 */
const SERVICE_CHECKED = [
  'POST /model-versions/transition-stage',
  'POST /registered-models/alias',
  'DELETE /registered-models/alias',
  '/transition-requests/',
  '/comments/',
  '/databricks/',
  '/webhooks',
];

/** The route under either MLflow prefix (`/registered-models/update`), or undefined for other URLs. */
export function mlflowPath(url: string): string | undefined {
  for (const prefix of MLFLOW_PREFIXES) if (url.startsWith(`${prefix}/`)) return url.slice(prefix.length);
  return undefined;
}

/** The request's JSON input as the handler will see it (query for GET, body otherwise); {} when unreadable. */
function inputOf(req: FastifyRequest): Record<string, unknown> {
  if (req.method === 'GET') return (req.query ?? {}) as Record<string, unknown>;
  const raw = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Install authentication, permission checks and registry events on the server. Call after the
 * MLflow routes are registered (hooks apply to every route of the instance).
 */
export function installGovernance(ctx: ApiContext): Governance | undefined {
  const { app, config, store } = ctx;
  if (optionalGovernanceFor(store) === undefined) {
    if (config.auth) throw new HangarError('NOT_IMPLEMENTED', '--auth needs a metadata store opened by openStore (SQLite or PostgreSQL).');
    return undefined;
  }
  const governance = governanceFor(store, {
    auth: config.auth,
    ...(config.defaultPermission === undefined ? {} : { defaultPermission: config.defaultPermission }),
    webhooks: {
      allowPrivateHosts: config.webhookAllowPrivateHosts,
      log: (message, detail) => app.log.warn({ detail }, message),
    },
  });

  app.addHook('onRequest', async (req) => {
    const principal = await governance.authenticate(req.headers.authorization);
    PRINCIPALS.set(req, principal);
    req.principal = principal.name;
  });

  app.addHook('preHandler', async (req) => {
    const url = req.routeOptions.url;
    if (url === undefined) return;
    const path = mlflowPath(url);
    const principal = principalOf(req);
    if (path === undefined) {
      // Artifact uploads and other non-MLflow-REST writes need write access like tracking writes.
      if (MUTATING.has(req.method) && ARTIFACT_PREFIXES.some((p) => url.startsWith(p))) governance.requireWriter(principal, 'write artifacts');
      return;
    }
    const key = `${req.method} ${path}`;
    if (SERVICE_CHECKED.some((k) => key === k || path.startsWith(k))) return;
    const rule = MODEL_ROUTES[key];
    if (rule !== undefined) {
      const name = inputOf(req).name;
      if (typeof name === 'string' && name !== '') await governance.require(principal, name, rule.level, rule.what);
      return;
    }
    if (MUTATING.has(req.method)) governance.requireWriter(principal, `call ${key}`);
  });

  // Registry writes the route handlers perform themselves raise their events once the handler
  // has committed; dispatch runs in the background, so the answer is not held up.
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode !== 200 || !MUTATING.has(req.method) || req.routeOptions.url === undefined) return payload;
    const path = mlflowPath(req.routeOptions.url);
    if (path === undefined) return payload;
    const raised = registryEvent(`${req.method} ${path}`, req);
    if (raised !== undefined) void governance.emit(raised.name, raised.data).catch((e: unknown) => req.log.warn({ err: e }, 'webhook dispatch failed'));
    return payload;
  });

  // Searches list only the models the caller may read. Needed only when the default level is
  // below Can Read (everyone else reads every model); a page may then come back shorter.
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode !== 200 || typeof payload !== 'string' || req.routeOptions.url === undefined) return payload;
    const path = mlflowPath(req.routeOptions.url);
    const key = path === '/registered-models/search' ? 'registered_models' : path === '/model-versions/search' ? 'model_versions' : undefined;
    if (key === undefined) return payload;
    const principal = principalOf(req);
    if (principal.isAdmin || atLeast(governance.defaultPermission, 'CAN_READ')) return payload;
    const body = JSON.parse(payload) as Record<string, Array<{ name: string }> | undefined>;
    const items = body[key];
    if (items === undefined) return payload;
    const readable = new Map<string, boolean>();
    for (const name of new Set(items.map((i) => i.name))) {
      const level = await governance.levelOn(principal, name);
      readable.set(name, level !== undefined && atLeast(level, 'CAN_READ'));
    }
    const kept = items.filter((i) => readable.get(i.name) === true);
    if (kept.length === 0) delete body[key];
    else body[key] = kept;
    return JSON.stringify(body);
  });

  app.addHook('onReady', async () => {
    await governance.webhooks.resumePending().catch((e: unknown) => app.log.warn({ err: e }, 'resuming webhook deliveries failed'));
  });
  app.addHook('onClose', async () => governance.close());
  return governance;
}

function tagMap(tags: ReadonlyArray<{ key: string; value: string }>): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.key, t.value]));
}

function registryEvent(key: string, req: FastifyRequest): { name: RegistryEventName; data: Record<string, unknown> } | undefined {
  const after = req.audit?.after;
  const input = (req.json ?? {}) as Record<string, unknown>;
  switch (key) {
    case 'POST /registered-models/create': {
      const m = after as RegisteredModel | undefined;
      if (m === undefined) return undefined;
      return { name: 'registered_model.created', data: { name: m.name, tags: tagMap(m.tags), description: m.description } };
    }
    case 'POST /model-versions/create': {
      const v = after as ModelVersion | undefined;
      if (v === undefined) return undefined;
      return {
        name: 'model_version.created',
        data: { name: v.name, version: String(v.version), source: v.source, run_id: v.runId, tags: tagMap(v.tags), description: v.description },
      };
    }
    case 'POST /model-versions/set-tag':
      return { name: 'model_version_tag.set', data: { name: input.name, version: String(input.version), key: input.key, value: input.value } };
    case 'DELETE /model-versions/delete-tag':
      return { name: 'model_version_tag.deleted', data: { name: input.name, version: String(input.version), key: input.key } };
    default:
      return undefined;
  }
}
