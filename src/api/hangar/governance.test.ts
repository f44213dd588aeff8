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
import { governanceFor } from '../../governance/index.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import { storeEngines } from '../../../test/support/engines.js';
import { createServer } from '../server.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const ENGINES = storeEngines();
const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

interface Reply {
  status: number;
  body: Record<string, any>;
}

let app: FastifyInstance;
let store: Store;
const tokens: Record<string, string> = {};
/** Who `call` acts as when the test does not say: the admin token, or nobody without --auth. */
let defaultAs: string | null = 'admin';

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body: unknown, as: string | null | undefined = undefined): Promise<Reply> {
  if (as === undefined) as = defaultAs;
  const headers: Record<string, string> = {};
  if (as !== null) headers.authorization = `Bearer ${tokens[as] ?? as}`;
  let url = path;
  let payload: string | undefined;
  if (method === 'GET') {
    url += `?${new URLSearchParams(body as Record<string, string>)}`;
  } else {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: res.body === '' ? {} : (res.json() as Record<string, any>) };
}
const M = '/api/2.0/mlflow';
const H = '/api/2.0/hangar';

async function ok(r: Promise<Reply>): Promise<Record<string, any>> {
  const reply = await r;
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
}

/** A model created by `owner` with `n` versions. */
async function modelWith(n: number, owner: string | null = 'alice'): Promise<string> {
  const name = unique('gov');
  await ok(call('POST', `${M}/registered-models/create`, { name }, owner));
  for (let i = 0; i < n; i++) await ok(call('POST', `${M}/model-versions/create`, { name, source: `mlflow-artifacts:/1/${newRunId()}/artifacts/model` }, owner));
  return name;
}

async function stageOf(name: string, version: number): Promise<string> {
  return (await ok(call('GET', `${M}/model-versions/get`, { name, version: String(version) }))).model_version.current_stage;
}

async function champion(name: string): Promise<string | undefined> {
  const r = await call('GET', `${M}/registered-models/alias`, { name, alias: 'champion' });
  return r.status === 200 ? r.body.model_version.version : undefined;
}

async function activities(name: string, version: number): Promise<any[]> {
  return (await ok(call('GET', `${H}/activities/list`, { name, version: String(version) }))).activities;
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip)(`governance REST ${engine.title}`, () => {
    let dir: string;
    let artifacts: ArtifactStore;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hangar-gov-'));
      store = await openStore(await engine.open(dir), { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
      artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
      app = await createServer({ config: loadConfig({ home: dir, auth: true }), store, artifacts });
      const gov = governanceFor(store);
      tokens.admin = (await gov.createToken({ principal: 'root', isAdmin: true })).token;
      for (const user of ['alice', 'bob', 'carol']) tokens[user] = (await gov.createToken({ principal: user })).token;
    });

    afterAll(async () => {
      await app?.close();
      await artifacts?.close();
      await store?.close();
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    });

    describe('authentication', () => {
      it('lets callers without a token read but not write when --auth is on', async () => {
        const name = await modelWith(1);
        expect((await call('GET', `${M}/registered-models/get`, { name }, null)).status).toBe(200);
        const w = await call('POST', `${M}/registered-models/create`, { name: unique('anon') }, null);
        expect(w.status).toBe(401);
        expect(w.body.error_code).toBe('UNAUTHENTICATED');
        const runs = await call('POST', `${M}/experiments/create`, { name: unique('exp') }, null);
        expect(runs.status).toBe(401);
      });

      it('answers 401 for an unknown or revoked token, on reads too', async () => {
        const r = await call('GET', `${M}/registered-models/search`, {}, 'hgr_not-a-token');
        expect(r.status).toBe(401);
        expect(r.body.error_code).toBe('UNAUTHENTICATED');
        const created = await ok(call('POST', `${H}/tokens/create`, { user: 'dave' }));
        expect(created.token).toMatch(/^hgr_/);
        expect((await call('GET', `${H}/whoami`, {}, created.token)).body.user).toBe('dave');
        await ok(call('POST', `${H}/tokens/revoke`, { token_id: created.token_info.token_id }));
        expect((await call('GET', `${H}/whoami`, {}, created.token)).status).toBe(401);
      });

      it('lists tokens without their secrets and only to admins', async () => {
        const list = await ok(call('GET', `${H}/tokens/list`, { user: 'alice' }));
        expect(list.tokens.length).toBeGreaterThan(0);
        expect(JSON.stringify(list)).not.toContain(tokens.alice);
        expect((await call('GET', `${H}/tokens/list`, {}, 'alice')).status).toBe(403);
      });

      it('writes the principal into the audit trail', async () => {
        const name = await modelWith(0, 'carol');
        const page = await store.listAudit({ maxResults: 10, entityType: 'registered_model', entityId: name });
        expect(page.items.map((e) => e.principal)).toContain('carol');
      });

      it('serves the audit trail to admins only, newest first, with before and after', async () => {
        const name = await modelWith(0, 'carol');
        await ok(call('PATCH', `${M}/registered-models/update`, { name, description: 'audited' }, 'carol'));
        const listed = await ok(call('GET', `${H}/audit/list`, { entity_type: 'registered_model', entity_id: name, max_results: '1' }));
        expect(listed.entries).toHaveLength(1);
        expect(listed.entries[0]).toMatchObject({ principal: 'carol', action: 'PATCH /api/2.0/mlflow/registered-models/update', entity_id: name, status: 200 });
        expect(listed.entries[0].after.description).toBe('audited');
        expect(listed.next_page_token).toBeDefined();
        const next = await ok(call('GET', `${H}/audit/list`, { entity_type: 'registered_model', entity_id: name, page_token: listed.next_page_token }));
        expect(next.entries[0].id).toBeLessThan(listed.entries[0].id);
        expect((await call('GET', `${H}/audit/list`, {}, 'alice')).status).toBe(403);
      });

      it('filters the audit trail by principal, action, time range and outcome on the server, and names a bad field', async () => {
        const update = 'PATCH /api/2.0/mlflow/registered-models/update';
        const since = Date.now();
        const name = await modelWith(0, 'carol');
        await ok(call('PATCH', `${M}/registered-models/update`, { name, description: 'one' }, 'carol'));
        // The web UI's prefix: the same action under /ajax-api.
        await ok(call('PATCH', `/ajax-api/2.0/mlflow/registered-models/update`, { name, description: 'two' }, 'carol'));
        expect((await call('PATCH', `${M}/registered-models/update`, { name, description: 'not yours' }, 'bob')).status).toBe(403);
        // A refused request records no entity: this test's rows are told apart by time.
        const list = async (q: Record<string, string>) => (await ok(call('GET', `${H}/audit/list`, { from: String(since), ...q }))).entries as Array<Record<string, any>>;

        const carols = await list({ principal: 'carol', action: update });
        expect(carols.map((e) => [e.action, e.after.description])).toEqual([
          ['PATCH /ajax-api/2.0/mlflow/registered-models/update', 'two'],
          [update, 'one'],
        ]);
        expect(await list({ principal: 'carol', action: 'PATCH /ajax-api/2.0/mlflow/registered-models/update' })).toEqual(carols);
        expect(await list({ principal: 'carol', action: 'PATCH /api/2.0/mlflow/registered-models' })).toEqual([]);
        expect(await list({ principal: 'bob', status: 'failed' })).toEqual([expect.objectContaining({ principal: 'bob', action: update, status: 403 })]);
        expect((await list({ status: 'succeeded' })).map((e) => e.status)).toEqual([200, 200, 200]);
        expect(await list({ principal: 'bob', status: 'succeeded' })).toEqual([]);
        // ISO-8601 and epoch ms; `to` is exclusive.
        expect(await list({ from: new Date(since).toISOString() })).toHaveLength(4);
        expect(await list({ entity_id: name, from: '0', to: String(since) })).toEqual([]);
        const newest = (await list({}))[0]!;
        expect((await list({ from: String(newest.timestamp), to: String(newest.timestamp + 1) })).map((e) => e.id)).toContain(newest.id);

        for (const [q, field] of [
          [{ from: 'yesterday' }, 'from'],
          [{ to: '2026-02-30' }, 'to'],
          [{ from: '2026-11-02', to: '2026-11-01' }, 'to'],
        ] as const) {
          const r = await call('GET', `${H}/audit/list`, q);
          expect(r.status).toBe(400);
          expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
          expect(r.body.message).toMatch(new RegExp(`^${field} must`));
        }
        const bad = await call('GET', `${H}/audit/list`, { status: 'maybe' });
        expect(bad.status).toBe(400);
        expect(bad.body.message).toContain('status');
      });
    });

    describe('permission levels', () => {
      it("gives the creator Can Manage and others the default (read), and enforces grants on MLflow's own routes", async () => {
        const name = await modelWith(1, 'alice');
        const source = `mlflow-artifacts:/1/${newRunId()}/artifacts/model`;
        const denied = await call('POST', `${M}/model-versions/create`, { name, source }, 'bob');
        expect(denied.status).toBe(403);
        expect(denied.body.error_code).toBe('PERMISSION_DENIED');
        expect(denied.body.message).toContain('CAN_EDIT');

        await ok(call('POST', `${H}/permissions/set`, { name, principal: 'bob', level: 'can_edit' }, 'alice'));
        await ok(call('POST', `${M}/model-versions/create`, { name, source }, 'bob'));
        // Editing is not promoting: no stage change, no alias, no delete, no rename.
        expect((await call('POST', `${M}/model-versions/transition-stage`, { name, version: '1', stage: 'Staging' }, 'bob')).status).toBe(403);
        expect((await call('POST', `${M}/registered-models/alias`, { name, alias: 'champion', version: '1' }, 'bob')).status).toBe(403);
        expect((await call('DELETE', `${M}/model-versions/delete`, { name, version: '2' }, 'bob')).status).toBe(403);
        expect((await call('POST', `${M}/registered-models/rename`, { name, new_name: unique('x') }, 'bob')).status).toBe(403);

        await ok(call('POST', `${H}/permissions/set`, { name, principal: 'bob', level: 'CAN_MANAGE_STAGING_VERSIONS' }, 'alice'));
        await ok(call('POST', `${M}/model-versions/transition-stage`, { name, version: '1', stage: 'Staging' }, 'bob'));
        await ok(call('POST', `${M}/registered-models/alias`, { name, alias: 'challenger', version: '1' }, 'bob'));
        const prod = await call('POST', `${M}/model-versions/transition-stage`, { name, version: '1', stage: 'Production' }, 'bob');
        expect(prod.status).toBe(403);
        expect(prod.body.message).toContain('CAN_MANAGE_PRODUCTION_VERSIONS');
        expect(await stageOf(name, 1)).toBe('Staging');

        // Only Can Manage changes permissions.
        expect((await call('POST', `${H}/permissions/set`, { name, principal: 'bob', level: 'CAN_MANAGE' }, 'bob')).status).toBe(403);
        const list = await ok(call('GET', `${H}/permissions/list`, { name }, 'alice'));
        expect(list.permissions).toEqual([expect.objectContaining({ principal: 'bob', level: 'CAN_MANAGE_STAGING_VERSIONS', granted_by: 'alice' })]);
        expect((await call('POST', `${H}/permissions/set`, { name, principal: 'bob', level: 'ROOT' }, 'alice')).body.error_code).toBe('INVALID_PARAMETER_VALUE');
      });

      it('carries grants through a rename', async () => {
        const name = await modelWith(1, 'alice');
        await ok(call('POST', `${H}/permissions/set`, { name, principal: 'bob', level: 'CAN_EDIT' }, 'alice'));
        const renamed = unique('renamed');
        await ok(call('POST', `${M}/registered-models/rename`, { name, new_name: renamed }, 'alice'));
        const list = await ok(call('GET', `${H}/permissions/list`, { name: renamed }, 'alice'));
        expect(list.permissions.map((p: any) => p.principal)).toEqual(['bob']);
      });
    });

    describe('transition requests', () => {
      it('requests, lists, approves with archiving, and logs every step as an activity', async () => {
        const name = await modelWith(2, 'alice');
        await ok(call('POST', `${M}/model-versions/transition-stage`, { name, version: '1', stage: 'Production' }, 'alice'));
        expect(await champion(name)).toBe('1');

        const created = await ok(call('POST', `${M}/transition-requests/create`, { name, version: '2', stage: 'production', comment: 'AUC +3%' }, 'bob'));
        expect(created.request).toMatchObject({ to_stage: 'Production', user_id: 'bob', comment: 'AUC +3%', status: 'OPEN' });
        const dup = await call('POST', `${M}/transition-requests/create`, { name, version: '2', stage: 'Production' }, 'bob');
        expect(dup.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
        const listed = await ok(call('GET', `${M}/transition-requests/list`, { name, version: '2' }, 'bob'));
        expect(listed.requests).toHaveLength(1);
        expect(listed.requests[0].available_actions).toContain('APPROVE_TRANSITION_REQUEST');

        // The requester cannot approve their own request without the level.
        expect((await call('POST', `${M}/transition-requests/approve`, { name, version: '2', stage: 'Production', archive_existing_versions: true }, 'bob')).status).toBe(403);
        const missingArchive = await call('POST', `${M}/transition-requests/approve`, { name, version: '2', stage: 'Production' }, 'alice');
        expect(missingArchive.body.message).toContain('archive_existing_versions');

        const approved = await ok(
          call('POST', `${M}/transition-requests/approve`, { name, version: '2', stage: 'Production', archive_existing_versions: true, comment: 'ship it' }, 'alice'),
        );
        expect(approved.activity).toMatchObject({ activity_type: 'APPROVED_REQUEST', from_stage: 'None', to_stage: 'Production', user_id: 'alice', comment: 'ship it' });
        expect(await stageOf(name, 2)).toBe('Production');
        expect(await stageOf(name, 1)).toBe('Archived');
        expect(await champion(name)).toBe('2');
        expect((await ok(call('GET', `${M}/transition-requests/list`, { name, version: '2' }))).requests).toEqual([]);

        expect((await activities(name, 2)).map((a) => a.activity_type)).toEqual(['REQUESTED_TRANSITION', 'APPROVED_REQUEST', 'ALIAS_SET']);
        const v1 = await activities(name, 1);
        expect(v1.map((a) => a.activity_type)).toEqual(['APPLIED_TRANSITION', 'ALIAS_SET', 'SYSTEM_TRANSITION']);
        expect(v1[2]).toMatchObject({ from_stage: 'Production', to_stage: 'Archived', user_id: 'alice' });

        const again = await call('POST', `${M}/transition-requests/approve`, { name, version: '2', stage: 'Production', archive_existing_versions: true }, 'alice');
        expect(again.status).toBe(409);
        expect(again.body.error_code).toBe('RESOURCE_CONFLICT');
        expect(again.body.message).toContain("already approved by 'alice'");
      });

      it('rejects and cancels; a cancelled request cannot be approved', async () => {
        const name = await modelWith(1, 'alice');
        await ok(call('POST', `${M}/transition-requests/create`, { name, version: 1, stage: 'Staging' }, 'bob'));
        const rejected = await ok(call('POST', `${M}/transition-requests/reject`, { name, version: 1, stage: 'Staging', comment: 'needs docs' }, 'alice'));
        expect(rejected.activity).toMatchObject({ activity_type: 'REJECTED_REQUEST', comment: 'needs docs' });

        await ok(call('POST', `${M}/transition-requests/create`, { name, version: 1, stage: 'Staging' }, 'bob'));
        // Carol (read only) may not cancel Bob's request; Bob may.
        expect((await call('DELETE', `${M}/transition-requests/delete`, { name, version: 1, stage: 'Staging', creator: 'bob' }, 'carol')).status).toBe(403);
        const cancelled = await ok(call('DELETE', `${M}/transition-requests/delete`, { name, version: 1, stage: 'Staging', creator: 'bob' }, 'bob'));
        expect(cancelled.activity.activity_type).toBe('CANCELLED_REQUEST');

        const approve = await call('POST', `${M}/transition-requests/approve`, { name, version: 1, stage: 'Staging', archive_existing_versions: false }, 'alice');
        expect(approve.status).toBe(409);
        expect(approve.body.message).toContain('cancelled');
        expect(await stageOf(name, 1)).toBe('None');
        const none = await call('POST', `${M}/transition-requests/reject`, { name, version: 1, stage: 'Production' }, 'alice');
        expect(none.status).toBe(404);
      });

      it('lets exactly one of two racing approvals win', async () => {
        const name = await modelWith(2, 'alice');
        await ok(call('POST', `${M}/model-versions/transition-stage`, { name, version: '1', stage: 'Production' }, 'alice'));
        await ok(call('POST', `${M}/transition-requests/create`, { name, version: '2', stage: 'Production' }, 'bob'));
        const body = { name, version: '2', stage: 'Production', archive_existing_versions: true };
        const replies = await Promise.all([
          call('POST', `${M}/transition-requests/approve`, body, 'alice'),
          call('POST', `${M}/transition-requests/approve`, body, 'admin'),
          call('POST', `${M}/transition-requests/approve`, body, 'alice'),
        ]);
        expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409]);
        const acts = await activities(name, 2);
        expect(acts.filter((a) => a.activity_type === 'APPROVED_REQUEST')).toHaveLength(1);
        expect(await stageOf(name, 2)).toBe('Production');
        expect(await stageOf(name, 1)).toBe('Archived');
      });

      it('rolls the whole approval back when the promotion is blocked (atomic)', async () => {
        const name = await modelWith(2, 'alice');
        await ok(call('POST', `${M}/model-versions/transition-stage`, { name, version: '1', stage: 'Production' }, 'alice'));
        await ok(call('POST', `${M}/model-versions/set-tag`, { name, version: '2', key: 'compliance_status', value: 'failed' }, 'alice'));
        await ok(call('POST', `${M}/model-versions/set-tag`, { name, version: '2', key: 'compliance.signature', value: 'FAIL: no signature' }, 'alice'));
        await ok(call('POST', `${M}/model-versions/set-tag`, { name, version: '2', key: 'compliance.description', value: 'FAIL: empty description' }, 'alice'));
        await ok(call('POST', `${M}/transition-requests/create`, { name, version: '2', stage: 'Production' }, 'bob'));
        const before = await activities(name, 1);
        const r = await call('POST', `${M}/transition-requests/approve`, { name, version: '2', stage: 'Production', archive_existing_versions: true }, 'alice');
        expect(r.status).toBe(400);
        expect(r.body.message.split('\n').filter((l: string) => l.startsWith('- '))).toEqual([
          '- compliance rule description failed: FAIL: empty description',
          '- compliance rule signature failed: FAIL: no signature',
        ]);
        expect(await stageOf(name, 1)).toBe('Production');
        expect(await stageOf(name, 2)).toBe('None');
        expect(await activities(name, 1)).toEqual(before);
        expect((await ok(call('GET', `${M}/transition-requests/list`, { name, version: '2' }))).requests).toHaveLength(1);
        // The direct routes are blocked the same way: there is no way around the checks.
        expect((await call('POST', `${M}/model-versions/transition-stage`, { name, version: '2', stage: 'Staging' }, 'alice')).status).toBe(400);
        expect((await call('POST', `${M}/registered-models/alias`, { name, alias: 'champion', version: '2' }, 'alice')).status).toBe(400);
      });
    });

    describe('stages and aliases in step, history and rollback', () => {
      it('moves a new champion to Production, archives the previous one, and rolls back', async () => {
        const name = await modelWith(3, 'alice');
        await ok(call('POST', `${M}/registered-models/alias`, { name, alias: 'champion', version: '1' }, 'alice'));
        expect(await stageOf(name, 1)).toBe('Production');
        await ok(call('POST', `${M}/registered-models/alias`, { name, alias: 'champion', version: '2' }, 'alice'));
        expect([await stageOf(name, 1), await stageOf(name, 2)]).toEqual(['Archived', 'Production']);
        // A transition to Production moves champion.
        await ok(call('POST', `${M}/model-versions/transition-stage`, { name, version: '3', stage: 'Production', archive_existing_versions: true }, 'alice'));
        expect(await champion(name)).toBe('3');
        expect(await stageOf(name, 2)).toBe('Archived');

        const history = (await ok(call('GET', `${H}/models/history`, { name }, 'carol'))).history;
        expect(history.map((h: any) => `${h.activity_type}:${h.version}:${h.to_stage ?? h.alias}`)).toEqual([
          'ALIAS_SET:1:champion',
          'SYSTEM_TRANSITION:1:Production',
          'ALIAS_SET:2:champion',
          'SYSTEM_TRANSITION:1:Archived',
          'SYSTEM_TRANSITION:2:Production',
          'SYSTEM_TRANSITION:2:Archived',
          'APPLIED_TRANSITION:3:Production',
          'ALIAS_SET:3:champion',
        ]);
        expect(history.every((h: any) => h.user_id === 'alice' && typeof h.creation_timestamp === 'number')).toBe(true);

        expect((await call('POST', `${H}/models/rollback`, { name }, 'bob')).status).toBe(403);
        const back = await ok(call('POST', `${H}/models/rollback`, { name, comment: 'latency regression' }, 'alice'));
        expect(back).toMatchObject({ from_version: '3', to_version: '2' });
        expect(await champion(name)).toBe('2');
        expect([await stageOf(name, 2), await stageOf(name, 3)]).toEqual(['Production', 'Archived']);
        expect((await activities(name, 2)).at(-1)).toBeDefined();
        const rollback = (await activities(name, 2)).find((a) => a.activity_type === 'ROLLBACK');
        expect(rollback).toMatchObject({ from_stage: 'Archived', to_stage: 'Production', comment: 'latency regression', alias: 'champion' });

        // A second rollback walks further back instead of toggling.
        await ok(call('POST', `${H}/models/rollback`, { name }, 'alice'));
        expect(await champion(name)).toBe('1');
        const none = await call('POST', `${H}/models/rollback`, { name }, 'alice');
        expect(none.status).toBe(400);
        expect(none.body.message).toContain('no previous champion');
      });

      it('drops champion when its version leaves Production and records Databricks transition comments', async () => {
        const name = await modelWith(1, 'alice');
        await ok(call('POST', `${M}/databricks/model-versions/transition-stage`, { name, version: '1', stage: 'Production', comment: 'hotfix' }, 'alice'));
        expect(await champion(name)).toBe('1');
        const r = await ok(call('POST', `${M}/databricks/model-versions/transition-stage`, { name, version: '1', stage: 'Archived', comment: 'retired' }, 'alice'));
        expect(r.model_version_databricks.current_stage).toBe('Archived');
        expect(await champion(name)).toBeUndefined();
        const acts = await activities(name, 1);
        expect(acts.map((a) => [a.activity_type, a.comment ?? null])).toEqual([
          ['APPLIED_TRANSITION', 'hotfix'],
          ['ALIAS_SET', "'champion' follows Production"],
          ['APPLIED_TRANSITION', 'retired'],
          ['ALIAS_DELETED', 'the version left Production'],
        ]);
      });
    });

    describe('comments', () => {
      it('creates, edits and deletes comments by their author', async () => {
        const name = await modelWith(1, 'alice');
        const c = await ok(call('POST', `${M}/comments/create`, { name, version: '1', comment: 'tests pass' }, 'carol'));
        expect(c.comment).toMatchObject({ user_id: 'carol', comment: 'tests pass', available_actions: ['EDIT_COMMENT', 'DELETE_COMMENT'] });
        expect((await call('PATCH', `${M}/comments/update`, { id: c.comment.id, comment: 'hijack' }, 'bob')).status).toBe(403);
        const edited = await ok(call('PATCH', `${M}/comments/update`, { id: c.comment.id, comment: 'tests pass (3.1 s)' }, 'carol'));
        expect(edited.comment.comment).toBe('tests pass (3.1 s)');
        expect((await call('POST', `${M}/comments/create`, { name, version: '1', comment: '' }, 'carol')).status).toBe(400);
        expect((await call('POST', `${M}/comments/create`, { name, version: '1', comment: 'x'.repeat(65_536) }, 'carol')).status).toBe(400);
        // Bob may not delete Carol's comment; the model's manager may.
        expect((await call('DELETE', `${M}/comments/delete`, { id: c.comment.id }, 'bob')).status).toBe(403);
        await ok(call('DELETE', `${M}/comments/delete`, { id: c.comment.id }, 'alice'));
        expect(await activities(name, 1)).toEqual([]);
      });
    });
  });
}

describe('governance with --auth --default-permission NO_PERMISSIONS', () => {
  let dir: string;
  let artifacts: ArtifactStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-gov-closed-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
    app = await createServer({ config: loadConfig({ home: dir, auth: true, defaultPermission: 'NO_PERMISSIONS' }), store, artifacts });
    const gov = governanceFor(store);
    tokens.admin = (await gov.createToken({ principal: 'root', isAdmin: true })).token;
    for (const user of ['alice', 'bob']) tokens[user] = (await gov.createToken({ principal: user })).token;
    defaultAs = 'admin';
  });

  afterAll(async () => {
    await app?.close();
    await artifacts?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hides models from searches and reads of principals without Can Read', async () => {
    const mine = await modelWith(1, 'alice');
    const other = await modelWith(1, 'admin');
    const names = async (as: string | null, path: string, key: string): Promise<string[]> =>
      ((await ok(call('GET', `${M}${path}`, {}, as)))[key] ?? []).map((m: any) => m.name);
    expect(await names('alice', '/registered-models/search', 'registered_models')).toEqual([mine]);
    expect(await names('alice', '/model-versions/search', 'model_versions')).toEqual([mine]);
    expect(await names(null, '/registered-models/search', 'registered_models')).toEqual([]);
    expect((await names('admin', '/registered-models/search', 'registered_models')).sort()).toEqual([mine, other].sort());
    expect((await call('GET', `${M}/registered-models/get`, { name: other }, 'alice')).status).toBe(403);
    await ok(call('POST', `${H}/permissions/set`, { name: other, principal: 'alice', level: 'CAN_READ' }, 'admin'));
    expect((await names('alice', '/registered-models/search', 'registered_models')).sort()).toEqual([mine, other].sort());
    // Without Can Read, not even a request can be filed.
    expect((await call('POST', `${M}/transition-requests/create`, { name: mine, version: '1', stage: 'Staging' }, 'bob')).status).toBe(403);
  });
});

describe('governance without --auth (the single-user embedded default)', () => {
  let dir: string;
  let artifacts: ArtifactStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-gov-open-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
    app = await createServer({ config: loadConfig({ home: dir }), store, artifacts });
    defaultAs = null;
  });

  afterAll(async () => {
    await app?.close();
    await artifacts?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives callers without a token every right and records them as anonymous', async () => {
    const name = await modelWith(2, null);
    await ok(call('POST', `${M}/transition-requests/create`, { name, version: '1', stage: 'Production' }, null));
    await ok(call('POST', `${M}/transition-requests/approve`, { name, version: '1', stage: 'Production', archive_existing_versions: true }, null));
    await ok(call('POST', `${H}/permissions/set`, { name, principal: 'bob', level: 'CAN_READ' }, null));
    const acts = await activities(name, 1);
    expect(acts.map((a) => a.user_id)).toEqual(['anonymous', 'anonymous', 'anonymous']);
    const who = await ok(call('GET', `${H}/whoami`, {}, null));
    expect(who).toMatchObject({ user: 'anonymous', auth_required: false, default_permission: 'CAN_MANAGE' });
  });
});
