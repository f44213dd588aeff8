import { subscribe } from 'node:diagnostics_channel';
import { HangarError } from '../core/errors.js';
import { ApiError, errorFromResponse } from './errors.js';

/** What fetch accepts as a request body (the DOM lib, which names it, is not loaded). */
export type BodyInit = NonNullable<RequestInit['body']>;

/** Query-string values; arrays repeat the key (`k=a&k=b`), undefined values are left out. */
export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface TransportOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:5000` (a path prefix is kept). */
  trackingUri: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string | undefined;
  /** Retries after the first attempt, for retryable answers. */
  maxRetries: number;
  /** First backoff delay in ms; doubles with each retry, with jitter. */
  backoffMs: number;
  /** Upper bound of one backoff delay (and of a honoured `Retry-After`). */
  maxBackoffMs: number;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  /** The fetch implementation; Node's global by default. */
  fetch: typeof fetch;
  /** How to wait between attempts; replaced in tests. */
  sleep: (ms: number) => Promise<void>;
  /** User-Agent header. */
  userAgent: string;
}

export interface RequestOptions {
  /** Query parameters (GET, DELETE with query, artifact listing). */
  query?: Query | undefined;
  /** JSON body. */
  json?: unknown;
  /** A raw body, built afresh for every attempt so that streams can be retried. */
  body?: (() => BodyInit | Promise<BodyInit>) | undefined;
  /** Content type of a raw body. */
  contentType?: string | undefined;
  /**
   * True when sending the request twice has the same effect as once. Only such requests are
   * retried after a 503; a 429 is retried for any request, because a rate-limited request was
   * refused before the server acted on it.
   */
  idempotent: boolean;
}

/**
 * HTTP transport over `fetch`: builds URLs, sends JSON, turns error answers into ApiErrors and
 * retries with exponential backoff where that is safe.
 */
export class Transport {
  readonly baseUrl: string;

  constructor(private readonly opts: TransportOptions) {
    this.baseUrl = opts.trackingUri.replace(/\/+$/, '');
  }

  /** Send a request and parse the JSON answer (`{}` for an empty body). */
  async json<T>(method: string, path: string, req: RequestOptions): Promise<T> {
    const res = await this.send(method, path, req);
    const text = await res.text();
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new ApiError('INTERNAL_ERROR', `The server answered ${method} ${path} with a body that is not JSON.`, {
        status: res.status,
        request: `${method} ${path}`,
        cause: e,
      });
    }
  }

  /** Send a request and return the successful Response (the caller reads the body). */
  async send(method: string, path: string, req: RequestOptions): Promise<Response> {
    const url = this.url(path, req.query);
    const label = `${method} ${path}`;
    let socketRetried = false;
    for (let attempt = 0; ; attempt++) {
      const attemptId = nextAttemptId();
      const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent, Accept: 'application/json', [ATTEMPT_HEADER]: attemptId };
      if (this.opts.token !== undefined && this.opts.token !== '') headers.Authorization = `Bearer ${this.opts.token}`;
      let body: BodyInit | undefined;
      if (req.json !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(req.json);
      } else if (req.body !== undefined) {
        headers['Content-Type'] = req.contentType ?? 'application/octet-stream';
        body = await req.body();
      }
      let res: Response;
      try {
        const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: AbortSignal.timeout(this.opts.timeoutMs) };
        if (body !== undefined) {
          init.body = body;
          // Node's fetch needs this to send a stream body.
          init.duplex = 'half';
        }
        res = await this.opts.fetch(url, init);
      } catch (e) {
        // A keep-alive connection the server closed fails the request before any answer. Once,
        // it is safe to resend: always when nothing was written, else only when repeating the
        // request cannot change its effect.
        const unwritten = this.opts.fetch === globalThis.fetch && !headersSent(attemptId);
        if (!socketRetried && isDroppedConnection(e) && (req.idempotent || unwritten)) {
          socketRetried = true;
          attempt--;
          // Let the client see the other closes the server sent meanwhile, so the resend does
          // not pick another dead connection from the pool.
          await new Promise((r) => setImmediate(r));
          continue;
        }
        throw networkError(e, this.baseUrl, label);
      } finally {
        SENT.delete(attemptId);
      }
      if (res.ok) return res;
      const text = await res.text().catch(() => '');
      const err = errorFromResponse(res.status, text, label);
      if (attempt < this.opts.maxRetries && retryable(res.status, err.serverCode, req.idempotent)) {
        await this.opts.sleep(this.delay(attempt, res.headers.get('retry-after')));
        continue;
      }
      throw err;
    }
  }

  url(path: string, query?: Query): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) qs.append(k, item);
      else qs.append(k, String(v));
    }
    const s = qs.toString();
    return `${this.baseUrl}${path}${s === '' ? '' : `?${s}`}`;
  }

  private delay(attempt: number, retryAfter: string | null): number {
    const max = this.opts.maxBackoffMs;
    if (retryAfter !== null) {
      const seconds = Number(retryAfter);
      if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, max);
      const date = Date.parse(retryAfter);
      if (!Number.isNaN(date)) return Math.min(Math.max(date - Date.now(), 0), max);
    }
    const exp = this.opts.backoffMs * 2 ** attempt;
    // Jitter in [exp/2, exp] keeps clients that failed together from retrying together.
    return Math.min(exp / 2 + Math.random() * (exp / 2), max);
  }
}

function retryable(status: number, serverCode: string, idempotent: boolean): boolean {
  if (status === 429) return true;
  // SCHEMA_OUT_OF_DATE is a 503 that no amount of waiting fixes.
  if (status === 503) return idempotent && serverCode !== 'SCHEMA_OUT_OF_DATE';
  return false;
}

function networkError(e: unknown, baseUrl: string, label: string): ApiError {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return new ApiError('TEMPORARILY_UNAVAILABLE', `No answer from ${baseUrl} for ${label} before the timeout.`, { status: 0, request: label, cause: e });
  }
  const detail = err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
  return new ApiError('TEMPORARILY_UNAVAILABLE', `Cannot reach the tracking server at ${baseUrl} (${detail}).`, { status: 0, request: label, cause: e });
}

// --- dropped keep-alive connections ----------------------------------------------------------

/** Errors of a connection that closed under a request before the server answered. */
const DROPPED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function isDroppedConnection(e: unknown): boolean {
  const err = e as { name?: string; cause?: { code?: unknown } } | null;
  if (err === null || typeof err !== 'object' || err.name === 'TimeoutError' || err.name === 'AbortError') return false;
  return typeof err.cause?.code === 'string' && DROPPED.has(err.cause.code);
}

/**
 * Each attempt carries a unique header; Node's fetch (undici) reports on a diagnostics channel
 * when it writes a request's headers to a socket, so an attempt whose header was never seen
 * there had written nothing when it failed. Requests through another fetch are never seen, and
 * so count as written (the cautious answer).
 */
const ATTEMPT_HEADER = 'x-hangar-attempt';
const ATTEMPT_RE = /x-hangar-attempt:\s*([0-9a-z.]+)/i;
const SENT = new Set<string>();
let attemptSeq = 0;
let watching = false;

function nextAttemptId(): string {
  if (!watching) {
    watching = true;
    subscribe('undici:client:sendHeaders', (message) => {
      const h = (message as { headers?: unknown }).headers;
      const text = typeof h === 'string' ? h : Array.isArray(h) ? h.map(String).join('\n') : '';
      const m = ATTEMPT_RE.exec(text);
      if (m !== null) SENT.add(m[1]!);
    });
  }
  return `${process.pid.toString(36)}.${(++attemptSeq).toString(36)}`;
}

function headersSent(attemptId: string): boolean {
  return SENT.has(attemptId);
}

export interface HangarClientOptions {
  /** Base URL of the tracking server, e.g. `http://127.0.0.1:5000`. The CLI reads it from `MLFLOW_TRACKING_URI`. */
  trackingUri: string;
  /** Bearer token sent with every request (the CLI reads `MLFLOW_TRACKING_TOKEN`). */
  token?: string | undefined;
  /** Retries after a 429, or a 503 on a request that is safe to repeat. Default 4. */
  maxRetries?: number;
  /** First backoff delay in ms, doubled on each retry with jitter. Default 500. */
  backoffMs?: number;
  /** Cap on one backoff delay and on a honoured `Retry-After`. Default 10 000. */
  maxBackoffMs?: number;
  /** Per-attempt timeout in ms. Default 120 000, as MLflow's client. */
  timeoutMs?: number;
  /** A fetch implementation; Node's global by default. */
  fetch?: typeof fetch;
  /** How to wait between retries; tests replace it. */
  sleep?: (ms: number) => Promise<void>;
}

/** The defaults a client of one area chooses for its transport (the caller's options win). */
export interface TransportDefaults {
  maxRetries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  /** `User-Agent` header. */
  userAgent: string;
}

/**
 * The transport of an SDK client from the caller's options (a URL or {@link HangarClientOptions})
 * and the area's defaults; a tracking URI that is not http(s) fails naming `trackingUri`.
 */
export function transportFor(options: string | HangarClientOptions, defaults: TransportDefaults): Transport {
  const o: HangarClientOptions = typeof options === 'string' ? { trackingUri: options } : options;
  if (!/^https?:\/\//i.test(o.trackingUri)) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `The tracking URI must be an http(s) URL, got '${o.trackingUri}'.`, { field: 'trackingUri' });
  }
  return new Transport({
    trackingUri: o.trackingUri,
    token: o.token,
    maxRetries: o.maxRetries ?? defaults.maxRetries ?? 4,
    backoffMs: o.backoffMs ?? defaults.backoffMs ?? 500,
    maxBackoffMs: o.maxBackoffMs ?? defaults.maxBackoffMs ?? 10_000,
    timeoutMs: o.timeoutMs ?? defaults.timeoutMs ?? 120_000,
    fetch: o.fetch ?? globalThis.fetch,
    sleep: o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    userAgent: defaults.userAgent,
  });
}
