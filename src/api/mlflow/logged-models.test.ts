import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore } from '../../artifacts/index.js';
import type { ArtifactStore } from '../../artifacts/port.js';
import { loadConfig } from '../../core/config.js';
import { newRunId } from '../../core/ids.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import { storeEngines } from '../../../test/support/engines.js';
import { createServer } from '../server.js';

const ENGINES = storeEngines();

/* eslint-disable @typescript-eslint/no-explicit-any */

let dir: string;
let store: Store;
let artifacts: ArtifactStore;
let app: FastifyInstance;

const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
const BASE = '/api/2.0/mlflow';

interface Reply {
  status: number;
  body: Record<string, any>;
}

async function send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<Reply> {
  const res = await app.inject({
    method,
    url: `${BASE}${path}`,
    ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

async function newExperiment(): Promise<string> {
  return store.createExperiment({ name: unique('exp') });
}

async function createModel(experimentId: string, extra: Record<string, unknown> = {}): Promise<any> {
  const r = await send('POST', '/logged-models', { experiment_id: experimentId, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.model;
}

async function auditFor(entityId: string): Promise<Array<{ action: string; before: any; after: any }>> {
  const page = await store.listAudit({ maxResults: 100, entityType: 'logged_model', entityId });
  return [...page.items].reverse().map((e) => ({
    action: e.action,
    before: e.before === null ? null : JSON.parse(e.before),
    after: e.after === null ? null : JSON.parse(e.after),
  }));
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip)(engine.title, () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hangar-logged-models-'));
      store = await openStore(await engine.open(dir), { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
      artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
      app = await createServer({ config: loadConfig({ home: dir }), store, artifacts });
    });

    afterAll(async () => {
      await app?.close();
      await artifacts?.close();
      await store?.close();
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    });

    describe('POST logged-models', () => {
      it('creates a PENDING model with an id, an artifact folder under the experiment and the given params', async () => {
        const experimentId = await newExperiment();
        const run = await store.createRun({ runId: newRunId(), experimentId, userId: 'u', runName: 'r', startTime: Date.now(), tags: [] });
        const r = await send('POST', '/logged-models', {
          experiment_id: experimentId,
          name: 'model',
          source_run_id: run.info.runId,
          params: [{ key: 'C', value: '1.0' }, { key: 'max_iter', value: '500' }],
          tags: [{ key: 'mlflow.user', value: 'root' }, { key: 'mlflow.source.name', value: 'train.py' }, { key: 'mlflow.source.type', value: 'LOCAL' }],
        });
        expect(r.status).toBe(200);
        const { info, data } = r.body.model;
        expect(info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
        expect(Object.keys(info)).toEqual([
          'model_id', 'experiment_id', 'name', 'creation_timestamp_ms', 'last_updated_timestamp_ms', 'artifact_uri', 'status', 'model_type', 'source_run_id', 'tags',
        ]);
        expect(info).toMatchObject({
          experiment_id: experimentId,
          name: 'model',
          artifact_uri: `mlflow-artifacts:/${experimentId}/models/${info.model_id}/artifacts`,
          status: 'LOGGED_MODEL_PENDING',
          model_type: '',
          source_run_id: run.info.runId,
        });
        // Tags come back sorted by key, whatever order they were sent in.
        expect(info.tags.map((t: any) => t.key)).toEqual(['mlflow.source.name', 'mlflow.source.type', 'mlflow.user']);
        expect(data).toEqual({ params: [{ key: 'C', value: '1.0' }, { key: 'max_iter', value: '500' }] });

        const [row] = await auditFor(info.model_id);
        expect(row).toMatchObject({ action: 'POST /api/2.0/mlflow/logged-models', before: null });
        expect(row!.after).toMatchObject({ modelId: info.model_id, status: 'LOGGED_MODEL_PENDING' });
      });

      it('names an unnamed model and leaves out what is empty, except model_type', async () => {
        const model = await createModel(await newExperiment());
        expect(model.info.name).not.toBe('');
        expect(model.info.model_type).toBe('');
        expect(model.info).not.toHaveProperty('source_run_id');
        expect(model.info).not.toHaveProperty('tags');
        expect(model.data).toEqual({});
      });

      it('needs an active, existing experiment', async () => {
        const unknown = await send('POST', '/logged-models', { experiment_id: '987654321' });
        expect(unknown.status).toBe(404);
        expect(unknown.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
        const experimentId = await newExperiment();
        await store.deleteExperiment(experimentId);
        const deleted = await send('POST', '/logged-models', { experiment_id: experimentId });
        expect(deleted.status).toBe(400);
        expect(deleted.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        const missing = await send('POST', '/logged-models', {});
        expect(missing.status).toBe(400);
        expect(missing.body.message).toContain("'experiment_id'");
      });
    });

    describe('GET, PATCH (finalize) and DELETE logged-models/{id}', () => {
      it("answers an unknown id with 404 and MLflow's message", async () => {
        const id = 'm-00000000000000000000000000000000';
        for (const [method, body] of [['GET', undefined], ['PATCH', { status: 'LOGGED_MODEL_READY' }], ['DELETE', undefined]] as const) {
          const r = await send(method, `/logged-models/${id}`, body);
          expect(r.status, method).toBe(404);
          expect(r.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Logged model with ID '${id}' not found.` });
        }
        const tags = await send('PATCH', `/logged-models/${id}/tags`, { tags: [{ key: 'k', value: 'v' }] });
        expect(tags.status).toBe(404);
      });

      it('finalizes with LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED and nothing else', async () => {
        const experimentId = await newExperiment();
        const model = await createModel(experimentId);
        const id = model.info.model_id;
        const got = await send('GET', `/logged-models/${id}`);
        expect(got.body.model).toEqual(model);

        for (const status of ['READY', 'LOGGED_MODEL_PENDING', 'bogus']) {
          const r = await send('PATCH', `/logged-models/${id}`, { model_id: id, status });
          expect(r.status, status).toBe(400);
          expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        }
        const ready = await send('PATCH', `/logged-models/${id}`, { model_id: id, status: 'LOGGED_MODEL_READY' });
        expect(ready.status).toBe(200);
        expect(ready.body.model.info.status).toBe('LOGGED_MODEL_READY');
        expect(ready.body.model.info.last_updated_timestamp_ms).toBeGreaterThanOrEqual(model.info.last_updated_timestamp_ms);

        const failed = await createModel(experimentId);
        const f = await send('PATCH', `/logged-models/${failed.info.model_id}`, { status: 'LOGGED_MODEL_UPLOAD_FAILED' });
        expect(f.body.model.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');

        const row = (await auditFor(id)).find((x) => x.action === 'PATCH /api/2.0/mlflow/logged-models/:model_id')!;
        expect(row.before.status).toBe('LOGGED_MODEL_PENDING');
        expect(row.after.status).toBe('LOGGED_MODEL_READY');
      });

      it('deletes a model', async () => {
        const model = await createModel(await newExperiment());
        const id = model.info.model_id;
        expect((await send('DELETE', `/logged-models/${id}`)).body).toEqual({});
        expect((await send('GET', `/logged-models/${id}`)).status).toBe(404);
        const row = (await auditFor(id)).find((x) => x.action.startsWith('DELETE'))!;
        expect(row.before.modelId).toBe(id);
      });
    });

    describe('tags and params', () => {
      it('sets tags (overwriting), deletes one by key, and logs params', async () => {
        const model = await createModel(await newExperiment(), { tags: [{ key: 'b', value: '1' }] });
        const id = model.info.model_id;
        const versions = '[{"name": "demo", "version": 1}, {"name": "demo", "version": "1"}]';
        const set = await send('PATCH', `/logged-models/${id}/tags`, { tags: [{ key: 'mlflow.modelVersions', value: versions }, { key: 'b', value: '2' }, { key: 'team/owner', value: 'x' }] });
        expect(set.status).toBe(200);
        expect(set.body).toEqual({});
        let info = (await send('GET', `/logged-models/${id}`)).body.model.info;
        expect(info.tags).toEqual([
          { key: 'b', value: '2' },
          { key: 'mlflow.modelVersions', value: versions },
          { key: 'team/owner', value: 'x' },
        ]);

        expect((await send('DELETE', `/logged-models/${id}/tags/team/owner`)).body).toEqual({});
        expect((await send('DELETE', `/logged-models/${id}/tags/b`)).status).toBe(200);
        info = (await send('GET', `/logged-models/${id}`)).body.model.info;
        expect(info.tags).toEqual([{ key: 'mlflow.modelVersions', value: versions }]);

        expect((await send('POST', `/logged-models/${id}/params`, { params: [{ key: 'alpha', value: '0.5' }] })).body).toEqual({});
        const data = (await send('GET', `/logged-models/${id}`)).body.model.data;
        expect(data.params).toEqual([{ key: 'alpha', value: '0.5' }]);

        const row = (await auditFor(id)).find((x) => x.action === 'PATCH /api/2.0/mlflow/logged-models/:model_id/tags')!;
        expect(row.before.tags).toEqual([{ key: 'b', value: '1' }]);
        expect(row.after.tags.map((t: any) => t.key)).toEqual(['b', 'mlflow.modelVersions', 'team/owner']);
      });

      it('lists the metrics logged against a model with model_id and run_id', async () => {
        const experimentId = await newExperiment();
        const run = await store.createRun({ runId: newRunId(), experimentId, userId: 'u', runName: 'r', startTime: Date.now(), tags: [] });
        const model = await createModel(experimentId, { source_run_id: run.info.runId });
        const id = model.info.model_id;
        await store.logBatch(run.info.runId, { metrics: [{ key: 'loss', value: 1, timestamp: 1795674875503, step: 0, modelId: id }] });
        const data = (await send('GET', `/logged-models/${id}`)).body.model.data;
        expect(data.metrics).toEqual([{ key: 'loss', value: 1, timestamp: 1795674875503, step: 0, model_id: id, run_id: run.info.runId }]);
      });
    });

    describe('POST logged-models/search', () => {
      it('finds models by experiment and name, pages, and leaves out next_page_token on the last page', async () => {
        const experimentId = await newExperiment();
        const other = await newExperiment();
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await createModel(experimentId, { name: 'model' })).info.model_id);
        await createModel(experimentId, { name: 'other' });
        await createModel(other, { name: 'model' });

        const all = await send('POST', '/logged-models/search', { experiment_ids: [experimentId], filter: "name = 'model'" });
        expect(all.status).toBe(200);
        expect(all.body.models.map((m: any) => m.info.model_id).sort()).toEqual([...ids].sort());
        expect(all.body).not.toHaveProperty('next_page_token');

        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const r = await send('POST', '/logged-models/search', {
            experiment_ids: [experimentId],
            filter: "name = 'model'",
            max_results: 2,
            order_by: [{ field_name: 'creation_timestamp', ascending: true }],
            ...(token === undefined ? {} : { page_token: token }),
          });
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          seen.push(...r.body.models.map((m: any) => m.info.model_id));
          token = r.body.next_page_token;
          pages++;
        } while (token !== undefined && pages < 5);
        expect(pages).toBe(2);
        expect([...seen].sort()).toEqual([...ids].sort());

        const none = await send('POST', '/logged-models/search', { experiment_ids: [experimentId], filter: "name = 'nothing'" });
        expect(none.body).toEqual({});
      });

      it('caps max_results at 50', async () => {
        const experimentId = await newExperiment();
        expect((await send('POST', '/logged-models/search', { experiment_ids: [experimentId], max_results: 50 })).status).toBe(200);
        const over = await send('POST', '/logged-models/search', { experiment_ids: [experimentId], max_results: 51 });
        expect(over.status).toBe(400);
        expect(over.body.message).toBe('Invalid value for request parameter max_results. It must be at most 50, but got value 51');
      });

      it('pages with the default size of 50', async () => {
        const experimentId = await newExperiment();
        for (let i = 0; i < 51; i++) await store.createLoggedModel({ modelId: `m-${randomBytes(16).toString('hex')}`, experimentId, name: 'bulk' });
        const first = await send('POST', '/logged-models/search', { experiment_ids: [experimentId] });
        expect(first.body.models).toHaveLength(50);
        expect(typeof first.body.next_page_token).toBe('string');
        const second = await send('POST', '/logged-models/search', { experiment_ids: [experimentId], page_token: first.body.next_page_token });
        expect(second.body.models).toHaveLength(1);
        expect(second.body).not.toHaveProperty('next_page_token');
      });

      it('rejects a bad filter with 400', async () => {
        const r = await send('POST', '/logged-models/search', { experiment_ids: ['1'], filter: 'name ~ 1' });
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      });
    });

    describe('GET logged-models/{id}/artifacts/directories', () => {
      it("lists the model's artifact folder, paths relative to its root", async () => {
        const experimentId = await newExperiment();
        const model = await createModel(experimentId);
        const id = model.info.model_id;
        const root = `${experimentId}/models/${id}/artifacts`;
        await artifacts.put(`${root}/MLmodel`, Buffer.from('flavors: {}\n'));
        await artifacts.put(`${root}/model.pkl`, Buffer.from('12345'));
        await artifacts.put(`${root}/sub/conda.yaml`, Buffer.from('a: 1\n'));

        const top = await send('GET', `/logged-models/${id}/artifacts/directories`);
        expect(top.status).toBe(200);
        expect(top.body).toEqual({
          root_uri: model.info.artifact_uri,
          files: [
            { path: 'MLmodel', is_dir: false, file_size: 12 },
            { path: 'model.pkl', is_dir: false, file_size: 5 },
            { path: 'sub', is_dir: true },
          ],
        });
        const sub = await send('GET', `/logged-models/${id}/artifacts/directories?artifact_directory_path=sub`);
        expect(sub.body.files).toEqual([{ path: 'sub/conda.yaml', is_dir: false, file_size: 5 }]);
        const alt = await send('GET', `/logged-models/${id}/artifacts/directories?artifact_path=sub`);
        expect(alt.body.files).toEqual(sub.body.files);

        const missing = await send('GET', `/logged-models/${id}/artifacts/directories?artifact_directory_path=nope`);
        expect(missing.body).toEqual({ root_uri: model.info.artifact_uri });
        const escape = await send('GET', `/logged-models/${id}/artifacts/directories?artifact_directory_path=../../x`);
        expect(escape.status).toBe(400);
        const unknown = await send('GET', '/logged-models/m-00000000000000000000000000000000/artifacts/directories');
        expect(unknown.status).toBe(404);
      });
    });
  });
}
