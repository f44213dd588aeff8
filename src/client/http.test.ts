import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, HangarClient, errorFromResponse } from './index.js';

/** Retries, error mapping and headers, with a scripted fetch instead of a server. */

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function scripted(responses: Array<{ status: number; body?: unknown; headers?: Record<string, string> }>) {
  const calls: Call[] = [];
  const sleeps: number[] = [];
  const fetchImpl = (async (url: string | URL, init?: RequestInit) => {
    calls.push({
      url: String(url),
      method: init?.method ?? 'GET',
      headers: init?.headers as Record<string, string>,
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    const next = responses[Math.min(calls.length - 1, responses.length - 1)]!;
    const text = next.body === undefined ? '' : typeof next.body === 'string' ? next.body : JSON.stringify(next.body);
    return new Response(text, { status: next.status, headers: next.headers });
  }) as typeof fetch;
  const client = new HangarClient({
    trackingUri: 'http://hangar.test/prefix/',
    token: 'secret-token',
    maxRetries: 3,
    backoffMs: 100,
    maxBackoffMs: 5000,
    fetch: fetchImpl,
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { client, calls, sleeps };
}

const busy = { status: 503, body: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' } };
const limited = { status: 429, body: { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' } };
const experiment = { status: 200, body: { experiment: { experiment_id: '7', name: 'e' } } };

describe('transport', () => {
  it('sends the bearer token, a user agent and JSON to the prefixed URL', async () => {
    const { client, calls } = scripted([{ status: 200, body: { experiment_id: '3' } }]);
    expect(await client.createExperiment('x')).toBe('3');
    expect(calls[0]!.url).toBe('http://hangar.test/prefix/api/2.0/mlflow/experiments/create');
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.headers.Authorization).toBe('Bearer secret-token');
    expect(calls[0]!.headers['User-Agent']).toMatch(/^hangar-client\//);
    expect(calls[0]!.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(calls[0]!.body!)).toEqual({ name: 'x' });
  });

  it('puts GET input in the query string, repeating list keys', async () => {
    const { client, calls } = scripted([{ status: 200, body: { metrics: [] } }]);
    await client.getMetricHistoryBulkInterval(['a', 'b'], 'loss', { startStep: 2 });
    const url = new URL(calls[0]!.url);
    expect(url.pathname).toBe('/prefix/api/2.0/mlflow/metrics/get-history-bulk-interval');
    expect(url.searchParams.getAll('run_ids')).toEqual(['a', 'b']);
    expect(url.searchParams.get('start_step')).toBe('2');
    expect(url.searchParams.has('end_step')).toBe(false);
  });

  it('retries a 503 on a safe request with growing backoff, then succeeds', async () => {
    const { client, calls, sleeps } = scripted([busy, busy, experiment]);
    expect((await client.getExperiment('7')).name).toBe('e');
    expect(calls).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]!).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]!).toBeLessThanOrEqual(100);
    expect(sleeps[1]!).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]!).toBeLessThanOrEqual(200);
  });

  it('does not retry a 503 on a request that is unsafe to repeat', async () => {
    const { client, calls } = scripted([busy, { status: 200, body: { experiment_id: '1' } }]);
    await expect(client.createExperiment('x')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', status: 503 });
    expect(calls).toHaveLength(1);
  });

  it('retries a 429 on any request, honouring Retry-After', async () => {
    const { client, calls, sleeps } = scripted([{ ...limited, headers: { 'Retry-After': '2' } }, { status: 200, body: { experiment_id: '1' } }]);
    expect(await client.createExperiment('x')).toBe('1');
    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
  });

  it('gives up after maxRetries and reports the last error', async () => {
    const { client, calls } = scripted([limited]);
    const err = await client.getExperiment('1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'REQUEST_LIMIT_EXCEEDED', status: 429, message: 'slow down' });
    expect(calls).toHaveLength(4);
  });

  it('never retries SCHEMA_OUT_OF_DATE, which waiting does not fix', async () => {
    const { client, calls } = scripted([{ status: 503, body: { error_code: 'SCHEMA_OUT_OF_DATE', message: 'run hangar db upgrade' } }]);
    await expect(client.getExperiment('1')).rejects.toMatchObject({ code: 'SCHEMA_OUT_OF_DATE' });
    expect(calls).toHaveLength(1);
  });

  it('does not retry client errors', async () => {
    const { client, calls } = scripted([{ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'nope' } }]);
    await expect(client.getExperiment('1')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', httpStatus: 404 });
    expect(calls).toHaveLength(1);
  });

  it('treats a page token the server repeats as an error instead of looping', async () => {
    const { client } = scripted([{ status: 200, body: { experiments: [{ experiment_id: '1', name: 'a' }], next_page_token: 'same' } }]);
    await expect(client.searchAllExperiments()).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});

describe('errorFromResponse', () => {
  it('keeps Hangar codes and maps MLflow-only codes to the nearest Hangar code', () => {
    expect(errorFromResponse(400, '{"error_code":"INVALID_PARAMETER_VALUE","message":"bad"}', 'GET /x')).toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      serverCode: 'INVALID_PARAMETER_VALUE',
      message: 'bad',
      status: 400,
    });
    const aliased = errorFromResponse(409, '{"error_code":"ALREADY_EXISTS","message":"m"}', 'POST /x');
    expect(aliased.code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(aliased.serverCode).toBe('ALREADY_EXISTS');
    expect(aliased.httpStatus).toBe(409);
  });

  it('falls back to the status when the body is not an MLflow error', () => {
    const html = errorFromResponse(404, '<!doctype html><title>404 Not Found</title>', 'POST /api/2.0/mlflow/logged-models');
    expect(html.code).toBe('ENDPOINT_NOT_FOUND');
    expect(html.message).toBe('HTTP 404 from POST /api/2.0/mlflow/logged-models');
    expect(errorFromResponse(502, 'Bad Gateway', 'GET /x')).toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', message: 'Bad Gateway' });
    expect(errorFromResponse(500, '{"error_code":"WEIRD","message":"?"}', 'GET /x').code).toBe('INTERNAL_ERROR');
  });
});

describe('a keep-alive connection the server closed', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server === undefined ? r(undefined) : server.close(r)));
    server = undefined;
  });

  /**
   * A server that answers the first request on each connection and, like a server whose idle
   * timeout fired as the next request arrived (the client was busy and had not seen the close),
   * drops the connection on the second without answering.
   */
  async function droppingServer(): Promise<{ url: string; seen: string[]; dropped: () => number }> {
    const seen: string[] = [];
    let dropped = 0;
    const perSocket = new WeakMap<Socket, number>();
    server = createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      seen.push(`${req.method} ${req.url}`);
      if (n >= 2) {
        dropped++;
        req.socket.destroy();
        // Its idle timeout closes the other idle connections too, as a real server's would.
        server!.closeIdleConnections();
        return;
      }
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(req.url?.startsWith('/api/2.0/mlflow/runs/create') ? JSON.stringify({ run: { info: { run_id: 'r1', experiment_id: '1', status: 'RUNNING', start_time: 1, artifact_uri: 'x', lifecycle_stage: 'active' }, data: {} } }) : '{"experiments": []}');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen, dropped: () => dropped };
  }

  it('reproduces the failure with plain fetch: UND_ERR_SOCKET on a reused socket', async () => {
    const { url, dropped } = await droppingServer();
    const codes: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      await fetch(`${url}/p${i}`, { method: 'POST', body: '{}' }).then(
        (r) => r.text(),
        (e: { cause?: { code?: unknown } }) => codes.push(e.cause?.code),
      );
    }
    expect(dropped()).toBeGreaterThan(0);
    expect(codes).toEqual(Array.from({ length: dropped() }, () => 'UND_ERR_SOCKET'));
  });

  it('retries an idempotent request once on a new connection', async () => {
    const { url, seen, dropped } = await droppingServer();
    const client = new HangarClient({ trackingUri: url, maxRetries: 0 });
    for (let i = 0; i < 4; i++) expect((await client.searchExperiments()).items).toEqual([]);
    expect(dropped()).toBeGreaterThan(0);
    // Each dropped search was sent again and answered.
    expect(seen.filter((s) => s.includes('experiments/search'))).toHaveLength(4 + dropped());
  });

  it('does not resend a non-idempotent request the server may have received', async () => {
    const { url, seen, dropped } = await droppingServer();
    const client = new HangarClient({ trackingUri: url, maxRetries: 0 });
    let calls = 0;
    let failure: unknown;
    while (failure === undefined && calls < 4) {
      calls++;
      await client.createRun('1').catch((e: unknown) => (failure = e));
    }
    expect(dropped()).toBe(1);
    expect(failure).toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', message: expect.stringContaining('UND_ERR_SOCKET') });
    expect(seen.filter((s) => s.includes('runs/create'))).toHaveLength(calls);
  });

  it('resends any request that failed before it was written, but only once', async () => {
    const dropped = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
    let calls = 0;
    const answerSecond = (async () => {
      if (++calls === 1) throw dropped();
      return new Response(JSON.stringify({ run: { info: { run_id: 'r1', experiment_id: '1', status: 'RUNNING', start_time: 1, artifact_uri: 'x', lifecycle_stage: 'active' }, data: {} } }), { status: 200 });
    }) as typeof fetch;
    // A fetch other than Node's never reports writes, so the client cannot know and resends only idempotent calls.
    const client = new HangarClient({ trackingUri: 'http://hangar.test', maxRetries: 0, fetch: answerSecond });
    await expect(client.createRun('1')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
    expect(calls).toBe(1);
    calls = 0;
    expect((await client.getRun('r1')).info.runId).toBe('r1');
    expect(calls).toBe(2);

    let failures = 0;
    const alwaysDropped = (async () => {
      failures++;
      throw dropped();
    }) as typeof fetch;
    const stubborn = new HangarClient({ trackingUri: 'http://hangar.test', maxRetries: 3, fetch: alwaysDropped, sleep: async () => undefined });
    await expect(stubborn.getRun('r1')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
    expect(failures).toBe(2);
  });

  it('a refused connection is not a dropped one: nothing is resent', async () => {
    const { url } = await droppingServer();
    await new Promise((r) => server!.close(r));
    server = undefined;
    let attempts = 0;
    const counting = ((input: string | URL | Request, init?: RequestInit) => {
      attempts++;
      return fetch(input, init);
    }) as typeof fetch;
    const client = new HangarClient({ trackingUri: url, maxRetries: 0, fetch: counting });
    await expect(client.createRun('1')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
    expect(attempts).toBe(1);
  });

  it("resends a POST when Node's fetch dropped it before writing its headers", async () => {
    const { url, seen } = await droppingServer();
    const realFetch = globalThis.fetch;
    let failed = 0;
    // Stands in for Node's fetch losing the connection before it wrote a byte: the headers-sent
    // channel never reports this attempt.
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      if (failed++ === 0) throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('write ECONNRESET'), { code: 'ECONNRESET' }) });
      return realFetch(input, init);
    }) as typeof fetch;
    try {
      const client = new HangarClient({ trackingUri: url, maxRetries: 0 });
      expect((await client.createRun('1')).info.runId).toBe('r1');
      expect(seen.filter((s) => s.includes('runs/create'))).toHaveLength(1);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});
