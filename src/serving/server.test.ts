import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { column } from '../models/index.js';
import { InferenceLog, type InferenceIndex } from './inference-log.js';
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

describe('event time', () => {
  const added: Array<{ minTs: number; maxTs: number; rows: number; path: string; day: string }> = [];
  const index: InferenceIndex = { addFiles: async (files) => void added.push(...files) };
  let dir: string;
  let log: InferenceLog;
  let timed: ScoringServer;
  beforeAll(async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    dir = await mkdtemp(join(tmpdir(), 'hangar-event-time-'));
    log = new InferenceLog({ root: dir, index, flushIntervalMs: 3_600_000 });
    timed = await startScoringServer({
      host: '127.0.0.1',
      port: 0,
      primary: { current: doubler },
      log,
      eventTimeColumn: 'when',
      metrics: new ServingMetrics({ defaultMetrics: false }),
    });
  });
  afterAll(async () => {
    await timed.close();
    await log.close();
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${timed.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('takes the Hangar-Event-Time header (ISO-8601 or epoch ms) and the per-row column, and logs both times', async () => {
    const before = Date.now();
    expect((await post({ inputs: { x: [1] } }, { 'Hangar-Event-Time': '2001-05-01T08:05:00Z' })).status).toBe(200);
    expect((await post({ inputs: { x: [1] } }, { 'hangar-event-time': String(Date.UTC(2001, 4, 3)) })).status).toBe(200);
    // Per row: the column wins; a row without a value takes the header's time.
    const r = await post({ dataframe_records: [{ x: 1, when: '2001-05-04 10:00:00' }, { x: 2, when: null }] }, { 'Hangar-Event-Time': '2001-05-05' });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ predictions: [2, 4] });
    expect((await post({ inputs: { x: [1] } })).status).toBe(200);
    await log.flush();
    const bounds = added.map((f) => [f.day, f.minTs, f.maxTs, f.rows]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(bounds.slice(0, 4)).toEqual([
      ['2001-05-01', Date.UTC(2001, 4, 1, 8, 5), Date.UTC(2001, 4, 1, 8, 5), 1],
      ['2001-05-03', Date.UTC(2001, 4, 3), Date.UTC(2001, 4, 3), 1],
      ['2001-05-04', Date.UTC(2001, 4, 4, 10), Date.UTC(2001, 4, 4, 10), 1],
      ['2001-05-05', Date.UTC(2001, 4, 5), Date.UTC(2001, 4, 5), 1],
    ]);
    // No header and no column: the arrival time.
    expect(bounds[4]![1]).toBeGreaterThanOrEqual(before);
    expect(bounds).toHaveLength(5);
  });

  it('answers 400 INVALID_PARAMETER_VALUE naming the header or the column for a bad time, and logs nothing for a bad header', async () => {
    const flushed = added.length;
    for (const bad of ['May 1', '2001-02-30T00:00:00Z', '1.5e12', '']) {
      const r = await post({ inputs: { x: [1] } }, { 'Hangar-Event-Time': bad });
      expect(r.status).toBe(400);
      const body = (await r.json()) as { error_code: string; message: string };
      expect(body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(body.message).toMatch(/^Hangar-Event-Time must be epoch milliseconds or an ISO-8601 date-time/);
    }
    const row = await post({ dataframe_records: [{ x: 1, when: '2001-05-04' }, { x: 2, when: 'yesterday' }] });
    expect(row.status).toBe(400);
    expect(((await row.json()) as { message: string }).message).toMatch(/^when \(row 1\) must be epoch milliseconds/);
    await log.flush();
    // The bad header never reached the log; the bad row's request is logged as ERROR rows at arrival time.
    const rows = added.slice(flushed).reduce((n, f) => n + f.rows, 0);
    expect(rows).toBe(2);
  });
});
