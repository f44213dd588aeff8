import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import { newLoggedModelId, newRunId } from '../core/ids.js';
import { copyStore } from './copy.js';
import { openStore } from './open.js';
import type { Store } from './port.js';
import { postgresSubject, sqliteSubject, tickingClock, type StoreSubject } from './test-support/subjects.js';

/** Fill a store with one of everything, including the awkward values (NaN, ±inf, deleted rows). */
async function populate(store: Store): Promise<{ runIds: string[]; modelId: string }> {
  const exp = await store.createExperiment({ name: 'copied', tags: [{ key: 'team', value: 'x' }] });
  const gone = await store.createExperiment({ name: 'gone' });
  const runIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const runId = newRunId();
    runIds.push(runId);
    await store.createRun({ runId, experimentId: i === 2 ? gone : exp, userId: 'u', runName: `r${i}`, startTime: 1000 + i, tags: [{ key: 'mlflow.user', value: 'u' }] });
    await store.logBatch(runId, {
      metrics: [
        { key: 'loss', value: 1 / (i + 1), timestamp: 10, step: 0 },
        { key: 'loss', value: NaN, timestamp: 11, step: 1 },
        { key: 'big', value: Infinity, timestamp: 12, step: 0 },
      ],
      params: [{ key: 'lr', value: String(i) }],
      tags: [{ key: 'note', value: `n${i}` }],
    });
  }
  await store.logInputs(runIds[0]!, [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'iris', digest: 'd', sourceType: 'local', source: 's' } }]);
  const model = await store.createLoggedModel({ modelId: newLoggedModelId(), experimentId: exp, name: 'model', sourceRunId: runIds[0]!, params: [{ key: 'C', value: '1' }] });
  await store.logOutputs(runIds[0]!, [{ modelId: model.modelId, step: 0 }]);
  await store.logBatch(runIds[0]!, { metrics: [{ key: 'loss', value: 1, timestamp: 10, step: 0, modelId: model.modelId }] });
  await store.createRegisteredModel({ name: 'reg', tags: [{ key: 'owner', value: 'me' }] });
  await store.createModelVersion({ name: 'reg', source: `models:/${model.modelId}`, storageLocation: model.artifactLocation, modelId: model.modelId });
  await store.createModelVersion({ name: 'reg', source: 's', storageLocation: 's', tags: [{ key: 'k', value: 'v' }] });
  await store.deleteModelVersion('reg', 2);
  await store.createModelVersion({ name: 'reg', source: 's', storageLocation: 's' });
  await store.transitionModelVersionStage('reg', 3, 'Production', false);
  await store.setAlias('reg', 'champion', 1);
  await store.deleteExperiment(gone);
  for (let i = 0; i < 3; i++) {
    await store.appendAudit({ timestamp: i, principal: 'p', action: 'POST x', entityType: 'run', entityId: runIds[i]!, status: 200, before: null, after: '{}', requestId: null });
  }
  return { runIds, modelId: model.modelId };
}

async function snapshot(store: Store, runIds: string[], modelId: string): Promise<unknown> {
  return {
    experiments: await store.searchExperiments({ filter: [], orderBy: [], maxResults: 100, viewType: 'ALL' }),
    runs: await Promise.all(runIds.map((id) => store.getRun(id))),
    history: await Promise.all(runIds.map((id) => store.getMetricHistory(id, 'loss'))),
    model: await store.getLoggedModel(modelId),
    registered: await store.getRegisteredModel('reg'),
    versions: await store.searchModelVersions({ filter: [], orderBy: [], maxResults: 100 }),
    alias: await store.getModelVersionByAlias('reg', 'champion'),
    audit: await store.listAudit({ maxResults: 100 }),
  };
}

function copySuite(title: string, from: StoreSubject, to: StoreSubject): void {
  describe.skipIf(from.skip || to.skip)(title, () => {
    beforeAll(async () => {
      await from.beforeAll();
      if (to !== from) await to.beforeAll();
    });
    afterAll(async () => {
      await from.afterAll();
      if (to !== from) await to.afterAll();
    });
    afterEach(async () => {
      await from.cleanup();
      await to.cleanup();
    });

    it('copies every row with its ids, then new rows continue after them', async () => {
      const source = await from.open({ clock: tickingClock() });
      const { runIds, modelId } = await populate(source);
      // A destination that was never migrated: copy migrates it.
      const target = await openStore(await to.freshUri(), { defaultArtifactRoot: 'elsewhere' });
      try {
        const report = await copyStore(source, target);
        expect(report).toMatchObject({ experiments: 3, runs: 3, metrics: 9, latest_metrics: 6, params: 3, model_versions: 2, audit_log: 3, logged_model_metrics: 1 });
        expect(await snapshot(target, runIds, modelId)).toEqual(await snapshot(source, runIds, modelId));
        expect(Number.isNaN((await target.getMetricHistory(runIds[0]!, 'loss')).items[1]!.value)).toBe(true);

        // Identities continue past the copied ids; the version counter too.
        expect(await target.createExperiment({ name: 'after-copy' })).toBe('3');
        const runId = newRunId();
        await target.createRun({ runId, experimentId: '1', userId: 'u', runName: 'new', startTime: 1, tags: [] });
        await target.logBatch(runId, { metrics: [{ key: 'loss', value: 2, timestamp: 1, step: 0 }] });
        expect((await target.getRun(runId)).data.metrics).toHaveLength(1);
        expect((await target.createModelVersion({ name: 'reg', source: 's', storageLocation: 's' })).version).toBe(4);
        await target.appendAudit({ timestamp: 9, principal: 'p', action: 'a', entityType: null, entityId: null, status: 200, before: null, after: null, requestId: null });
        const audit = await target.listAudit({ maxResults: 1 });
        expect(audit.items[0]!.id).toBe(4);
      } finally {
        await target.close();
      }
    });

    it('refuses a destination that already holds data', async () => {
      const source = await from.open();
      await populate(source);
      const target = await to.open();
      await target.createRegisteredModel({ name: 'existing' });
      let error: unknown;
      try {
        await copyStore(source, target);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HangarError);
      expect((error as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((await target.getRegisteredModel('existing')).name).toBe('existing');
    });
  });
}

const sqlite = sqliteSubject();
const postgres = postgresSubject();
copySuite('copyStore: SQLite → SQLite', sqlite, sqliteSubject());
copySuite(`copyStore: SQLite → ${postgres.title}`, sqlite, postgres);
copySuite(`copyStore: ${postgres.title} → SQLite`, postgresSubject(), sqliteSubject());
