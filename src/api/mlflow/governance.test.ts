import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore } from '../../artifacts/index.js';
import type { ArtifactStore } from '../../artifacts/port.js';
import { loadConfig } from '../../core/config.js';
import { governanceFor } from '../../governance/index.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import { createServer } from '../server.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
const W = '/api/2.0/mlflow/webhooks';

describe("MLflow 3's webhook routes with model_name (--auth)", () => {
  let dir: string;
  let store: Store;
  let artifacts: ArtifactStore;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body: Record<string, unknown>, as: string): Promise<{ status: number; body: Record<string, any> }> {
    const headers: Record<string, string> = { authorization: `Bearer ${tokens[as]}` };
    const get = method === 'GET';
    if (!get) headers['content-type'] = 'application/json';
    const url = get ? `${path}?${new URLSearchParams(body as Record<string, string>)}` : path;
    const res = await app.inject({ method, url, headers, ...(get ? {} : { payload: JSON.stringify(body) }) });
    return { status: res.statusCode, body: res.body === '' ? {} : (res.json() as Record<string, any>) };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-mlflow-webhooks-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
    app = await createServer({ config: loadConfig({ home: dir, auth: true }), store, artifacts });
    const gov = governanceFor(store);
    tokens.root = (await gov.createToken({ principal: 'root', isAdmin: true })).token;
    for (const user of ['alice', 'bob']) tokens[user] = (await gov.createToken({ principal: user })).token;
  });

  afterAll(async () => {
    await app?.close();
    await artifacts?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a model webhook for a manager of the model, scoped to it, and refuses others', async () => {
    const model = unique('hooked');
    expect((await call('POST', '/api/2.0/mlflow/registered-models/create', { name: model }, 'alice')).status).toBe(200);
    const fields = { name: 'ci', url: 'https://ci.example.com/hook', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] };

    // Without model_name it is registry-wide: admins only, as before.
    const wide = await call('POST', W, fields, 'alice');
    expect(wide.status).toBe(403);
    expect(wide.body.error_code).toBe('PERMISSION_DENIED');

    const created = await call('POST', W, { ...fields, model_name: model }, 'alice');
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.webhook).toMatchObject({ name: 'ci', model_name: model });
    const id = created.body.webhook.id as string;
    expect((await governanceFor(store).store.listWebhooks({ modelName: model })).map((w) => w.id)).toEqual([id]);

    // Bob has only the default (read) on the model: not Can Manage.
    const denied = await call('POST', W, { ...fields, model_name: model }, 'bob');
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('CAN_MANAGE');
    // The rules of model webhooks hold on this route too.
    const wideEvent = await call('POST', W, { ...fields, model_name: model, events: ['registered_model.created'] }, 'alice');
    expect(wideEvent.status).toBe(400);
    expect(wideEvent.body.message).toContain('registered_model.created');
    expect((await call('POST', W, { ...fields, model_name: unique('no-such-model') }, 'root')).status).toBe(404);

    // The model's manager lists, reads, updates, reads deliveries of and deletes it; Bob cannot.
    const listed = await call('GET', W, { model_name: model }, 'alice');
    expect(listed.body.webhooks.map((w: any) => w.id)).toEqual([id]);
    expect((await call('GET', W, {}, 'alice')).status).toBe(403);
    expect((await call('GET', W, { model_name: model }, 'bob')).status).toBe(403);
    expect((await call('GET', `${W}/${id}`, {}, 'alice')).body.webhook.model_name).toBe(model);
    expect((await call('GET', `${W}/${id}`, {}, 'bob')).status).toBe(403);
    const patched = await call('PATCH', `${W}/${id}`, { description: 'from CI', model_name: model }, 'alice');
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.webhook).toMatchObject({ description: 'from CI', model_name: model });
    const moved = await call('PATCH', `${W}/${id}`, { model_name: unique('other') }, 'alice');
    expect(moved.status).toBe(400);
    expect(moved.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    expect(moved.body.message).toContain('model_name');
    expect((await call('GET', `${W}/${id}/deliveries`, {}, 'alice')).body.deliveries).toEqual([]);
    expect((await call('DELETE', `${W}/${id}`, {}, 'bob')).status).toBe(403);
    expect((await call('DELETE', `${W}/${id}`, {}, 'alice')).status).toBe(200);
    expect(await governanceFor(store).store.listWebhooks({ modelName: model })).toEqual([]);
  });
});
