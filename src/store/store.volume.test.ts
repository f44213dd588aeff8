import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newRunId } from '../core/ids.js';
import { KyselyStore } from './kysely-store.js';
import { chunk } from './mapping.js';
import type { Store } from './port.js';
import { allSubjects } from './test-support/subjects.js';
import type { Metric } from './types.js';

/**
 * The two hot paths at volume — logBatch with many 1000-metric batches and runs/search over
 * 10,000 runs — checked for correctness. Their speed is measured by `npm run bench -- tracking`,
 * never asserted here (a timed test fails on a busy machine, not on slow code); the timings are
 * only printed.
 */

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

for (const subject of allSubjects()) {
  describe.skipIf(subject.skip)(`Store performance: ${subject.title}`, () => {
    beforeAll(() => subject.beforeAll());
    afterAll(() => subject.afterAll());
    afterEach(() => subject.cleanup());

    it('keeps every point of many 1000-metric batches and single-metric batches', async () => {
      const store = await subject.open();
      const runId = newRunId();
      await store.createRun({ runId, experimentId: '0', userId: 'u', runName: 'bench', startTime: 1, tags: [] });
      const batches = 60;
      const batchOf = (b: number): Metric[] =>
        Array.from({ length: 1000 }, (_, i) => ({ key: `metric_${i % 100}`, value: Math.sin(b * 1000 + i), timestamp: 1_700_000_000_000 + b, step: b * 10 + Math.floor(i / 100) }));
      const prepared = Array.from({ length: batches }, (_, b) => batchOf(b));
      await store.logBatch(runId, { metrics: prepared[0]! }); // warm up statement caches
      const t0 = performance.now();
      for (let b = 1; b < batches; b++) await store.logBatch(runId, { metrics: prepared[b]! });
      const seconds = (performance.now() - t0) / 1000;
      const metricsPerSecond = ((batches - 1) * 1000) / seconds;

      const singles = 2000;
      for (let i = 0; i < 50; i++) await store.logBatch(runId, { metrics: [{ key: 'single', value: i, timestamp: i, step: i }] });
      const t1 = performance.now();
      for (let i = 50; i < singles; i++) await store.logBatch(runId, { metrics: [{ key: 'single', value: i, timestamp: i, step: i }] });
      const singleMs = (performance.now() - t1) / (singles - 50);

      console.log(`[${store.engine}] logBatch: ${Math.round(metricsPerSecond).toLocaleString('en')} metrics/s in 1000-metric batches; one-metric batch ${singleMs.toFixed(3)} ms`);
      expect((await store.getMetricHistory(runId, 'metric_7')).items).toHaveLength(batches * 10);
      expect((await store.getMetricHistory(runId, 'single')).items).toHaveLength(singles);
    });

    it('searches 10,000 runs by a metric filter and a metric order, 1000 to a page', async () => {
      const store: Store = await subject.open();
      const exp = await store.createExperiment({ name: 'bench' });
      const engine = KyselyStore.engineOf(store)!;
      // Bulk-load the fixture straight into the tables: the API path is what the other test measures.
      const runs = Array.from({ length: 10_000 }, (_, i) => ({
        run_id: newRunId(),
        experiment_id: Number(exp),
        name: `run-${i}`,
        user_id: 'u',
        status: 'FINISHED',
        start_time: 1_700_000_000_000 + i,
        end_time: null,
        artifact_uri: `x/${i}`,
        lifecycle_stage: 'active',
        deleted_time: null,
      }));
      await engine.db.transaction().execute(async (trx) => {
        const pks: number[] = [];
        for (const part of chunk(runs, 500)) pks.push(...(await trx.insertInto('runs').values(part).returning('run_pk').execute()).map((r) => r.run_pk));
        const metricRows = runs.flatMap((_, i) =>
          ['loss', 'acc', 'f1'].map((key, k) => ({ run_pk: pks[i]!, key, step: 0, timestamp: 1, value: ((i * 7919 + k * 31) % 10_000) / 10_000, is_nan: 0 })),
        );
        for (const part of chunk(metricRows, 500)) {
          await trx.insertInto('metrics').values(part).execute();
          await trx.insertInto('latest_metrics').values(part).execute();
        }
        const kv = runs.flatMap((r, i) => [
          { run_id: r.run_id, key: 'lr', value: String(i % 10) },
          { run_id: r.run_id, key: 'model', value: i % 2 === 0 ? 'tree' : 'linear' },
          { run_id: r.run_id, key: 'mlflow.runName', value: r.name },
        ]);
        for (const part of chunk(kv, 500)) {
          await trx.insertInto('params').values(part).execute();
          await trx.insertInto('run_tags').values(part).execute();
        }
      });
      // Fresh statistics, as autovacuum (PostgreSQL) or `optimize` (SQLite) would have by now.
      await sql`${sql.raw(store.engine === 'postgres' ? 'analyze' : 'pragma optimize')}`.execute(engine.db);

      const query = {
        experimentIds: [exp],
        viewType: 'ACTIVE_ONLY' as const,
        filter: [{ entity: 'metric' as const, key: 'loss', op: '<' as const, value: 0.5 }],
        orderBy: [{ entity: 'metric' as const, key: 'acc', ascending: false }],
        maxResults: 1000,
      };
      const first = await store.searchRuns(query);
      expect(first.items).toHaveLength(1000);
      expect(first.nextPageToken).toBeDefined();
      const accs = first.items.map((r) => r.data.metrics.find((x) => x.key === 'acc')!.value);
      expect(accs).toEqual([...accs].sort((a, b) => b - a));
      expect(first.items.every((r) => r.data.metrics.find((x) => x.key === 'loss')!.value < 0.5)).toBe(true);
      expect(first.items[0]!.data.params).toHaveLength(3);

      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t = performance.now();
        await store.searchRuns(query);
        times.push(performance.now() - t);
      }
      const ms = median(times);
      console.log(`[${store.engine}] runs/search over 10,000 runs (metric filter, metric order, 1000 per page): median ${ms.toFixed(1)} ms`);
    });
  });
}
