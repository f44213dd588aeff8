/**
 * Webhook delivery: MLflow 3's signing scheme, an SSRF guard, and a dispatcher that sends after
 * commit, never on the request's path, retrying 429 and 5xx with exponential backoff.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { invalidParam } from '../core/errors.js';
import type { GovernanceStore, Webhook } from '../store/governance-store.js';
import { eventBody, type RegistryEvent } from './events.js';

// --- signatures --------------------------------------------------------------------------------

/** `v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`, as MLflow 3 signs deliveries. */
export function signPayload(secret: string, deliveryId: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** Databricks registry webhooks' signature: hex HMAC-SHA256 of the raw body (no timestamp, so no replay protection). */
export function databricksSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/**
 * The headers of one delivery. With a secret, both MLflow 3's signature (preferred: it covers
 * the timestamp) and Databricks' `X-Databricks-Signature`, so receivers written for either work.
 */
export function deliveryHeaders(secret: string | null, deliveryId: string, timestamp: number, body: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-mlflow-delivery-id': deliveryId,
    'x-mlflow-timestamp': String(timestamp),
  };
  if (secret !== null && secret !== '') {
    headers['x-mlflow-signature'] = signPayload(secret, deliveryId, timestamp, body);
    headers['x-databricks-signature'] = databricksSignature(secret, body);
  }
  return headers;
}

/**
 * What a receiver does: recompute the signature, compare in constant time, and refuse
 * timestamps older than `toleranceS` (default 5 minutes) so a captured delivery cannot be
 * replayed later.
 */
export function verifySignature(input: {
  secret: string;
  deliveryId: string;
  timestamp: string;
  body: string;
  signature: string;
  nowS?: number;
  toleranceS?: number;
}): boolean {
  const ts = Number(input.timestamp);
  if (!Number.isInteger(ts)) return false;
  const now = input.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (input.toleranceS ?? 300)) return false;
  const expected = Buffer.from(signPayload(input.secret, input.deliveryId, ts, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

// --- SSRF guard --------------------------------------------------------------------------------

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local (cloud metadata), CGNAT, multicast and reserved addresses. */
export function isPrivateAddress(ip: string): boolean {
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (v4mapped !== undefined) return PRIVATE.check(v4mapped, 'ipv4');
  const family = isIP(ip);
  if (family === 0) return true;
  return PRIVATE.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Check a webhook URL when it is saved: http(s) only, no credentials in it, and (unless private
 * hosts are allowed) no literal private address or `localhost`. Names are checked again at
 * connect time (see `guardedLookup`), which also defeats DNS rebinding.
 */
export function checkWebhookUrl(url: string, allowPrivate: boolean, field = 'url'): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam(`Invalid webhook URL '${url}'.`, field);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidParam(`Webhook URL must use http or https, got '${parsed.protocol}'.`, field);
  }
  if (parsed.username !== '' || parsed.password !== '') throw invalidParam('Webhook URL must not carry credentials.', field);
  if (!allowPrivate) {
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host))) {
      throw invalidParam(`Webhook URL '${url}' points at a private or loopback address, which this server does not deliver to.`, field);
    }
  }
  return parsed;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http(s).request that refuses private addresses after resolution, at connect time. */
function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) return callback(err, []);
      const list = addresses;
      if (!allowPrivate) {
        const bad = list.find((a) => isPrivateAddress(a.address));
        if (bad !== undefined) {
          const e = new Error(`Refused to connect to ${hostname} (${bad.address}): a private or loopback address.`) as NodeJS.ErrnoException;
          e.code = 'EHANGARPRIVATE';
          return callback(e, []);
        }
      }
      if ((options as { all?: boolean }).all === true) return callback(null, list);
      const first = list[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

// --- sending -----------------------------------------------------------------------------------

/** The outcome of one HTTP attempt. */
export interface AttemptResult {
  /** HTTP status, or null when no answer arrived. */
  status: number | null;
  /** Answer body, cut to 1 000 characters. */
  body: string | null;
  /** Network or timeout error. */
  error: string | null;
  /** `Retry-After` in ms, when the receiver sent one. */
  retryAfterMs: number | null;
}

const BODY_CAP = 1000;

function retryAfterMs(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, allowPrivate: boolean): Promise<AttemptResult> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'hangar-webhooks/1' },
        lookup: guardedLookup(allowPrivate) as unknown as typeof dnsLookup,
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < BODY_CAP) text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? null, body: text.slice(0, BODY_CAP), error: null, retryAfterMs: retryAfterMs(res.headers['retry-after'], Date.now()) }),
        );
        res.on('error', (e) => resolve({ status: res.statusCode ?? null, body: text.slice(0, BODY_CAP), error: e.message, retryAfterMs: null }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`No answer within ${timeoutMs} ms.`)));
    req.on('error', (e) => resolve({ status: null, body: null, error: e.message, retryAfterMs: null }));
    req.end(body);
  });
}

/** Statuses MLflow 3 retries; other answers are final. */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

export interface DispatcherOptions {
  /** Deliver to private and loopback addresses (tests, single-user laptops). Default false. */
  allowPrivateHosts?: boolean;
  /** Retries after the first attempt. Default 3 (MLflow 3). */
  maxRetries?: number;
  /** First backoff in ms; doubles per retry, capped at `maxBackoffMs`, plus up to `jitterMs`. Default 1 000. */
  backoffMs?: number;
  /** Cap of one backoff and of an honoured Retry-After. Default 60 000. */
  maxBackoffMs?: number;
  /** Random extra delay per retry, at most this. Default 1 000. */
  jitterMs?: number;
  /** Per-attempt timeout. Default 30 000. */
  timeoutMs?: number;
  /** Deliveries in flight at once. Default 10 (MLflow 3's worker count). */
  concurrency?: number;
  /** Where delivery failures are reported. */
  log?: (message: string, detail?: unknown) => void;
}

/**
 * Sends events to subscribed webhooks, after commit and off the request path. Each delivery is
 * logged (PENDING, then DELIVERED or FAILED with the last answer); `idle()` resolves when no
 * delivery is queued or in flight.
 */
export class WebhookDispatcher {
  readonly #store: GovernanceStore;
  readonly #o: Required<Omit<DispatcherOptions, 'log'>>;
  readonly #log: (message: string, detail?: unknown) => void;
  readonly #queue: Array<() => Promise<void>> = [];
  #running = 0;
  #dispatching = 0;
  #closed = false;
  readonly #idleWaiters: Array<() => void> = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(store: GovernanceStore, options: DispatcherOptions = {}) {
    this.#store = store;
    this.#o = {
      allowPrivateHosts: options.allowPrivateHosts ?? false,
      maxRetries: options.maxRetries ?? 3,
      backoffMs: options.backoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 60_000,
      jitterMs: options.jitterMs ?? 1000,
      timeoutMs: options.timeoutMs ?? 30_000,
      concurrency: options.concurrency ?? 10,
    };
    this.#log = options.log ?? (() => {});
  }

  get allowPrivateHosts(): boolean {
    return this.#o.allowPrivateHosts;
  }

  /**
   * Deliver events to every ACTIVE webhook subscribed to them. Returns once the deliveries are
   * logged as PENDING; sending happens in the background.
   */
  async dispatch(events: readonly RegistryEvent[]): Promise<void> {
    if (events.length === 0 || this.#closed) return;
    // Counted as busy from the first moment, so idle() never resolves before the jobs are queued.
    this.#dispatching++;
    try {
      await this.#dispatch(events);
    } finally {
      this.#dispatching--;
      this.#settleIdle();
    }
  }

  async #dispatch(events: readonly RegistryEvent[]): Promise<void> {
    const hooks = (await this.#store.listWebhooks()).filter((w) => w.status === 'ACTIVE');
    const jobs: Array<{ id: string; webhook: Webhook; event: string; payload: string }> = [];
    for (const event of events) {
      const body = eventBody(event);
      for (const webhook of hooks) {
        if (webhook.events.includes(event.name) && inScope(webhook, event)) jobs.push({ id: randomUUID(), webhook, event: event.name, payload: body });
      }
    }
    if (jobs.length === 0) return;
    await this.#store.createDeliveries(jobs.map((j) => ({ id: j.id, webhookId: j.webhook.id, event: j.event, payload: j.payload })));
    for (const job of jobs) this.#enqueue(() => this.#deliver(job.id, job.webhook, job.payload, 0));
  }

  /**
   * Send one synthetic event to a webhook now and report the answer (MLflow 3's `test`). The
   * attempt is logged as a delivery too. Works for any status, so TEST_MODE hooks can be tried.
   */
  async test(webhook: Webhook, event: RegistryEvent): Promise<{ success: boolean; responseStatus: number | null; responseBody: string | null; errorMessage: string | null }> {
    const id = randomUUID();
    const payload = eventBody(event);
    await this.#store.createDeliveries([{ id, webhookId: webhook.id, event: event.name, payload }]);
    const result = await this.#attempt(webhook, id, payload);
    const success = result.status !== null && result.status < 400;
    await this.#store.recordAttempt(id, {
      status: success ? 'DELIVERED' : 'FAILED',
      attempts: 1,
      responseStatus: result.status,
      responseBody: result.body,
      errorMessage: result.error,
    });
    return { success, responseStatus: result.status, responseBody: result.body, errorMessage: result.error };
  }

  /** Resume deliveries a previous process left PENDING. */
  async resumePending(): Promise<number> {
    const pending = await this.#store.pendingDeliveries(1000);
    const hooks = new Map((await this.#store.listWebhooks()).map((w) => [w.id, w]));
    let resumed = 0;
    for (const d of pending) {
      const webhook = hooks.get(d.webhookId);
      if (webhook === undefined) continue;
      resumed++;
      this.#enqueue(() => this.#deliver(d.id, webhook, d.payload, d.attempts));
    }
    return resumed;
  }

  /** Resolves when nothing is queued, waiting to retry, or in flight. */
  idle(): Promise<void> {
    if (this.#busy()) return new Promise((resolve) => this.#idleWaiters.push(resolve));
    return Promise.resolve();
  }

  /** Stop: pending retries are dropped (they stay PENDING in the log and resume on restart). */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#settleIdle();
  }

  #busy(): boolean {
    return this.#dispatching > 0 || this.#running > 0 || this.#queue.length > 0 || this.#timers.size > 0;
  }

  #settleIdle(): void {
    if (this.#busy()) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #enqueue(job: () => Promise<void>): void {
    if (this.#closed) return;
    this.#queue.push(job);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#o.concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#running++;
      void job()
        .catch((e: unknown) => this.#log('webhook delivery failed unexpectedly', e))
        .finally(() => {
          this.#running--;
          this.#pump();
          this.#settleIdle();
        });
    }
  }

  async #attempt(webhook: Webhook, id: string, payload: string): Promise<AttemptResult> {
    let url: URL;
    try {
      url = checkWebhookUrl(webhook.url, this.#o.allowPrivateHosts);
    } catch (e) {
      return { status: null, body: null, error: (e as Error).message, retryAfterMs: null };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    return post(url, deliveryHeaders(webhook.secret, id, timestamp, payload), payload, this.#o.timeoutMs, this.#o.allowPrivateHosts);
  }

  async #deliver(id: string, webhook: Webhook, payload: string, previousAttempts: number): Promise<void> {
    const result = await this.#attempt(webhook, id, payload);
    const attempts = previousAttempts + 1;
    const ok = result.status !== null && result.status < 400;
    const retryable = !ok && (result.status === null ? result.error !== null && !result.error.startsWith('Refused') : RETRYABLE.has(result.status));
    const willRetry = retryable && attempts <= this.#o.maxRetries && !this.#closed;
    await this.#store.recordAttempt(id, {
      status: ok ? 'DELIVERED' : willRetry ? 'PENDING' : 'FAILED',
      attempts,
      responseStatus: result.status,
      responseBody: result.body,
      errorMessage: result.error,
    });
    if (!ok && !willRetry) this.#log(`webhook ${webhook.id} delivery ${id} failed`, result);
    if (!willRetry) return;
    const backoff = Math.min(this.#o.backoffMs * 2 ** (attempts - 1), this.#o.maxBackoffMs) + Math.random() * this.#o.jitterMs;
    const delay = result.retryAfterMs === null ? backoff : Math.min(result.retryAfterMs, this.#o.maxBackoffMs);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#enqueue(() => this.#deliver(id, webhook, payload, attempts));
      this.#settleIdle();
    }, delay);
    this.#timers.add(timer);
  }
}

/** A registry-wide webhook hears every event; a model webhook only events about its model. */
export function inScope(webhook: Pick<Webhook, 'scope' | 'modelName'>, event: Pick<RegistryEvent, 'data'>): boolean {
  if (webhook.scope === 'registry') return true;
  return webhook.scope === 'model' && webhook.modelName !== null && event.data.name === webhook.modelName;
}
