import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import { newLoggedModelId, newRunId } from '../core/ids.js';
import { KyselyStore } from './kysely-store.js';
import { openStore } from './open.js';
import type { Store } from './port.js';
import { allSubjects, tickingClock } from './test-support/subjects.js';
import type { FilterClause, Metric, OrderBy, Run, Tag } from './types.js';

/**
 * The behaviour suite of the Store port: every test runs against SQLite and PostgreSQL, each
 * on a fresh database, and checks the MLflow 2.12 / 3.x SQL-store semantics the port promises.
 */

async function failure(p: Promise<unknown>): Promise<HangarError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HangarError) return e;
    throw new Error(`expected a HangarError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected the call to fail');
}

const m = (key: string, value: number, step = 0, timestamp = 1000): Metric => ({ key, value, step, timestamp });
const tag = (key: string, value: string): Tag => ({ key, value });
const byKey = (tags: Tag[]): Record<string, string> => Object.fromEntries(tags.map((t) => [t.key, t.value]));
const metricsOf = (run: Run): Record<string, number> => Object.fromEntries(run.data.metrics.map((x) => [x.key, x.value]));

describe('openStore', () => {
  it('rejects an unknown scheme and lists the known ones', async () => {
    const e = await failure(openStore('mysql://localhost/x', { defaultArtifactRoot: '/a' }));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toContain('sqlite://');
    expect(e.message).toContain('postgresql://');
    expect(e.message).toContain('postgres://');
  });

  it('opens an in-memory SQLite database', async () => {
    const store = await openStore('sqlite://:memory:', { defaultArtifactRoot: '/art', migrate: true });
    try {
      expect((await store.getExperiment('0')).artifactLocation).toBe('/art/0');
      expect(store.engine).toBe('sqlite');
    } finally {
      await store.close();
    }
  });
});

for (const subject of allSubjects()) {
  describe.skipIf(subject.skip)(`Store behaviour: ${subject.title}`, () => {
    beforeAll(() => subject.beforeAll());
    afterAll(() => subject.afterAll());
    afterEach(() => subject.cleanup());

    const open = (root = 'mlflow-artifacts:'): Promise<Store> => subject.open({ clock: tickingClock(), defaultArtifactRoot: root });

    async function runIn(store: Store, experimentId: string, startTime = 1000, name = 'run'): Promise<string> {
      const runId = newRunId();
      await store.createRun({ runId, experimentId, userId: 'u', runName: name, startTime, tags: [] });
      return runId;
    }

    // --- lifecycle ------------------------------------------------------------------------

    describe('lifecycle', () => {
      it('reports schema version 0 before migrating and the latest after; migrate is idempotent', async () => {
        const uri = await subject.freshUri();
        const store = await openStore(uri, { defaultArtifactRoot: '/root' });
        try {
          const before = await store.schemaStatus();
          expect(before.current).toBe(0);
          expect(before.latest).toBeGreaterThanOrEqual(1);
          expect(await store.migrate()).toBe(before.latest);
          expect(await store.migrate()).toBe(before.latest);
          expect(await store.schemaStatus()).toEqual({ current: before.latest, latest: before.latest });
          const experiments = await store.searchExperiments({ filter: [], orderBy: [], maxResults: 10, viewType: 'ALL' });
          expect(experiments.items.map((x) => x.name)).toEqual(['Default']);
        } finally {
          await store.close();
        }
      });

      it('creates experiment 0 named Default under the default artifact root', async () => {
        const store = await open('s3://bucket/prefix/');
        const e = await store.getExperiment('0');
        expect(e).toMatchObject({ experimentId: '0', name: 'Default', artifactLocation: 's3://bucket/prefix/0', lifecycleStage: 'active' });
      });

      it('translates driver constraint errors into HangarErrors without SQL text', async () => {
        const store = await open();
        const engine = KyselyStore.engineOf(store)!;
        let raw: unknown;
        try {
          await engine.db
            .insertInto('experiments')
            .values({ name: 'Default', artifact_location: 'x', lifecycle_stage: 'active', creation_time: 1, last_update_time: 1, deleted_time: null })
            .execute();
        } catch (e) {
          raw = e;
        }
        const unique = engine.translateError(raw);
        expect(unique?.code).toBe('RESOURCE_ALREADY_EXISTS');
        expect(unique?.message).not.toMatch(/insert|experiments|constraint/i);
        try {
          await engine.db.insertInto('run_tags').values({ run_id: 'nope', key: 'k', value: 'v' }).execute();
        } catch (e) {
          raw = e;
        }
        expect(engine.translateError(raw)?.code).toBe('RESOURCE_DOES_NOT_EXIST');
        expect(engine.translateError(new Error('other'))).toBeNull();
      });
    });

    // --- experiments ----------------------------------------------------------------------

    describe('experiments', () => {
      it('numbers new experiments 1, 2, … with <root>/<id> unless given a location', async () => {
        const store = await open('/srv/artifacts');
        const a = await store.createExperiment({ name: 'a' });
        const b = await store.createExperiment({ name: 'b', artifactLocation: 's3://elsewhere/b', tags: [tag('team', 'x')] });
        expect([a, b]).toEqual(['1', '2']);
        expect((await store.getExperiment(a)).artifactLocation).toBe('/srv/artifacts/1');
        const eb = await store.getExperiment(b);
        expect(eb.artifactLocation).toBe('s3://elsewhere/b');
        expect(eb.tags).toEqual([tag('team', 'x')]);
        expect((await store.getExperimentByName('a'))?.experimentId).toBe('1');
        expect(await store.getExperimentByName('missing')).toBeNull();
      });

      it('keeps names unique across active and deleted experiments', async () => {
        const store = await open();
        const id = await store.createExperiment({ name: 'taken' });
        const dup = await failure(store.createExperiment({ name: 'taken' }));
        expect(dup.code).toBe('RESOURCE_ALREADY_EXISTS');
        expect(dup.message).toBe('Experiment(name=taken) already exists.');
        await store.deleteExperiment(id);
        expect((await failure(store.createExperiment({ name: 'taken' }))).code).toBe('RESOURCE_ALREADY_EXISTS');
        const other = await store.createExperiment({ name: 'other' });
        expect((await failure(store.renameExperiment(other, 'taken'))).code).toBe('RESOURCE_ALREADY_EXISTS');
      });

      it('answers RESOURCE_DOES_NOT_EXIST for unknown and malformed ids', async () => {
        const store = await open();
        for (const id of ['999', 'abc', '-1', '99999999999999999999']) {
          const e = await failure(store.getExperiment(id));
          expect(e.code).toBe('RESOURCE_DOES_NOT_EXIST');
        }
        expect((await failure(store.deleteExperiment('42'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
      });

      it('renames, moving last_update_time, and refuses to rename a deleted experiment', async () => {
        const store = await open();
        const id = await store.createExperiment({ name: 'old' });
        const before = await store.getExperiment(id);
        await store.renameExperiment(id, 'new');
        const after = await store.getExperiment(id);
        expect(after.name).toBe('new');
        expect(after.lastUpdateTime).toBeGreaterThan(before.lastUpdateTime);
        await store.deleteExperiment(id);
        expect((await failure(store.renameExperiment(id, 'newer'))).code).toBe('INVALID_PARAMETER_VALUE');
      });

      it('soft-deletes an experiment with its runs and restores both', async () => {
        const store = await open();
        const id = await store.createExperiment({ name: 'e' });
        const r1 = await runIn(store, id);
        await store.deleteExperiment(id);
        const deleted = await store.getExperiment(id);
        expect(deleted.lifecycleStage).toBe('deleted');
        expect(deleted.deletedTime).not.toBeNull();
        const run = await store.getRun(r1);
        expect(run.info.lifecycleStage).toBe('deleted');
        expect(run.info.deletedTime).not.toBeNull();
        const create = await failure(store.createRun({ runId: newRunId(), experimentId: id, userId: 'u', runName: 'x', startTime: 1, tags: [] }));
        expect(create.code).toBe('INVALID_PARAMETER_VALUE');
        expect((await failure(store.logBatch(r1, { metrics: [m('x', 1)] }))).code).toBe('INVALID_PARAMETER_VALUE');

        await store.restoreExperiment(id);
        const restored = await store.getExperiment(id);
        expect(restored.lifecycleStage).toBe('active');
        expect(restored.deletedTime).toBeNull();
        const back = await store.getRun(r1);
        expect(back.info.lifecycleStage).toBe('active');
        expect(back.info.deletedTime).toBeNull();
      });

      it('sets, overwrites and deletes experiment tags', async () => {
        const store = await open();
        const id = await store.createExperiment({ name: 'e' });
        await store.setExperimentTag(id, tag('k', '1'));
        await store.setExperimentTag(id, tag('k', '2'));
        await store.setExperimentTag(id, tag('a', 'x'));
        expect((await store.getExperiment(id)).tags).toEqual([tag('a', 'x'), tag('k', '2')]);
        await store.deleteExperimentTag(id, 'k');
        expect((await store.getExperiment(id)).tags).toEqual([tag('a', 'x')]);
        expect((await failure(store.deleteExperimentTag(id, 'k'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
      });

      it('searches with the default order, view types, filters and page tokens', async () => {
        const clock = tickingClock();
        const store = await subject.open({ clock });
        clock.set(2e12);
        const a = await store.createExperiment({ name: 'Alpha', tags: [tag('team', 'red')] });
        clock.set(2e12); // same creation time as Alpha: experiment_id ASC breaks the tie
        const b = await store.createExperiment({ name: 'alpha-2' });
        clock.set(3e12);
        const c = await store.createExperiment({ name: 'beta', tags: [tag('team', 'blue')] });
        await store.deleteExperiment(c);

        const all = async (filter: FilterClause[] = [], viewType: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL' = 'ACTIVE_ONLY', orderBy: OrderBy[] = []) =>
          (await store.searchExperiments({ filter, orderBy, maxResults: 100, viewType })).items.map((x) => x.experimentId);

        expect(await all([], 'ALL')).toEqual([c, a, b, '0']);
        expect(await all()).toEqual([a, b, '0']);
        expect(await all([], 'DELETED_ONLY')).toEqual([c]);
        expect(await all([{ entity: 'attribute', key: 'name', op: 'LIKE', value: 'alpha%' }])).toEqual([b]);
        expect(await all([{ entity: 'attribute', key: 'name', op: 'ILIKE', value: 'alpha%' }])).toEqual([a, b]);
        expect(await all([{ entity: 'tag', key: 'team', op: '=', value: 'red' }], 'ALL')).toEqual([a]);
        expect(await all([{ entity: 'attribute', key: 'creation_time', op: '>', value: 2.5e12 }], 'ALL')).toEqual([c]);
        // Code-point order on both engines: 'Alpha' < 'Default' < 'alpha-2'.
        expect(await all([], 'ACTIVE_ONLY', [{ entity: 'attribute', key: 'name', ascending: true }])).toEqual([a, '0', b]);

        const page1 = await store.searchExperiments({ filter: [], orderBy: [], maxResults: 2, viewType: 'ACTIVE_ONLY' });
        expect(page1.items.map((x) => x.experimentId)).toEqual([a, b]);
        expect(page1.nextPageToken).toBeTypeOf('string');
        const page2 = await store.searchExperiments({ filter: [], orderBy: [], maxResults: 2, viewType: 'ACTIVE_ONLY', pageToken: page1.nextPageToken });
        expect(page2.items.map((x) => x.experimentId)).toEqual(['0']);
        expect(page2.nextPageToken).toBeUndefined();
        // Exactly one full page left: still no token after it.
        const exact = await store.searchExperiments({ filter: [], orderBy: [], maxResults: 3, viewType: 'ACTIVE_ONLY' });
        expect(exact.nextPageToken).toBeUndefined();

        for (const token of ['garbage!', 'bm90IGpzb24', Buffer.from('{"offset":-1}').toString('base64url')]) {
          const e = await failure(store.searchExperiments({ filter: [], orderBy: [], maxResults: 2, viewType: 'ALL', pageToken: token }));
          expect(e.code).toBe('INVALID_PARAMETER_VALUE');
        }
      });
    });

    // --- runs -----------------------------------------------------------------------------

    describe('runs', () => {
      it('creates a run under the experiment artifact location with the runName tag', async () => {
        const store = await open('mlflow-artifacts:');
        const exp = await store.createExperiment({ name: 'e' });
        const runId = newRunId();
        const run = await store.createRun({
          runId,
          experimentId: exp,
          userId: 'alice',
          runName: 'demo',
          startTime: 123,
          tags: [tag('mlflow.user', 'alice'), tag('mlflow.runName', 'ignored')],
        });
        expect(run.info).toMatchObject({
          runId,
          experimentId: exp,
          runName: 'demo',
          userId: 'alice',
          status: 'RUNNING',
          startTime: 123,
          endTime: null,
          artifactUri: `mlflow-artifacts:/${exp}/${runId}/artifacts`,
          lifecycleStage: 'active',
          deletedTime: null,
        });
        expect(byKey(run.data.tags)).toEqual({ 'mlflow.user': 'alice', 'mlflow.runName': 'demo' });
        expect(await store.getRun(runId)).toEqual(run);
        const dup = await failure(store.createRun({ runId, experimentId: exp, userId: 'a', runName: 'x', startTime: 1, tags: [] }));
        expect(dup.code).toBe('RESOURCE_ALREADY_EXISTS');
      });

      it('answers an unknown run with MLflow message', async () => {
        const store = await open();
        const e = await failure(store.getRun('0'.repeat(32)));
        expect(e.code).toBe('RESOURCE_DOES_NOT_EXIST');
        expect(e.message).toBe(`Run with id=${'0'.repeat(32)} not found`);
        expect((await failure(store.createRun({ runId: newRunId(), experimentId: '77', userId: 'u', runName: 'r', startTime: 1, tags: [] }))).code).toBe(
          'RESOURCE_DOES_NOT_EXIST',
        );
      });

      it('updates status, end time and name; a new name rewrites the runName tag', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        const info = await store.updateRun(runId, { status: 'FINISHED', endTime: 2000, runName: 'renamed' });
        expect(info).toMatchObject({ status: 'FINISHED', endTime: 2000, runName: 'renamed' });
        const run = await store.getRun(runId);
        expect(run.info.runName).toBe('renamed');
        expect(byKey(run.data.tags)['mlflow.runName']).toBe('renamed');
        await store.logBatch(runId, { tags: [tag('mlflow.runName', 'via-tag')] });
        expect((await store.getRun(runId)).info.runName).toBe('via-tag');
      });

      it('deletes and restores a run, and refuses writes to a deleted run', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        await store.deleteRun(runId);
        const deleted = await store.getRun(runId);
        expect(deleted.info.lifecycleStage).toBe('deleted');
        expect(deleted.info.deletedTime).toBeTypeOf('number');
        for (const write of [
          () => store.logBatch(runId, { params: [tag('p', '1')] }),
          () => store.updateRun(runId, { status: 'FAILED' }),
          () => store.deleteRunTag(runId, 'mlflow.runName'),
          () => store.logInputs(runId, []),
        ]) {
          expect((await failure(write())).code).toBe('INVALID_PARAMETER_VALUE');
        }
        await store.restoreRun(runId);
        const restored = await store.getRun(runId);
        expect(restored.info.lifecycleStage).toBe('active');
        expect(restored.info.deletedTime).toBeNull();
        await store.logBatch(runId, { params: [tag('p', '1')] });
      });

      it('overwrites tags and deletes them; deleting an absent tag is RESOURCE_DOES_NOT_EXIST', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        await store.logBatch(runId, { tags: [tag('t', '1'), tag('t', '2'), tag('u', 'x')] });
        await store.logBatch(runId, { tags: [tag('u', 'y')] });
        expect(byKey((await store.getRun(runId)).data.tags)).toMatchObject({ t: '2', u: 'y' });
        await store.deleteRunTag(runId, 't');
        expect(byKey((await store.getRun(runId)).data.tags).t).toBeUndefined();
        expect((await failure(store.deleteRunTag(runId, 't'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
      });
    });

    // --- metrics and params ---------------------------------------------------------------

    describe('logBatch', () => {
      it('appends history, skips identical points, and keeps the latest by step, timestamp, value', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        await store.logBatch(runId, { metrics: [m('loss', 1, 0, 10), m('loss', 0.5, 1, 20), m('loss', 0.5, 1, 20)] });
        await store.logBatch(runId, { metrics: [m('loss', 0.9, 0, 30)] }); // older step, newer timestamp
        await store.logBatch(runId, { metrics: [m('loss', 0.5, 1, 20)] }); // identical again
        const history = await store.getMetricHistory(runId, 'loss');
        expect(history.items.map((x) => [x.step, x.timestamp, x.value])).toEqual([
          [0, 10, 1],
          [0, 30, 0.9],
          [1, 20, 0.5],
        ]);
        expect(metricsOf(await store.getRun(runId)).loss).toBe(0.5);

        // Same step: the later timestamp wins; same step and timestamp: the greater value wins.
        await store.logBatch(runId, { metrics: [m('acc', 0.3, 2, 50), m('acc', 0.1, 2, 60)] });
        await store.logBatch(runId, { metrics: [m('acc', 0.2, 2, 60)] });
        await store.logBatch(runId, { metrics: [m('acc', 0.15, 2, 60)] });
        const acc = (await store.getRun(runId)).data.metrics.find((x) => x.key === 'acc');
        expect(acc).toEqual({ key: 'acc', value: 0.2, timestamp: 60, step: 2 });
      });

      it('stores NaN and clamps infinities to ±MAX_VALUE; NaN loses ties to any number', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        await store.logBatch(runId, { metrics: [m('x', NaN, 0, 1), m('x', Infinity, 1, 2), m('x', -Infinity, 2, 3)] });
        const history = (await store.getMetricHistory(runId, 'x')).items.map((p) => p.value);
        expect(Number.isNaN(history[0])).toBe(true);
        expect(history.slice(1)).toEqual([Number.MAX_VALUE, -Number.MAX_VALUE]);
        // NaN twice is one point.
        await store.logBatch(runId, { metrics: [m('x', NaN, 0, 1)] });
        expect((await store.getMetricHistory(runId, 'x')).items).toHaveLength(3);

        await store.logBatch(runId, { metrics: [m('tie', NaN, 5, 5)] });
        expect(Number.isNaN(metricsOf(await store.getRun(runId)).tie)).toBe(true);
        await store.logBatch(runId, { metrics: [m('tie', -3, 5, 5)] });
        expect(metricsOf(await store.getRun(runId)).tie).toBe(-3);
        await store.logBatch(runId, { metrics: [m('tie', NaN, 5, 5)] });
        expect(metricsOf(await store.getRun(runId)).tie).toBe(-3);
        await store.logBatch(runId, { metrics: [m('tie', NaN, 6, 5)] });
        expect(Number.isNaN(metricsOf(await store.getRun(runId)).tie)).toBe(true);
      });

      it('keeps params write-once with MLflow message; the same value again is a no-op', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        await store.logBatch(runId, { params: [tag('p', '1'), tag('q', 'a')] });
        await store.logBatch(runId, { params: [tag('p', '1')] });
        const e = await failure(store.logBatch(runId, { params: [tag('p', '2')] }));
        expect(e.code).toBe('INVALID_PARAMETER_VALUE');
        expect(e.message).toBe(
          `Changing param values is not allowed. Param with key='p' was already logged with value='1' for run ID='${runId}'. Attempted logging new value '2'.`,
        );
        expect(byKey((await store.getRun(runId)).data.params)).toEqual({ p: '1', q: 'a' });
      });

      it('writes nothing of a batch that fails', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        await store.logBatch(runId, { params: [tag('p', '1')] });
        const before = await store.getRun(runId);
        const e = await failure(
          store.logBatch(runId, {
            metrics: Array.from({ length: 500 }, (_, i) => m(`k${i % 7}`, i, i)),
            params: [tag('fresh', 'x'), tag('p', '2')],
            tags: [tag('t', 'v'), tag('mlflow.runName', 'changed')],
          }),
        );
        expect(e.code).toBe('INVALID_PARAMETER_VALUE');
        expect(await store.getRun(runId)).toEqual(before);
        expect((await store.getMetricHistory(runId, 'k0')).items).toEqual([]);

        // A metric linked to an unknown LoggedModel fails the whole batch too.
        const unknownModel = await failure(store.logBatch(runId, { metrics: [m('a', 1), { ...m('b', 2), modelId: 'm-missing' }], tags: [tag('z', '1')] }));
        expect(unknownModel.code).toBe('RESOURCE_DOES_NOT_EXIST');
        expect(await store.getRun(runId)).toEqual(before);
      });

      it('rejects one batch naming a param twice with different values', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        const e = await failure(store.logBatch(runId, { params: [tag('p', '1'), tag('p', '2')] }));
        expect(e.code).toBe('INVALID_PARAMETER_VALUE');
        await store.logBatch(runId, { params: [tag('p', '1'), tag('p', '1')] });
        expect((await store.getRun(runId)).data.params).toEqual([tag('p', '1')]);
      });

      it('handles a 1000-metric batch with many keys in chunks', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        const metrics = Array.from({ length: 1000 }, (_, i) => m(`key-${i % 250}`, i, Math.floor(i / 250), 100));
        await store.logBatch(runId, { metrics, params: Array.from({ length: 100 }, (_, i) => tag(`p${i}`, String(i))) });
        const run = await store.getRun(runId);
        expect(run.data.metrics).toHaveLength(250);
        expect(run.data.params).toHaveLength(100);
        expect(metricsOf(run)['key-3']).toBe(753);
        expect((await store.getMetricHistory(runId, 'key-3')).items).toHaveLength(4);
      });

      it('survives concurrent batches to one run with overlapping keys', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            store.logBatch(runId, { metrics: [m('a', i, i), m('b', -i, i), m('c', i, 0, i)], params: [tag('shared', 'same')], tags: [tag('t', 'x')] }),
          ),
        );
        const run = await store.getRun(runId);
        expect(metricsOf(run)).toEqual({ a: 11, b: -11, c: 11 });
        expect((await store.getMetricHistory(runId, 'a')).items).toHaveLength(12);
      });

      it('pages metric history and samples bulk history by step range', async () => {
        const store = await open();
        const r1 = await runIn(store, '0');
        const r2 = await runIn(store, '0');
        await store.logBatch(r1, { metrics: Array.from({ length: 10 }, (_, i) => m('x', i, i, 100 + i)) });
        await store.logBatch(r2, { metrics: Array.from({ length: 3 }, (_, i) => m('x', 10 * i, i, 100 + i)) });
        const p1 = await store.getMetricHistory(r1, 'x', { maxResults: 4 });
        expect(p1.items.map((x) => x.step)).toEqual([0, 1, 2, 3]);
        const p3 = await store.getMetricHistory(r1, 'x', { maxResults: 4, pageToken: (await store.getMetricHistory(r1, 'x', { maxResults: 4, pageToken: p1.nextPageToken })).nextPageToken });
        expect(p3.items.map((x) => x.step)).toEqual([8, 9]);
        expect(p3.nextPageToken).toBeUndefined();
        expect((await store.getMetricHistory(r1, 'nope')).items).toEqual([]);
        expect((await failure(store.getMetricHistory('f'.repeat(32), 'x'))).code).toBe('RESOURCE_DOES_NOT_EXIST');

        const bulk = await store.getMetricHistoryBulk([r1, r2], 'x', { startStep: 1, endStep: 8, maxResults: 3 });
        expect(bulk.filter((p) => p.runId === r1).map((p) => p.step)).toEqual([1, 5, 8]);
        expect(bulk.filter((p) => p.runId === r2).map((p) => [p.step, p.value])).toEqual([
          [1, 10],
          [2, 20],
        ]);
      });
    });

    // --- search ---------------------------------------------------------------------------

    describe('searchRuns', () => {
      async function fixture(): Promise<{ store: Store; exp: string; ids: Record<string, string> }> {
        const store = await open();
        const exp = await store.createExperiment({ name: 'search' });
        const ids: Record<string, string> = {};
        const specs = [
          { name: 'a', start: 300, loss: 0.5, lr: '0.1', team: 'Red' },
          { name: 'b', start: 200, loss: 0.2, lr: '0.01', team: 'red' },
          { name: 'c', start: 100, loss: NaN, lr: '0.1', team: 'blue' },
          { name: 'd', start: 400, loss: undefined, lr: undefined, team: undefined },
        ];
        for (const s of specs) {
          const runId = await runIn(store, exp, s.start, s.name);
          ids[s.name] = runId;
          await store.logBatch(runId, {
            metrics: s.loss === undefined ? [] : [m('loss', 9, 0), m('loss', s.loss, 1)],
            params: s.lr === undefined ? [] : [tag('lr', s.lr)],
            tags: s.team === undefined ? [] : [tag('team', s.team)],
          });
        }
        return { store, exp, ids };
      }

      const names = (page: { items: Run[] }): string[] => page.items.map((r) => r.info.runName);

      it('orders by start_time DESC, run_id by default and filters on latest metric values', async () => {
        const { store, exp } = await fixture();
        const search = (filter: FilterClause[], orderBy: OrderBy[] = []) =>
          store.searchRuns({ experimentIds: [exp], viewType: 'ACTIVE_ONLY', filter, orderBy, maxResults: 100 }).then(names);
        expect(await search([])).toEqual(['d', 'a', 'b', 'c']);
        expect(await search([{ entity: 'metric', key: 'loss', op: '<', value: 1 }])).toEqual(['a', 'b']);
        expect(await search([{ entity: 'metric', key: 'loss', op: '>', value: 5 }])).toEqual([]);
        expect(await search([{ entity: 'metric', key: 'loss', op: '!=', value: 0.5 }])).toEqual(['b', 'c']);
        expect(await search([{ entity: 'param', key: 'lr', op: '=', value: '0.1' }])).toEqual(['a', 'c']);
        expect(await search([{ entity: 'param', key: 'lr', op: '!=', value: '0.1' }])).toEqual(['b']);
        expect(await search([{ entity: 'tag', key: 'team', op: 'LIKE', value: 'r%' }])).toEqual(['b']);
        expect(await search([{ entity: 'tag', key: 'team', op: 'ILIKE', value: 'r%' }])).toEqual(['a', 'b']);
        expect(await search([{ entity: 'tag', key: 'team', op: 'LIKE', value: '_ed' }])).toEqual(['a', 'b']);
        expect(await search([{ entity: 'attribute', key: 'run_name', op: 'IN', value: ['a', 'c', 'zzz'] }])).toEqual(['a', 'c']);
        expect(await search([{ entity: 'attribute', key: 'run_name', op: 'NOT IN', value: ['a', 'c'] }])).toEqual(['d', 'b']);
        expect(await search([{ entity: 'attribute', key: 'start_time', op: '>=', value: 300 }])).toEqual(['d', 'a']);
        expect(await search([{ entity: 'attribute', key: 'status', op: '=', value: 'RUNNING' }, { entity: 'metric', key: 'loss', op: '<=', value: 0.2 }])).toEqual(['b']);
      });

      it('orders by metric, param and tag with missing values last in both directions', async () => {
        const { store, exp } = await fixture();
        const search = (orderBy: OrderBy[]) =>
          store.searchRuns({ experimentIds: [exp], viewType: 'ACTIVE_ONLY', filter: [], orderBy, maxResults: 100 }).then(names);
        expect(await search([{ entity: 'metric', key: 'loss', ascending: true }])).toEqual(['b', 'a', 'c', 'd']);
        expect(await search([{ entity: 'metric', key: 'loss', ascending: false }])).toEqual(['a', 'b', 'c', 'd']);
        expect(await search([{ entity: 'param', key: 'lr', ascending: true }])).toEqual(['b', 'a', 'c', 'd']);
        expect(await search([{ entity: 'tag', key: 'team', ascending: false }])).toEqual(['b', 'c', 'a', 'd']);
        expect(await search([{ entity: 'attribute', key: 'run_name', ascending: false }])).toEqual(['d', 'c', 'b', 'a']);
      });

      it('pages with opaque tokens and honours the view type', async () => {
        const { store, exp, ids } = await fixture();
        const q = { experimentIds: [exp], viewType: 'ACTIVE_ONLY' as const, filter: [], orderBy: [], maxResults: 3 };
        const p1 = await store.searchRuns(q);
        expect(names(p1)).toEqual(['d', 'a', 'b']);
        const p2 = await store.searchRuns({ ...q, pageToken: p1.nextPageToken });
        expect(names(p2)).toEqual(['c']);
        expect(p2.nextPageToken).toBeUndefined();
        await store.deleteRun(ids.a!);
        expect(names(await store.searchRuns({ ...q, maxResults: 10 }))).toEqual(['d', 'b', 'c']);
        expect(names(await store.searchRuns({ ...q, viewType: 'DELETED_ONLY' }))).toEqual(['a']);
        expect(names(await store.searchRuns({ ...q, viewType: 'ALL', maxResults: 10 }))).toEqual(['d', 'a', 'b', 'c']);
        expect((await store.searchRuns({ ...q, experimentIds: ['0'] })).items).toEqual([]);
        expect((await failure(store.searchRuns({ ...q, pageToken: '%%%' }))).code).toBe('INVALID_PARAMETER_VALUE');
      });

      it('returns full runs (latest metrics, params, tags, inputs) on a page', async () => {
        const { store, exp, ids } = await fixture();
        const page = await store.searchRuns({ experimentIds: [exp], viewType: 'ACTIVE_ONLY', filter: [], orderBy: [], maxResults: 100 });
        for (const run of page.items) expect(run).toEqual(await store.getRun(run.info.runId));
        expect(metricsOf(page.items.find((r) => r.info.runId === ids.b)!)).toEqual({ loss: 0.2 });
      });

      it('filters on dataset inputs by name, digest and context', async () => {
        const { store, exp, ids } = await fixture();
        const ds = (name: string, digest: string) => ({ name, digest, sourceType: 'local', source: '{"uri":"x"}' });
        await store.logInputs(ids.a!, [{ tags: [tag('mlflow.data.context', 'training')], dataset: ds('iris', 'd1') }]);
        await store.logInputs(ids.b!, [{ tags: [tag('mlflow.data.context', 'eval')], dataset: ds('iris', 'd2') }]);
        const search = (filter: FilterClause[]) =>
          store.searchRuns({ experimentIds: [exp], viewType: 'ACTIVE_ONLY', filter, orderBy: [], maxResults: 100 }).then(names);
        expect(await search([{ entity: 'dataset', key: 'name', op: '=', value: 'iris' }])).toEqual(['a', 'b']);
        expect(await search([{ entity: 'dataset', key: 'digest', op: 'IN', value: ['d2'] }])).toEqual(['b']);
        expect(await search([{ entity: 'dataset', key: 'context', op: '=', value: 'training' }])).toEqual(['a']);
      });

      it('rejects an unknown attribute and a LIKE on a number', async () => {
        const { store, exp } = await fixture();
        const q = { experimentIds: [exp], viewType: 'ACTIVE_ONLY' as const, orderBy: [], maxResults: 10 };
        expect((await failure(store.searchRuns({ ...q, filter: [{ entity: 'attribute', key: 'bogus', op: '=', value: 'x' }] }))).code).toBe(
          'INVALID_PARAMETER_VALUE',
        );
        expect((await failure(store.searchRuns({ ...q, filter: [{ entity: 'attribute', key: 'start_time', op: 'LIKE', value: '1%' }] }))).code).toBe(
          'INVALID_PARAMETER_VALUE',
        );
      });
    });

    // --- inputs and outputs ---------------------------------------------------------------

    describe('inputs and outputs', () => {
      it('deduplicates datasets per experiment and keeps input order and tags', async () => {
        const store = await open();
        const exp = await store.createExperiment({ name: 'e' });
        const r1 = await runIn(store, exp);
        const r2 = await runIn(store, exp);
        const iris = { name: 'iris', digest: 'abc', sourceType: 'local', source: 's', schema: '{"x":1}', profile: null };
        const wine = { name: 'wine', digest: 'def', sourceType: 'http', source: 'u' };
        await store.logInputs(r1, [
          { tags: [tag('mlflow.data.context', 'training')], dataset: iris },
          { tags: [], dataset: wine },
        ]);
        await store.logInputs(r1, [{ tags: [tag('mlflow.data.context', 'again')], dataset: iris }]);
        await store.logInputs(r2, [{ tags: [], dataset: iris }]);
        const run1 = await store.getRun(r1);
        expect(run1.inputs.datasetInputs.map((i) => i.dataset.name)).toEqual(['iris', 'wine']);
        expect(run1.inputs.datasetInputs[0]).toEqual({ tags: [tag('mlflow.data.context', 'training')], dataset: iris });
        expect(run1.inputs.datasetInputs[1]!.dataset).toEqual({ ...wine, schema: null, profile: null });
        const engine = KyselyStore.engineOf(store)!;
        const datasets = await engine.db.selectFrom('datasets').selectAll().execute();
        expect(datasets).toHaveLength(2);
      });

      it('links logged models as run outputs', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        const model = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId: '0', name: 'model', sourceRunId: runId });
        expect((await store.getRun(runId)).outputs.modelOutputs).toEqual([]);
        await store.logOutputs(runId, [{ modelId: model.modelId, step: 0 }]);
        await store.logOutputs(runId, [{ modelId: model.modelId, step: 0 }]);
        expect((await store.getRun(runId)).outputs.modelOutputs).toEqual([{ modelId: model.modelId, step: 0 }]);
        expect((await failure(store.logOutputs(runId, [{ modelId: 'm-nope', step: 0 }]))).code).toBe('RESOURCE_DOES_NOT_EXIST');
      });
    });

    // --- registry -------------------------------------------------------------------------

    describe('registered models and versions', () => {
      const version = (store: Store, name: string, extra: Partial<Parameters<Store['createModelVersion']>[0]> = {}) =>
        store.createModelVersion({ name, source: 's3://b/model', storageLocation: 's3://b/model', ...extra });

      it('creates, gets and rejects duplicates with MLflow messages', async () => {
        const store = await open();
        const rm = await store.createRegisteredModel({ name: 'm', description: 'd', tags: [tag('o', 'x')], userId: 'u' });
        expect(rm).toMatchObject({ name: 'm', description: 'd', tags: [tag('o', 'x')], aliases: [], latestVersions: [], userId: 'u' });
        expect(rm.creationTimestamp).toBe(rm.lastUpdatedTimestamp);
        expect(await store.getRegisteredModel('m')).toEqual(rm);
        const dup = await failure(store.createRegisteredModel({ name: 'm' }));
        expect([dup.code, dup.message]).toEqual(['RESOURCE_ALREADY_EXISTS', 'Registered Model (name=m) already exists.']);
        const missing = await failure(store.getRegisteredModel('nope'));
        expect([missing.code, missing.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=nope not found']);
        const noVersion = await failure(store.getModelVersion('m', 3));
        expect([noVersion.code, noVersion.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', 'Model Version (name=m, version=3) not found']);
        expect((await failure(version(store, 'nope'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
      });

      it('numbers versions 1, 2, … READY in stage None, never reusing a deleted number', async () => {
        const store = await open();
        const rm = await store.createRegisteredModel({ name: 'm' });
        const v1 = await version(store, 'm', { runId: 'r1', tags: [tag('k', 'v')], description: 'first' });
        expect(v1).toMatchObject({ name: 'm', version: 1, currentStage: 'None', status: 'READY', runId: 'r1', description: 'first', runLink: '', tags: [tag('k', 'v')], aliases: [] });
        expect((await store.getRegisteredModel('m')).lastUpdatedTimestamp).toBeGreaterThan(rm.lastUpdatedTimestamp);
        const v2 = await version(store, 'm');
        expect(v2.version).toBe(2);
        expect(v2.runId).toBe('');
        await store.deleteModelVersion('m', 2);
        expect((await version(store, 'm')).version).toBe(3);
        expect((await failure(store.deleteModelVersion('m', 2))).code).toBe('RESOURCE_DOES_NOT_EXIST');
      });

      it('hands out 1..20 exactly under 20 concurrent creates', async () => {
        const store = await open();
        await store.createRegisteredModel({ name: 'busy' });
        const versions = await Promise.all(Array.from({ length: 20 }, () => version(store, 'busy')));
        expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        const page = await store.searchModelVersions({ filter: [{ entity: 'attribute', key: 'name', op: '=', value: 'busy' }], orderBy: [], maxResults: 100 });
        expect(page.items).toHaveLength(20);
      });

      it('hands out gap-free numbers when two stores (two server processes) share one database', async () => {
        const uri = await subject.freshUri();
        const one = await openStore(uri, { defaultArtifactRoot: '/a', migrate: true });
        const two = await openStore(uri, { defaultArtifactRoot: '/a' });
        try {
          await one.createRegisteredModel({ name: 'shared' });
          const versions = await Promise.all(Array.from({ length: 16 }, (_, i) => version(i % 2 === 0 ? one : two, 'shared')));
          expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
        } finally {
          await one.close();
          await two.close();
        }
      });

      it('transitions stages, archiving the others atomically, and reports latest versions per stage', async () => {
        const store = await open();
        await store.createRegisteredModel({ name: 'm' });
        for (let i = 0; i < 4; i++) await version(store, 'm');
        await store.transitionModelVersionStage('m', 1, 'Production', false);
        await store.transitionModelVersionStage('m', 2, 'Production', false);
        await store.transitionModelVersionStage('m', 3, 'Staging', false);
        const before = await store.getRegisteredModel('m');
        expect(before.latestVersions.map((v) => [v.currentStage, v.version])).toEqual([
          ['None', 4],
          ['Staging', 3],
          ['Production', 2],
        ]);
        const moved = await store.transitionModelVersionStage('m', 4, 'Production', true);
        expect(moved.currentStage).toBe('Production');
        expect(moved.lastUpdatedTimestamp).toBeGreaterThan(moved.creationTimestamp);
        const stages = await Promise.all([1, 2, 3, 4].map(async (v) => (await store.getModelVersion('m', v)).currentStage));
        expect(stages).toEqual(['Archived', 'Archived', 'Staging', 'Production']);
        expect((await store.getRegisteredModel('m')).lastUpdatedTimestamp).toBeGreaterThan(before.lastUpdatedTimestamp);
        expect((await store.getLatestVersions('m', ['Production'])).map((v) => v.version)).toEqual([4]);
        expect((await store.getLatestVersions('m', [])).map((v) => [v.currentStage, v.version])).toEqual([
          ['Staging', 3],
          ['Production', 4],
          ['Archived', 2],
        ]);
        expect(await store.getLatestVersions('m', ['None'])).toEqual([]);
        expect((await failure(store.getLatestVersions('nope', []))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        const bad = await failure(store.transitionModelVersionStage('m', 3, 'Archived', true));
        expect(bad.code).toBe('INVALID_PARAMETER_VALUE');
        const bogus = await failure(store.transitionModelVersionStage('m', 3, 'Bogus' as 'None', false));
        expect(bogus.message).toBe('Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.');
      });

      it('sets, moves and resolves aliases; a deleted version takes its aliases along', async () => {
        const store = await open();
        await store.createRegisteredModel({ name: 'm' });
        await version(store, 'm');
        await version(store, 'm');
        await store.setAlias('m', 'champion', 1);
        await store.setAlias('m', 'champion', 2);
        await store.setAlias('m', 'old', 1);
        expect((await store.getModelVersionByAlias('m', 'champion')).version).toBe(2);
        expect((await store.getModelVersion('m', 2)).aliases).toEqual(['champion']);
        expect((await store.getRegisteredModel('m')).aliases).toEqual([
          { alias: 'champion', version: 2 },
          { alias: 'old', version: 1 },
        ]);
        const missing = await failure(store.getModelVersionByAlias('m', 'nope'));
        expect([missing.code, missing.message]).toEqual(['INVALID_PARAMETER_VALUE', 'Registered model alias nope not found.']);
        expect((await failure(store.setAlias('m', 'x', 9))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        await store.deleteModelVersion('m', 1);
        expect((await failure(store.getModelVersionByAlias('m', 'old'))).code).toBe('INVALID_PARAMETER_VALUE');
        await store.deleteAlias('m', 'champion');
        expect((await store.getRegisteredModel('m')).aliases).toEqual([]);
      });

      it('renames a model with its versions, tags and aliases', async () => {
        const store = await open();
        await store.createRegisteredModel({ name: 'old', tags: [tag('t', '1')] });
        await version(store, 'old', { tags: [tag('vt', 'x')] });
        await store.setAlias('old', 'prod', 1);
        await store.createRegisteredModel({ name: 'taken' });
        expect((await failure(store.renameRegisteredModel('old', 'taken'))).message).toBe('Registered Model (name=taken) already exists.');
        const renamed = await store.renameRegisteredModel('old', 'new');
        expect(renamed).toMatchObject({ name: 'new', tags: [tag('t', '1')], aliases: [{ alias: 'prod', version: 1 }] });
        const v = await store.getModelVersion('new', 1);
        expect(v).toMatchObject({ name: 'new', tags: [tag('vt', 'x')], aliases: ['prod'] });
        expect((await failure(store.getRegisteredModel('old'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        expect((await version(store, 'new')).version).toBe(2);
      });

      it('updates descriptions and tags, and deletes a model with everything it owns', async () => {
        const store = await open();
        await store.createRegisteredModel({ name: 'm' });
        await version(store, 'm');
        expect((await store.updateRegisteredModel('m', { description: 'new' })).description).toBe('new');
        expect((await store.updateModelVersion('m', 1, { description: 'v' })).description).toBe('v');
        await store.setRegisteredModelTag('m', tag('a', '1'));
        await store.setRegisteredModelTag('m', tag('a', '2'));
        await store.setModelVersionTag('m', 1, tag('b', '1'));
        expect((await store.getRegisteredModel('m')).tags).toEqual([tag('a', '2')]);
        expect((await store.getModelVersion('m', 1)).tags).toEqual([tag('b', '1')]);
        await store.deleteModelVersionTag('m', 1, 'b');
        await store.deleteRegisteredModelTag('m', 'a');
        expect((await store.getRegisteredModel('m')).tags).toEqual([]);
        expect((await store.getModelVersion('m', 1)).tags).toEqual([]);
        expect((await failure(store.setModelVersionTag('m', 5, tag('x', 'y')))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        await store.setAlias('m', 'a', 1);
        await store.deleteRegisteredModel('m');
        expect((await failure(store.getModelVersion('m', 1))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        await store.createRegisteredModel({ name: 'm' });
        expect((await version(store, 'm')).version).toBe(1);
        expect((await store.getRegisteredModel('m')).aliases).toEqual([]);
      });

      it('searches registered models and versions with default orders and filters', async () => {
        const store = await open();
        for (const name of ['beta', 'Alpha', 'alpha-2']) await store.createRegisteredModel({ name });
        await store.setRegisteredModelTag('beta', tag('team', 'x'));
        const models = async (filter: FilterClause[], orderBy: OrderBy[] = [], maxResults = 10) =>
          (await store.searchRegisteredModels({ filter, orderBy, maxResults })).items.map((x) => x.name);
        expect(await models([])).toEqual(['Alpha', 'alpha-2', 'beta']);
        expect(await models([{ entity: 'attribute', key: 'name', op: 'ILIKE', value: 'alpha%' }])).toEqual(['Alpha', 'alpha-2']);
        expect(await models([{ entity: 'attribute', key: 'name', op: 'LIKE', value: 'alpha%' }])).toEqual(['alpha-2']);
        expect(await models([{ entity: 'tag', key: 'team', op: '=', value: 'x' }])).toEqual(['beta']);
        expect(await models([], [{ entity: 'attribute', key: 'creation_timestamp', ascending: false }])).toEqual(['alpha-2', 'Alpha', 'beta']);
        const page = await store.searchRegisteredModels({ filter: [], orderBy: [], maxResults: 2 });
        expect(page.nextPageToken).toBeDefined();
        expect((await store.searchRegisteredModels({ filter: [], orderBy: [], maxResults: 2, pageToken: page.nextPageToken })).items.map((x) => x.name)).toEqual(['beta']);

        await version(store, 'beta', { runId: 'r1' });
        await version(store, 'Alpha', { runId: 'r2' });
        await version(store, 'beta', { runId: 'r2' });
        await store.setModelVersionTag('beta', 1, tag('q', 'yes'));
        const versions = async (filter: FilterClause[], orderBy: OrderBy[] = []) =>
          (await store.searchModelVersions({ filter, orderBy, maxResults: 50 })).items.map((v) => `${v.name}/${v.version}`);
        // last_updated DESC: the tag write does not move it, so creation order reversed.
        expect(await versions([])).toEqual(['beta/2', 'Alpha/1', 'beta/1']);
        expect(await versions([{ entity: 'attribute', key: 'run_id', op: 'IN', value: ['r2'] }])).toEqual(['beta/2', 'Alpha/1']);
        expect(await versions([{ entity: 'attribute', key: 'version_number', op: '>', value: 1 }])).toEqual(['beta/2']);
        expect(await versions([{ entity: 'tag', key: 'q', op: '=', value: 'yes' }])).toEqual(['beta/1']);
        expect(await versions([{ entity: 'attribute', key: 'source_path', op: 'LIKE', value: 's3://%' }])).toHaveLength(3);
        expect(await versions([], [{ entity: 'attribute', key: 'name', ascending: true }])).toEqual(['Alpha/1', 'beta/2', 'beta/1']);
      });

      it('registers a LoggedModel: run id from the model, version appended to mlflow.modelVersions', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        const model = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId: '0', name: 'model', sourceRunId: runId });
        await store.createRegisteredModel({ name: 'reg' });
        const v1 = await version(store, 'reg', { source: `models:/${model.modelId}`, storageLocation: model.artifactLocation, modelId: model.modelId });
        expect(v1).toMatchObject({ runId, modelId: model.modelId, storageLocation: model.artifactLocation });
        const v2 = await version(store, 'reg', { modelId: model.modelId, runId: 'explicit' });
        expect(v2.runId).toBe('explicit');
        const tagValue = byKey((await store.getLoggedModel(model.modelId)).tags)['mlflow.modelVersions'];
        expect(JSON.parse(tagValue!)).toEqual([
          { name: 'reg', version: 1 },
          { name: 'reg', version: 2 },
        ]);
        expect((await failure(version(store, 'reg', { modelId: 'm-unknown' }))).message).toBe("Logged model with ID 'm-unknown' not found.");
        expect((await store.getRegisteredModel('reg')).latestVersions.map((v) => v.version)).toEqual([2]);
      });
    });

    // --- logged models --------------------------------------------------------------------

    describe('logged models', () => {
      it('creates PENDING under the experiment, finalizes, and keeps tags sorted without moving last_updated', async () => {
        const store = await open('mlflow-artifacts:');
        const exp = await store.createExperiment({ name: 'e' });
        const modelId = newLoggedModelId();
        const created = await store.createLoggedModel({
          modelId,
          experimentId: exp,
          name: 'model',
          params: [tag('C', '1.0')],
          tags: [tag('z', '1'), tag('a', '2')],
        });
        expect(created).toMatchObject({
          modelId,
          experimentId: exp,
          name: 'model',
          artifactLocation: `mlflow-artifacts:/${exp}/models/${modelId}/artifacts`,
          status: 'LOGGED_MODEL_PENDING',
          modelType: '',
          sourceRunId: null,
          lifecycleStage: 'active',
          params: [tag('C', '1.0')],
          tags: [tag('a', '2'), tag('z', '1')],
          metrics: [],
        });
        await store.setLoggedModelTags(modelId, [tag('m', 'x'), tag('a', '3')]);
        const tagged = await store.getLoggedModel(modelId);
        expect(tagged.tags.map((t) => t.key)).toEqual(['a', 'm', 'z']);
        expect(tagged.lastUpdatedTimestampMs).toBe(created.lastUpdatedTimestampMs);
        const ready = await store.finalizeLoggedModel(modelId, 'LOGGED_MODEL_READY');
        expect(ready.status).toBe('LOGGED_MODEL_READY');
        expect(ready.lastUpdatedTimestampMs).toBeGreaterThan(created.lastUpdatedTimestampMs);
        await store.deleteLoggedModelTag(modelId, 'm');
        expect((await failure(store.deleteLoggedModelTag(modelId, 'm'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        await store.logLoggedModelParams(modelId, [tag('max_iter', '500')]);
        expect((await store.getLoggedModel(modelId)).params.map((p) => p.key)).toEqual(['C', 'max_iter']);
        const missing = await failure(store.getLoggedModel('m-missing'));
        expect([missing.code, missing.message]).toEqual(['RESOURCE_DOES_NOT_EXIST', "Logged model with ID 'm-missing' not found."]);
        await store.deleteLoggedModel(modelId);
        expect((await failure(store.getLoggedModel(modelId))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        await store.deleteExperiment(exp);
        expect((await failure(store.createLoggedModel({ modelId: newLoggedModelId(), experimentId: exp, name: 'x' }))).code).toBe('INVALID_PARAMETER_VALUE');
      });

      it('records metrics logged with modelId against the model without growing run history', async () => {
        const store = await open();
        const runId = await runIn(store, '0');
        await store.logBatch(runId, { metrics: [m('loss', 1, 0, 10), m('loss', 0.5, 1, 20)] });
        const model = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId: '0', name: 'model', sourceRunId: runId });
        await store.logBatch(runId, { metrics: [{ ...m('loss', 1, 0, 10), modelId: model.modelId, datasetName: 'iris', datasetDigest: 'd' }] });
        expect((await store.getMetricHistory(runId, 'loss')).items).toHaveLength(2);
        expect(metricsOf(await store.getRun(runId)).loss).toBe(0.5);
        const metrics = (await store.getLoggedModel(model.modelId)).metrics;
        expect(metrics).toEqual([
          { key: 'loss', value: 1, timestamp: 10, step: 0, modelId: model.modelId, runId, datasetName: 'iris', datasetDigest: 'd' },
        ]);
      });

      it('searches by experiment with the default order and filters', async () => {
        const clock = tickingClock();
        const store = await subject.open({ clock });
        const e1 = await store.createExperiment({ name: 'e1' });
        const e2 = await store.createExperiment({ name: 'e2' });
        const runId = await runIn(store, e1);
        const a = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId: e1, name: 'model', sourceRunId: runId, params: [tag('alpha', '0.1')] });
        const b = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId: e1, name: 'other' });
        const c = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId: e2, name: 'model' });
        await store.logBatch(runId, { metrics: [{ ...m('acc', 0.95), modelId: a.modelId }, { ...m('acc', 0.5), modelId: b.modelId }] });
        const search = async (filter: FilterClause[], experimentIds = [e1, e2], orderBy: OrderBy[] = []) =>
          (await store.searchLoggedModels({ experimentIds, filter, orderBy, maxResults: 10 })).items.map((x) => x.modelId);
        expect(await search([])).toEqual([c.modelId, b.modelId, a.modelId]);
        expect(await search([{ entity: 'attribute', key: 'name', op: '=', value: 'model' }], [e1])).toEqual([a.modelId]);
        expect(await search([{ entity: 'metric', key: 'acc', op: '>', value: 0.9 }])).toEqual([a.modelId]);
        expect(await search([{ entity: 'param', key: 'alpha', op: '=', value: '0.1' }])).toEqual([a.modelId]);
        expect(await search([], [e1, e2], [{ entity: 'metric', key: 'acc', ascending: true }])).toEqual([b.modelId, a.modelId, c.modelId]);
        const p1 = await store.searchLoggedModels({ experimentIds: [e1, e2], filter: [], orderBy: [], maxResults: 2 });
        const p2 = await store.searchLoggedModels({ experimentIds: [e1, e2], filter: [], orderBy: [], maxResults: 2, pageToken: p1.nextPageToken });
        expect(p2.items.map((x) => x.modelId)).toEqual([a.modelId]);
        expect(p2.nextPageToken).toBeUndefined();
        await store.deleteLoggedModel(c.modelId);
        expect(await search([])).toEqual([b.modelId, a.modelId]);
      });
    });

    // --- audit and gc ---------------------------------------------------------------------

    describe('audit', () => {
      it('lists newest first, filters by entity and pages', async () => {
        const store = await open();
        for (let i = 0; i < 5; i++) {
          await store.appendAudit({
            timestamp: 1000 + i,
            principal: 'alice',
            action: 'POST /api/2.0/mlflow/registered-models/create',
            entityType: i % 2 === 0 ? 'registered_model' : 'run',
            entityId: `e${i}`,
            status: 200,
            before: null,
            after: i === 0 ? '{"name":"m"}' : null,
            requestId: `req-${i}`,
          });
        }
        const first = await store.listAudit({ maxResults: 2 });
        expect(first.items.map((x) => x.entityId)).toEqual(['e4', 'e3']);
        const second = await store.listAudit({ maxResults: 2, pageToken: first.nextPageToken });
        expect(second.items.map((x) => x.entityId)).toEqual(['e2', 'e1']);
        const third = await store.listAudit({ maxResults: 2, pageToken: second.nextPageToken });
        expect(third.items.map((x) => x.entityId)).toEqual(['e0']);
        expect(third.nextPageToken).toBeUndefined();
        expect(third.items[0]).toMatchObject({ principal: 'alice', status: 200, after: '{"name":"m"}', before: null, requestId: 'req-0', timestamp: 1000 });
        expect((await store.listAudit({ maxResults: 10, entityType: 'run' })).items.map((x) => x.entityId)).toEqual(['e3', 'e1']);
        expect((await store.listAudit({ maxResults: 10, entityType: 'run', entityId: 'e1' })).items).toHaveLength(1);
        expect((await failure(store.listAudit({ maxResults: 2, pageToken: 'x!' }))).code).toBe('INVALID_PARAMETER_VALUE');
      });
    });

    describe('garbage collection', () => {
      it('lists what was deleted before a time and purges it for good', async () => {
        const clock = tickingClock();
        const store = await subject.open({ clock });
        const exp = await store.createExperiment({ name: 'doomed' });
        const keepExp = await store.createExperiment({ name: 'kept' });
        const r1 = await runIn(store, exp);
        const r2 = await runIn(store, keepExp);
        const r3 = await runIn(store, keepExp);
        await store.logBatch(r1, { metrics: [m('x', 1)], params: [tag('p', '1')] });
        await store.logBatch(r2, { metrics: [m('x', 1)], params: [tag('p', '1')], tags: [tag('t', '1')] });
        await store.logInputs(r2, [{ tags: [], dataset: { name: 'd', digest: 'x', sourceType: 'local', source: 's' } }]);
        const model = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId: exp, name: 'model' });
        clock.set(10_000);
        await store.deleteExperiment(exp);
        await store.deleteRun(r2);
        clock.set(20_000);
        await store.deleteRun(r3);

        const listed = await store.listDeletedBefore(15_000);
        expect(listed.runs.map((r) => r.runId).sort()).toEqual([r1, r2].sort());
        expect(listed.experiments.map((e) => e.experimentId)).toEqual([exp]);

        expect((await failure(store.purgeRun(newRunId()))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        await store.restoreRun(r3);
        expect((await failure(store.purgeRun(r3))).code).toBe('INVALID_PARAMETER_VALUE');
        expect((await failure(store.purgeExperiment(keepExp))).code).toBe('INVALID_PARAMETER_VALUE');

        await store.purgeRun(r2);
        expect((await failure(store.getRun(r2))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        await store.purgeExperiment(exp);
        expect((await failure(store.getExperiment(exp))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        expect((await failure(store.getRun(r1))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        expect((await failure(store.getLoggedModel(model.modelId))).code).toBe('RESOURCE_DOES_NOT_EXIST');
        expect(await store.listDeletedBefore(Number.MAX_SAFE_INTEGER)).toEqual({ runs: [], experiments: [] });

        const engine = KyselyStore.engineOf(store)!;
        for (const table of ['metrics', 'latest_metrics', 'params', 'run_inputs', 'logged_models'] as const) {
          const rows = await engine.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
          expect([table, Number(rows.n)]).toEqual([table, 0]);
        }
        // The name of a purged experiment is free again.
        expect(await store.createExperiment({ name: 'doomed' })).toBe('3');
      });
    });
  });
}
