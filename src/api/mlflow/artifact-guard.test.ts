import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { storeEngines, type EngineUnderTest } from '../../../test/support/engines.js';
import { createServer } from '../server.js';
import { ownerOf } from './artifact-guard.js';

const A = '/api/2.0/mlflow-artifacts';
const AJAX = '/ajax-api/2.0/mlflow-artifacts';
const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

interface Answer {
  status: number;
  body: { error_code?: string; message?: string } & Record<string, unknown>;
}

async function open(auth: boolean, engine?: EngineUnderTest): Promise<{ dir: string; store: Store; artifacts: ArtifactStore; app: FastifyInstance }> {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-artifact-guard-'));
  const uri = engine === undefined ? `sqlite:///${join(dir, 'hangar.db')}` : await engine.open(dir);
  const store = await openStore(uri, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
  const artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
  const app = await createServer({ config: loadConfig({ home: dir, auth, artifactsDestination: join(dir, 'artifacts') }), store, artifacts });
  return { dir, store, artifacts, app };
}

describe('ownerOf', () => {
  it('gives the log folder of a model to its editors and the rest of the owned folders to admins', () => {
    expect(ownerOf('inference-log/flights/date=2026-04-01/a.parquet', 'put')).toEqual({ kind: 'log', model: 'flights' });
    expect(ownerOf('inference-log/flights/labels/date=2026-04-01/a.parquet', 'put')).toEqual({ kind: 'log', model: 'flights' });
    expect(ownerOf('inference-log/a.parquet', 'put').kind).toBe('admin');
    expect(ownerOf('inference-log/flights/date=2026-04-01/a.parquet', 'delete').kind).toBe('admin');
    expect(ownerOf('inference-log', 'delete').kind).toBe('admin');
    expect(ownerOf('monitors/m/m_profile_metrics/r.parquet', 'put').kind).toBe('admin');
    expect(ownerOf('monitors', 'delete').kind).toBe('admin');
    expect(ownerOf('', 'delete').kind).toBe('admin');
    expect(ownerOf('1/abc/artifacts/inference-log/x', 'put').kind).toBe('open');
    expect(ownerOf('inference-logs/x/y', 'put').kind).toBe('open');
  });
});

describe.each(storeEngines())('the artifact proxy guards the inference log and the monitors (--auth), metadata $title', (engine) => {
  if (engine.skip) {
    it.skip('needs PostgreSQL', () => {});
    return;
  }
  let env: Awaited<ReturnType<typeof open>>;
  const tokens: Record<string, string> = {};

  async function call(method: 'PUT' | 'DELETE' | 'POST' | 'GET', url: string, as: string | null, payload?: string | Buffer): Promise<Answer> {
    const headers: Record<string, string> = as === null ? {} : { authorization: `Bearer ${tokens[as]}` };
    if (payload !== undefined) headers['content-type'] = method === 'PUT' ? 'application/octet-stream' : 'application/json';
    const res = await env.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    return { status: res.statusCode, body: res.body === '' ? {} : (res.json() as Answer['body']) };
  }

  beforeAll(async () => {
    env = await open(true, engine);
    const gov = governanceFor(env.store);
    tokens.root = (await gov.createToken({ principal: 'root', isAdmin: true })).token;
    for (const user of ['alice', 'bob']) tokens[user] = (await gov.createToken({ principal: user })).token;
  });
  afterAll(async () => {
    await env?.app.close();
    await env?.artifacts.close();
    await env?.store.close();
    await engine.close().catch(() => undefined);
    if (env !== undefined) rmSync(env.dir, { recursive: true, force: true });
  });

  it("lets the model's editors write its log and refuses other token holders, naming the path", async () => {
    const model = unique('guarded');
    expect((await call('POST', '/api/2.0/mlflow/registered-models/create', 'alice', JSON.stringify({ name: model }))).status).toBe(200);
    const path = `inference-log/${model}/date=2026-04-01/1-1-abc.parquet`;

    const bob = await call('PUT', `${A}/artifacts/${path}`, 'bob', 'forged');
    expect(bob.status).toBe(403);
    expect(bob.body.error_code).toBe('PERMISSION_DENIED');
    expect(bob.body.message).toContain(path);
    expect((await call('PUT', `${A}/artifacts/${path}`, null, 'forged')).status).toBe(401);

    expect((await call('PUT', `${A}/artifacts/${path}`, 'alice', 'rows')).status).toBe(200);
    expect(readFileSync(join(env.dir, 'artifacts', ...path.split('/')), 'utf8')).toBe('rows');

    // A grant of CAN_EDIT opens it to bob.
    expect((await call('POST', '/api/2.0/hangar/permissions/set', 'alice', JSON.stringify({ name: model, principal: 'bob', level: 'CAN_EDIT' }))).status).toBe(200);
    expect((await call('PUT', `${A}/artifacts/inference-log/${model}/date=2026-04-01/2-1-abc.parquet`, 'bob', 'more')).status).toBe(200);

    // Multipart uploads follow the same rule (checked before the adapter is asked).
    const other = unique('guarded');
    expect((await call('POST', '/api/2.0/mlflow/registered-models/create', 'alice', JSON.stringify({ name: other }))).status).toBe(200);
    const mpuBob = await call('POST', `${A}/mpu/create/inference-log/${other}/date=2026-04-01`, 'bob', JSON.stringify({ path: 'x.parquet', num_parts: 1 }));
    expect(mpuBob.status).toBe(403);
    expect(mpuBob.body.message).toContain(`inference-log/${other}/date=2026-04-01/x.parquet`);
    expect((await call('POST', `${A}/mpu/create/inference-log/${other}/date=2026-04-01`, 'alice', JSON.stringify({ path: 'x.parquet', num_parts: 1 }))).status).toBe(200);
  });

  it('keeps files outside a model folder, every delete in the log, and the monitors’ files for admins', async () => {
    const model = unique('owned');
    expect((await call('POST', '/api/2.0/mlflow/registered-models/create', 'alice', JSON.stringify({ name: model }))).status).toBe(200);
    const file = `inference-log/${model}/date=2026-04-01/1-1-abc.parquet`;
    expect((await call('PUT', `${A}/artifacts/${file}`, 'alice', 'rows')).status).toBe(200);

    for (const [method, url] of [
      ['PUT', `${A}/artifacts/inference-log/loose.parquet`],
      ['PUT', `${A}/artifacts/monitors/${model}-m/${model}-m_profile_metrics/r.parquet`],
      ['PUT', `${A}/artifacts/monitors/${model}-m/reports/r.html`],
      ['DELETE', `${A}/artifacts/${file}`],
      ['DELETE', `${A}/artifacts/inference-log/${model}`],
      ['DELETE', `${A}/artifacts/monitors`],
      ['DELETE', `${A}/artifacts`],
    ] as const) {
      const r = await call(method, url, 'alice', method === 'PUT' ? 'x' : undefined);
      expect(r.status, `${method} ${url}`).toBe(403);
      expect(r.body.error_code).toBe('PERMISSION_DENIED');
      expect(r.body.message).toMatch(/must be an admin/);
    }
    expect(readFileSync(join(env.dir, 'artifacts', ...file.split('/')), 'utf8')).toBe('rows');

    // The web UI's twin prefix takes the same checks: a token for writes, then the owners.
    expect((await call('PUT', `${AJAX}/artifacts/0/${model}/anon.txt`, null, 'x')).status).toBe(401);
    expect((await call('PUT', `${AJAX}/artifacts/monitors/${model}-m/reports/r.html`, 'alice', 'x')).status).toBe(403);

    // Ordinary artifacts stay open to every writer, as before.
    expect((await call('PUT', `${A}/artifacts/0/${model}/artifacts/inference-log/notes.txt`, 'bob', 'x')).status).toBe(200);
    expect((await call('DELETE', `${A}/artifacts/0/${model}`, 'bob')).status).toBe(200);

    // Admins may.
    expect((await call('PUT', `${A}/artifacts/monitors/${model}-m/reports/r.html`, 'root', '<html>')).status).toBe(200);
    expect((await call('DELETE', `${A}/artifacts/monitors/${model}-m`, 'root')).status).toBe(200);
    expect((await call('DELETE', `${A}/artifacts/${file}`, 'root')).status).toBe(200);
  });

  it('never replaces an indexed log file: the same bytes succeed (a retry), others are RESOURCE_ALREADY_EXISTS', async () => {
    const model = unique('indexed');
    expect((await call('POST', '/api/2.0/mlflow/registered-models/create', 'alice', JSON.stringify({ name: model }))).status).toBe(200);
    const rel = `${model}/date=2026-04-01/1-1-abc.parquet`;
    const path = `inference-log/${rel}`;
    const bytes = randomBytes(70_000);
    expect((await call('PUT', `${A}/artifacts/${path}`, 'alice', bytes)).status).toBe(200);
    // Before it is indexed the writer may still replace it (an upload retried after a lost answer).
    expect((await call('PUT', `${A}/artifacts/${path}`, 'alice', bytes)).status).toBe(200);

    const local = join(env.dir, 'artifacts', 'inference-log', ...rel.split('/'));
    const registered = await call(
      'POST',
      '/api/2.0/hangar/inference/files/register',
      'alice',
      JSON.stringify({ files: [{ model, kind: 'predictions', day: '2026-04-01', min_ts: 0, max_ts: 1, rows: 1, path: local }] }),
    );
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);

    expect((await call('PUT', `${A}/artifacts/${path}`, 'alice', bytes)).status).toBe(200);
    for (const who of ['alice', 'root']) {
      const other = Buffer.from(bytes);
      other[1000] = (other[1000]! + 1) % 256;
      const r = await call('PUT', `${A}/artifacts/${path}`, who, other);
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
      expect(r.body.message).toContain(path);
      const mpu = await call('POST', `${A}/mpu/create/inference-log/${model}/date=2026-04-01`, who, JSON.stringify({ path: '1-1-abc.parquet', num_parts: 1 }));
      expect(mpu.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    }
    expect(readFileSync(local).equals(bytes)).toBe(true);
  });
});

describe('the artifact proxy without --auth', () => {
  let env: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    env = await open(false);
  });
  afterAll(async () => {
    await env?.app.close();
    await env?.artifacts.close();
    await env?.store.close();
    if (env !== undefined) rmSync(env.dir, { recursive: true, force: true });
  });

  it('lets anonymous callers write and delete the owned folders as before, but still never replaces an indexed file', async () => {
    const inject = (method: 'PUT' | 'DELETE' | 'POST', url: string, payload?: string) =>
      env.app.inject({ method, url, ...(payload === undefined ? {} : { payload, headers: { 'content-type': method === 'PUT' ? 'application/octet-stream' : 'application/json' } }) });
    const model = unique('open');
    const path = `inference-log/${model}/date=2026-04-01/a.parquet`;
    expect((await inject('PUT', `${A}/artifacts/${path}`, 'one')).statusCode).toBe(200);
    expect((await inject('PUT', `${A}/artifacts/monitors/${model}/reports/r.html`, 'x')).statusCode).toBe(200);
    expect((await inject('DELETE', `${A}/artifacts/monitors/${model}`)).statusCode).toBe(200);

    const local = join(env.dir, 'artifacts', ...path.split('/'));
    const reg = await inject(
      'POST',
      '/api/2.0/hangar/inference/files/register',
      JSON.stringify({ files: [{ model, kind: 'predictions', day: '2026-04-01', min_ts: 0, max_ts: 1, rows: 1, path: local }] }),
    );
    expect(reg.statusCode, reg.body).toBe(200);
    const refused = await inject('PUT', `${A}/artifacts/${path}`, 'two');
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS' });
    expect((await inject('PUT', `${A}/artifacts/${path}`, 'one')).statusCode).toBe(200);
    expect(readFileSync(local, 'utf8')).toBe('one');
  });
});
