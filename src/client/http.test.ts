import { describe, expect, it } from 'vitest';
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
