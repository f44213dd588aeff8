import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { ERROR_STATUS, isHangarError, type HangarError } from '../core/errors.js';
import type { Config } from '../core/config.js';
import type { Store } from '../store/port.js';
import type { ArtifactStore } from '../artifacts/port.js';
import type { ApiContext, Handler } from './context.js';
import { registerMlflowRoutes } from './mlflow/index.js';
import { readJsonBody } from './input.js';
import { registerHangar } from './hangar/index.js';
import { HttpMetrics } from '../serving/index.js';
import { DEFAULT_WEB_ROOT, serveWeb } from './web-static.js';

export const HANGAR_VERSION = '0.1.0';
/** The MLflow version whose wire contract Hangar speaks; `/version` answers it. */
export const MLFLOW_COMPAT_VERSION = '2.12.2';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface ServerDeps {
  config: Config;
  store: Store;
  artifacts: ArtifactStore;
  /** pino options or false; the CLI passes its logger settings. */
  logger?: boolean | object;
  /** The built web UI served at `/` (default `dist/web/` of this package); false serves none. */
  webRoot?: string | false;
}

/** Build the HTTP server: MLflow-compatible routes, Hangar routes, one error mapping. */
export async function createServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, store, artifacts } = deps;
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: config.bodyLimitBytes,
    // MLflow clients send `run_id` in both query and body, and ids are strings; keep the
    // query parser simple and let the route schemas coerce.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
    // Per-request log lines would cost more than the requests on the logging hot path.
    logController: new LogController({ disableRequestLogging: true }),
    // Errors the router raises before any handler (a malformed URL, an over-long path
    // parameter) answer in the same envelope as every other error.
    frameworkErrors: (error, _req, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void (reply as unknown as FastifyReply).status(400).send({
        error_code: tooLong ? 'INVALID_PARAMETER_VALUE' : 'BAD_REQUEST',
        message: tooLong ? 'A path parameter is longer than the server accepts (2000 characters).' : error.message,
      });
    },
  });

  app.decorateRequest('principal', 'anonymous');
  app.decorateRequest('audit', null);
  app.decorateRequest('json', null);

  // Every body arrives as a Buffer; JSON is parsed in preHandler so that MLflow's content-type
  // rules (400 INVALID_PARAMETER_VALUE, not fastify's 415) and raw artifact uploads both work.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req) => {
    req.principal = 'anonymous';
    req.audit = null;
  });

  app.setErrorHandler((err: FastifyError | HangarError | Error, req, reply) => {
    if (isHangarError(err)) {
      return reply.status(err.httpStatus).send({ error_code: err.code, message: err.message });
    }
    const fe = err as FastifyError;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({
        error_code: 'PAYLOAD_TOO_LARGE',
        message: `Request body exceeds the server's limit of ${config.bodyLimitBytes} bytes.`,
      });
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(400).send({ error_code: 'BAD_REQUEST', message: fe.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error_code: 'INTERNAL_ERROR', message: 'Internal server error; the cause is in the server log.' });
  });

  // The web UI answers the GET paths no route claims (docs/ui.md); everything else gets the 404.
  const webRoot = deps.webRoot ?? DEFAULT_WEB_ROOT;
  app.setNotFoundHandler(async (req, reply) => {
    if (webRoot !== false && (await serveWeb(webRoot, req, reply))) return reply;
    return reply.status(404).send({
      error_code: 'ENDPOINT_NOT_FOUND',
      message: `No endpoint for ${req.method} ${req.url.split('?')[0]}.`,
    });
  });

  // The audit trail: one row per mutating request, written before the response leaves, so an
  // acknowledged write always has its row.
  app.addHook('onSend', async (req, reply, payload) => {
    // Read-only POST routes (online feature look-ups) opt out with `config: { audit: false }`.
    if (!MUTATING.has(req.method) || req.routeOptions.url === undefined || (req.routeOptions.config as { audit?: boolean }).audit === false) return payload;
    const note = req.audit;
    await store.appendAudit({
      timestamp: Date.now(),
      principal: req.principal,
      action: `${req.method} ${req.routeOptions.url}`,
      entityType: note?.entityType ?? null,
      entityId: note?.entityId ?? null,
      status: reply.statusCode,
      before: note?.before === undefined ? null : JSON.stringify(note.before),
      after: note?.after === undefined ? null : JSON.stringify(note.after),
      requestId: req.id,
    });
    return payload;
  });

  // Prometheus: requests and latency by route pattern and status (docs/serving.md#metrics).
  const metrics = new HttpMetrics();
  app.addHook('onResponse', async (req, reply) => {
    metrics.observe(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  app.get('/health', async (_req, reply) => reply.type('text/plain').send('OK'));
  app.get('/version', async (_req, reply) => reply.type('text/plain').send(MLFLOW_COMPAT_VERSION));

  const ctx: ApiContext = {
    app,
    config,
    store,
    artifacts,
    mlflow(method, path, handler) {
      const wrapped: Handler = async (req, reply) => {
        req.json = readJsonBody(req);
        const result = await handler(req, reply);
        if (reply.sent) return reply;
        return reply.type('application/json').send(result ?? {});
      };
      for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
        app.route({ method, url: `${prefix}${path}`, handler: wrapped });
      }
    },
  };
  registerMlflowRoutes(ctx);
  registerHangar(ctx);
  return app;
}

export { ERROR_STATUS };
