import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore } from '../../artifacts/index.js';
import type { ArtifactStore } from '../../artifacts/port.js';
import { loadConfig } from '../../core/config.js';
import { newLoggedModelId, newRunId } from '../../core/ids.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import type { SearchQuery } from '../../store/types.js';
import { storeEngines } from '../../../test/support/engines.js';
import { createServer } from '../server.js';

const ENGINES = storeEngines();

/* eslint-disable @typescript-eslint/no-explicit-any */

let dir: string;
let store: Store;
let artifacts: ArtifactStore;
let app: FastifyInstance;
/** The queries the routes passed to the store's registry searches, newest last. */
const searches: Array<{ method: string; query: SearchQuery }> = [];

const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

interface Reply {
  status: number;
  body: Record<string, any>;
}

async function send(method: 'POST' | 'PATCH' | 'DELETE', path: string, body: unknown, prefix = '/api/2.0/mlflow'): Promise<Reply> {
  const res = await app.inject({
    method,
    url: `${prefix}${path}`,
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}
const post = (path: string, body: unknown, prefix?: string): Promise<Reply> => send('POST', path, body, prefix);
const patch = (path: string, body: unknown): Promise<Reply> => send('PATCH', path, body);
const del = (path: string, body: unknown): Promise<Reply> => send('DELETE', path, body);

async function get(path: string, query: Record<string, string | number | string[]>): Promise<Reply> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, String(one));
  const res = await app.inject({ method: 'GET', url: `/api/2.0/mlflow${path}?${qs}` });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

async function createModel(name = unique('model'), extra: Record<string, unknown> = {}): Promise<string> {
  const r = await post('/registered-models/create', { name, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return name;
}

async function createVersion(name: string, source = `mlflow-artifacts:/1/${newRunId()}/artifacts/model`, extra: Record<string, unknown> = {}): Promise<any> {
  const r = await post('/model-versions/create', { name, source, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.model_version;
}

async function auditFor(entityType: string, entityId: string): Promise<Array<{ action: string; before: any; after: any; status: number }>> {
  const page = await store.listAudit({ maxResults: 100, entityType, entityId });
  // listAudit answers newest first; tests read the trail in the order things happened.
  return [...page.items].reverse().map((e) => ({
    action: e.action,
    status: e.status,
    before: e.before === null ? null : JSON.parse(e.before),
    after: e.after === null ? null : JSON.parse(e.after),
  }));
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip)(engine.title, () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hangar-registry-'));
      const real = await openStore(await engine.open(dir), { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
      // Record what the search routes ask the store for (page-size defaults are otherwise only
      // visible with 10 000 stored versions); everything else goes straight through.
      store = new Proxy(real, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if ((prop === 'searchRegisteredModels' || prop === 'searchModelVersions') && typeof value === 'function') {
            return (query: SearchQuery) => {
              searches.push({ method: prop, query });
              return (value as (q: SearchQuery) => unknown).call(target, query);
            };
          }
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
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

    describe('registered-models/create and get', () => {
      it('answers a bare model with name and timestamps only', async () => {
        const name = unique('bare');
        const r = await post('/registered-models/create', { name });
        expect(r.status).toBe(200);
        const rm = r.body.registered_model;
        expect(Object.keys(rm)).toEqual(['name', 'creation_timestamp', 'last_updated_timestamp']);
        expect(rm.name).toBe(name);
        expect(typeof rm.creation_timestamp).toBe('number');
        expect(rm.last_updated_timestamp).toBe(rm.creation_timestamp);
      });

      it('keeps description and tags', async () => {
        const name = unique('full');
        const r = await post('/registered-models/create', { name, description: 'demo model', tags: [{ key: 'owner', value: 'hangar' }] });
        expect(r.body.registered_model).toMatchObject({ name, description: 'demo model', tags: [{ key: 'owner', value: 'hangar' }] });
        const got = await get('/registered-models/get', { name });
        expect(got.status).toBe(200);
        expect(got.body.registered_model).toEqual(r.body.registered_model);
      });

      it('answers a duplicate name with 400 RESOURCE_ALREADY_EXISTS', async () => {
        const name = await createModel();
        const r = await post('/registered-models/create', { name });
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
        expect(r.body.message).toContain(name);
      });

      it('answers an unknown model with 404 RESOURCE_DOES_NOT_EXIST', async () => {
        const name = unique('missing');
        const r = await get('/registered-models/get', { name });
        expect(r.status).toBe(404);
        expect(r.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Registered Model with name=${name} not found` });
        for (const call of [
          () => post('/model-versions/create', { name, source: 's3://b/m' }),
          () => patch('/registered-models/update', { name, description: 'x' }),
          () => del('/registered-models/delete', { name }),
          () => post('/registered-models/set-tag', { name, key: 'k', value: 'v' }),
          () => post('/registered-models/get-latest-versions', { name, stages: [] }),
          () => post('/registered-models/alias', { name, alias: 'champion', version: '1' }),
        ]) {
          const res = await call();
          expect(res.status).toBe(404);
          expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
        }
      });

      it('rejects an empty or missing name with 400 INVALID_PARAMETER_VALUE', async () => {
        const empty = await post('/registered-models/create', { name: '' });
        expect(empty.status).toBe(400);
        expect(empty.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model name cannot be empty.' });
        const missing = await post('/registered-models/create', {});
        expect(missing.status).toBe(400);
        expect(missing.body.message).toContain("'name'");
      });

      it('answers under /ajax-api too', async () => {
        const name = unique('ajax');
        const r = await post('/registered-models/create', { name }, '/ajax-api/2.0/mlflow');
        expect(r.status).toBe(200);
        expect(r.body.registered_model.name).toBe(name);
      });

      it('records the created model in the audit trail', async () => {
        const name = await createModel();
        const rows = await auditFor('registered_model', name);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ action: 'POST /api/2.0/mlflow/registered-models/create', status: 200, before: null });
        expect(rows[0]!.after).toMatchObject({ name });
      });
    });

    describe('registered-model tags, rename, update, delete', () => {
      it('sets and deletes tags, enforcing key ≤ 250 and value ≤ 5000 characters', async () => {
        const name = await createModel();
        expect((await post('/registered-models/set-tag', { name, key: 'k'.repeat(250), value: 'v'.repeat(5000) })).status).toBe(200);
        const longKey = await post('/registered-models/set-tag', { name, key: 'k'.repeat(251), value: 'v' });
        expect(longKey.status).toBe(400);
        expect(longKey.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(longKey.body.message).toMatch(/had length 251, which exceeded length limit of 250$/);
        const longValue = await post('/registered-models/set-tag', { name, key: 'k', value: 'v'.repeat(5001) });
        expect(longValue.status).toBe(400);
        expect(longValue.body.message).toMatch(/had length 5001, which exceeded length limit of 5000$/);
        const createLong = await post('/registered-models/create', { name: unique('m'), tags: [{ key: 'k', value: 'v'.repeat(5001) }] });
        expect(createLong.status).toBe(400);

        expect((await post('/registered-models/set-tag', { name, key: 'team', value: 'a' })).body).toEqual({});
        expect((await post('/registered-models/set-tag', { name, key: 'team', value: 'b' })).status).toBe(200);
        let rm = (await get('/registered-models/get', { name })).body.registered_model;
        expect(rm.tags).toContainEqual({ key: 'team', value: 'b' });

        expect((await del('/registered-models/delete-tag', { name, key: 'team' })).body).toEqual({});
        rm = (await get('/registered-models/get', { name })).body.registered_model;
        expect(rm.tags.map((t: any) => t.key)).not.toContain('team');

        const rows = await auditFor('registered_model', name);
        const deleteTag = rows.find((r) => r.action.endsWith('/registered-models/delete-tag'))!;
        expect(deleteTag.before.tags).toContainEqual({ key: 'team', value: 'b' });
        expect(deleteTag.after.tags).not.toContainEqual({ key: 'team', value: 'b' });
      });

      it('renames a model; versions follow; a taken name is RESOURCE_ALREADY_EXISTS', async () => {
        const name = await createModel();
        await createVersion(name);
        const newName = unique('renamed');
        const r = await post('/registered-models/rename', { name, new_name: newName });
        expect(r.status).toBe(200);
        expect(r.body.registered_model.name).toBe(newName);
        expect((await get('/registered-models/get', { name })).status).toBe(404);
        expect((await get('/model-versions/get', { name: newName, version: '1' })).body.model_version.name).toBe(newName);

        const other = await createModel();
        const clash = await post('/registered-models/rename', { name: newName, new_name: other });
        expect(clash.status).toBe(400);
        expect(clash.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');

        const row = (await auditFor('registered_model', name)).find((x) => x.action.endsWith('/registered-models/rename'));
        expect(row!.before.name).toBe(name);
        expect(row!.after.name).toBe(newName);
      });

      it('updates the description with PATCH', async () => {
        const name = await createModel();
        const r = await patch('/registered-models/update', { name, description: 'new words' });
        expect(r.status).toBe(200);
        expect(r.body.registered_model.description).toBe('new words');
        const row = (await auditFor('registered_model', name)).find((x) => x.action.endsWith('/registered-models/update'));
        expect(row!.before.description).toBe('');
        expect(row!.after.description).toBe('new words');
      });

      it('deletes a model and its versions with DELETE and a JSON body', async () => {
        const name = await createModel();
        await createVersion(name);
        expect((await del('/registered-models/delete', { name })).body).toEqual({});
        expect((await get('/registered-models/get', { name })).status).toBe(404);
        expect((await get('/model-versions/get', { name, version: 1 })).status).toBe(404);
        const rows = await auditFor('registered_model', name);
        const row = rows.find((r) => r.action.endsWith('/registered-models/delete'))!;
        expect(row.before.name).toBe(name);
        expect(row.after).toBeNull();
      });
    });

    describe('model-versions/create', () => {
      it('numbers versions per model from 1, READY, with description and run_link always present', async () => {
        const a = await createModel();
        const b = await createModel();
        const runId = newRunId();
        const source = `mlflow-artifacts:/1/${runId}/artifacts`;
        const r = await post('/model-versions/create', { name: a, source, run_id: runId, tags: [{ key: 'k', value: 'v' }] });
        expect(r.status).toBe(200);
        const mv = r.body.model_version;
        expect(Object.keys(mv)).toEqual([
          'name', 'version', 'creation_timestamp', 'last_updated_timestamp', 'current_stage', 'description', 'source', 'run_id', 'status', 'tags', 'run_link',
        ]);
        expect(mv).toMatchObject({ name: a, version: '1', current_stage: 'None', description: '', source, run_id: runId, status: 'READY', run_link: '', tags: [{ key: 'k', value: 'v' }] });
        expect((await createVersion(a)).version).toBe('2');
        expect((await createVersion(b)).version).toBe('1');
        expect((await createVersion(a)).version).toBe('3');

        const bare = await createVersion(b);
        expect(bare).not.toHaveProperty('tags');
        expect(bare).not.toHaveProperty('aliases');
        expect(bare).not.toHaveProperty('run_id');
        expect(bare).toMatchObject({ description: '', run_link: '' });

        const rows = await auditFor('model_version', `${a}/1`);
        expect(rows[0]).toMatchObject({ action: 'POST /api/2.0/mlflow/model-versions/create', before: null });
        expect(rows[0]!.after).toMatchObject({ name: a, version: 1 });
      });

      it('rejects a missing source and too-long tags', async () => {
        const name = await createModel();
        const r = await post('/model-versions/create', { name });
        expect(r.status).toBe(400);
        expect(r.body.message).toContain("'source'");
        const long = await post('/model-versions/create', { name, source: 's3://b/m', tags: [{ key: 'x'.repeat(251), value: 'v' }] });
        expect(long.status).toBe(400);
        expect(long.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      });

      it('rejects a source with .. segments', async () => {
        const name = await createModel();
        const r = await post('/model-versions/create', { name, source: 'mlflow-artifacts:/1/../../secrets' });
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      });

      it('keeps a models:/<name>/<version> source as given and stores the resolved location', async () => {
        const original = await createModel();
        const location = `mlflow-artifacts:/1/${newRunId()}/artifacts/model`;
        await createVersion(original, location);
        const copy = await createModel();
        const source = `models:/${original}/1`;
        const mv = await createVersion(copy, source);
        expect(mv.source).toBe(source);
        const uri = await get('/model-versions/get-download-uri', { name: copy, version: mv.version });
        expect(uri.body).toEqual({ artifact_uri: location });

        // A version that does not exist cannot be copied; 400, never a retried 5xx.
        const bad = await post('/model-versions/create', { name: copy, source: `models:/${original}/99` });
        expect(bad.status).toBe(400);
        expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(bad.body.message).toContain(`models:/${original}/99`);
      });

      it('resolves a models:/m-<id> source to the LoggedModel artifact location and its run', async () => {
        const experimentId = await store.createExperiment({ name: unique('exp') });
        const run = await store.createRun({ runId: newRunId(), experimentId, userId: 'u', runName: 'r', startTime: Date.now(), tags: [] });
        const lm = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId, name: 'model', sourceRunId: run.info.runId });
        const name = await createModel();
        const source = `models:/${lm.modelId}`;
        const mv = await createVersion(name, source, { model_id: lm.modelId });
        expect(mv.source).toBe(source);
        expect(mv.run_id).toBe(run.info.runId);
        expect(mv).not.toHaveProperty('model_id');
        const uri = await get('/model-versions/get-download-uri', { name, version: mv.version });
        expect(uri.body).toEqual({ artifact_uri: lm.artifactLocation });
        expect(lm.artifactLocation).toBe(`mlflow-artifacts:/${experimentId}/models/${lm.modelId}/artifacts`);

        const stored = await store.getModelVersion(name, Number(mv.version));
        expect(stored.modelId).toBe(lm.modelId);
        const tag = (await store.getLoggedModel(lm.modelId)).tags.find((t) => t.key === 'mlflow.modelVersions');
        expect(JSON.parse(tag!.value)).toEqual([{ name, version: Number(mv.version) }]);

        // An explicit run_id wins over the model's source run.
        const other = newRunId();
        const mv2 = await createVersion(name, source, { run_id: other });
        expect(mv2.run_id).toBe(other);

        const unknown = await post('/model-versions/create', { name, source: 'models:/m-00000000000000000000000000000000' });
        expect(unknown.status).toBe(400);
        expect(unknown.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      });
    });

    describe('model-versions get, update, delete, tags, get-download-uri', () => {
      it('returns the storage location from get-download-uri', async () => {
        const name = await createModel();
        const source = `mlflow-artifacts:/1/${newRunId()}/artifacts/model`;
        const mv = await createVersion(name, source);
        expect((await get('/model-versions/get-download-uri', { name, version: mv.version })).body).toEqual({ artifact_uri: source });
      });

      it('requires integer version strings, naming the version field', async () => {
        const name = await createModel();
        await createVersion(name);
        for (const version of ['abc', '1.5', '']) {
          const r = await get('/model-versions/get', { name, version });
          expect(r.status).toBe(400);
          expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
          expect(r.body.message).toContain("'version'");
        }
        const transition = await post('/model-versions/transition-stage', { name, version: 'one', stage: 'Staging', archive_existing_versions: false });
        expect(transition.status).toBe(400);
        expect(transition.body.message).toContain("'version'");
        const alias = await post('/registered-models/alias', { name, alias: 'champion', version: 'x1' });
        expect(alias.status).toBe(400);
        expect((await get('/model-versions/get', { name, version: '1' })).status).toBe(200);
        expect((await get('/model-versions/get', { name, version: 99 })).status).toBe(404);
      });

      it('updates the description, sets and deletes tags, deletes a version', async () => {
        const name = await createModel();
        const mv = await createVersion(name);
        const up = await patch('/model-versions/update', { name, version: mv.version, description: 'better' });
        expect(up.status).toBe(200);
        expect(up.body.model_version.description).toBe('better');

        expect((await post('/model-versions/set-tag', { name, version: mv.version, key: 'validation_status', value: 'approved' })).body).toEqual({});
        const tooLong = await post('/model-versions/set-tag', { name, version: mv.version, key: 'k', value: 'v'.repeat(5001) });
        expect(tooLong.status).toBe(400);
        expect((await get('/model-versions/get', { name, version: mv.version })).body.model_version.tags).toEqual([
          { key: 'validation_status', value: 'approved' },
        ]);
        expect((await del('/model-versions/delete-tag', { name, version: mv.version, key: 'validation_status' })).body).toEqual({});
        expect((await get('/model-versions/get', { name, version: mv.version })).body.model_version).not.toHaveProperty('tags');

        const rows = await auditFor('model_version', `${name}/1`);
        const setTag = rows.find((r) => r.action.endsWith('/model-versions/set-tag'))!;
        expect(setTag.before.tags).toEqual([]);
        expect(setTag.after.tags).toEqual([{ key: 'validation_status', value: 'approved' }]);

        expect((await del('/model-versions/delete', { name, version: mv.version })).body).toEqual({});
        expect((await get('/model-versions/get', { name, version: mv.version })).status).toBe(404);
        const deleted = (await auditFor('model_version', `${name}/1`)).find((r) => r.action.endsWith('/model-versions/delete'))!;
        expect(deleted.before).toMatchObject({ name, version: 1, description: 'better' });
      });
    });

    describe('stages', () => {
      it('rejects an unknown stage with MLflow message', async () => {
        const name = await createModel();
        await createVersion(name);
        const r = await post('/model-versions/transition-stage', { name, version: '1', stage: 'Bogus', archive_existing_versions: false });
        expect(r.status).toBe(400);
        expect(r.body).toEqual({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: 'Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.',
        });
      });

      it('accepts any letter case and answers the canonical spelling', async () => {
        const name = await createModel();
        await createVersion(name);
        const r = await post('/model-versions/transition-stage', { name, version: '1', stage: 'production', archive_existing_versions: false });
        expect(r.status).toBe(200);
        expect(r.body.model_version.current_stage).toBe('Production');
        const rows = await auditFor('model_version', `${name}/1`);
        const row = rows.find((x) => x.action.endsWith('/transition-stage'))!;
        expect(row.before.currentStage).toBe('None');
        expect(row.after.currentStage).toBe('Production');
      });

      it('allows archive_existing_versions only for Staging and Production', async () => {
        const name = await createModel();
        await createVersion(name);
        for (const stage of ['Archived', 'None']) {
          const r = await post('/model-versions/transition-stage', { name, version: '1', stage, archive_existing_versions: true });
          expect(r.status).toBe(400);
          expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        }
        expect((await get('/model-versions/get', { name, version: '1' })).body.model_version.current_stage).toBe('None');
      });

      it('archives the other versions in the target stage with archive_existing_versions', async () => {
        const name = await createModel();
        for (let i = 0; i < 3; i++) await createVersion(name);
        await post('/model-versions/transition-stage', { name, version: '1', stage: 'Production', archive_existing_versions: false });
        await post('/model-versions/transition-stage', { name, version: '2', stage: 'Production', archive_existing_versions: false });
        const r = await post('/model-versions/transition-stage', { name, version: '3', stage: 'Production', archive_existing_versions: true });
        expect(r.body.model_version.current_stage).toBe('Production');
        const stages = await Promise.all(['1', '2'].map(async (v) => (await get('/model-versions/get', { name, version: v })).body.model_version.current_stage));
        expect(stages).toEqual(['Archived', 'Archived']);
      });

      it('answers latest_versions and get-latest-versions per stage, in POST and GET forms', async () => {
        const name = await createModel();
        for (let i = 0; i < 4; i++) await createVersion(name);
        await post('/model-versions/transition-stage', { name, version: '1', stage: 'Production', archive_existing_versions: false });
        await post('/model-versions/transition-stage', { name, version: '2', stage: 'Staging', archive_existing_versions: false });
        await post('/model-versions/transition-stage', { name, version: '3', stage: 'Staging', archive_existing_versions: false });

        const rm = (await get('/registered-models/get', { name })).body.registered_model;
        const latest = Object.fromEntries(rm.latest_versions.map((v: any) => [v.current_stage, v.version]));
        expect(latest).toEqual({ None: '4', Staging: '3', Production: '1' });
        for (const v of rm.latest_versions) expect(v).not.toHaveProperty('aliases');

        const prod = await post('/registered-models/get-latest-versions', { name, stages: ['production'] });
        expect(prod.body.model_versions.map((v: any) => v.version)).toEqual(['1']);
        const all = await post('/registered-models/get-latest-versions', { name, stages: [] });
        expect(all.body.model_versions.map((v: any) => v.version).sort()).toEqual(['1', '3', '4']);
        const archived = await post('/registered-models/get-latest-versions', { name, stages: ['Archived'] });
        expect(archived.status).toBe(200);
        expect(archived.body).toEqual({});
        const bogus = await post('/registered-models/get-latest-versions', { name, stages: ['Bogus'] });
        expect(bogus.status).toBe(400);

        const forms: Array<[Record<string, string | string[]>, string[]]> = [
          [{ name, stages: 'Staging' }, ['3']],
          [{ name, 'stages[]': 'staging' }, ['3']],
          [{ name, 'stages[0]': 'Staging' }, ['3']],
          [{ name, stages: ['Staging', 'Production'] }, ['1', '3']],
          [{ name, 'stages[]': ['Staging', 'Production'] }, ['1', '3']],
          [{ name, 'stages[0]': 'Staging', 'stages[1]': 'Production' }, ['1', '3']],
        ];
        for (const [query, expected] of forms) {
          const r = await get('/registered-models/get-latest-versions', query);
          expect(r.status, JSON.stringify(query)).toBe(200);
          expect(r.body.model_versions.map((v: any) => v.version).sort(), JSON.stringify(query)).toEqual(expected);
        }
        const none = await get('/registered-models/get-latest-versions', { name });
        expect(none.body.model_versions.map((v: any) => v.version).sort()).toEqual(['1', '3', '4']);
      });
    });

    describe('aliases', () => {
      it('sets, reads (with aliases), moves and deletes an alias', async () => {
        const name = await createModel();
        await createVersion(name);
        await createVersion(name);
        expect((await post('/registered-models/alias', { name, alias: 'champion', version: '1' })).body).toEqual({});
        let r = await get('/registered-models/alias', { name, alias: 'champion' });
        expect(r.status).toBe(200);
        expect(r.body.model_version).toMatchObject({ name, version: '1', aliases: ['champion'] });
        expect(Object.keys(r.body.model_version).at(-1)).toBe('aliases');

        // Other reads leave aliases out, as MLflow does; the registered model lists them.
        expect((await get('/model-versions/get', { name, version: '1' })).body.model_version).not.toHaveProperty('aliases');
        expect((await get('/registered-models/get', { name })).body.registered_model.aliases).toEqual([{ alias: 'champion', version: '1' }]);

        await post('/registered-models/alias', { name, alias: 'champion', version: 2 });
        r = await get('/registered-models/alias', { name, alias: 'champion' });
        expect(r.body.model_version.version).toBe('2');

        const rows = await auditFor('registered_model', name);
        const moved = rows.filter((x) => x.action === 'POST /api/2.0/mlflow/registered-models/alias').at(-1)!;
        expect(moved.before.aliases).toEqual([{ alias: 'champion', version: 1 }]);
        expect(moved.after.aliases).toEqual([{ alias: 'champion', version: 2 }]);

        expect((await del('/registered-models/alias', { name, alias: 'champion' })).body).toEqual({});
        r = await get('/registered-models/alias', { name, alias: 'champion' });
        expect(r.status).toBe(400);
        expect(r.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias champion not found.' });
      });

      it('answers a missing alias with 400 INVALID_PARAMETER_VALUE, not 404', async () => {
        const name = await createModel();
        const r = await get('/registered-models/alias', { name, alias: 'nope' });
        expect(r.status).toBe(400);
        expect(r.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias nope not found.' });
      });

      it('enforces alias name rules', async () => {
        const name = await createModel();
        await createVersion(name);
        const cases: Array<[string, string]> = [
          ['latest', "'latest' alias name (case insensitive) is reserved."],
          ['LaTeSt', "'latest' alias name (case insensitive) is reserved."],
          ['v1', "Version alias name 'v1' is reserved."],
          ['V22', "Version alias name 'V22' is reserved."],
          ['a.b', "Invalid alias name: 'a.b'. Names may only contain alphanumerics, underscores (_), and dashes (-)."],
          ['', 'Registered model alias name cannot be empty.'],
        ];
        for (const [alias, message] of cases) {
          const r = await post('/registered-models/alias', { name, alias, version: '1' });
          expect(r.status, alias).toBe(400);
          expect(r.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message });
        }
        const long = await post('/registered-models/alias', { name, alias: 'a'.repeat(256), version: '1' });
        expect(long.status).toBe(400);
        expect((await post('/registered-models/alias', { name, alias: 'a'.repeat(255), version: '1' })).status).toBe(200);
        expect((await post('/registered-models/alias', { name, alias: 'challenger_2-x', version: '1' })).status).toBe(200);
      });

      it('requires the version to exist, and drops aliases with their version', async () => {
        const name = await createModel();
        await createVersion(name);
        const missing = await post('/registered-models/alias', { name, alias: 'champion', version: '7' });
        expect(missing.status).toBe(404);
        await post('/registered-models/alias', { name, alias: 'champion', version: '1' });
        await del('/model-versions/delete', { name, version: '1' });
        const r = await get('/registered-models/alias', { name, alias: 'champion' });
        expect(r.status).toBe(400);
      });
    });

    describe('search', () => {
      it('filters registered models by name and tags, pages, and leaves out next_page_token on the last page', async () => {
        const prefix = unique('search');
        for (const n of ['a', 'b', 'c']) await createModel(`${prefix}-${n}`, { tags: [{ key: 'group', value: prefix }] });
        const one = await get('/registered-models/search', { filter: `name='${prefix}-b'` });
        expect(one.status).toBe(200);
        expect(one.body.registered_models.map((m: any) => m.name)).toEqual([`${prefix}-b`]);
        expect(one.body).not.toHaveProperty('next_page_token');

        const first = await get('/registered-models/search', { filter: `tags.group = '${prefix}'`, max_results: 2, order_by: 'name DESC' });
        expect(first.body.registered_models.map((m: any) => m.name)).toEqual([`${prefix}-c`, `${prefix}-b`]);
        expect(typeof first.body.next_page_token).toBe('string');
        const second = await get('/registered-models/search', {
          filter: `tags.group = '${prefix}'`,
          max_results: 2,
          order_by: 'name DESC',
          page_token: first.body.next_page_token,
        });
        expect(second.body.registered_models.map((m: any) => m.name)).toEqual([`${prefix}-a`]);
        expect(second.body).not.toHaveProperty('next_page_token');

        const nothing = await get('/registered-models/search', { filter: `name = '${unique('nothing')}'` });
        expect(nothing.body).toEqual({});
        const badFilter = await get('/registered-models/search', { filter: 'metrics.x > 1' });
        expect(badFilter.status).toBe(400);
        expect(badFilter.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      });

      it('applies registered-model max_results default 100 and maximum 1000', async () => {
        searches.length = 0;
        await get('/registered-models/search', {});
        expect(searches.at(-1)).toMatchObject({ method: 'searchRegisteredModels', query: { maxResults: 100 } });
        expect((await get('/registered-models/search', { max_results: 1000 })).status).toBe(200);
        const over = await get('/registered-models/search', { max_results: 1001 });
        expect(over.status).toBe(400);
        expect(over.body).toEqual({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: 'Invalid value for request parameter max_results. It must be at most 1000, but got value 1001',
        });
        expect((await get('/registered-models/search', { max_results: 0 })).status).toBe(400);
      });

      it('filters model versions by name and run_id and orders them', async () => {
        const name = await createModel();
        const runId = newRunId();
        await createVersion(name, 's3://b/1', { run_id: runId });
        await createVersion(name, 's3://b/2');
        await createVersion(name, 's3://b/3', { run_id: runId });
        const r = await get('/model-versions/search', { filter: `name='${name}'`, max_results: 10000, order_by: ['version_number ASC'] });
        expect(r.body.model_versions.map((v: any) => v.version)).toEqual(['1', '2', '3']);
        for (const v of r.body.model_versions) expect(v).not.toHaveProperty('aliases');
        const byRun = await get('/model-versions/search', { filter: `run_id = '${runId}'`, 'order_by[]': 'version_number DESC' });
        expect(byRun.body.model_versions.map((v: any) => v.version)).toEqual(['3', '1']);
        const paged = await get('/model-versions/search', { filter: `name='${name}'`, max_results: 2, order_by: 'version_number ASC' });
        expect(paged.body.model_versions).toHaveLength(2);
        const rest = await get('/model-versions/search', { filter: `name='${name}'`, max_results: 2, order_by: 'version_number ASC', page_token: paged.body.next_page_token });
        expect(rest.body.model_versions.map((v: any) => v.version)).toEqual(['3']);
        expect(rest.body).not.toHaveProperty('next_page_token');
      });

      it('applies model-version max_results default 10000 and maximum 200000', async () => {
        searches.length = 0;
        await get('/model-versions/search', { filter: `name='${unique('x')}'` });
        expect(searches.at(-1)).toMatchObject({ method: 'searchModelVersions', query: { maxResults: 10000 } });
        expect((await get('/model-versions/search', { max_results: 200000, filter: `name='${unique('x')}'` })).status).toBe(200);
        const over = await get('/model-versions/search', { max_results: 200001 });
        expect(over.status).toBe(400);
        expect(over.body.message).toBe('Invalid value for request parameter max_results. It must be at most 200000, but got value 200001');
      });
    });
  });
}
