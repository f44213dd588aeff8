import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../cli/test-support/live-server.js';
import { ApiError, HangarClient, type Run } from './index.js';

/** Every SDK method group against a live in-process Hangar server. */

let live: LiveServer;
let client: HangarClient;
let scratch: string;
const uniq = (p: string): string => `${p}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  live = await startLiveServer('hangar-client-');
  client = live.client;
  scratch = await mkdtemp(join(tmpdir(), 'hangar-client-files-'));
});
afterAll(async () => {
  await live?.close();
  await rm(scratch, { recursive: true, force: true });
});

async function expectApiError(p: Promise<unknown>, code: string, status?: number): Promise<ApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `expected ${code}`).toBeInstanceOf(ApiError);
  const err = e as ApiError;
  expect(err.code).toBe(code);
  if (status !== undefined) expect(err.status).toBe(status);
  return err;
}

async function newRun(name?: string): Promise<Run> {
  const { experiment } = await client.getOrCreateExperiment(uniq('exp'));
  return client.createRun(experiment.experimentId, name === undefined ? {} : { runName: name });
}

describe('experiments', () => {
  it('creates, reads by id and name, renames, tags, deletes and restores', async () => {
    const name = uniq('exp');
    const id = await client.createExperiment(name, { tags: { team: 'ml' } });
    const exp = await client.getExperiment(id);
    expect(exp).toMatchObject({ experimentId: id, name, lifecycleStage: 'active', artifactLocation: `mlflow-artifacts:/${id}` });
    expect(exp.tags).toEqual([{ key: 'team', value: 'ml' }]);
    expect(typeof exp.creationTime).toBe('number');
    expect((await client.getExperimentByName(name))?.experimentId).toBe(id);
    expect(await client.getExperimentByName(uniq('missing'))).toBeNull();

    await client.setExperimentTag(id, 'stage', 'dev');
    await client.deleteExperimentTag(id, 'team');
    expect((await client.getExperiment(id)).tags).toEqual([{ key: 'stage', value: 'dev' }]);

    const renamed = uniq('renamed');
    await client.renameExperiment(id, renamed);
    expect((await client.getExperiment(id)).name).toBe(renamed);

    await client.deleteExperiment(id);
    expect((await client.getExperiment(id)).lifecycleStage).toBe('deleted');
    const deleted = await client.searchAllExperiments({ viewType: 'DELETED_ONLY' });
    expect(deleted.map((e) => e.experimentId)).toContain(id);
    await client.restoreExperiment(id);
    expect((await client.getExperiment(id)).lifecycleStage).toBe('active');
  });

  it('reports a duplicate name as RESOURCE_ALREADY_EXISTS and a missing id as RESOURCE_DOES_NOT_EXIST', async () => {
    const name = uniq('dup');
    await client.createExperiment(name);
    const err = await expectApiError(client.createExperiment(name), 'RESOURCE_ALREADY_EXISTS', 400);
    expect(err.message).toContain(name);
    await expectApiError(client.getExperiment('987654'), 'RESOURCE_DOES_NOT_EXIST', 404);
  });

  it('getOrCreateExperiment creates once, then reuses; a deleted name is INVALID_STATE', async () => {
    const name = uniq('goc');
    const first = await client.getOrCreateExperiment(name);
    const second = await client.getOrCreateExperiment(name);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.experiment.experimentId).toBe(first.experiment.experimentId);
    await client.deleteExperiment(first.experiment.experimentId);
    await expect(client.getOrCreateExperiment(name)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('pages through search results with the paging helpers', async () => {
    const prefix = uniq('page');
    for (let i = 0; i < 5; i++) await client.createExperiment(`${prefix}-${i}`);
    const filter = `name LIKE '${prefix}-%'`;
    const first = await client.searchExperiments({ filter, maxResults: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextPageToken).toBeDefined();
    const all = await client.searchAllExperiments({ filter, maxResults: 2, orderBy: ['name ASC'] });
    expect(all.map((e) => e.name)).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
    const seen: string[] = [];
    for await (const e of client.iterateExperiments({ filter, maxResults: 3 })) seen.push(e.name);
    expect(seen.sort()).toEqual(all.map((e) => e.name));
  });
});

describe('runs', () => {
  it('creates, reads, renames, ends, deletes and restores a run', async () => {
    const { experiment } = await client.getOrCreateExperiment(uniq('runs'));
    const run = await client.createRun(experiment.experimentId, { runName: 'first', tags: [{ key: 'k', value: 'v' }], startTime: 1_700_000_000_000 });
    expect(run.info).toMatchObject({ experimentId: experiment.experimentId, runName: 'first', status: 'RUNNING', startTime: 1_700_000_000_000, endTime: null });
    expect(run.info.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/${experiment.experimentId}/${run.info.runId}/artifacts`);
    expect(run.data.tags).toContainEqual({ key: 'k', value: 'v' });

    const unnamed = await client.createRun(experiment.experimentId);
    expect(unnamed.info.runName).toMatch(/^[a-z]+-[a-z]+-\d+$/);

    expect((await client.updateRun(run.info.runId, { runName: 'renamed' })).runName).toBe('renamed');
    const ended = await client.endRun(run.info.runId, 'FAILED');
    expect(ended.status).toBe('FAILED');
    expect(ended.endTime).toBeGreaterThan(0);
    expect((await client.getRun(run.info.runId)).data.tags).toContainEqual({ key: 'mlflow.runName', value: 'renamed' });

    await client.deleteRun(run.info.runId);
    expect((await client.getRun(run.info.runId)).info.lifecycleStage).toBe('deleted');
    const active = await client.searchAllRuns({ experimentIds: [experiment.experimentId] });
    expect(active.map((r) => r.info.runId)).toEqual([unnamed.info.runId]);
    const deleted = await client.searchAllRuns({ experimentIds: [experiment.experimentId], viewType: 'DELETED_ONLY' });
    expect(deleted.map((r) => r.info.runId)).toEqual([run.info.runId]);
    await client.restoreRun(run.info.runId);
    expect((await client.getRun(run.info.runId)).info.lifecycleStage).toBe('active');
  });

  it('reports an unknown run as RESOURCE_DOES_NOT_EXIST with MLflow\'s message', async () => {
    const err = await expectApiError(client.getRun('0'.repeat(32)), 'RESOURCE_DOES_NOT_EXIST', 404);
    expect(err.message).toBe(`Run with id=${'0'.repeat(32)} not found`);
    expect(err.serverCode).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('searches with filter and order and follows page tokens', async () => {
    const { experiment } = await client.getOrCreateExperiment(uniq('search'));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await client.createRun(experiment.experimentId, { runName: `r${i}` });
      await client.logMetric(r.info.runId, 'rmse', i / 10);
      ids.push(r.info.runId);
    }
    const opts = { experimentIds: [experiment.experimentId], filter: 'metrics.rmse < 0.35', orderBy: ['metrics.rmse DESC'] };
    const page = await client.searchRuns({ ...opts, maxResults: 2 });
    expect(page.items.map((r) => r.info.runName)).toEqual(['r3', 'r2']);
    expect(page.nextPageToken).toBeDefined();
    const all = await client.searchAllRuns({ ...opts, maxResults: 2 });
    expect(all.map((r) => r.info.runName)).toEqual(['r3', 'r2', 'r1', 'r0']);
    expect(all[0]!.data.metrics).toEqual([expect.objectContaining({ key: 'rmse', value: 0.3 })]);
  });
});

describe('logging', () => {
  it('logs metrics (NaN and infinities included), params and tags, and reads the history', async () => {
    const run = await newRun();
    const id = run.info.runId;
    await client.logMetric(id, 'loss', 1, { step: 0, timestamp: 1000 });
    await client.logMetric(id, 'loss', 0.5, { step: 1, timestamp: 1001 });
    await client.logMetric(id, 'odd', NaN, { step: 0 });
    await client.logMetric(id, 'odd', Infinity, { step: 1 });
    await client.logMetric(id, 'odd', -Infinity, { step: 2 });
    await client.logParam(id, 'lr', 0.01);
    await client.logParam(id, 'lr', '0.01'); // the same value again is a no-op
    await client.setTag(id, 'team', 'a');
    await client.setTag(id, 'team', 'b');
    await client.setTag(id, 'gone', 'x');
    await client.deleteTag(id, 'gone');

    const history = await client.getMetricHistory(id, 'loss');
    expect(history.map((m) => [m.step, m.value, m.timestamp])).toEqual([
      [0, 1, 1000],
      [1, 0.5, 1001],
    ]);
    const odd = await client.getMetricHistory(id, 'odd');
    expect(Number.isNaN(odd[0]!.value)).toBe(true);
    // Servers store ±Infinity as ±DBL_MAX, as MLflow's SQL store does; either is acceptable.
    expect(odd[1]!.value === Infinity || odd[1]!.value === Number.MAX_VALUE).toBe(true);
    expect(odd[2]!.value === -Infinity || odd[2]!.value === -Number.MAX_VALUE).toBe(true);
    expect(await client.getMetricHistory(id, 'never-logged')).toEqual([]);

    const got = await client.getRun(id);
    expect(got.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(got.data.tags).toContainEqual({ key: 'team', value: 'b' });
    expect(got.data.tags.find((t) => t.key === 'gone')).toBeUndefined();
    expect(got.data.metrics.find((m) => m.key === 'loss')).toMatchObject({ value: 0.5, step: 1 });

    const err = await expectApiError(client.logParam(id, 'lr', '0.02'), 'INVALID_PARAMETER_VALUE', 400);
    expect(err.message).toContain('Changing param values is not allowed');
  });

  it('logBatch splits batches over the server limits and everything lands', async () => {
    const run = await newRun();
    const id = run.info.runId;
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, String(i)]));
    const metrics = Array.from({ length: 1500 }, (_, i) => ({ key: 'm', value: i, step: i, timestamp: 5000 + i }));
    const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: 'x' }));
    await client.logBatch(id, { params, metrics, tags });
    const got = await client.getRun(id);
    expect(got.data.params).toHaveLength(250);
    expect(got.data.tags.filter((t) => t.key.startsWith('t'))).toHaveLength(120);
    const history = await client.getMetricHistory(id, 'm');
    expect(history).toHaveLength(1500);
    expect(history[1499]).toMatchObject({ step: 1499, value: 1499 });
  });

  it('logs dataset inputs and model outputs and reads them back on the run', async () => {
    const run = await newRun();
    await client.logInputs(run.info.runId, [
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: { name: 'iris', digest: 'abc123', sourceType: 'local', source: '{"uri": "/data/iris.csv"}', schema: '{"cols": 4}' },
      },
    ]);
    const lm = await client.createLoggedModel({ experimentId: run.info.experimentId, name: 'model', sourceRunId: run.info.runId });
    await client.logOutputs(run.info.runId, [{ modelId: lm.modelId, step: 3 }]);
    const got = await client.getRun(run.info.runId);
    expect(got.inputs.datasetInputs).toEqual([
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: { name: 'iris', digest: 'abc123', sourceType: 'local', source: '{"uri": "/data/iris.csv"}', schema: '{"cols": 4}' },
      },
    ]);
    expect(got.outputs.modelOutputs).toEqual([{ modelId: lm.modelId, step: 3 }]);
  });

  it('reads the history of several runs in one bulk call', async () => {
    const a = await newRun();
    const b = await client.createRun(a.info.experimentId);
    for (const r of [a, b]) for (let s = 0; s < 4; s++) await client.logMetric(r.info.runId, 'acc', s / 4, { step: s });
    const points = await client.getMetricHistoryBulkInterval([a.info.runId, b.info.runId], 'acc', { startStep: 1, endStep: 2 });
    expect(points.map((p) => [p.runId, p.step]).sort()).toEqual(
      [
        [a.info.runId, 1],
        [a.info.runId, 2],
        [b.info.runId, 1],
        [b.info.runId, 2],
      ].sort(),
    );
  });
});

describe('registered models, versions, stages and aliases', () => {
  it('creates, reads, tags, renames, describes, searches and deletes registered models', async () => {
    const name = uniq('model');
    const created = await client.createRegisteredModel(name, { description: 'first', tags: { owner: 'me' } });
    expect(created).toMatchObject({ name, description: 'first', tags: [{ key: 'owner', value: 'me' }], latestVersions: [], aliases: [] });
    await expectApiError(client.createRegisteredModel(name), 'RESOURCE_ALREADY_EXISTS', 400);
    expect((await client.getOrCreateRegisteredModel(name)).created).toBe(false);

    await client.setRegisteredModelTag(name, 'tier', 'gold');
    await client.deleteRegisteredModelTag(name, 'owner');
    expect((await client.updateRegisteredModel(name, 'second')).description).toBe('second');
    expect((await client.getRegisteredModel(name)).tags).toEqual([{ key: 'tier', value: 'gold' }]);

    const renamed = `${name}-renamed`;
    expect((await client.renameRegisteredModel(name, renamed)).name).toBe(renamed);
    await expectApiError(client.getRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST', 404);

    const prefix = uniq('rm');
    for (let i = 0; i < 3; i++) await client.createRegisteredModel(`${prefix}-${i}`);
    const page = await client.searchRegisteredModels({ filter: `name LIKE '${prefix}-%'`, maxResults: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextPageToken).toBeDefined();
    const all = await client.searchAllRegisteredModels({ filter: `name LIKE '${prefix}-%'`, maxResults: 2 });
    expect(all.map((m) => m.name)).toEqual([0, 1, 2].map((i) => `${prefix}-${i}`));

    await client.deleteRegisteredModel(renamed);
    await expectApiError(client.getRegisteredModel(renamed), 'RESOURCE_DOES_NOT_EXIST');
  });

  it('creates versions, moves them through stages, and manages tags and descriptions', async () => {
    const run = await newRun();
    const name = uniq('staged');
    await client.createRegisteredModel(name);
    const v1 = await client.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId, tags: { k: 'v' } });
    const v2 = await client.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId, description: 'two' });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1).toMatchObject({ name, currentStage: 'None', status: 'READY', runId: run.info.runId, tags: [{ key: 'k', value: 'v' }] });
    expect(v2.description).toBe('two');

    // Stage names are case-insensitive on the way in.
    expect((await client.transitionModelVersionStage(name, 1, 'staging')).currentStage).toBe('Staging');
    await client.transitionModelVersionStage(name, 2, 'Staging', true);
    expect((await client.getModelVersion(name, 1)).currentStage).toBe('Archived');
    await expectApiError(client.transitionModelVersionStage(name, 1, 'Bogus'), 'INVALID_PARAMETER_VALUE', 400);

    const latest = await client.getLatestVersions(name);
    expect(latest.map((v) => [v.version, v.currentStage]).sort()).toEqual([
      [1, 'Archived'],
      [2, 'Staging'],
    ]);
    expect((await client.getLatestVersions(name, ['Production']))).toEqual([]);

    expect((await client.updateModelVersion(name, 1, 'described')).description).toBe('described');
    await client.setModelVersionTag(name, 2, 'validated', 'yes');
    await client.deleteModelVersionTag(name, 1, 'k');
    expect((await client.getModelVersion(name, 2)).tags).toEqual([{ key: 'validated', value: 'yes' }]);
    expect((await client.getModelVersion(name, 1)).tags).toEqual([]);
    expect(await client.getModelVersionDownloadUri(name, 2)).toBe(`${run.info.artifactUri}/model`);

    const versions = await client.searchAllModelVersions({ filter: `name = '${name}'`, maxResults: 1 });
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);

    await client.deleteModelVersion(name, 1);
    await expectApiError(client.getModelVersion(name, 1), 'RESOURCE_DOES_NOT_EXIST', 404);
  });

  it('sets, reads, moves and deletes aliases', async () => {
    const run = await newRun();
    const name = uniq('aliased');
    await client.createRegisteredModel(name);
    await client.createModelVersion({ name, source: run.info.artifactUri, runId: run.info.runId });
    await client.createModelVersion({ name, source: run.info.artifactUri, runId: run.info.runId });
    await client.setRegisteredModelAlias(name, 'champion', 1);
    expect((await client.getModelVersionByAlias(name, 'champion')).version).toBe(1);
    await client.setRegisteredModelAlias(name, 'champion', 2);
    const v = await client.getModelVersionByAlias(name, 'champion');
    expect(v.version).toBe(2);
    expect(v.aliases).toEqual(['champion']);
    expect((await client.getRegisteredModel(name)).aliases).toEqual([{ alias: 'champion', version: 2 }]);
    await client.deleteRegisteredModelAlias(name, 'champion');
    // MLflow answers a missing alias with 400 INVALID_PARAMETER_VALUE, not 404.
    await expectApiError(client.getModelVersionByAlias(name, 'champion'), 'INVALID_PARAMETER_VALUE', 400);
  });
});

describe('logged models', () => {
  it('creates, finalizes, tags, logs params, searches, registers and deletes', async () => {
    const run = await newRun();
    const exp = run.info.experimentId;
    const lm = await client.createLoggedModel({
      experimentId: exp,
      name: 'model',
      sourceRunId: run.info.runId,
      params: { C: '1.0' },
      tags: [{ key: 'b', value: '2' }, { key: 'a', value: '1' }],
    });
    expect(lm.modelId).toMatch(/^m-[0-9a-f]{32}$/);
    expect(lm).toMatchObject({ experimentId: exp, name: 'model', status: 'LOGGED_MODEL_PENDING', sourceRunId: run.info.runId, params: [{ key: 'C', value: '1.0' }] });
    expect(lm.artifactUri).toBe(`mlflow-artifacts:/${exp}/models/${lm.modelId}/artifacts`);
    expect(lm.tags.map((t) => t.key)).toEqual(['a', 'b']);

    expect((await client.finalizeLoggedModel(lm.modelId)).status).toBe('LOGGED_MODEL_READY');
    await client.setLoggedModelTags(lm.modelId, { c: '3' });
    await client.deleteLoggedModelTag(lm.modelId, 'a');
    await client.logLoggedModelParams(lm.modelId, { max_iter: '500' });
    const got = await client.getLoggedModel(lm.modelId);
    expect(got.tags.map((t) => t.key)).toEqual(['b', 'c']);
    expect(got.params).toContainEqual({ key: 'max_iter', value: '500' });

    await client.logBatch(run.info.runId, { metrics: [{ key: 'acc', value: 0.9, step: 0, modelId: lm.modelId }] });
    expect((await client.getLoggedModel(lm.modelId)).metrics).toEqual([
      expect.objectContaining({ key: 'acc', value: 0.9, modelId: lm.modelId, runId: run.info.runId }),
    ]);

    const other = await client.createLoggedModel({ experimentId: exp, name: 'other' });
    expect((await client.searchAllLoggedModels({ experimentIds: [exp], filter: "name = 'model'" })).map((m) => m.modelId)).toEqual([lm.modelId]);
    const paged = await client.searchAllLoggedModels({ experimentIds: [exp], maxResults: 1 });
    expect(paged.map((m) => m.modelId).sort()).toEqual([lm.modelId, other.modelId].sort());

    const name = uniq('from-logged');
    await client.createRegisteredModel(name);
    const mv = await client.createModelVersion({ name, source: `models:/${lm.modelId}`, modelId: lm.modelId });
    expect(mv.runId).toBe(run.info.runId);
    expect(await client.getModelVersionDownloadUri(name, mv.version)).toBe(lm.artifactUri);

    await client.deleteLoggedModel(other.modelId);
    await expectApiError(client.getLoggedModel(other.modelId), 'RESOURCE_DOES_NOT_EXIST', 404);
  });
});

describe('artifacts', () => {
  it('uploads buffers, files and trees, lists them, reads them and downloads them', async () => {
    const run = await newRun();
    const root = { runId: run.info.runId };
    await client.putArtifact(root, 'notes.txt', 'hello');
    await client.putArtifact(run.info.artifactUri, 'bin/data.bin', Buffer.from([0, 1, 2, 255]));
    const file = join(scratch, 'single.json');
    await writeFile(file, '{"a":1}');
    expect(await client.logArtifact(root, file, 'cfg')).toBe('cfg/single.json');
    const tree = join(scratch, 'tree');
    await mkdir(join(tree, 'sub'), { recursive: true });
    await writeFile(join(tree, 'MLmodel'), 'flavors: {}\n');
    await writeFile(join(tree, 'sub', 'weights.bin'), Buffer.alloc(3000, 7));
    expect(await client.logArtifacts(root, tree, 'model')).toEqual(['model/MLmodel', 'model/sub/weights.bin']);

    expect(await client.listArtifacts(root)).toEqual([
      { path: 'bin', isDir: true },
      { path: 'cfg', isDir: true },
      { path: 'model', isDir: true },
      { path: 'notes.txt', isDir: false, fileSize: 5 },
    ]);
    expect(await client.listArtifacts(root, 'model')).toEqual([
      { path: 'model/MLmodel', isDir: false, fileSize: 12 },
      { path: 'model/sub', isDir: true },
    ]);
    // A file and a missing path both list as empty, as on MLflow's proxy.
    expect(await client.listArtifacts(root, 'notes.txt')).toEqual([]);
    expect(await client.listArtifacts(root, 'nothing-here')).toEqual([]);

    expect((await client.readArtifact(root, 'notes.txt')).toString()).toBe('hello');
    expect([...(await client.readArtifact(root, 'bin/data.bin'))]).toEqual([0, 1, 2, 255]);

    const dest = join(scratch, 'download');
    expect(await client.downloadArtifacts(root, 'notes.txt', dest)).toBe(join(dest, 'notes.txt'));
    expect(await readFile(join(dest, 'notes.txt'), 'utf8')).toBe('hello');
    expect(await client.downloadArtifacts(root, 'model', dest)).toBe(join(dest, 'model'));
    expect((await readFile(join(dest, 'model', 'sub', 'weights.bin'))).equals(Buffer.alloc(3000, 7))).toBe(true);
    const all = join(scratch, 'all');
    await client.downloadArtifacts(root, '', all);
    expect(await readFile(join(all, 'cfg', 'single.json'), 'utf8')).toBe('{"a":1}');
    expect(await readFile(join(all, 'model', 'MLmodel'), 'utf8')).toBe('flavors: {}\n');

    await expectApiError(client.readArtifact(root, 'missing.txt'), 'RESOURCE_DOES_NOT_EXIST', 404);
  });

  it('round-trips empty files, from a buffer and from disk', async () => {
    const run = await newRun();
    const root = { runId: run.info.runId };
    await client.putArtifact(root, 'empty-buffer.txt', '');
    const empty = join(scratch, 'empty-file.bin');
    await writeFile(empty, '');
    await client.logArtifact(root, empty);
    expect(await client.listArtifacts(root)).toEqual([
      { path: 'empty-buffer.txt', isDir: false, fileSize: 0 },
      { path: 'empty-file.bin', isDir: false, fileSize: 0 },
    ]);
    const dest = join(scratch, 'empty-download');
    await client.downloadArtifacts(root, 'empty-file.bin', dest);
    expect((await readFile(join(dest, 'empty-file.bin'))).length).toBe(0);
  });

  it('reaches a LoggedModel\'s artifacts and refuses paths that escape the root', async () => {
    const run = await newRun();
    const lm = await client.createLoggedModel({ experimentId: run.info.experimentId, name: 'm' });
    await client.putArtifact({ modelId: lm.modelId }, 'MLmodel', 'x');
    expect(await client.listArtifacts(lm.artifactUri)).toEqual([{ path: 'MLmodel', isDir: false, fileSize: 1 }]);
    await expect(client.putArtifact({ runId: run.info.runId }, '../escape.txt', 'x')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(client.listArtifacts('s3://bucket/elsewhere')).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
  });
});

describe('resolveModelUri', () => {
  let name: string;
  let runWithFiles: Run;
  let runMlflow3: Run;
  let loggedModelId: string;
  let loggedModelUri: string;

  beforeAll(async () => {
    name = uniq('resolve');
    runWithFiles = await newRun();
    await client.putArtifact({ runId: runWithFiles.info.runId }, 'model/MLmodel', 'flavors: {}');
    await client.createRegisteredModel(name);
    const source = `${runWithFiles.info.artifactUri}/model`;
    await client.createModelVersion({ name, source, runId: runWithFiles.info.runId }); // v1
    await client.createModelVersion({ name, source, runId: runWithFiles.info.runId }); // v2
    await client.createModelVersion({ name, source, runId: runWithFiles.info.runId }); // v3
    await client.transitionModelVersionStage(name, 1, 'Production');
    await client.transitionModelVersionStage(name, 2, 'Staging');
    await client.setRegisteredModelAlias(name, 'champion', 1);

    // An MLflow 3 style model: files live with the LoggedModel, not under the run.
    runMlflow3 = await client.createRun(runWithFiles.info.experimentId);
    const lm = await client.createLoggedModel({ experimentId: runMlflow3.info.experimentId, name: 'model', sourceRunId: runMlflow3.info.runId });
    await client.putArtifact({ modelId: lm.modelId }, 'MLmodel', 'flavors: {}');
    await client.finalizeLoggedModel(lm.modelId);
    loggedModelId = lm.modelId;
    loggedModelUri = lm.artifactUri;
  });

  const source = (): string => `${runWithFiles.info.artifactUri}/model`;

  it('models:/NAME/VERSION', async () => {
    const r = await client.resolveModelUri(`models:/${name}/2`);
    expect(r.modelVersion).toMatchObject({ name, version: 2, currentStage: 'Staging' });
    expect(r.artifactUri).toBe(source());
    expect(r.parsed).toEqual({ kind: 'version', name, version: 2 });
  });

  it('models:/NAME/STAGE, in any case', async () => {
    expect((await client.resolveModelUri(`models:/${name}/Production`)).modelVersion?.version).toBe(1);
    expect((await client.resolveModelUri(`models:/${name}/staging`)).modelVersion?.version).toBe(2);
    await expect(client.resolveModelUri(`models:/${name}/Archived`)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('models:/NAME/latest takes the highest version in any stage', async () => {
    const r = await client.resolveModelUri(`models:/${name}/latest`);
    expect(r.modelVersion?.version).toBe(3);
    expect(r.artifactUri).toBe(source());
  });

  it('models:/NAME@alias', async () => {
    const r = await client.resolveModelUri(`models:/${name}@champion`);
    expect(r.modelVersion?.version).toBe(1);
    expect(r.artifactUri).toBe(source());
    await expectApiError(client.resolveModelUri(`models:/${name}@nobody`), 'INVALID_PARAMETER_VALUE');
  });

  it('models:/m-<id>', async () => {
    const r = await client.resolveModelUri(`models:/${loggedModelId}`);
    expect(r.loggedModel?.modelId).toBe(loggedModelId);
    expect(r.modelVersion).toBeUndefined();
    expect(r.artifactUri).toBe(loggedModelUri);
  });

  it('runs:/RUN/PATH with files under the run', async () => {
    const r = await client.resolveModelUri(`runs:/${runWithFiles.info.runId}/model`);
    expect(r.runId).toBe(runWithFiles.info.runId);
    expect(r.loggedModel).toBeUndefined();
    expect(r.artifactUri).toBe(source());
  });

  it('runs:/RUN/model falls back to the run\'s LoggedModel named model (MLflow 3)', async () => {
    const r = await client.resolveModelUri(`runs:/${runMlflow3.info.runId}/model`);
    expect(r.loggedModel?.modelId).toBe(loggedModelId);
    expect(r.artifactUri).toBe(loggedModelUri);
  });

  it('fails with the server\'s error for unknown models and runs, and locally for bad URIs', async () => {
    await expectApiError(client.resolveModelUri(`models:/${uniq('nope')}/1`), 'RESOURCE_DOES_NOT_EXIST');
    await expectApiError(client.resolveModelUri(`runs:/${'f'.repeat(32)}/model`), 'RESOURCE_DOES_NOT_EXIST');
    await expect(client.resolveModelUri('models:/only-a-name')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});

describe('connection', () => {
  it('answers health and turns an unreachable server into TEMPORARILY_UNAVAILABLE', async () => {
    expect(await client.health()).toBe(true);
    const dead = new HangarClient({ trackingUri: 'http://127.0.0.1:1', maxRetries: 0 });
    expect(await dead.health()).toBe(false);
    const err = await expectApiError(dead.getExperiment('0'), 'TEMPORARILY_UNAVAILABLE', 0);
    expect(err.message).toContain('Cannot reach the tracking server at http://127.0.0.1:1');
  });

  it('refuses a tracking URI that is not http(s)', () => {
    expect(() => new HangarClient('file:///tmp/mlruns')).toThrow(/http\(s\) URL/);
  });
});
