import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore } from '../artifacts/index.js';
import type { ArtifactStore } from '../artifacts/port.js';
import { loadConfig } from '../core/config.js';
import { newRunId } from '../core/ids.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/port.js';
import { createServer } from '../api/server.js';
import { GovernanceStore } from '../store/governance-store.js';
import { checkWebhookUrl, emitRegistryEvent, governanceFor, isPrivateAddress, signPayload, verifySignature, WebhookDispatcher } from './index.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('signatures (MLflow 3 scheme)', () => {
  it('matches an HMAC-SHA256 computed by Python over "<id>.<timestamp>.<body>"', () => {
    // python3: base64(hmac.new(b'sekret', b'd-1.1700000000.{"entity":"model_version"}', sha256).digest())
    expect(signPayload('sekret', 'd-1', 1_700_000_000, '{"entity":"model_version"}')).toBe('v1,mb5SNvri4C+zEedl57XfwQUGniaTcrQllaVhOs1D3co=');
  });

  it('verifies a genuine delivery and refuses a changed body, another secret or an old timestamp', () => {
    const body = '{"a":1}';
    const signature = signPayload('s3', 'id-7', 1_000, body);
    const base = { secret: 's3', deliveryId: 'id-7', timestamp: '1000', body, signature, nowS: 1_010 };
    expect(verifySignature(base)).toBe(true);
    expect(verifySignature({ ...base, body: '{"a":2}' })).toBe(false);
    expect(verifySignature({ ...base, secret: 'other' })).toBe(false);
    expect(verifySignature({ ...base, deliveryId: 'id-8' })).toBe(false);
    expect(verifySignature({ ...base, nowS: 1_000 + 301 })).toBe(false);
  });
});

describe('SSRF guard', () => {
  it('classifies loopback, private, link-local and mapped addresses as private', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700::1111', '172.32.0.1']) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it('refuses private literal hosts, non-http schemes and credentials in saved URLs', () => {
    for (const url of ['http://localhost:9000/x', 'http://127.0.0.1/x', 'http://[::1]/x', 'http://169.254.169.254/latest/meta-data']) {
      expect(() => checkWebhookUrl(url, false), url).toThrow(/private or loopback/);
    }
    expect(() => checkWebhookUrl('ftp://example.com/x', false)).toThrow(/http or https/);
    expect(() => checkWebhookUrl('https://user:pw@example.com/x', false)).toThrow(/credentials/);
    expect(checkWebhookUrl('https://hooks.example.com/x', false).hostname).toBe('hooks.example.com');
    expect(checkWebhookUrl('http://127.0.0.1:1/x', true).port).toBe('1');
  });
});

/** A receiver on loopback that records deliveries and answers what the test scripts. */
interface Receiver {
  url: string;
  received: Array<{ path: string; headers: IncomingHttpHeaders; body: string }>;
  /** Answers for the next requests of a path, in order; afterwards 200. */
  script: Map<string, Array<{ status: number; headers?: Record<string, string> }>>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const script: Receiver['script'] = new Map();
  const server: Server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body });
      const next = script.get(path)?.shift() ?? { status: 200 };
      res.writeHead(next.status, { 'content-type': 'text/plain', ...next.headers });
      res.end(next.status < 400 ? 'thanks' : 'try later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, script, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('webhook delivery through the server', () => {
  let dir: string;
  let store: Store;
  let artifacts: ArtifactStore;
  let app: FastifyInstance;
  let receiver: Receiver;

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await app.inject({
      method,
      url: `/api/2.0/mlflow${path}`,
      ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: res.statusCode, body: res.body === '' ? {} : res.json() };
  };
  const ok = async (p: Promise<{ status: number; body: any }>): Promise<any> => {
    const r = await p;
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const idle = () => governanceFor(store).webhooks.idle();
  const path = (): string => `/hook-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-webhooks-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
    app = await createServer({ config: loadConfig({ home: dir, webhookAllowPrivateHosts: true }), store, artifacts });
    receiver = await startReceiver();
  });

  afterEach(() => {
    receiver.received.length = 0;
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    await artifacts?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers subscribed registry and governance events, signed, after the change commits', async () => {
    const p = path();
    const created = await ok(
      call('POST', '/webhooks', {
        name: 'ci',
        url: `${receiver.url}${p}`,
        secret: 'top-secret',
        events: [
          { entity: 'REGISTERED_MODEL', action: 'CREATED' },
          { entity: 'model_version', action: 'created' },
          'model_version_tag.set',
          'model_version.stage_transitioned',
          'model_version_alias.created',
          'transition_request.created',
          'transition_request.approved',
          'comment.created',
        ],
      }),
    );
    expect(created.webhook.events[0]).toEqual({ entity: 'REGISTERED_MODEL', action: 'CREATED' });
    expect(JSON.stringify(created)).not.toContain('top-secret');
    expect(JSON.stringify(await ok(call('GET', `/webhooks/${created.webhook.id}`)))).not.toContain('top-secret');

    const name = `wh-${randomBytes(4).toString('hex')}`;
    await ok(call('POST', '/registered-models/create', { name, description: 'flights' }));
    await ok(call('POST', '/model-versions/create', { name, source: `mlflow-artifacts:/1/${newRunId()}/artifacts/model`, tags: [{ key: 'team', value: 'ml' }] }));
    await ok(call('POST', '/model-versions/set-tag', { name, version: '1', key: 'validation_status', value: 'approved' }));
    await ok(call('POST', '/transition-requests/create', { name, version: '1', stage: 'Production', comment: 'please' }));
    await ok(call('POST', '/transition-requests/approve', { name, version: '1', stage: 'Production', archive_existing_versions: true }));
    await ok(call('POST', '/comments/create', { name, version: '1', comment: 'deployed' }));
    // Not subscribed: never sent.
    await ok(call('DELETE', '/model-versions/delete-tag', { name, version: '1', key: 'validation_status' }));
    await idle();

    const bodies = receiver.received.filter((r) => r.path === p).map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => `${b.entity}.${b.action}`).sort()).toEqual(
      [
        'registered_model.created',
        'model_version.created',
        'model_version_tag.set',
        'transition_request.created',
        'model_version.stage_transitioned',
        'model_version_alias.created',
        'transition_request.approved',
        'comment.created',
      ].sort(),
    );
    const byEvent = new Map(bodies.map((b) => [`${b.entity}.${b.action}`, b]));
    expect(byEvent.get('model_version.created').data).toMatchObject({ name, version: '1', tags: { team: 'ml' }, description: '' });
    expect(byEvent.get('model_version.stage_transitioned').data).toMatchObject({ name, version: '1', from_stage: 'None', to_stage: 'Production' });
    expect(byEvent.get('model_version_alias.created').data).toEqual({ name, alias: 'champion', version: '1' });
    expect(byEvent.get('transition_request.approved').data).toMatchObject({ to_stage: 'Production', creator: 'anonymous' });
    expect(byEvent.get('registered_model.created').timestamp).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(typeof byEvent.get('comment.created').text).toBe('string');

    for (const r of receiver.received.filter((x) => x.path === p)) {
      const ok = verifySignature({
        secret: 'top-secret',
        deliveryId: String(r.headers['x-mlflow-delivery-id']),
        timestamp: String(r.headers['x-mlflow-timestamp']),
        body: r.body,
        signature: String(r.headers['x-mlflow-signature']),
      });
      expect(ok).toBe(true);
      expect(r.headers['x-databricks-signature']).toBe(createHmac('sha256', 'top-secret').update(r.body).digest('hex'));
    }

    const log = await ok(call('GET', `/webhooks/${created.webhook.id}/deliveries`));
    expect(log.deliveries).toHaveLength(8);
    expect(log.deliveries.every((d: any) => d.status === 'DELIVERED' && d.attempts === 1 && d.response_status === 200)).toBe(true);
    await ok(call('DELETE', `/webhooks/${created.webhook.id}`));
  });

  it('retries 429 and 5xx, honouring Retry-After, then logs the outcome', async () => {
    const flaky = path();
    const dead = path();
    receiver.script.set(flaky, [{ status: 503, headers: { 'retry-after': '0' } }, { status: 429, headers: { 'retry-after': '0' } }]);
    receiver.script.set(dead, Array.from({ length: 10 }, () => ({ status: 500, headers: { 'retry-after': '0' } })));
    const a = (await ok(call('POST', '/webhooks', { name: 'flaky', url: `${receiver.url}${flaky}`, events: ['registered_model.created'] }))).webhook;
    const b = (await ok(call('POST', '/webhooks', { name: 'dead', url: `${receiver.url}${dead}`, events: ['registered_model.created'] }))).webhook;
    await ok(call('POST', '/registered-models/create', { name: `retry-${randomBytes(4).toString('hex')}` }));
    await idle();
    expect(receiver.received.filter((r) => r.path === flaky)).toHaveLength(3);
    // The first attempt and MLflow 3's three retries.
    expect(receiver.received.filter((r) => r.path === dead)).toHaveLength(4);
    const ids = new Set(receiver.received.filter((r) => r.path === flaky).map((r) => r.headers['x-mlflow-delivery-id']));
    expect(ids.size).toBe(1);
    const [flakyLog] = (await ok(call('GET', `/webhooks/${a.id}/deliveries`))).deliveries;
    expect(flakyLog).toMatchObject({ status: 'DELIVERED', attempts: 3, response_status: 200 });
    const [deadLog] = (await ok(call('GET', `/webhooks/${b.id}/deliveries`))).deliveries;
    expect(deadLog).toMatchObject({ status: 'FAILED', attempts: 4, response_status: 500, response_body: 'try later' });
    // A 4xx other than 429 is final.
    const gone = path();
    receiver.script.set(gone, [{ status: 410 }]);
    const c = (await ok(call('POST', '/webhooks', { name: 'gone', url: `${receiver.url}${gone}`, events: ['registered_model.created'] }))).webhook;
    await ok(call('POST', '/registered-models/create', { name: `gone-${randomBytes(4).toString('hex')}` }));
    await idle();
    expect((await ok(call('GET', `/webhooks/${c.id}/deliveries`))).deliveries[0]).toMatchObject({ status: 'FAILED', attempts: 1, response_status: 410 });
    for (const w of [a, b, c]) await ok(call('DELETE', `/webhooks/${w.id}`));
  });

  it('answers the request without waiting for a slow receiver', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived = false;
    const slow = createHttpServer((req, res) => {
      arrived = true;
      req.resume();
      void held.then(() => res.end('late'));
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`;
    const w = (await ok(call('POST', '/webhooks', { name: 'slow', url, events: ['registered_model.created'] }))).webhook;
    try {
      await ok(call('POST', '/registered-models/create', { name: `slow-${randomBytes(4).toString('hex')}` }));
      // The create has been answered; the delivery reaches the receiver and waits on it.
      while (!arrived) await new Promise((resolve) => setTimeout(resolve, 5));
      const [pending] = (await ok(call('GET', `/webhooks/${w.id}/deliveries`))).deliveries;
      expect(pending.status).toBe('PENDING');
      release();
      await idle();
      expect(arrived).toBe(true);
      expect((await ok(call('GET', `/webhooks/${w.id}/deliveries`))).deliveries[0]).toMatchObject({ status: 'DELIVERED', response_body: 'late' });
    } finally {
      release();
      await ok(call('DELETE', `/webhooks/${w.id}`));
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('delivers events raised by other services through events/emit and emitRegistryEvent', async () => {
    const p = path();
    const w = (await ok(call('POST', '/webhooks', { name: 'gate', url: `${receiver.url}${p}`, events: ['validation.completed'] }))).webhook;
    const name = `ev-${randomBytes(4).toString('hex')}`;
    await ok(call('POST', '/registered-models/create', { name }));
    const res = await app.inject({
      method: 'POST',
      url: '/api/2.0/hangar/events/emit',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ event: 'validation.completed', data: { name, version: 1, status: 'approved' } }),
    });
    expect(res.statusCode, res.body).toBe(200);
    await emitRegistryEvent(store, 'validation.completed', { name, version: 2, status: 'failed' });
    const bad = await app.inject({
      method: 'POST',
      url: '/api/2.0/hangar/events/emit',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ event: 'model.exploded', data: {} }),
    });
    expect(bad.statusCode).toBe(400);
    await idle();
    const got = receiver.received.filter((r) => r.path === p).map((r) => JSON.parse(r.body));
    expect(got.map((b) => [b.entity, b.action, b.data.status]).sort()).toEqual([
      ['validation', 'completed', 'approved'],
      ['validation', 'completed', 'failed'],
    ]);
    await ok(call('DELETE', `/webhooks/${w.id}`));
  });

  it('test-fires a webhook, including TEST_MODE ones that never fire on real events', async () => {
    const p = path();
    const w = (await ok(call('POST', '/webhooks', { name: 'try', url: `${receiver.url}${p}`, events: ['model_version.created'], status: 'TEST_MODE', secret: 'k' }))).webhook;
    await ok(call('POST', '/registered-models/create', { name: `tm-${randomBytes(4).toString('hex')}` }));
    const result = await ok(call('POST', `/webhooks/${w.id}/test`, { event: { entity: 'MODEL_VERSION', action: 'CREATED' } }));
    expect(result.result).toEqual({ success: true, response_status: 200, response_body: 'thanks' });
    await idle();
    const got = receiver.received.filter((r) => r.path === p);
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ entity: 'model_version', action: 'created', data: { name: 'example-model' } });
    receiver.script.set(p, [{ status: 404 }]);
    expect((await ok(call('POST', `/webhooks/${w.id}/test`, {}))).result).toMatchObject({ success: false, response_status: 404 });
    const updated = await ok(call('PATCH', `/webhooks/${w.id}`, { status: 'DISABLED', events: ['comment.created'] }));
    expect(updated.webhook).toMatchObject({ status: 'DISABLED', events: [{ entity: 'COMMENT', action: 'CREATED' }] });
    expect((await ok(call('GET', '/webhooks'))).webhooks.map((x: any) => x.id)).toContain(w.id);
    expect((await call('POST', `/webhooks/${w.id}/test`, { event: 'model_version.exploded' })).status).toBe(400);
    await ok(call('DELETE', `/webhooks/${w.id}`));
    expect((await call('GET', `/webhooks/${w.id}`)).status).toBe(404);
  });
});

describe('the SSRF guard on a default server', () => {
  it('refuses webhook URLs on loopback when private hosts are not allowed, at save and at send time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-ssrf-'));
    const store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    const artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
    const app = await createServer({ config: loadConfig({ home: dir }), store, artifacts });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/webhooks',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'x', url: 'http://127.0.0.1:9/hook', events: ['model_version.created'] }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toContain('private or loopback');

      // A name that resolves to loopback passes the save-time check and is refused at connect time.
      const gov = new GovernanceStore((await import('../store/kysely-store.js')).KyselyStore.engineOf(store)!);
      const hook = await gov.createWebhook({ name: 'rebind', url: 'http://localtest.invalid.localhost.:9/x', events: ['model_version.created'], description: null, secret: null, status: 'ACTIVE', modelName: null });
      const dispatcher = new WebhookDispatcher(gov, { backoffMs: 1, jitterMs: 0 });
      const r = await dispatcher.test(hook, { name: 'model_version.created', data: {}, timestamp: Date.now() });
      expect(r.success).toBe(false);
      expect(r.errorMessage).toMatch(/private or loopback|ENOTFOUND|EAI_AGAIN/);
    } finally {
      await app.close();
      await artifacts.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
