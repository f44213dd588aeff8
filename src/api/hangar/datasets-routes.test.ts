import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore } from '../../artifacts/index.js';
import { HangarClient } from '../../client/index.js';
import { loadConfig } from '../../core/config.js';
import { governanceFor } from '../../governance/index.js';
import { openStore } from '../../store/open.js';
import { createServer } from '../server.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { apiError } from '../../../test/support/api-error.js';

let server: TestServer;
let client: HangarClient;
let dir: string;
let n = 0;
const unique = (p: string): string => `${p}-${process.pid}-${++n}`;
const CSV = 'id,origin,delay\n1,SFO,10\n2,LAX,-5\n3,SFO,30\n';

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  server = await startTestServer();
  client = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
  dir = mkdtempSync(join(tmpdir(), 'hangar-datasets-api-'));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('datasets over REST and the SDK', () => {
  it('registers an uploaded file, finds identical content again, and removes the upload', async () => {
    const name = unique('flights');
    const r = await client.datasets.register({ name, file: file(`${name}.csv`, CSV), description: 'three flights', tags: { owner: 'data' } });
    expect(r.created).toBe(true);
    expect(r.version).toMatchObject({ name, version: 1, rowCount: 3, sourceType: 'upload', source: `${name}.csv` });
    expect(r.version.schema).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'origin', type: 'VARCHAR' },
      { name: 'delay', type: 'BIGINT' },
    ]);
    expect(r.version.profile.columns.find((c) => c.name === 'delay')).toMatchObject({ min: -5, max: 30, nulls: 0 });
    const again = await client.datasets.register({ name, file: file(`${name}-copy.csv`, CSV) });
    expect(again).toMatchObject({ created: false, version: { version: 1, digest: r.version.digest } });
    expect(await client.listArtifacts('mlflow-artifacts:/datasets/_uploads')).toEqual([]);

    expect(await client.datasets.get(name)).toMatchObject({ name, description: 'three flights', tags: { owner: 'data' }, latestVersion: 1 });
    expect((await client.datasets.list({ nameContains: name })).datasets.map((d) => d.name)).toEqual([name]);
    expect((await client.datasets.getVersion(name, { digest: r.version.digest })).version).toBe(1);
  });

  it('registers from a server path and from SQL over registered datasets, then lists versions newest first', async () => {
    const name = unique('sql');
    await client.datasets.register({ name, path: file(`${name}.csv`, CSV) });
    const r = await client.datasets.register({ name, sql: `select * from dataset('${name}', 1) where delay > 0` });
    expect(r.version).toMatchObject({ version: 2, rowCount: 2, sourceType: 'sql' });
    expect((await client.datasets.listVersions(name)).map((v) => v.version)).toEqual([2, 1]);
  });

  it('answers DATA_EXPECTATION_FAILED naming each column, and publishes nothing', async () => {
    const name = unique('checked');
    const e = await apiError(
      client.datasets.register({ name, file: file(`${name}.csv`, CSV), expectations: { columns: { delay: { min: 0 }, origin: { allowed: ['SFO'] }, carrier: { type: 'string' } } } }),
    );
    expect(e.status).toBe(400);
    expect(e.code).toBe('DATA_EXPECTATION_FAILED');
    expect(e.message).toContain("column 'carrier' is missing");
    expect(e.message).toContain("column 'delay': 1 values outside [0, ∞] (e.g. -5)");
    expect(e.message).toContain("column 'origin': 1 values not in the allowed list (e.g. \"LAX\")");
    expect((await apiError(client.datasets.get(name))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await client.listArtifacts('mlflow-artifacts:/datasets/_uploads')).toEqual([]);
    const bad = await apiError(client.datasets.register({ name, file: file(`${name}-2.csv`, CSV), expectations: { columns: { delay: { minimum: 0 } } } }));
    expect(bad.code).toBe('INVALID_PARAMETER_VALUE');
    expect(bad.message).toContain('expectations.columns.delay');
  });

  it('rejects a request with no source or two, and unknown names', async () => {
    await expect(client.datasets.register({ name: 'x' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'file' });
    const res = await fetch(`${server.url}/api/2.0/hangar/datasets/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', path: '/a.csv', sql: 'select 1' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain("exactly one of 'path', 'sql' or 'artifact_path'");
    expect((await apiError(client.datasets.getVersion(unique('nope')))).status).toBe(404);
    expect((await apiError(client.datasets.getVersion('x', { version: 0 }))).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('downloads a version and records it as a run input in MLflow format (dataset:NAME@V resolves the same)', async () => {
    const name = unique('lineage');
    const { version } = await client.datasets.register({ name, file: file(`${name}.csv`, CSV) });
    const cache = join(dir, unique('cache'));
    const path = await client.datasets.download(version, cache);
    expect(readFileSync(path).length).toBe(version.sizeBytes);
    expect((await readdir(join(cache, name))).sort()).toEqual([`${version.digest}.parquet`]);

    const { experiment } = await client.getOrCreateExperiment(unique('exp'));
    const run = await client.createRun(experiment.experimentId, {});
    await client.datasets.logInput(run.info.runId, name, { version: 1, context: 'training' });
    const inputs = (await client.getRun(run.info.runId)).inputs.datasetInputs;
    expect(inputs).toHaveLength(1);
    expect(inputs[0]!.tags).toEqual([{ key: 'mlflow.data.context', value: 'training' }]);
    expect(inputs[0]!.dataset).toMatchObject({ name, digest: version.digest, sourceType: 'local' });
    expect(JSON.parse(inputs[0]!.dataset.source)).toEqual({ uri: version.uri });
    expect(JSON.parse(inputs[0]!.dataset.schema!)).toEqual({
      mlflow_colspec: [
        { type: 'long', name: 'id', required: false },
        { type: 'string', name: 'origin', required: false },
        { type: 'long', name: 'delay', required: false },
      ],
    });
    expect(JSON.parse(inputs[0]!.dataset.profile!)).toEqual({ num_rows: 3, num_elements: 9 });

    const ref = await client.datasets.resolveRef(`dataset:${name}@1`, cache);
    expect(ref?.localPath).toBe(path);
    expect(await client.datasets.resolveRef('train.parquet', cache)).toBeNull();
  });

  it('deletes a version, then the dataset', async () => {
    const name = unique('del');
    await client.datasets.register({ name, file: file(`${name}.csv`, CSV) });
    await client.datasets.register({ name, file: file(`${name}-2.csv`, `${CSV}4,JFK,0\n`) });
    expect(await client.datasets.delete(name, 1)).toEqual([1]);
    expect(await client.datasets.delete(name)).toEqual([2]);
    expect((await apiError(client.datasets.get(name))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    const audit = await fetch(`${server.url}/api/2.0/hangar/audit/list?entity_type=dataset&max_results=1000`);
    const entries = ((await audit.json()) as { entries: Array<{ action: string; entity_id: string; after: unknown }> }).entries.filter((e) => e.entity_id.startsWith(name));
    expect(entries.map((e) => [e.entity_id, e.after])).toEqual([
      [name, { deleted_versions: [2] }],
      [`${name}@1`, { deleted_versions: [1] }],
      [name, { version: 2, digest: expect.stringMatching(/^[0-9a-f]{32}$/), created: true }],
      [name, { version: 1, digest: expect.stringMatching(/^[0-9a-f]{32}$/), created: true }],
    ]);
  });
});

describe('datasets with --auth', () => {
  it('needs a token to register an upload or delete, and an admin to read server files or run SQL', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hangar-datasets-auth-'));
    const store = await openStore(`sqlite:///${join(home, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    const artifacts = await openLocalArtifactStore(join(home, 'artifacts'));
    const app = await createServer({ config: loadConfig({ home, auth: true, host: '127.0.0.1', port: 0, logLevel: 'silent' }), store, artifacts, logger: false });
    try {
      const gov = governanceFor(store);
      const admin = (await gov.createToken({ principal: 'root', isAdmin: true })).token;
      const alice = (await gov.createToken({ principal: 'alice' })).token;
      await app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const as = (token?: string) => new HangarClient({ trackingUri: url, maxRetries: 0, ...(token === undefined ? {} : { token }) });
      const path = file('auth.csv', CSV);

      const r = await as(alice).datasets.register({ name: 'auth-upload', file: path });
      expect(r.version.createdBy).toBe('alice');
      expect((await apiError(as(alice).datasets.register({ name: 'auth-path', path }))).code).toBe('PERMISSION_DENIED');
      expect((await apiError(as(alice).datasets.register({ name: 'auth-sql', sql: "select 1 as x" }))).code).toBe('PERMISSION_DENIED');
      expect((await as(admin).datasets.register({ name: 'auth-sql', sql: 'select 1 as x' })).version.createdBy).toBe('root');
      const anonymous = await apiError(as().datasets.delete('auth-upload'));
      expect([401, 403]).toContain(anonymous.status);
      expect((await as().datasets.get('auth-upload')).latestVersion).toBe(1);
      expect(await as(alice).datasets.delete('auth-upload')).toEqual([1]);
    } finally {
      await app.close();
      await artifacts.close();
      await store.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
