import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArtifactStore, openLocalArtifactStore } from '../../artifacts/index.js';
import { startFakeS3, type FakeS3 } from '../../artifacts/test-support/fake-s3.js';
import type { ArtifactStore } from '../../artifacts/port.js';
import { loadConfig } from '../../core/config.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import { createServer } from '../server.js';

const API = '/api/2.0/mlflow-artifacts';
const AJAX = '/ajax-api/2.0/mlflow-artifacts';
const BODY_LIMIT = 1024 * 1024;

/** A raw HTTP request, so that paths reach the server exactly as written (fetch would normalize `..`). */
function rawRequest(
  base: string,
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

describe('artifact routes', () => {
  let dir: string;
  let store: Store;
  let artifacts: ArtifactStore;
  let app: FastifyInstance;
  let base: string;
  let runId: string;
  let runRoot: string;
  let counter = 0;

  const unique = (p: string) => `${p}-${++counter}-${randomBytes(3).toString('hex')}`;

  async function put(path: string, body: string | Buffer, contentType = 'application/octet-stream', prefix = API) {
    const r = await app.inject({ method: 'PUT', url: `${prefix}/artifacts/${path}`, payload: body, headers: { 'content-type': contentType } });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> };
  }

  async function list(path: string | undefined, prefix = API) {
    const r = await app.inject({ method: 'GET', url: `${prefix}/artifacts`, query: path === undefined ? {} : { path } });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> };
  }

  async function postJson(url: string, payload: unknown) {
    const r = await app.inject({ method: 'POST', url, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> };
  }

  /** A fresh run and its store path, `<exp>/<run>/artifacts`. */
  async function newRun(): Promise<{ runId: string; root: string; artifactUri: string }> {
    const exp = await postJson('/api/2.0/mlflow/experiments/create', { name: unique('exp') });
    const run = await postJson('/api/2.0/mlflow/runs/create', { experiment_id: exp.body.experiment_id });
    const info = (run.body.run as { info: { run_id: string; artifact_uri: string } }).info;
    expect(info.artifact_uri).toMatch(/^mlflow-artifacts:\//);
    return { runId: info.run_id, artifactUri: info.artifact_uri, root: info.artifact_uri.replace('mlflow-artifacts:/', '') };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-artifact-routes-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
    app = await createServer({ config: loadConfig({ home: dir, bodyLimitBytes: BODY_LIMIT }), store, artifacts });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    ({ runId, root: runRoot } = await newRun());
  });

  afterAll(async () => {
    await app?.close();
    await artifacts?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('upload, list, download', () => {
    it('answers a PUT of any content type with 200 {}, and lists bare names sorted by bytes', async () => {
      const { root } = await newRun();
      expect(await put(`${root}/notes.txt`, 'hello notes', 'text/plain')).toEqual({ status: 200, body: {} });
      expect((await put(`${root}/cfg/config.json`, '{"a":1}', 'application/json')).status).toBe(200);
      expect((await put(`${root}/model/MLmodel`, 'flavors: {}\n', 'text/plain')).status).toBe(200);
      expect((await put(`${root}/model/conda.yaml`, 'name: x\n', 'application/x-yaml')).status).toBe(200);
      expect((await put(`${root}/model/model.pkl`, Buffer.from([0x80, 0x04, 0x95, 0x00]))).status).toBe(200);
      expect((await put(`${root}/model/metadata/MLmodel`, 'flavors: {}\n', 'text/plain; charset=utf-8')).status).toBe(200);

      expect(await list(root)).toEqual({
        status: 200,
        body: {
          files: [
            { path: 'cfg', is_dir: true },
            { path: 'model', is_dir: true },
            { path: 'notes.txt', is_dir: false, file_size: 11 },
          ],
        },
      });
      expect((await list(`${root}/model`)).body).toEqual({
        files: [
          { path: 'MLmodel', is_dir: false, file_size: 12 },
          { path: 'conda.yaml', is_dir: false, file_size: 8 },
          { path: 'metadata', is_dir: true },
          { path: 'model.pkl', is_dir: false, file_size: 4 },
        ],
      });
      // A trailing slash names the same directory.
      expect((await list(`${root}/model/`)).body).toEqual((await list(`${root}/model`)).body);
    });

    it('answers {} for a file, an empty directory and a missing path', async () => {
      const { root } = await newRun();
      await put(`${root}/notes.txt`, 'x');
      expect(await list(`${root}/notes.txt`)).toEqual({ status: 200, body: {} });
      expect(await list(`${root}/nothing/here`)).toEqual({ status: 200, body: {} });
      mkdirSync(join(dir, 'artifacts', ...root.split('/'), 'empty'));
      expect(await list(`${root}/empty`)).toEqual({ status: 200, body: {} });
    });

    it('lists the root when path is absent', async () => {
      const r = await list(undefined);
      expect(r.status).toBe(200);
      expect((r.body.files as { path: string }[]).every((f) => !f.path.includes('/'))).toBe(true);
    });

    it('downloads the bytes with a content type guessed from the name', async () => {
      const { root } = await newRun();
      const pkl = randomBytes(300);
      await put(`${root}/model/model.pkl`, pkl);
      await put(`${root}/model/MLmodel`, 'flavors: {}\n', 'text/plain');
      await put(`${root}/model/input_example.json`, '{"inputs": [[1]]}', 'text/plain');
      await put(`${root}/model/requirements.txt`, 'scikit-learn\n', 'text/plain');
      await put(`${root}/plot.png`, Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png');
      await put(`${root}/page.html`, '<script>alert(1)</script>', 'text/html');

      const r = await app.inject({ method: 'GET', url: `${API}/artifacts/${root}/model/model.pkl` });
      expect(r.statusCode).toBe(200);
      expect(r.rawPayload.equals(pkl)).toBe(true);
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['content-disposition']).toContain('attachment; filename="model.pkl"');

      const types: Record<string, string> = {
        'model/MLmodel': 'text/plain',
        'model/input_example.json': 'text/plain',
        'model/requirements.txt': 'text/plain',
        'plot.png': 'image/png',
        // Never served as HTML from the server's origin.
        'page.html': 'text/plain',
      };
      for (const [path, type] of Object.entries(types)) {
        const d = await app.inject({ method: 'GET', url: `${API}/artifacts/${root}/${path}` });
        expect(d.statusCode, path).toBe(200);
        expect(String(d.headers['content-type']).split(';')[0], path).toBe(type);
      }
      const text = await app.inject({ method: 'GET', url: `${API}/artifacts/${root}/model/MLmodel` });
      expect(text.body).toBe('flavors: {}\n');
    });

    it('stores and serves an empty file', async () => {
      const { root } = await newRun();
      const r = await rawRequest(base, 'PUT', `${API}/artifacts/${root}/empty.txt`);
      expect(r.status).toBe(200);
      expect((await list(root)).body).toEqual({ files: [{ path: 'empty.txt', is_dir: false, file_size: 0 }] });
      const d = await app.inject({ method: 'GET', url: `${API}/artifacts/${root}/empty.txt` });
      expect(d.statusCode).toBe(200);
      expect(d.rawPayload.length).toBe(0);
    });

    it('keeps names that need percent-encoding', async () => {
      const { root } = await newRun();
      const name = 'my file #1 (café) 100%.txt';
      const url = `${API}/artifacts/${root}/${encodeURIComponent(name)}`;
      expect((await app.inject({ method: 'PUT', url, payload: 'odd' })).statusCode).toBe(200);
      expect((await list(root)).body).toEqual({ files: [{ path: name, is_dir: false, file_size: 3 }] });
      const d = await app.inject({ method: 'GET', url });
      expect(d.body).toBe('odd');
      expect(d.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(name)}`);
    });

    it('answers 404 RESOURCE_DOES_NOT_EXIST for a missing file or a directory, never a 5xx', async () => {
      const { root } = await newRun();
      await put(`${root}/model/MLmodel`, 'x');
      for (const path of [`${root}/model/missing.pkl`, `${root}/model`, `${root}/model/MLmodel/below`, 'no/such/run/artifacts/model']) {
        const r = await app.inject({ method: 'GET', url: `${API}/artifacts/${path}` });
        expect(r.statusCode, path).toBe(404);
        expect(r.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      }
    });

    it('serves the same routes under /ajax-api', async () => {
      const { root } = await newRun();
      expect((await put(`${root}/a.txt`, 'ajax', 'text/plain', AJAX)).status).toBe(200);
      expect((await list(root, AJAX)).body).toEqual({ files: [{ path: 'a.txt', is_dir: false, file_size: 4 }] });
      expect((await app.inject({ method: 'GET', url: `${AJAX}/artifacts/${root}/a.txt` })).body).toBe('ajax');
      expect((await app.inject({ method: 'DELETE', url: `${AJAX}/artifacts/${root}/a.txt` })).statusCode).toBe(200);
      expect((await list(root)).body).toEqual({});
    });

    it('refuses to write beneath a file', async () => {
      const { root } = await newRun();
      await put(`${root}/f`, 'file');
      const r = await put(`${root}/f/below.txt`, 'x');
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });
  });

  describe('large and interrupted uploads', () => {
    it('streams a 20 MB upload past the JSON body limit and serves it back intact', async () => {
      const { root } = await newRun();
      const data = randomBytes(20 * 1024 * 1024);
      expect(data.length).toBeGreaterThan(BODY_LIMIT);
      const r = await fetch(`${base}${API}/artifacts/${root}/big/weights.bin`, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({});
      expect((await list(`${root}/big`)).body).toEqual({ files: [{ path: 'weights.bin', is_dir: false, file_size: data.length }] });
      const d = await fetch(`${base}${API}/artifacts/${root}/big/weights.bin`);
      expect(d.status).toBe(200);
      expect(sha256(Buffer.from(await d.arrayBuffer()))).toBe(sha256(data));
    }, 60_000);

    it('still applies the body limit to JSON routes', async () => {
      const r = await app.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/experiments/create',
        payload: JSON.stringify({ name: 'x'.repeat(BODY_LIMIT + 10) }),
        headers: { 'content-type': 'application/json' },
      });
      expect(r.statusCode).toBe(413);
    });

    it('writes nothing when the client goes away mid-upload', async () => {
      const { root } = await newRun();
      const url = new URL(base);
      await new Promise<void>((resolve) => {
        const req = request({
          host: url.hostname,
          port: url.port,
          method: 'PUT',
          path: `${API}/artifacts/${root}/partial.bin`,
          headers: { 'content-length': String(4 * 1024 * 1024) },
        });
        req.on('error', () => resolve());
        req.write(randomBytes(256 * 1024), () => {
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 50);
        });
      });
      // The server notices the abort asynchronously; wait until its temp file is gone.
      const runDir = join(dir, 'artifacts', ...root.split('/'));
      for (let i = 0; i < 100 && existsSync(runDir) && readdirSync(runDir).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(runDir) ? readdirSync(runDir) : []).toEqual([]);
      expect((await list(root)).body).toEqual({});
    });
  });

  describe('delete', () => {
    it('deletes a file, then a directory tree, and deleting nothing is fine', async () => {
      const { root } = await newRun();
      await put(`${root}/keep.txt`, 'k');
      await put(`${root}/d/a.txt`, 'a');
      await put(`${root}/d/e/b.txt`, 'b');
      const del = await app.inject({ method: 'DELETE', url: `${API}/artifacts/${root}/d/a.txt` });
      expect(del.statusCode).toBe(200);
      expect(del.json()).toEqual({});
      expect((await app.inject({ method: 'GET', url: `${API}/artifacts/${root}/d/a.txt` })).statusCode).toBe(404);
      expect((await app.inject({ method: 'DELETE', url: `${API}/artifacts/${root}/d` })).statusCode).toBe(200);
      expect((await list(root)).body).toEqual({ files: [{ path: 'keep.txt', is_dir: false, file_size: 1 }] });
      expect((await app.inject({ method: 'DELETE', url: `${API}/artifacts/${root}/never` })).statusCode).toBe(200);
    });

    it('refuses to delete the whole store', async () => {
      await put(`${runRoot}/sentinel.txt`, 's');
      for (const url of [`${API}/artifacts`, `${API}/artifacts/`]) {
        const r = await app.inject({ method: 'DELETE', url });
        expect(r.statusCode, url).toBe(400);
        expect(r.json().error_code).toBe('INVALID_PARAMETER_VALUE');
      }
      expect(existsSync(join(dir, 'artifacts', ...runRoot.split('/'), 'sentinel.txt'))).toBe(true);
      await app.inject({ method: 'DELETE', url: `${API}/artifacts/${runRoot}/sentinel.txt` });
    });
  });

  describe('paths that escape the root', () => {
    const escapes = [
      '../../escaped.txt',
      '1/../../escaped.txt',
      '%2e%2e/%2e%2e/escaped.txt',
      '1/%2E%2E/%2E%2E/escaped.txt',
      '..%2f..%2fescaped.txt',
      '%2fetc%2fescaped.txt',
      '1/a%5Cb.txt',
      '1/a%00b.txt',
      '1//double.txt',
    ];

    it.each(escapes)('answers PUT, GET and DELETE of %s with 400 INVALID_PARAMETER_VALUE', async (path) => {
      for (const method of ['PUT', 'GET', 'DELETE']) {
        const r = await rawRequest(base, method, `${API}/artifacts/${path}`, method === 'PUT' ? Buffer.from('gotcha') : undefined);
        expect(r.status, `${method} ${path}`).toBe(400);
        expect(JSON.parse(r.body.toString()).error_code).toBe('INVALID_PARAMETER_VALUE');
      }
      expect(existsSync(join(dir, 'escaped.txt'))).toBe(false);
      expect(existsSync(join(dir, 'artifacts', 'escaped.txt'))).toBe(false);
      expect(existsSync('/etc/escaped.txt')).toBe(false);
    });

    it.each(['../x', '/etc', 'a/../..', '..', 'a\\b'])('answers a listing of %s with 400', async (path) => {
      const r = await list(path);
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(r.body.message).toContain(path);
    });

    it('refuses an escaping multipart destination', async () => {
      const r = await rawRequest(base, 'POST', `${API}/mpu/create/%2e%2e`);
      expect(r.status).toBe(400);
      const viaName = await postJson(`${API}/mpu/create/${runRoot}`, { path: '..', num_parts: 1 });
      expect(viaName.status).toBe(400);
    });
  });

  describe('audit', () => {
    it('records uploads and deletes with the artifact path', async () => {
      const { root } = await newRun();
      await put(`${root}/audited.txt`, 'a');
      await app.inject({ method: 'DELETE', url: `${API}/artifacts/${root}/audited.txt` });
      const page = await store.listAudit({ maxResults: 50, entityType: 'artifact', entityId: `${root}/audited.txt` });
      expect(page.items.map((e) => [e.action, e.status])).toEqual([
        [`DELETE ${API}/artifacts/*`, 200],
        [`PUT ${API}/artifacts/*`, 200],
      ]);
    });
  });

  describe('multipart uploads over HTTP', () => {
    async function createUpload(prefix: string, dirPath: string, localFile: string, numParts: number) {
      const r = await fetch(`${base}${prefix}/mpu/create/${dirPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: localFile, num_parts: numParts }),
      });
      return { status: r.status, body: (await r.json()) as { upload_id: string; credentials: { url: string; part_number: number }[] } };
    }

    it('round-trips a file sent in parts to the URLs the server handed out', async () => {
      const { root } = await newRun();
      const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(777)];
      const created = await createUpload(API, `${root}/model`, '/home/someone/tmp/weights.bin', parts.length);
      expect(created.status).toBe(200);
      const { upload_id, credentials } = created.body;
      expect(typeof upload_id).toBe('string');
      expect(credentials.map((c) => c.part_number)).toEqual([1, 2, 3]);
      for (const c of credentials) expect(c.url.startsWith(`${base}${API}/mpu/part/${root}/model/weights.bin?`)).toBe(true);

      // Parts go up concurrently and out of order, as the client's thread pool sends them.
      const uploaded = await Promise.all(
        [...credentials].reverse().map(async (c) => {
          const r = await fetch(c.url, { method: 'PUT', body: parts[c.part_number - 1]! });
          expect(r.status).toBe(200);
          const etag = r.headers.get('etag');
          expect(etag).toBeTruthy();
          return { part_number: c.part_number, etag: etag!, url: c.url };
        }),
      );
      expect(await list(`${root}/model`)).toEqual({ status: 200, body: {} });

      const done = await fetch(`${base}${API}/mpu/complete/${root}/model`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: '/home/someone/tmp/weights.bin', upload_id, parts: uploaded.sort((a, b) => a.part_number - b.part_number) }),
      });
      expect(done.status).toBe(200);
      expect(await done.json()).toEqual({});

      const whole = Buffer.concat(parts);
      expect((await list(`${root}/model`)).body).toEqual({ files: [{ path: 'weights.bin', is_dir: false, file_size: whole.length }] });
      const d = await fetch(`${base}${API}/artifacts/${root}/model/weights.bin`);
      expect(sha256(Buffer.from(await d.arrayBuffer()))).toBe(sha256(whole));
      const audit = await store.listAudit({ maxResults: 50, entityType: 'artifact', entityId: `${root}/model/weights.bin` });
      expect(audit.items.map((e) => e.action)).toEqual(
        expect.arrayContaining([`POST ${API}/mpu/create/*`, `PUT ${API}/mpu/part/*`, `POST ${API}/mpu/complete/*`]),
      );
    }, 60_000);

    it('hands out part URLs on the prefix and host the client used, and takes a Windows file path', async () => {
      const { root } = await newRun();
      const created = await createUpload(AJAX, root, 'C:\\Users\\me\\model.onnx', 1);
      expect(created.status).toBe(200);
      const [cred] = created.body.credentials;
      expect(cred!.url.startsWith(`${base}${AJAX}/mpu/part/${root}/model.onnx?upload_id=`)).toBe(true);
      const r = await fetch(cred!.url, { method: 'PUT', body: 'onnx bytes' });
      const etag = r.headers.get('etag')!;
      const done = await postJson(`${AJAX}/mpu/complete/${root}`, { path: 'model.onnx', upload_id: created.body.upload_id, parts: [{ part_number: 1, etag }] });
      expect(done.status).toBe(200);
      expect((await app.inject({ method: 'GET', url: `${API}/artifacts/${root}/model.onnx` })).body).toBe('onnx bytes');
    });

    it('forgets an aborted upload', async () => {
      const { root } = await newRun();
      const created = await createUpload(API, root, 'big.bin', 2);
      const r = await fetch(created.body.credentials[0]!.url, { method: 'PUT', body: 'part one' });
      const etag = r.headers.get('etag')!;
      const abort = await postJson(`${API}/mpu/abort/${root}`, { path: 'big.bin', upload_id: created.body.upload_id });
      expect(abort).toEqual({ status: 200, body: {} });
      const late = await postJson(`${API}/mpu/complete/${root}`, { path: 'big.bin', upload_id: created.body.upload_id, parts: [{ part_number: 1, etag }] });
      expect(late.status).toBe(404);
      expect(late.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect((await list(root)).body).toEqual({});
    });

    it('answers bad multipart requests with 4xx', async () => {
      const { root } = await newRun();
      const noType = await app.inject({ method: 'POST', url: `${API}/mpu/create/${root}`, payload: JSON.stringify({ path: 'a', num_parts: 1 }) });
      expect(noType.statusCode).toBe(400);
      expect(noType.json().message).toContain('Content-Type');
      for (const body of [{ num_parts: 1 }, { path: 'a.bin', num_parts: 0 }, { path: 'a.bin', num_parts: 10_001 }, { path: 'a.bin', num_parts: 'many' }]) {
        const r = await postJson(`${API}/mpu/create/${root}`, body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      }

      const created = await createUpload(API, root, 'a.bin', 1);
      const partUrl = created.body.credentials[0]!.url;
      const bad = await fetch(partUrl.replace('part_number=1', 'part_number=0'), { method: 'PUT', body: 'x' });
      expect(bad.status).toBe(400);
      const wrongId = await fetch(partUrl.replace(/upload_id=[^&]+/, 'upload_id=feedface'), { method: 'PUT', body: 'x' });
      expect(wrongId.status).toBe(404);
      const etag = (await fetch(partUrl, { method: 'PUT', body: 'x' })).headers.get('etag')!;
      const wrongTag = await postJson(`${API}/mpu/complete/${root}`, { path: 'a.bin', upload_id: created.body.upload_id, parts: [{ part_number: 1, etag: '"0000"' }] });
      expect(wrongTag.status).toBe(400);
      const missingPart = await postJson(`${API}/mpu/complete/${root}`, {
        path: 'a.bin',
        upload_id: created.body.upload_id,
        parts: [
          { part_number: 1, etag },
          { part_number: 2, etag },
        ],
      });
      expect(missingPart.status).toBe(400);
      const unknown = await postJson(`${API}/mpu/complete/${root}`, { path: 'a.bin', upload_id: 'nope', parts: [{ part_number: 1, etag }] });
      expect(unknown.status).toBe(404);
      const ok = await postJson(`${API}/mpu/complete/${root}`, { path: 'a.bin', upload_id: created.body.upload_id, parts: [{ part_number: 1, etag, url: null }] });
      expect(ok.status).toBe(200);
    });
  });

  describe('a store without multipart support', () => {
    it('answers mpu/create with 501 and the message MLflow clients fall back on', async () => {
      const bare: ArtifactStore = {
        rootUri: artifacts.rootUri,
        put: (p, b) => artifacts.put(p, b),
        get: (p) => artifacts.get(p),
        stat: (p) => artifacts.stat(p),
        list: (p) => artifacts.list(p),
        delete: (p) => artifacts.delete(p),
        close: async () => {},
      };
      const plain = await createServer({ config: loadConfig({ home: dir }), store, artifacts: bare });
      try {
        const r = await plain.inject({
          method: 'POST',
          url: `${API}/mpu/create/${runRoot}`,
          payload: JSON.stringify({ path: 'big.bin', num_parts: 2 }),
          headers: { 'content-type': 'application/json' },
        });
        expect(r.statusCode).toBe(501);
        expect(r.json().error_code).toBe('NOT_IMPLEMENTED');
        expect(r.json().message.startsWith('Multipart upload is not supported for the current artifact repository')).toBe(true);
      } finally {
        await plain.close();
      }
    });
  });

  describe('GET mlflow/artifacts/list by run', () => {
    it('lists paths relative to the run root, with root_uri', async () => {
      const { runId: id, root, artifactUri } = await newRun();
      await put(`${root}/notes.txt`, 'hello');
      await put(`${root}/model/MLmodel`, 'flavors: {}\n');
      await put(`${root}/model/metadata/MLmodel`, 'x');
      const top = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/artifacts/list', query: { run_id: id } });
      expect(top.statusCode).toBe(200);
      expect(top.json()).toEqual({
        root_uri: artifactUri,
        files: [
          { path: 'model', is_dir: true },
          { path: 'notes.txt', is_dir: false, file_size: 5 },
        ],
      });
      const sub = await app.inject({ method: 'GET', url: '/ajax-api/2.0/mlflow/artifacts/list', query: { run_uuid: id, path: 'model' } });
      expect(sub.json()).toEqual({
        root_uri: artifactUri,
        files: [
          { path: 'model/MLmodel', is_dir: false, file_size: 12 },
          { path: 'model/metadata', is_dir: true },
        ],
      });
    });

    it('answers a run without artifacts with root_uri only', async () => {
      const fresh = await newRun();
      const r = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/artifacts/list', query: { run_id: fresh.runId } });
      expect(r.statusCode).toBe(200);
      expect(Object.keys(r.json())).toEqual(['root_uri']);
    });

    it('answers an unknown run with 404, a missing run_id and an escaping path with 400', async () => {
      const unknown = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/artifacts/list', query: { run_id: '0'.repeat(32) } });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      const missing = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/artifacts/list' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().message).toContain('run_id');
      const escape = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/artifacts/list', query: { run_id: runId, path: '../../other' } });
      expect(escape.statusCode).toBe(400);
      expect(escape.json().error_code).toBe('INVALID_PARAMETER_VALUE');
    });
  });
});

describe('artifact routes on an S3 artifact store', () => {
  let dir: string;
  let fake: FakeS3;
  let store: Store;
  let artifacts: ArtifactStore;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-artifact-routes-s3-'));
    fake = await startFakeS3();
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openArtifactStore(`s3://${fake.bucket}/artifacts`, { s3: fake.options });
    app = await createServer({ config: loadConfig({ home: dir, bodyLimitBytes: BODY_LIMIT }), store, artifacts });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await artifacts?.close();
    await store?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a large file in one streamed PUT, lists and downloads it', async () => {
    const data = randomBytes(12 * 1024 * 1024 + 5);
    const put = await fetch(`${base}${API}/artifacts/1/r1/artifacts/model/model.pkl`, { method: 'PUT', body: data });
    expect(put.status).toBe(200);
    await fetch(`${base}${API}/artifacts/1/r1/artifacts/model/MLmodel`, { method: 'PUT', body: 'flavors: {}\n' });
    const listed = await (await fetch(`${base}${API}/artifacts?path=1/r1/artifacts/model`)).json();
    expect(listed).toEqual({
      files: [
        { path: 'MLmodel', is_dir: false, file_size: 12 },
        { path: 'model.pkl', is_dir: false, file_size: data.length },
      ],
    });
    expect(await (await fetch(`${base}${API}/artifacts?path=1/r1/artifacts/model/MLmodel`)).json()).toEqual({});
    const d = await fetch(`${base}${API}/artifacts/1/r1/artifacts/model/model.pkl`);
    expect(sha256(Buffer.from(await d.arrayBuffer()))).toBe(sha256(data));
    const missing = await fetch(`${base}${API}/artifacts/1/r1/artifacts/model/nope.pkl`);
    expect(missing.status).toBe(404);
  }, 60_000);

  it('runs a multipart upload through S3 UploadPart', async () => {
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(4321)];
    const created = await fetch(`${base}${API}/mpu/create/1/r2/artifacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/tmp/big.bin', num_parts: 2 }),
    });
    expect(created.status).toBe(200);
    const { upload_id, credentials } = (await created.json()) as { upload_id: string; credentials: { url: string; part_number: number }[] };
    const uploaded = [];
    for (const c of credentials) {
      const r = await fetch(c.url, { method: 'PUT', body: parts[c.part_number - 1]! });
      expect(r.status).toBe(200);
      uploaded.push({ part_number: c.part_number, etag: r.headers.get('etag')!, url: c.url });
    }
    const done = await fetch(`${base}${API}/mpu/complete/1/r2/artifacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/tmp/big.bin', upload_id, parts: uploaded }),
    });
    expect(done.status).toBe(200);
    const d = await fetch(`${base}${API}/artifacts/1/r2/artifacts/big.bin`);
    expect(sha256(Buffer.from(await d.arrayBuffer()))).toBe(sha256(Buffer.concat(parts)));

    const again = await fetch(`${base}${API}/mpu/create/1/r2/artifacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'other.bin', num_parts: 1 }),
    });
    const second = (await again.json()) as { upload_id: string };
    const abort = await fetch(`${base}${API}/mpu/abort/1/r2/artifacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'other.bin', upload_id: second.upload_id }),
    });
    expect(abort.status).toBe(200);
  }, 60_000);
});
