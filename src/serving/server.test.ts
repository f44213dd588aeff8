import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { column } from '../models/index.js';
import { ServingMetrics } from './metrics.js';
import type { ScoreResult, ServingModel } from './model.js';
import { startScoringServer, type ModelSlot, type ScoringServer } from './server.js';

/** A model that doubles `x`; its scoring is synchronous, like the tree fast path. */
const doubler: ServingModel = {
  name: 'doubler',
  version: '7',
  flavor: 'test',
  problem: 'regression',
  columns: [column('x', 'double')],
  predictionType: 'DOUBLE',
  score(table): ScoreResult {
    const xs = table.columns.get('x') ?? [];
    const logged = Array.from(xs, (v) => Number(v) * 2);
    return { rows: table.rows, predictions: logged, logged, proba: undefined, inputs: table.columns };
  },
  close: async () => {},
};

const slot: { current: ServingModel | undefined } = { current: undefined };
let server: ScoringServer;

beforeAll(async () => {
  server = await startScoringServer({ host: '127.0.0.1', port: 0, primary: slot as ModelSlot, metrics: new ServingMetrics({ defaultMetrics: false }), bodyLimitBytes: 1024 });
});
afterAll(async () => {
  await server.close();
});

const invoke = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => fetch(`${server.url}/invocations`, { method: 'POST', headers, body });

describe('the scoring server before and after a model is loaded', () => {
  it('answers /ping and /health 404 and /invocations 503 until a model is loaded, then 200', async () => {
    expect((await fetch(`${server.url}/ping`)).status).toBe(404);
    expect((await fetch(`${server.url}/health`)).status).toBe(404);
    const early = await invoke('{"inputs": {"x": [1]}}');
    expect(early.status).toBe(503);
    expect(await early.json()).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE' });
    slot.current = doubler;
    const ping = await fetch(`${server.url}/ping`);
    expect(ping.status).toBe(200);
    expect(await ping.text()).toBe('\n');
    const ok = await invoke('{"inputs": {"x": [1, 2.5]}}');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ predictions: [2, 5] });
    expect(ok.headers.get('x-model-version')).toBe('7');
  });

  it('keeps the caller’s request id, refuses oversized bodies with 413 and other methods with 400', async () => {
    const r = await invoke('{"inputs": {"x": [1]}}', { 'content-type': 'application/json', 'x-request-id': 'caller-42' });
    expect(r.headers.get('x-request-id')).toBe('caller-42');
    const big = await invoke(JSON.stringify({ inputs: { x: Array.from({ length: 400 }, () => 1.5) } }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error_code: 'PAYLOAD_TOO_LARGE' });
    const get = await fetch(`${server.url}/invocations`);
    expect(get.status).toBe(400);
    expect(((await get.json()) as { message: string }).message).toMatch(/use POST/);
    expect((await invoke('{"inputs": {"x": [3]}}')).status).toBe(200);
  });
});
