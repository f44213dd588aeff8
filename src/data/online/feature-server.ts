/**
 * The feature server behind `hangar online serve` (docs/online-store.md#feature-server): online
 * look-ups on a plain `node:http` server, apart from the tracking server, as Feast's
 * `feast serve` is apart from its registry. It answers the tracking server's two look-up paths
 * with the same body rules and the same answer bytes (both use `parseLookupBody` and
 * `OnlineFeatures.getJson`), without fastify's routing and the tracking server's auth, audit
 * and metrics hooks, which cost several times the look-up itself per request.
 *
 * Reads need no token. Materialisation stays on the tracking server; the look-up's table
 * metadata cache expires after `metaTtlMs` (1 s), so tables it materialises show up here.
 *
 * Routes: `POST /api/2.0/hangar/features/online/get`, `POST /get-online-features`,
 * `GET /health` (200 `OK`; HEAD too), `GET /metrics` (Prometheus).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestCounter } from '../../core/request-counter.js';
import { HangarError, isHangarError } from '../../core/errors.js';
import { readBody } from '../../core/http-body.js';
import { listen, type ListeningServer } from '../../core/http-listen.js';
import { parseLookupBody, lookupRequest } from './lookup-input.js';
import type { OnlineFeatures } from './lookup.js';

/** The tracking server's look-up path, also answered by the feature server. */
export const HANGAR_ONLINE_GET_PATH = '/api/2.0/hangar/features/online/get';
/** Feast's feature-server path. */
export const FEAST_ONLINE_PATH = '/get-online-features';
/** Feast's feature-server port, the default of `hangar online serve`. */
export const FEATURE_SERVER_PORT = 6566;

export interface FeatureServerOptions {
  /** The look-up service answering requests; the server does not close its store. */
  online: OnlineFeatures;
  /** Largest request body in bytes; larger answers 413 PAYLOAD_TOO_LARGE. Default 64 MiB (the tracking server's). */
  bodyLimitBytes?: number;
  /** Request timeout in ms. Default 60 s. */
  requestTimeoutMs?: number;
  /** Log lines (unexpected errors). */
  logLine?: (line: string) => void;
}

/** A listening feature server. */
export type FeatureServer = ListeningServer;

/** Latency buckets in seconds: look-ups take tens of microseconds to milliseconds. */
const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** The feature server's Prometheus metrics, in a registry of its own. */
class FeatureServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'status'>;
  readonly latency: Histogram<'route'>;
  readonly #counts: RequestCounter;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'hangar_feature_server_requests_total', help: 'Feature server requests by route and HTTP status.', labelNames: ['route', 'status'], registers });
    this.#counts = new RequestCounter(this.requests);
    this.latency = new Histogram({ name: 'hangar_feature_server_request_duration_seconds', help: 'Time from request to response of look-ups.', labelNames: ['route'], buckets: BUCKETS, registers });
    collectDefaultMetrics({ register: this.registry, prefix: 'hangar_feature_server_' });
  }

  request(route: string, status: number): void {
    this.#counts.add(route, status);
  }


  async text(): Promise<string> {
    this.#counts.flush();
    return this.registry.metrics();
  }
}

/** Build the request handler and server (not listening). */
export function createFeatureServer(o: FeatureServerOptions): http.Server {
  const limit = o.bodyLimitBytes ?? 64 * 1024 * 1024;
  const metrics = new FeatureServerMetrics();
  const latency = metrics.latency.labels('get');

  const fail = (res: http.ServerResponse, route: string, e: unknown): void => {
    const err = isHangarError(e) ? e : new HangarError('INTERNAL_ERROR', 'Internal server error; the cause is in the server log.');
    if (!isHangarError(e)) o.logLine?.(`feature server: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(err.httpStatus, JSON_HEADERS);
    res.end(JSON.stringify({ error_code: err.code, message: err.message }));
    metrics.request(route, err.httpStatus);
  };
  const tooLarge = (): HangarError => new HangarError('PAYLOAD_TOO_LARGE', `Request body exceeds the server's limit of ${limit} bytes.`);

  const lookup = (res: http.ServerResponse, raw: Buffer | undefined, started: number): void => {
    let request;
    try {
      request = lookupRequest(parseLookupBody(raw));
    } catch (e) {
      fail(res, 'get', e);
      return;
    }
    o.online.getJson(request).then(
      (json) => {
        // A declared length, not chunked framing: one frame less to write and parse per answer.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length });
        res.end(json);
        latency.observe((performance.now() - started) / 1000);
        metrics.request('get', 200);
      },
      (e: unknown) => fail(res, 'get', e),
    );
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    // The tracking server ignores a trailing slash; so does this one.
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    if (req.method === 'POST' && (path === HANGAR_ONLINE_GET_PATH || path === FEAST_ONLINE_PATH)) {
      readBody(
        req,
        res,
        limit,
        (body) => lookup(res, body, started),
        () => fail(res, 'get', tooLarge()),
      );
      return;
    }
    // Everything else ignores its body.
    req.resume();
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
      metrics.request('health', 200);
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      metrics
        .text()
        .then((text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        })
        .catch((e: unknown) => fail(res, 'metrics', e));
      return;
    }
    fail(res, 'other', new HangarError('ENDPOINT_NOT_FOUND', `No endpoint for ${req.method} ${path}.`));
  };

  return http.createServer({ keepAliveTimeout: 65_000, requestTimeout: o.requestTimeoutMs ?? 60_000 }, handler);
}

/** Create the server and listen. INVALID_PARAMETER_VALUE naming --port or --host when that fails. */
export async function startFeatureServer(o: FeatureServerOptions & { host: string; port: number }): Promise<FeatureServer> {
  return listen(createFeatureServer(o), o.host, o.port);
}
