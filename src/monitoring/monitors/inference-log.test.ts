import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore, type ArtifactStore } from '../../artifacts/index.js';
import { InferenceLog, storeIndex, writeLabels } from '../../serving/index.js';
import { openStore, type Store } from '../../store/index.js';
import { MonitorService } from './service.js';
import { sourceRelation } from './source.js';
import { parseMonitorDefinition } from './spec.js';

/** The contract with serving: files written by its InferenceLog and writeLabels, found through the file index. */
describe('a monitor over the inference log serving writes', () => {
  let dir: string;
  let store: Store;
  let artifacts: ArtifactStore;
  const root = () => join(dir, 'inference-log');
  const DAY = 86_400_000;
  const t0 = Date.parse('2026-05-01T08:00:00Z');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-mon-log-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
    const log = new InferenceLog({ root: root(), index: storeIndex(store), flushIntervalMs: 60_000 });
    const model = { name: 'prices', version: '4', columns: [{ kind: 'column' as const, name: 'size', type: 'double' as const, required: true }], predictionType: 'DOUBLE' as const };
    const labels: Array<{ requestId: string; label: number; timestamp: number }> = [];
    for (let d = 0; d < 4; d++) {
      for (let i = 0; i < 25; i++) {
        const size = 50 + i;
        const id = `req-${d}-${i}`;
        // The model is off by 2 on days 0–1 and by 20 on days 2–3.
        const prediction = size * 3 + (d >= 2 ? 20 : 2);
        log.append(model, id, t0 + d * DAY + i * 60_000, 3 + (i % 5), { rows: 1, logged: [prediction], proba: undefined, inputs: new Map([['size', [size]]]) });
        labels.push({ requestId: id, label: size * 3, timestamp: t0 + d * DAY + 3_600_000 });
      }
    }
    log.append(model, 'req-bad', t0 + 60_000, 1, undefined, { rows: 1, inputs: new Map([['size', ['oops']]]) });
    await log.close();
    await writeLabels(store, root(), 'prices', labels);
  });
  afterAll(async () => {
    await store.close();
    await artifacts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('joins labels by request id and reports regression quality, operations and the retraining rule per day', async () => {
    const service = new MonitorService({ store, artifacts, logRoot: root(), emit: async () => {} });
    await service.create(
      {
        name: 'prices',
        source: { inference_log: { model: 'prices' } },
        profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_REGRESSION' },
        alert_rules: [{ name: 'rmse', metric: 'root_mean_squared_error', threshold: 10 }],
      },
      'alice',
    );
    const run = await service.run('prices');
    expect(run.errorMessage).toBeNull();
    const perModel = await service.metrics('prices', 'profile', { column_name: ':table', model_id: '4', slice_key: null });
    expect(perModel.map((r) => r.root_mean_squared_error)).toEqual([2, 2, 20, 20]);
    expect(perModel.map((r) => r.labeled_count)).toEqual([25, 25, 25, 25]);
    expect(perModel[0]).toMatchObject({ count: 26, num_errors: 1 });
    expect(perModel[1]).toMatchObject({ count: 25, num_errors: 0, error_rate: 0 });
    expect((run.summary as { evaluations: Array<{ violated: boolean; violations: number }> }).evaluations[0]).toMatchObject({ violated: true, violations: 2 });
    const size = await service.metrics('prices', 'profile', { column_name: 'size', model_id: '*', slice_key: null });
    expect(size[1]).toMatchObject({ count: 25, min: 50, max: 74, num_nulls: 0 });
  });

  it('a later run reads only the files its windows can need, and finds the same metrics', async () => {
    const service = new MonitorService({ store, artifacts, logRoot: root(), emit: async () => {} });
    const def = { name: 'prices-recent', source: { inference_log: { model: 'prices' } }, refresh_days: 0, profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_REGRESSION' } };
    await service.create(def, 'alice');
    const parsed = parseMonitorDefinition(def);
    // Before the first run there is no watermark: every file.
    const before = (await sourceRelation(parsed, store, root()))!;
    expect(before).toContain('/date=2026-05-01/');
    expect((await service.run('prices-recent')).errorMessage).toBeNull();
    // After it: the watermark is the newest row (day 4); with refresh_days 0 only files reaching into the day before it count.
    const after = (await sourceRelation(parsed, store, root()))!;
    expect(after).not.toContain('/date=2026-05-01/');
    expect(after).not.toContain('/date=2026-05-02/');
    expect(after).toContain('/date=2026-05-04/');
    expect((await service.run('prices-recent')).errorMessage).toBeNull();
    const perModel = await service.metrics('prices-recent', 'profile', { column_name: ':table', model_id: '4', slice_key: null });
    expect(perModel.map((r) => r.root_mean_squared_error)).toEqual([2, 2, 20, 20]);
  });
});
