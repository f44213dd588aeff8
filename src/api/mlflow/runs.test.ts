import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { newLoggedModelId } from '../../core/ids.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import { noArtifacts, storeEngines } from '../../../test/support/engines.js';
import { createServer } from '../server.js';

const ENGINES = storeEngines();

let dir: string;
let store: Store;
let app: FastifyInstance;
let experimentId: string;

const DBL_MAX = 1.7976931348623157e308;

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

// Bodies are typed `any` on purpose: the tests check the wire, key by key.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

async function post(path: string, body: unknown) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await app.inject({ method: 'POST', url: `/api/2.0/mlflow${path}`, payload, headers: { 'content-type': 'application/json' } });
  return { status: res.statusCode, body: res.json() as Json, raw: res.body };
}

async function get(path: string, query: Record<string, string | string[]>) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, one);
  const res = await app.inject({ method: 'GET', url: `/api/2.0/mlflow${path}?${qs}` });
  return { status: res.statusCode, body: res.json() as Json, raw: res.body };
}

async function createRun(extra: Json = {}, exp = experimentId): Promise<string> {
  const r = await post('/runs/create', { experiment_id: exp, user_id: 'tester', start_time: Date.now(), ...extra });
  expect(r.status).toBe(200);
  return r.body.run.info.run_id as string;
}

async function getRun(runId: string): Promise<Json> {
  const r = await get('/runs/get', { run_id: runId });
  expect(r.status).toBe(200);
  return r.body.run as Json;
}

function expectInvalid(r: { status: number; body: Json }, field?: string): void {
  expect(r.status).toBe(400);
  expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  if (field !== undefined) expect(r.body.message).toContain(`'${field}'`);
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip)(engine.title, () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hangar-runs-'));
      store = await openStore(await engine.open(dir), { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
      app = await createServer({ config: loadConfig({ home: dir }), store, artifacts: noArtifacts });
      experimentId = await store.createExperiment({ name: unique('runs') });
    });

    afterAll(async () => {
      await app?.close();
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
      await engine.close();
    });

    describe('runs/create', () => {
      it('generates an id and a name when none is given, and answers with inputs but no outputs', async () => {
        const r = await post('/runs/create', { experiment_id: experimentId, user_id: 'unknown', start_time: 1795669677375 });
        expect(r.status).toBe(200);
        // MLflow 3 answers `inputs: {}` here (mlflow3-wire.md §1); `outputs` only on get and search.
        expect(Object.keys(r.body.run)).toEqual(['info', 'data', 'inputs']);
        expect(r.body.run.inputs).toEqual({});
        const info = r.body.run.info;
        expect(Object.keys(info)).toEqual([
          'run_uuid', 'experiment_id', 'run_name', 'user_id', 'status', 'start_time', 'artifact_uri', 'lifecycle_stage', 'run_id',
        ]);
        expect(info.run_id).toMatch(/^[0-9a-f]{32}$/);
        expect(info.run_uuid).toBe(info.run_id);
        expect(info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
        expect(info).toMatchObject({
          experiment_id: experimentId,
          user_id: 'unknown',
          status: 'RUNNING',
          start_time: 1795669677375,
          artifact_uri: `mlflow-artifacts:/${experimentId}/${info.run_id}/artifacts`,
          lifecycle_stage: 'active',
        });
        expect(r.body.run.data).toEqual({ tags: [{ key: 'mlflow.runName', value: info.run_name }] });
      });

      it('takes the name from run_name, or else from the mlflow.runName tag', async () => {
        const named = await post('/runs/create', { experiment_id: experimentId, run_name: 'demo-run', tags: [{ key: 'mlflow.user', value: 'root' }] });
        expect(named.body.run.info.run_name).toBe('demo-run');
        expect(named.body.run.data.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.runName', value: 'demo-run' }, { key: 'mlflow.user', value: 'root' }]));

        const fromTag = await post('/runs/create', { experiment_id: experimentId, tags: [{ key: 'mlflow.runName', value: 'tagged-run' }] });
        expect(fromTag.body.run.info.run_name).toBe('tagged-run');

        const both = await post('/runs/create', { experiment_id: experimentId, run_name: 'same', tags: [{ key: 'mlflow.runName', value: 'same' }] });
        expect(both.body.run.info.run_name).toBe('same');
        expect(both.body.run.data.tags.filter((t: Json) => t.key === 'mlflow.runName')).toHaveLength(1);
      });

      it('rejects run_name and mlflow.runName that disagree', async () => {
        const r = await post('/runs/create', { experiment_id: experimentId, run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] });
        expectInvalid(r);
        expect(r.body.message).toContain("run_name='a', mlflow.runName='b'");
      });

      it('validates its fields: experiment id required, start_time an integer, tags within limits', async () => {
        expectInvalid(await post('/runs/create', { start_time: 1 }), 'experiment_id');
        expectInvalid(await post('/runs/create', { experiment_id: experimentId, start_time: 'soon' }), 'start_time');
        expectInvalid(await post('/runs/create', { experiment_id: experimentId, start_time: 1.5 }), 'start_time');
        expectInvalid(await post('/runs/create', { experiment_id: experimentId, start_time: -1 }), 'start_time');
        const longTag = await post('/runs/create', { experiment_id: experimentId, tags: [{ key: 'k', value: 'v'.repeat(5001) }] });
        expectInvalid(longTag);
        expect(longTag.body.message).toContain('exceeded length limit of 5000');
      });

      it('refuses a run in a deleted experiment with 400', async () => {
        const exp = await store.createExperiment({ name: unique('deleted-exp') });
        await store.deleteExperiment(exp);
        expectInvalid(await post('/runs/create', { experiment_id: exp }));
      });

      it('answers an unknown experiment with 404', async () => {
        const r = await post('/runs/create', { experiment_id: '987654321' });
        expect(r.status).toBe(404);
        expect(r.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      });
    });

    describe('runs/get and runs/update', () => {
      it('answers with inputs {} and outputs {}, by run_id or the deprecated run_uuid', async () => {
        const runId = await createRun();
        const byId = await get('/runs/get', { run_id: runId });
        expect(byId.status).toBe(200);
        expect(Object.keys(byId.body.run)).toEqual(['info', 'data', 'inputs', 'outputs']);
        expect(byId.body.run.inputs).toEqual({});
        expect(byId.body.run.outputs).toEqual({});
        expect(byId.body.run.info).not.toHaveProperty('end_time');
        const byUuid = await get('/runs/get', { run_uuid: runId });
        expect(byUuid.body).toEqual(byId.body);
      });

      it('answers an unknown run with 404 and MLflow message; a missing id with 400', async () => {
        const r = await get('/runs/get', { run_id: '00000000000000000000000000000000' });
        expect(r.status).toBe(404);
        expect(r.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=00000000000000000000000000000000 not found' });
        expectInvalid(await get('/runs/get', {}), 'run_id');
        expectInvalid(await get('/runs/get', { run_id: '../../x' }));
      });

      it('ends a run and renames it', async () => {
        const runId = await createRun();
        const end = Date.now();
        const r = await post('/runs/update', { run_id: runId, run_uuid: runId, status: 'FINISHED', end_time: end });
        expect(r.status).toBe(200);
        expect(Object.keys(r.body)).toEqual(['run_info']);
        expect(r.body.run_info).toMatchObject({ run_id: runId, status: 'FINISHED', end_time: end });

        const renamed = await post('/runs/update', { run_id: runId, run_name: 'renamed-run' });
        expect(renamed.body.run_info.run_name).toBe('renamed-run');
        const run = await getRun(runId);
        expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.runName', value: 'renamed-run' }]));

        expectInvalid(await post('/runs/update', { run_id: runId, status: 'DONE' }), 'status');
        expectInvalid(await post('/runs/update', { run_id: runId, end_time: 'later' }), 'end_time');
      });

      it('refuses to update or tag a deleted run with 400', async () => {
        const runId = await createRun();
        await post('/runs/delete', { run_id: runId });
        expectInvalid(await post('/runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() }));
        expectInvalid(await post('/runs/set-tag', { run_id: runId, key: 'k', value: 'v' }));
        expectInvalid(await post('/runs/log-parameter', { run_id: runId, key: 'k', value: 'v' }));
      });

      it('accepts the status as its proto number', async () => {
        const runId = await createRun();
        const r = await post('/runs/update', { run_id: runId, status: 4 });
        expect(r.body.run_info.status).toBe('FAILED');
      });
    });

    describe('runs/log-metric', () => {
      it('logs points, defaults step to 0 and returns {}', async () => {
        const runId = await createRun();
        const r = await post('/runs/log-metric', { run_id: runId, run_uuid: runId, key: 'loss', value: 1.0, timestamp: 1795669665336 });
        expect(r.status).toBe(200);
        expect(r.raw).toBe('{}');
        await post('/runs/log-metric', { run_uuid: runId, key: 'loss', value: 0.5, timestamp: 1795669665380, step: 1 });
        const h = await get('/metrics/get-history', { run_id: runId, metric_key: 'loss' });
        expect(h.body).toEqual({
          metrics: [
            { key: 'loss', value: 1, timestamp: 1795669665336, step: 0 },
            { key: 'loss', value: 0.5, timestamp: 1795669665380, step: 1 },
          ],
        });
        const run = await getRun(runId);
        expect(run.data.metrics).toEqual([{ key: 'loss', value: 0.5, timestamp: 1795669665380, step: 1 }]);
      });

      it('accepts "NaN", "Infinity" and "-Infinity" and answers "NaN" and ±DBL_MAX', async () => {
        const runId = await createRun();
        await post('/runs/log-metric', { run_id: runId, key: 'x', value: 'NaN', timestamp: 1, step: 0 });
        await post('/runs/log-metric', { run_id: runId, key: 'x', value: 'Infinity', timestamp: 2, step: 1 });
        await post('/runs/log-metric', { run_id: runId, key: 'x', value: '-Infinity', timestamp: 3, step: 2 });
        const h = await get('/metrics/get-history', { run_id: runId, metric_key: 'x' });
        expect(h.raw).toBe(
          '{"metrics":[{"key":"x","value":"NaN","timestamp":1,"step":0},' +
            '{"key":"x","value":1.7976931348623157e+308,"timestamp":2,"step":1},' +
            '{"key":"x","value":-1.7976931348623157e+308,"timestamp":3,"step":2}]}',
        );
        await post('/runs/log-metric', { run_id: runId, key: 'nan-latest', value: 'NaN', timestamp: 1, step: 0 });
        const run = await getRun(runId);
        expect(run.data.metrics).toEqual(expect.arrayContaining([{ key: 'nan-latest', value: 'NaN', timestamp: 1, step: 0 }]));
        expect(run.data.metrics).toEqual(expect.arrayContaining([{ key: 'x', value: -DBL_MAX, timestamp: 3, step: 2 }]));
      });

      it('rejects bad values, timestamps, steps and keys, naming the field', async () => {
        const runId = await createRun();
        const base = { run_id: runId, key: 'm', value: 1, timestamp: 1, step: 0 };
        expectInvalid(await post('/runs/log-metric', { ...base, value: 'abc' }), 'value');
        expectInvalid(await post('/runs/log-metric', { ...base, value: null }), 'value');
        expectInvalid(await post('/runs/log-metric', { ...base, value: undefined }), 'value');
        expectInvalid(await post('/runs/log-metric', { ...base, timestamp: undefined }), 'timestamp');
        expectInvalid(await post('/runs/log-metric', { ...base, timestamp: 1.5 }), 'timestamp');
        const negative = await post('/runs/log-metric', { ...base, timestamp: -1 });
        expectInvalid(negative);
        expect(negative.body.message).toContain('Timestamp must be a nonnegative long');
        expectInvalid(await post('/runs/log-metric', { ...base, step: 'one' }), 'step');
        expectInvalid(await post('/runs/log-metric', { ...base, key: undefined }), 'key');
        expectInvalid(await post('/runs/log-metric', { ...base, run_id: undefined }), 'run_id');
        const badName = await post('/runs/log-metric', { ...base, key: 'a*b' });
        expectInvalid(badName);
        expect(badName.body.message).toContain("Invalid metric name: 'a*b'");
        const pathName = await post('/runs/log-metric', { ...base, key: 'a/../b' });
        expectInvalid(pathName);
        const longKey = await post('/runs/log-metric', { ...base, key: 'k'.repeat(251) });
        expectInvalid(longKey);
        expect(longKey.body.message).toContain('had length 251, which exceeded length limit of 250');
      });

      it('accepts numeric strings and ignores unknown fields', async () => {
        const runId = await createRun();
        const r = await post('/runs/log-metric', { run_id: runId, key: 'm', value: '2.5', timestamp: '10', step: '3', colour: 'red' });
        expect(r.status).toBe(200);
        const h = await get('/metrics/get-history', { run_id: runId, metric_key: 'm' });
        expect(h.body.metrics).toEqual([{ key: 'm', value: 2.5, timestamp: 10, step: 3 }]);
      });

      it('refuses writes to a deleted run with 400 and to an unknown run with 404', async () => {
        const runId = await createRun();
        await post('/runs/delete', { run_id: runId });
        expectInvalid(await post('/runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1 }));
        const unknown = await post('/runs/log-metric', { run_id: 'ffffffffffffffffffffffffffffffff', key: 'm', value: 1, timestamp: 1 });
        expect(unknown.status).toBe(404);
      });

      it('answers a POST without a JSON content type with 400', async () => {
        const res = await app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/log-metric', payload: '{}', headers: { 'content-type': 'text/plain' } });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
      });
    });

    describe('runs/log-parameter, set-tag, delete-tag', () => {
      it('logs a param once; the same value again is fine, another value is 400', async () => {
        const runId = await createRun();
        expect((await post('/runs/log-parameter', { run_id: runId, run_uuid: runId, key: 'lr', value: '0.01' })).status).toBe(200);
        expect((await post('/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' })).status).toBe(200);
        const changed = await post('/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.02' });
        expectInvalid(changed);
        expect(changed.body.message).toContain('Changing param values is not allowed');
        expect((await getRun(runId)).data.params).toEqual([{ key: 'lr', value: '0.01' }]);
      });

      it('enforces param key and value limits', async () => {
        const runId = await createRun();
        const longValue = await post('/runs/log-parameter', { run_id: runId, key: 'p', value: 'v'.repeat(6001) });
        expectInvalid(longValue);
        expect(longValue.body.message).toContain('exceeded length limit of 6000');
        expect((await post('/runs/log-parameter', { run_id: runId, key: 'p', value: 'v'.repeat(6000) })).status).toBe(200);
        expectInvalid(await post('/runs/log-parameter', { run_id: runId, key: 'q', value: { nested: true } }), 'value');
      });

      it('sets, overwrites and deletes tags; setting mlflow.runName renames the run', async () => {
        const runId = await createRun();
        await post('/runs/set-tag', { run_id: runId, key: 'stage', value: 'a' });
        await post('/runs/set-tag', { run_id: runId, key: 'stage', value: 'b' });
        expect((await getRun(runId)).data.tags).toEqual(expect.arrayContaining([{ key: 'stage', value: 'b' }]));
        expect((await post('/runs/delete-tag', { run_id: runId, key: 'stage' })).status).toBe(200);
        expect((await getRun(runId)).data.tags.map((t: Json) => t.key)).not.toContain('stage');
        await post('/runs/set-tag', { run_id: runId, key: 'mlflow.runName', value: 'via-tag' });
        expect((await getRun(runId)).info.run_name).toBe('via-tag');

        const longValue = await post('/runs/set-tag', { run_id: runId, key: 't', value: 'v'.repeat(5001) });
        expectInvalid(longValue);
        expect(longValue.body.message).toContain('exceeded length limit of 5000');
      });
    });

    describe('runs/log-batch', () => {
      const metrics = (n: number, key = 'm') => Array.from({ length: n }, (_, i) => ({ key, value: i, timestamp: 1000 + i, step: i }));
      const params = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `p${i}`, value: String(i) }));
      const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `t${i}`, value: String(i) }));

      it('logs metrics, params and tags in one call', async () => {
        const runId = await createRun();
        const r = await post('/runs/log-batch', {
          run_id: runId,
          metrics: [
            { key: 'acc', value: 0.5, timestamp: 1795669665504, step: 0 },
            { key: 'acc', value: 0.6, timestamp: 1795669665504, step: 1 },
            { key: 'acc', value: 'NaN', timestamp: 1795669665504 },
          ],
          params: [{ key: 'batch_size', value: '32' }],
          tags: [{ key: 'team', value: 'hangar' }],
        });
        expect(r.status).toBe(200);
        expect(r.raw).toBe('{}');
        const run = await getRun(runId);
        expect(run.data.params).toEqual([{ key: 'batch_size', value: '32' }]);
        expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'hangar' }]));
        expect(run.data.metrics).toEqual([{ key: 'acc', value: 0.6, timestamp: 1795669665504, step: 1 }]);
        const h = await get('/metrics/get-history', { run_id: runId, metric_key: 'acc' });
        expect(h.body.metrics.map((m: Json) => m.value)).toEqual(['NaN', 0.5, 0.6]);
      });

      it('accepts the limits exactly: 1000 metrics, 100 params, 100 tags', async () => {
        const runId = await createRun();
        expect((await post('/runs/log-batch', { run_id: runId, metrics: metrics(1000) })).status).toBe(200);
        expect((await post('/runs/log-batch', { run_id: runId, params: params(100), tags: tags(100) })).status).toBe(200);
        const h = await get('/metrics/get-history', { run_id: runId, metric_key: 'm' });
        expect(h.body.metrics).toHaveLength(1000);
      });

      it("rejects batches over MLflow's limits with MLflow's messages", async () => {
        const runId = await createRun();
        const tooManyMetrics = await post('/runs/log-batch', { run_id: runId, metrics: metrics(1001) });
        expectInvalid(tooManyMetrics);
        expect(tooManyMetrics.body.message).toBe(
          'A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.',
        );
        const tooManyParams = await post('/runs/log-batch', { run_id: runId, params: params(101) });
        expect(tooManyParams.body.message).toBe(
          'A batch logging request can contain at most 100 params. Got 101 params. Please split up params across multiple requests and try again.',
        );
        const tooManyTags = await post('/runs/log-batch', { run_id: runId, tags: tags(101) });
        expect(tooManyTags.body.message).toBe(
          'A batch logging request can contain at most 100 tags. Got 101 tags. Please split up tags across multiple requests and try again.',
        );
        const tooMany = await post('/runs/log-batch', { run_id: runId, metrics: metrics(801), params: params(100), tags: tags(100) });
        expect(tooMany.body.message).toBe(
          'A batch logging request can contain at most 1000 metrics, params, and tags. Got 1001 metrics, params, and tags. ' +
            'Please split up metrics, params, and tags across multiple requests and try again.',
        );
        // Nothing of a rejected batch was written.
        expect((await get('/metrics/get-history', { run_id: runId, metric_key: 'm' })).body).toEqual({});
      });

      it('rejects a body over 1 MB by its raw length', async () => {
        const runId = await createRun();
        const body = JSON.stringify({ run_id: runId, params: [{ key: 'p', value: 'x' }], padding: 'y'.repeat(1_000_001) });
        const r = await post('/runs/log-batch', body);
        expectInvalid(r);
        expect(r.body.message).toBe(`Batched logging API requests must be at most 1000000 bytes, got a request of size ${Buffer.byteLength(body)}.`);
        expect((await getRun(runId)).data).not.toHaveProperty('params');
      });

      it('names the failing entry of a malformed batch', async () => {
        const runId = await createRun();
        expectInvalid(await post('/runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: 1, timestamp: 1 }, { key: 'b', value: 'x', timestamp: 1 }] }), 'metrics.1.value');
        expectInvalid(await post('/runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: 1 }] }), 'metrics.0.timestamp');
        expectInvalid(await post('/runs/log-batch', { run_id: runId, params: [{ value: '1' }] }), 'params.0.key');
        expectInvalid(await post('/runs/log-batch', { run_id: runId, metrics: 'lots' }), 'metrics');
        const dupes = await post('/runs/log-batch', { run_id: runId, params: [{ key: 'a', value: '1' }, { key: 'a', value: '1' }] });
        expectInvalid(dupes);
        expect(dupes.body.message).toContain("Duplicate parameter keys have been submitted: ['a']");
      });

      it('does not store a point identical to one already logged', async () => {
        const runId = await createRun();
        const point = { key: 'loss', value: 1, timestamp: 1795674875503, step: 0 };
        await post('/runs/log-batch', { run_id: runId, metrics: [point] });
        await post('/runs/log-batch', { run_id: runId, metrics: [{ ...point, run_id: runId }] });
        expect((await get('/metrics/get-history', { run_id: runId, metric_key: 'loss' })).body.metrics).toHaveLength(1);
      });

      it("passes MLflow 3's model_id and dataset fields to the store", async () => {
        const runId = await createRun();
        const model = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId, name: 'model', sourceRunId: runId });
        const r = await post('/runs/log-batch', {
          run_id: runId,
          metrics: [
            { key: 'train_accuracy', value: 0.97, timestamp: 1795674875448, step: 0, run_id: runId, model_id: model.modelId, dataset_name: 'iris', dataset_digest: 'abc123' },
          ],
        });
        expect(r.status).toBe(200);
        const stored = await store.getLoggedModel(model.modelId);
        expect(stored.metrics).toEqual([
          expect.objectContaining({ key: 'train_accuracy', value: 0.97, step: 0, modelId: model.modelId, runId, datasetName: 'iris', datasetDigest: 'abc123' }),
        ]);
        // Run metrics on the wire never carry the MLflow 3 fields.
        expect((await getRun(runId)).data.metrics).toEqual([{ key: 'train_accuracy', value: 0.97, timestamp: 1795674875448, step: 0 }]);
      });
    });

    describe('runs/log-model', () => {
      const modelJson = (runId: string, extra: Json = {}) =>
        JSON.stringify({ run_id: runId, artifact_path: 'model', utc_time_created: '2026-11-26 05:07:47.081585', flavors: { sklearn: {} }, ...extra });

      it('appends each model to the mlflow.log-model.history tag', async () => {
        const runId = await createRun();
        expect((await post('/runs/log-model', { run_id: runId, model_json: modelJson(runId) })).body).toEqual({});
        expect((await post('/runs/log-model', { run_id: runId, model_json: modelJson(runId, { artifact_path: 'second' }) })).status).toBe(200);
        const tag = (await getRun(runId)).data.tags.find((t: Json) => t.key === 'mlflow.log-model.history');
        const history = JSON.parse(tag.value);
        expect(history.map((m: Json) => m.artifact_path)).toEqual(['model', 'second']);
        expect(history[0]).toEqual(JSON.parse(modelJson(runId)));
      });

      it('rejects model_json that is not JSON or lacks a mandatory field', async () => {
        const runId = await createRun();
        const notJson = await post('/runs/log-model', { run_id: runId, model_json: '{not json' });
        expectInvalid(notJson);
        expect(notJson.body.message).toContain('is not a valid JSON');
        const missing = await post('/runs/log-model', { run_id: runId, model_json: JSON.stringify({ run_id: runId, artifact_path: 'm' }) });
        expectInvalid(missing);
        expect(missing.body.message).toContain("Model json is missing mandatory fields: {'flavors', 'utc_time_created'}");
        expectInvalid(await post('/runs/log-model', { run_id: runId }), 'model_json');
        expect((await getRun(runId)).data.tags.map((t: Json) => t.key)).not.toContain('mlflow.log-model.history');
      });
    });

    describe('runs/log-inputs and runs/outputs', () => {
      it('shows dataset inputs and model outputs on runs/get', async () => {
        const runId = await createRun();
        const r = await post('/runs/log-inputs', {
          run_id: runId,
          datasets: [
            {
              tags: [{ key: 'mlflow.data.context', value: 'training' }],
              dataset: { name: 'iris', digest: 'd1', source_type: 'local', source: '{"uri": "/tmp/iris.csv"}', schema: '{"cols": []}' },
            },
          ],
        });
        expect(r.status).toBe(200);
        const model = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId, name: 'model', sourceRunId: runId });
        expect((await post('/runs/outputs', { run_id: runId, models: [{ model_id: model.modelId, step: 0 }] })).body).toEqual({});

        const run = await getRun(runId);
        expect(run.inputs).toEqual({
          dataset_inputs: [
            {
              tags: [{ key: 'mlflow.data.context', value: 'training' }],
              dataset: { name: 'iris', digest: 'd1', source_type: 'local', source: '{"uri": "/tmp/iris.csv"}', schema: '{"cols": []}' },
            },
          ],
        });
        expect(run.outputs).toEqual({ model_outputs: [{ model_id: model.modelId, step: 0 }] });
      });

      it('validates dataset fields and limits', async () => {
        const runId = await createRun();
        const dataset = { name: 'd', digest: 'x', source_type: 'local', source: 's' };
        expectInvalid(await post('/runs/log-inputs', { run_id: runId, datasets: [{ dataset: { ...dataset, digest: undefined } }] }), 'datasets.0.dataset.digest');
        const longDigest = await post('/runs/log-inputs', { run_id: runId, datasets: [{ dataset: { ...dataset, digest: 'x'.repeat(37) } }] });
        expectInvalid(longDigest);
        expect(longDigest.body.message).toBe('Dataset digest exceeds the maximum length of 36');
        expectInvalid(await post('/runs/outputs', { run_id: runId }), 'models');
      });
    });

    describe('runs/search', () => {
      it('filters on metrics and orders, paging with next_page_token left out on the last page', async () => {
        const exp = await store.createExperiment({ name: unique('search') });
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const runId = await createRun({ run_name: `r${i}` }, exp);
          await post('/runs/log-metric', { run_id: runId, key: 'rmse', value: i / 10, timestamp: 1, step: 0 });
          ids.push(runId);
        }
        const q = { experiment_ids: [exp], filter: 'metrics.rmse < 0.35', order_by: ['metrics.rmse DESC'], max_results: 2 };
        const first = await post('/runs/search', q);
        expect(first.status).toBe(200);
        expect(first.body.runs.map((r: Json) => r.info.run_id)).toEqual([ids[3], ids[2]]);
        expect(first.body.runs[0].inputs).toEqual({});
        expect(first.body.runs[0].outputs).toEqual({});
        expect(first.body.next_page_token).toEqual(expect.any(String));
        const second = await post('/runs/search', { ...q, page_token: first.body.next_page_token });
        expect(second.body.runs.map((r: Json) => r.info.run_id)).toEqual([ids[1], ids[0]]);
        const third = second.body.next_page_token ? await post('/runs/search', { ...q, page_token: second.body.next_page_token }) : second;
        if (third !== second) expect(third.body).toEqual({});
        expect(third.body).not.toHaveProperty('next_page_token');
      });

      it('defaults to start_time DESC and honours run_view_type', async () => {
        const exp = await store.createExperiment({ name: unique('view') });
        const older = await createRun({ start_time: 1000 }, exp);
        const newer = await createRun({ start_time: 2000 }, exp);
        const deleted = await createRun({ start_time: 3000 }, exp);
        await post('/runs/delete', { run_id: deleted });
        const active = await post('/runs/search', { experiment_ids: [exp] });
        expect(active.body.runs.map((r: Json) => r.info.run_id)).toEqual([newer, older]);
        expect(active.body).not.toHaveProperty('next_page_token');
        const onlyDeleted = await post('/runs/search', { experiment_ids: [exp], run_view_type: 'DELETED_ONLY' });
        expect(onlyDeleted.body.runs.map((r: Json) => r.info.run_id)).toEqual([deleted]);
        const all = await post('/runs/search', { experiment_ids: [exp], run_view_type: 'ALL' });
        expect(all.body.runs).toHaveLength(3);
      });

      it('enforces max_results of at most 50000 and rejects bad filters', async () => {
        expect((await post('/runs/search', { experiment_ids: [experimentId], max_results: 50000 })).status).toBe(200);
        const over = await post('/runs/search', { experiment_ids: [experimentId], max_results: 50001 });
        expectInvalid(over);
        expect(over.body.message).toContain('50000');
        expectInvalid(await post('/runs/search', { experiment_ids: [experimentId], filter: 'metrics.rmse <' }));
        expectInvalid(await post('/runs/search', { experiment_ids: [experimentId], order_by: ['colour ASC'] }));
        expectInvalid(await post('/runs/search', { experiment_ids: [experimentId], max_results: 'many' }), 'max_results');
        expectInvalid(await post('/runs/search', { experiment_ids: experimentId }), 'experiment_ids');
      });

      it('answers an experiment without runs with {}', async () => {
        const exp = await store.createExperiment({ name: unique('empty') });
        expect((await post('/runs/search', { experiment_ids: [exp] })).body).toEqual({});
      });
    });

    describe('runs/delete and restore', () => {
      it('soft-deletes and restores a run', async () => {
        const runId = await createRun();
        expect((await post('/runs/delete', { run_id: runId })).body).toEqual({});
        expect((await getRun(runId)).info.lifecycle_stage).toBe('deleted');
        expect((await post('/runs/restore', { run_id: runId })).body).toEqual({});
        expect((await getRun(runId)).info.lifecycle_stage).toBe('active');
      });

      it('bulk-deletes and restores runs through the Databricks endpoints', async () => {
        const exp = await store.createExperiment({ name: unique('bulk') });
        const early = await createRun({ start_time: 1000 }, exp);
        const late = await createRun({ start_time: 5000 }, exp);
        const cutoff = Date.now();
        const del = await post('/databricks/runs/delete-runs', { experiment_id: exp, max_timestamp_millis: 2000 });
        expect(del.body).toEqual({ runs_deleted: 1 });
        expect((await getRun(early)).info.lifecycle_stage).toBe('deleted');
        expect((await getRun(late)).info.lifecycle_stage).toBe('active');
        const res = await post('/databricks/runs/restore-runs', { experiment_id: exp, min_timestamp_millis: cutoff - 60_000 });
        expect(res.body).toEqual({ runs_restored: 1 });
        expect((await getRun(early)).info.lifecycle_stage).toBe('active');
      });
    });

    describe('metrics/get-history and get-history-bulk-interval', () => {
      it('answers an unknown key with {} and takes max_results as a query-string number', async () => {
        const runId = await createRun();
        const r = await get('/metrics/get-history', { run_id: runId, run_uuid: runId, metric_key: 'nope', max_results: '25000' });
        expect(r.status).toBe(200);
        expect(r.raw).toBe('{}');
        expectInvalid(await get('/metrics/get-history', { run_id: runId }), 'metric_key');
        expectInvalid(await get('/metrics/get-history', { run_id: runId, metric_key: 'm', max_results: 'lots' }), 'max_results');
      });

      it('pages the history when asked for a smaller page', async () => {
        const runId = await createRun();
        await post('/runs/log-batch', { run_id: runId, metrics: Array.from({ length: 5 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i })) });
        const first = await get('/metrics/get-history', { run_id: runId, metric_key: 'm', max_results: '3' });
        expect(first.body.metrics.map((m: Json) => m.step)).toEqual([0, 1, 2]);
        expect(first.body.next_page_token).toEqual(expect.any(String));
        const rest = await get('/metrics/get-history', { run_id: runId, metric_key: 'm', max_results: '3', page_token: first.body.next_page_token });
        expect(rest.body.metrics.map((m: Json) => m.step)).toEqual([3, 4]);
        expect(rest.body).not.toHaveProperty('next_page_token');
      });

      it('samples several runs at common steps, keeping each run’s ends, in either list form', async () => {
        const a = await createRun();
        const b = await createRun();
        await post('/runs/log-batch', { run_id: a, metrics: Array.from({ length: 10 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i })) });
        await post('/runs/log-batch', { run_id: b, metrics: [{ key: 'm', value: 'NaN', timestamp: 1, step: 3 }] });

        const all = await get('/metrics/get-history-bulk-interval', { run_ids: [a, b], metric_key: 'm' });
        expect(all.status).toBe(200);
        expect(all.body.metrics.filter((m: Json) => m.run_id === a).map((m: Json) => m.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(all.body.metrics.filter((m: Json) => m.run_id === b)).toEqual([{ key: 'm', value: 'NaN', timestamp: 1, step: 3, run_id: b }]);

        const sampled = await get('/metrics/get-history-bulk-interval', { 'run_ids[]': [a], metric_key: 'm', max_results: '3', start_step: '2', end_step: '8' });
        const steps = sampled.body.metrics.map((m: Json) => m.step);
        expect(steps[0]).toBe(2);
        expect(steps[steps.length - 1]).toBe(8);
        expect(steps.length).toBeLessThanOrEqual(4);

        expectInvalid(await get('/metrics/get-history-bulk-interval', { metric_key: 'm' }), 'run_ids');
        expectInvalid(await get('/metrics/get-history-bulk-interval', { run_ids: [a], metric_key: 'm', start_step: '1' }));
        expectInvalid(await get('/metrics/get-history-bulk-interval', { run_ids: [a], metric_key: 'm', start_step: '5', end_step: '1' }));
        const tooMany = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(32, '0'));
        const r = await get('/metrics/get-history-bulk-interval', { run_ids: tooMany, metric_key: 'm' });
        expectInvalid(r);
        expect(r.body.message).toContain('cannot specify more than 100 run_ids');
      });
    });

    describe('run audit rows', () => {
      it('writes one row per request naming the run, not one per metric', async () => {
        const runId = await createRun();
        await post('/runs/log-batch', {
          run_id: runId,
          metrics: Array.from({ length: 50 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i })),
        });
        await post('/runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 2, step: 99 });
        await post('/runs/set-tag', { run_id: runId, key: 'k', value: 'v' });
        await post('/runs/log-parameter', { run_id: runId, key: 'k', value: 'v' });
        await post('/runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
        const page = await store.listAudit({ maxResults: 100, entityType: 'run', entityId: runId });
        expect(page.items.map((a) => a.action.replace('POST /api/2.0/mlflow', '')).sort()).toEqual(
          ['/runs/create', '/runs/log-batch', '/runs/log-metric', '/runs/set-tag', '/runs/log-parameter', '/runs/update'].sort(),
        );
      });
    });
  });
}
