import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import { noArtifacts, storeEngines } from '../../../test/support/engines.js';
import { createServer } from '../server.js';

const ENGINES = storeEngines();

let dir: string;
let store: Store;
let app: FastifyInstance;


// Bodies are typed `any` on purpose: the tests check the wire, key by key.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

async function post(path: string, body: unknown, prefix = '/api/2.0/mlflow') {
  const res = await app.inject({ method: 'POST', url: `${prefix}${path}`, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.statusCode, body: res.json() as Json, raw: res.body };
}

async function get(path: string, query: Record<string, string | string[]>) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, one);
  const res = await app.inject({ method: 'GET', url: `/api/2.0/mlflow${path}?${qs}` });
  return { status: res.statusCode, body: res.json() as Json, raw: res.body };
}

async function createExperiment(name = unique('exp'), extra: Record<string, unknown> = {}): Promise<string> {
  const r = await post('/experiments/create', { name, ...extra });
  expect(r.status).toBe(200);
  return r.body.experiment_id as string;
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip)(engine.title, () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hangar-experiments-'));
      store = await openStore(await engine.open(dir), { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
      app = await createServer({ config: loadConfig({ home: dir }), store, artifacts: noArtifacts });
    });

    afterAll(async () => {
      await app?.close();
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
      await engine.close();
    });

    describe('experiments/create, get, get-by-name', () => {
      it('answers get-by-name for an unknown name with 404 RESOURCE_DOES_NOT_EXIST', async () => {
        const name = unique('missing');
        const r = await get('/experiments/get-by-name', { experiment_name: name });
        expect(r.status).toBe(404);
        expect(r.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Could not find experiment with name '${name}'` });
      });

      it('creates an experiment and returns it in MLflow shape, without empty tags', async () => {
        const name = unique('exp');
        const created = await post('/experiments/create', { name });
        expect(created.status).toBe(200);
        expect(Object.keys(created.body)).toEqual(['experiment_id']);
        const id = created.body.experiment_id;
        expect(typeof id).toBe('string');

        const got = await get('/experiments/get', { experiment_id: id });
        expect(got.status).toBe(200);
        const e = got.body.experiment;
        expect(Object.keys(e)).toEqual(['experiment_id', 'name', 'artifact_location', 'lifecycle_stage', 'last_update_time', 'creation_time']);
        expect(e).toMatchObject({ experiment_id: id, name, artifact_location: `mlflow-artifacts:/${id}`, lifecycle_stage: 'active' });
        expect(Number.isInteger(e.creation_time)).toBe(true);
        expect(Number.isInteger(e.last_update_time)).toBe(true);

        const byName = await get('/experiments/get-by-name', { experiment_name: name });
        expect(byName.body).toEqual(got.body);
      });

      it('keeps tags and an explicit artifact location given at creation', async () => {
        const id = await createExperiment(unique('tagged'), { artifact_location: 's3://bucket/x', tags: [{ key: 'team', value: 'hangar' }] });
        const e = (await get('/experiments/get', { experiment_id: id })).body.experiment;
        expect(e.tags).toEqual([{ key: 'team', value: 'hangar' }]);
        expect(e.artifact_location).toBe('s3://bucket/x');
      });

      it('refuses a runs:/ URI as artifact location', async () => {
        const r = await post('/experiments/create', { name: unique('runs-uri'), artifact_location: 'runs:/abc/model' });
        expect(r.status).toBe(400);
        expect(r.body.message).toBe("Artifact location cannot be a runs:/ URI. Given: 'runs:/abc/model'");
      });

      it('answers a duplicate name with 400 RESOURCE_ALREADY_EXISTS', async () => {
        const name = unique('dup');
        await createExperiment(name);
        const r = await post('/experiments/create', { name });
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
      });

      it('rejects a missing, mistyped, empty or over-long name, naming the field', async () => {
        const missing = await post('/experiments/create', {});
        expect(missing.status).toBe(400);
        expect(missing.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(missing.body.message).toContain("'name'");

        const mistyped = await post('/experiments/create', { name: 42 });
        expect(mistyped.status).toBe(400);
        expect(mistyped.body.message).toContain("'name'");

        const empty = await post('/experiments/create', { name: '' });
        expect(empty.status).toBe(400);
        expect(empty.body.error_code).toBe('INVALID_PARAMETER_VALUE');

        const long = await post('/experiments/create', { name: `${unique('n')}${'x'.repeat(500)}`.slice(0, 501) });
        expect(long.status).toBe(400);
        expect(long.body.message).toContain('exceeded length limit of 500');

        const exactly500 = await post('/experiments/create', { name: `${unique('n')}${'x'.repeat(500)}`.slice(0, 500) });
        expect(exactly500.status).toBe(200);
      });

      it('ignores unknown fields', async () => {
        const r = await post('/experiments/create', { name: unique('extra'), colour: 'blue', nested: { a: 1 } });
        expect(r.status).toBe(200);
      });

      it('answers an unknown experiment id with 404 and a malformed one with 400', async () => {
        const unknown = await get('/experiments/get', { experiment_id: '987654321' });
        expect(unknown.status).toBe(404);
        expect(unknown.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
        const malformed = await get('/experiments/get', { experiment_id: '../etc' });
        expect(malformed.status).toBe(400);
        expect(malformed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        const missing = await get('/experiments/get', {});
        expect(missing.status).toBe(400);
        expect(missing.body.message).toContain("'experiment_id'");
      });

      it('serves the same handlers under /ajax-api', async () => {
        const name = unique('ajax');
        const r = await post('/experiments/create', { name }, '/ajax-api/2.0/mlflow');
        expect(r.status).toBe(200);
        const got = await get('/experiments/get-by-name', { experiment_name: name });
        expect(got.body.experiment.experiment_id).toBe(r.body.experiment_id);
      });
    });

    describe('experiments/search', () => {
      it('filters, orders and pages, leaving next_page_token out of the last page', async () => {
        const tag = unique('page');
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(await createExperiment(`${tag}-${i}`));
        const filter = `name LIKE '${tag}-%'`;

        const first = await post('/experiments/search', { filter, max_results: 2, order_by: ['name ASC'] });
        expect(first.status).toBe(200);
        expect(first.body.experiments.map((e: { name: string }) => e.name)).toEqual([`${tag}-0`, `${tag}-1`]);
        expect(typeof first.body.next_page_token).toBe('string');

        const second = await post('/experiments/search', { filter, max_results: 2, order_by: ['name ASC'], page_token: first.body.next_page_token });
        expect(second.body.experiments.map((e: { name: string }) => e.name)).toEqual([`${tag}-2`, `${tag}-3`]);

        const last = await post('/experiments/search', { filter, max_results: 2, order_by: ['name ASC'], page_token: second.body.next_page_token });
        expect(last.body.experiments.map((e: { name: string }) => e.name)).toEqual([`${tag}-4`]);
        expect(last.body).not.toHaveProperty('next_page_token');
      });

      it('answers GET with numbers and lists from the query string, including the k[] form', async () => {
        const tag = unique('get');
        for (let i = 0; i < 3; i++) await createExperiment(`${tag}-${i}`);
        const r = await get('/experiments/search', { filter: `name LIKE '${tag}-%'`, max_results: '2', 'order_by[]': 'name DESC' });
        expect(r.status).toBe(200);
        expect(r.body.experiments.map((e: { name: string }) => e.name)).toEqual([`${tag}-2`, `${tag}-1`]);
        expect(r.body.next_page_token).toBeDefined();

        const plain = await get('/experiments/search', { filter: `name LIKE '${tag}-%'`, order_by: ['name ASC'] });
        expect(plain.body.experiments.map((e: { name: string }) => e.name)).toEqual([`${tag}-0`, `${tag}-1`, `${tag}-2`]);
        expect(plain.body).not.toHaveProperty('next_page_token');
      });

      it('answers an empty result with {}', async () => {
        const r = await post('/experiments/search', { filter: `name = '${unique('none')}'` });
        expect(r.status).toBe(200);
        expect(r.body).toEqual({});
      });

      it('honours view_type by name and by proto number', async () => {
        const name = unique('gone');
        const id = await createExperiment(name);
        expect((await post('/experiments/delete', { experiment_id: id })).status).toBe(200);
        const filter = `name = '${name}'`;
        expect(await post('/experiments/search', { filter })).toMatchObject({ body: {} });
        const deleted = await post('/experiments/search', { filter, view_type: 'DELETED_ONLY' });
        expect(deleted.body.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual([id]);
        const all = await get('/experiments/search', { filter, view_type: '3' });
        expect(all.body.experiments).toHaveLength(1);
        const bad = await post('/experiments/search', { view_type: 'SOME' });
        expect(bad.status).toBe(400);
        expect(bad.body.message).toContain("'view_type'");
      });

      it('enforces the max_results cap of 50000', async () => {
        expect((await post('/experiments/search', { max_results: 50000 })).status).toBe(200);
        const over = await post('/experiments/search', { max_results: 50001 });
        expect(over.status).toBe(400);
        expect(over.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(over.body.message).toContain('50000');
        expect((await post('/experiments/search', { max_results: 0 })).status).toBe(400);
        const mistyped = await post('/experiments/search', { max_results: 'ten' });
        expect(mistyped.status).toBe(400);
        expect(mistyped.body.message).toContain("'max_results'");
      });

      it('rejects a filter it cannot parse with 400', async () => {
        const r = await post('/experiments/search', { filter: 'name ~~ nonsense' });
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      });

      it('includes the Default experiment "0"', async () => {
        const r = await post('/experiments/search', { filter: "name = 'Default'" });
        expect(r.body.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual(['0']);
      });

      it('lists experiments through the MLflow 1.x experiments/list endpoint', async () => {
        const name = unique('listed');
        await createExperiment(name);
        const r = await get('/experiments/list', { view_type: 'ACTIVE_ONLY' });
        expect(r.status).toBe(200);
        expect(r.body.experiments.map((e: { name: string }) => e.name)).toContain(name);
      });
    });

    describe('experiments/update, delete, restore and tags', () => {
      it('renames, soft-deletes and restores', async () => {
        const id = await createExperiment();
        const newName = unique('renamed');
        expect((await post('/experiments/update', { experiment_id: id, new_name: newName })).status).toBe(200);
        expect((await get('/experiments/get', { experiment_id: id })).body.experiment.name).toBe(newName);

        expect((await post('/experiments/delete', { experiment_id: id })).body).toEqual({});
        expect((await get('/experiments/get', { experiment_id: id })).body.experiment.lifecycle_stage).toBe('deleted');
        expect((await post('/experiments/restore', { experiment_id: id })).body).toEqual({});
        expect((await get('/experiments/get', { experiment_id: id })).body.experiment.lifecycle_stage).toBe('active');
      });

      it('renaming onto a taken name answers RESOURCE_ALREADY_EXISTS; an over-long name 400', async () => {
        const taken = unique('taken');
        await createExperiment(taken);
        const id = await createExperiment();
        expect((await post('/experiments/update', { experiment_id: id, new_name: taken })).body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
        const long = await post('/experiments/update', { experiment_id: id, new_name: 'y'.repeat(501) });
        expect(long.status).toBe(400);
        expect(long.body.message).toContain('exceeded length limit of 500');
      });

      it('deletes an unknown experiment with 404', async () => {
        const r = await post('/experiments/delete', { experiment_id: '987654322' });
        expect(r.status).toBe(404);
      });

      it('sets, overwrites and deletes experiment tags', async () => {
        const id = await createExperiment();
        expect((await post('/experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v1' })).status).toBe(200);
        expect((await post('/experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v2' })).status).toBe(200);
        expect((await get('/experiments/get', { experiment_id: id })).body.experiment.tags).toEqual([{ key: 'k', value: 'v2' }]);
        expect((await post('/experiments/delete-experiment-tag', { experiment_id: id, key: 'k' })).status).toBe(200);
        expect((await get('/experiments/get', { experiment_id: id })).body.experiment).not.toHaveProperty('tags');
      });

      it('enforces tag key and value limits', async () => {
        const id = await createExperiment();
        const longValue = await post('/experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v'.repeat(5001) });
        expect(longValue.status).toBe(400);
        expect(longValue.body.message).toContain('exceeded length limit of 5000');
        const longKey = await post('/experiments/set-experiment-tag', { experiment_id: id, key: 'k'.repeat(251), value: 'v' });
        expect(longKey.status).toBe(400);
        expect(longKey.body.message).toContain('exceeded length limit of 250');
        const missingKey = await post('/experiments/set-experiment-tag', { experiment_id: id, value: 'v' });
        expect(missingKey.status).toBe(400);
        expect(missingKey.body.message).toContain("'key'");
      });
    });

    describe('experiment audit rows', () => {
      it('writes one row naming the experiment for each mutating request', async () => {
        const id = await createExperiment();
        await post('/experiments/set-experiment-tag', { experiment_id: id, key: 'a', value: '1' });
        await post('/experiments/update', { experiment_id: id, new_name: unique('audited') });
        await post('/experiments/delete', { experiment_id: id });
        const page = await store.listAudit({ maxResults: 100, entityType: 'experiment', entityId: id });
        expect(page.items.map((a) => a.action).sort()).toEqual(
          [
            'POST /api/2.0/mlflow/experiments/create',
            'POST /api/2.0/mlflow/experiments/delete',
            'POST /api/2.0/mlflow/experiments/set-experiment-tag',
            'POST /api/2.0/mlflow/experiments/update',
          ].sort(),
        );
        expect(page.items.every((a) => a.status === 200)).toBe(true);
      });
    });
  });
}
