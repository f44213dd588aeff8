/**
 * The scoring server behind `hangar serve`: MLflow's scoring protocol on a plain `node:http`
 * server (measured: fastify's routing and hooks cost more per single-row request than scoring
 * a tree, and this server has five routes). Every scored row goes to the inference log after
 * the response is written; optional traffic split to a challenger and shadow scoring.
 *
 * Every request may carry its event time (the `Hangar-Event-Time` header, or per row in the
 * column named by `eventTimeColumn`); the log keeps it beside the arrival time, and monitors
 * window by it.
 *
 * Routes: `GET /ping`, `GET /health` (200 `"\n"` once a model is loaded, else 404),
 * `GET /version`, `POST /invocations`, `GET /metrics` (Prometheus), `POST /hangar/refresh`
 * (check the registry now, e.g. from a registry webhook).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { HangarError, isHangarError } from '../core/errors.js';
import { readBody } from '../core/http-body.js';
import { listen, type ListeningServer } from '../core/http-listen.js';
import type { InferenceLog, RowTimes } from './inference-log.js';
import type { ServingMetrics } from './metrics.js';
import type { ScoreResult, ServingModel } from './model.js';
import { EVENT_TIME_HEADER, UnsupportedMediaType, parseEventTime, parseScoringRequest, rowEventTimes, type ScoringTable } from './protocol.js';

/** The MLflow version whose scoring protocol this server speaks; `GET /version` answers it. */
export const SCORING_PROTOCOL_VERSION = '2.12.2';

/** A model the server can ask for: the current one of a follower, or a fixed one. */
export interface ModelSlot {
  /** The model to use now; undefined while none is loaded. */
  readonly current: ServingModel | undefined;
  /** Check the registry now (no-op for a fixed model). */
  check?(): Promise<boolean>;
}

export interface ScoringServerOptions {
  /** The model answering requests (the champion). */
  primary: ModelSlot;
  /** Send this share of requests (0–100 %) to `split.slot` instead of the primary. */
  split?: { slot: ModelSlot; percent: number };
  /** Also score every request with this model after answering; logged, never returned. */
  shadow?: ModelSlot;
  /** The inference log; none when disabled. */
  log?: InferenceLog;
  metrics: ServingMetrics;
  /** Largest request body in bytes; larger answers 413 PAYLOAD_TOO_LARGE. Default 16 MiB. */
  bodyLimitBytes?: number;
  /** Most rows one request may carry; more answers 400 naming the limit. Default 100,000. */
  maxRows?: number;
  /**
   * A request column holding each row's event time (epoch ms or ISO-8601); a row without a
   * value takes the `Hangar-Event-Time` header's time, else the arrival time. The column goes
   * to the model like any other (a column outside the signature is dropped there).
   */
  eventTimeColumn?: string;
  /** Request timeout in ms (MLflow's default 60 s). */
  requestTimeoutMs?: number;
  /** Log lines (unexpected errors). */
  logLine?: (line: string) => void;
}

/** A listening scoring server. */
export type ScoringServer = ListeningServer;

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const PING_BODY = '\n';

function sendJson(res: http.ServerResponse, status: number, body: string, extra?: Record<string, string>): void {
  res.writeHead(status, extra === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...extra });
  res.end(body);
}

function errorBody(e: HangarError): string {
  return JSON.stringify({ error_code: e.code, message: e.message });
}

/** Build the request handler and server (not listening). */
export function createScoringServer(o: ScoringServerOptions): http.Server {
  const limit = o.bodyLimitBytes ?? 16 * 1024 * 1024;
  const maxRows = o.maxRows ?? 100_000;
  const prefix = randomBytes(4).toString('hex');
  let counter = 0;
  let splitCounter = 0;
  const latencyInvocations = o.metrics.latency.labels('invocations');
  const metricsRows = new Map<ServingModel, { n: number; role: string }>();
  const countRows = (model: ServingModel, rows: number, role: string): void => {
    const c = metricsRows.get(model);
    if (c === undefined) metricsRows.set(model, { n: rows, role });
    else c.n += rows;
  };
  const flushRowCounts = (): void => {
    for (const [m, c] of metricsRows) {
      if (c.n > 0) o.metrics.rows.inc({ model: m.name, version: m.version, role: c.role }, c.n);
      c.n = 0;
    }
    // Counters of swapped-out models are settled; forget them.
    for (const m of [...metricsRows.keys()]) if (m !== o.primary.current && m !== o.split?.slot.current && m !== o.shadow?.current) metricsRows.delete(m);
    if (o.log !== undefined) o.metrics.bufferRows.set(o.log.size);
  };

  const fail = (res: http.ServerResponse, route: string, e: unknown, requestId?: string): number => {
    if (e instanceof UnsupportedMediaType) {
      res.writeHead(415, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(e.message);
      o.metrics.errors.inc({ code: 'UNSUPPORTED_MEDIA_TYPE' });
      o.metrics.request(route, 415);
      return 415;
    }
    const err = isHangarError(e) ? e : new HangarError('INTERNAL_ERROR', 'Internal server error; the cause is in the server log.');
    if (!isHangarError(e)) o.logLine?.(`serve: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    sendJson(res, err.httpStatus, errorBody(err), requestId === undefined ? undefined : { 'x-request-id': requestId });
    o.metrics.errors.inc({ code: err.code });
    o.metrics.request(route, err.httpStatus);
    return err.httpStatus;
  };

  const eventHeader = EVENT_TIME_HEADER.toLowerCase();
  const invocations = (req: http.IncomingMessage, res: http.ServerResponse, body: string, started: number): void => {
    const arrival = Date.now();
    let ts: number | RowTimes = arrival;
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && header !== '' && header.length <= 200 ? header : `${prefix}-${(counter++).toString(36)}`;
    // The split is by request count, spread evenly: request i goes to the challenger when
    // floor((i + 1)·p/100) > floor(i·p/100), so its share is exact over any 100 requests in a row.
    let slot = o.primary;
    if (o.split !== undefined && o.split.slot.current !== undefined) {
      const i = splitCounter++;
      if (Math.floor(((i + 1) * o.split.percent) / 100) > Math.floor((i * o.split.percent) / 100)) slot = o.split.slot;
    }
    const model = slot.current;
    if (model === undefined) {
      fail(res, 'invocations', new HangarError('TEMPORARILY_UNAVAILABLE', 'No model is loaded yet.'), requestId);
      return;
    }
    let table: ScoringTable | undefined;
    const done = (result: ScoreResult): void => {
      const payload = `{"predictions":${JSON.stringify(result.predictions)}}`;
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId, 'x-model-version': model.version });
      res.end(payload);
      const ms = performance.now() - started;
      latencyInvocations.observe(ms / 1000);
      o.metrics.request('invocations', 200);
      countRows(model, result.rows, 'served');
      o.log?.append(model, requestId, ts, ms, result);
      if (o.shadow !== undefined && table !== undefined) shadowScore(table, requestId, ts);
    };
    const failed = (e: unknown): void => {
      fail(res, 'invocations', e, requestId);
      const ms = performance.now() - started;
      latencyInvocations.observe(ms / 1000);
      // Requests the protocol rejected before any row was read are not rows; bad rows are logged as ERROR.
      if (table !== undefined) o.log?.append(model, requestId, ts, ms, undefined, { rows: table.rows, inputs: table.columns });
    };
    try {
      const h = req.headers[eventHeader];
      // A bad header rejects the request before any row is read (like a protocol error): nothing is logged.
      const requestTime = h === undefined ? arrival : parseEventTime(Array.isArray(h) ? h.join(',') : h, EVENT_TIME_HEADER);
      table = parseScoringRequest(req.headers['content-type'], body).table;
      if (table.rows > maxRows) {
        throw new HangarError('INVALID_PARAMETER_VALUE', `The request has ${table.rows} rows; the server scores at most ${maxRows} per request (--max-rows).`, { field: 'inputs' });
      }
      const event = rowEventTimes(table, o.eventTimeColumn, requestTime);
      if (event !== arrival) ts = { event, arrival };
      const scored = model.score(table);
      if (scored instanceof Promise) scored.then(done, failed);
      else done(scored);
    } catch (e) {
      failed(e);
    }
  };

  const shadowScore = (table: ScoringTable, requestId: string, ts: number | RowTimes): void => {
    const model = o.shadow?.current;
    if (model === undefined) return;
    const t0 = performance.now();
    const ok = (r: ScoreResult): void => {
      countRows(model, r.rows, 'shadow');
      o.log?.append(model, requestId, ts, performance.now() - t0, r);
    };
    const bad = (): void => {
      o.log?.append(model, requestId, ts, performance.now() - t0, undefined, { rows: table.rows, inputs: table.columns });
    };
    try {
      const r = model.score(table);
      if (r instanceof Promise) r.then(ok, bad);
      else ok(r);
    } catch {
      bad();
    }
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = performance.now();
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    if (path === '/invocations') {
      if (req.method !== 'POST') {
        fail(res, 'invocations', new HangarError('BAD_REQUEST', `Method ${req.method} is not allowed on /invocations; use POST.`));
        return;
      }
      readBody(
        req,
        res,
        limit,
        (body) => invocations(req, res, body?.toString('utf8') ?? '', started),
        () => fail(res, 'invocations', new HangarError('PAYLOAD_TOO_LARGE', `Request body exceeds the server's limit of ${limit} bytes.`)),
      );
      return;
    }
    // Everything else ignores its body.
    req.resume();
    if (req.method === 'GET' && (path === '/ping' || path === '/health')) {
      const loaded = o.primary.current !== undefined;
      res.writeHead(loaded ? 200 : 404, { 'content-type': 'application/json' });
      res.end(loaded ? PING_BODY : '');
      o.metrics.request(path.slice(1), loaded ? 200 : 404);
      return;
    }
    if (req.method === 'GET' && path === '/version') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(SCORING_PROTOCOL_VERSION);
      o.metrics.request('version', 200);
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      flushRowCounts();
      o.metrics
        .text()
        .then((text) => {
          res.writeHead(200, { 'content-type': o.metrics.contentType });
          res.end(text);
        })
        .catch((e: unknown) => fail(res, 'metrics', e));
      return;
    }
    if (req.method === 'POST' && path === '/hangar/refresh') {
      const slots = [o.primary, o.split?.slot, o.shadow].filter((s): s is ModelSlot => s !== undefined);
      Promise.all(slots.map((s) => s.check?.() ?? Promise.resolve(false)))
        .then((swapped) => {
          const m = o.primary.current;
          sendJson(res, 200, JSON.stringify({ swapped: swapped.some(Boolean), version: m?.version ?? null }));
          o.metrics.request('refresh', 200);
        })
        .catch((e: unknown) => fail(res, 'refresh', e));
      return;
    }
    fail(res, 'other', new HangarError('ENDPOINT_NOT_FOUND', `No endpoint for ${req.method} ${path}.`));
  };

  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: o.requestTimeoutMs ?? 60_000 }, handler);
  return server;
}

/** Create the server and listen. INVALID_PARAMETER_VALUE naming --port or --host when that fails. */
export async function startScoringServer(o: ScoringServerOptions & { host: string; port: number }): Promise<ScoringServer> {
  return listen(createScoringServer(o), o.host, o.port);
}
