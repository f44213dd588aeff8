import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeSuite } from '../../test/support/engines.js';
import { copyStore } from './copy.js';
import { MonitoringStore } from './monitoring-store.js';

describe('the monitoring store', () => {
  const { engines, tempDir, open } = storeSuite('hangar-mon-store-');

  for (const engine of engines) {
    it.skipIf(engine.skip)(`keeps monitors, runs, rules and alerts ${engine.title}`, async () => {
      const dir = tempDir();
      const store = await open(await engine.open(dir));
      const ms = MonitoringStore.for(store);

      const m = await ms.createMonitor({ name: 'churn', definition: { profile: { type: 'Snapshot' } }, creator: 'alice', nextRunTimestamp: 1000, rules: [{ name: 'rmse', definition: { metric: 'rmse' } }] });
      expect(m).toMatchObject({ name: 'churn', monitorVersion: 1, status: 'ACTIVE', nextRunTimestamp: 1000, watermark: null });
      await expect(ms.createMonitor({ name: 'churn', definition: {}, creator: 'bob', nextRunTimestamp: null, rules: [] })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      await expect(ms.getMonitor('nope')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      expect((await ms.listRules('churn')).map((r) => r.ruleName)).toEqual(['rmse']);

      expect((await ms.dueMonitors(999)).length).toBe(0);
      expect((await ms.dueMonitors(1000)).map((x) => x.name)).toEqual(['churn']);
      await ms.updateMonitor('churn', { status: 'PAUSED' });
      expect((await ms.dueMonitors(5000)).length).toBe(0);
      const updated = await ms.updateMonitor('churn', { definition: { profile: { type: 'Snapshot' }, x: 1 }, rules: [], status: 'ACTIVE' });
      expect(updated.monitorVersion).toBe(2);
      expect(await ms.listRules('churn')).toEqual([]);

      const run = await ms.startRun({ monitorName: 'churn', monitorVersion: 2, trigger: 'MANUAL' });
      expect(run.status).toBe('RUNNING');
      const done = await ms.finishRun(run.runId, { status: 'SUCCEEDED', summary: { windows: 3 }, watermark: 123_456 });
      expect(done).toMatchObject({ status: 'SUCCEEDED', summary: { windows: 3 } });
      expect((await ms.getMonitor('churn')).watermark).toBe(123_456);
      const failed = await ms.startRun({ monitorName: 'churn', monitorVersion: 2, trigger: 'SCHEDULE' });
      await ms.finishRun(failed.runId, { status: 'FAILED', errorMessage: 'boom', watermark: 999_999 });
      // A failed run never moves the watermark.
      expect((await ms.getMonitor('churn')).watermark).toBe(123_456);
      expect((await ms.listRuns('churn')).length).toBe(2);
      expect((await ms.listRuns('churn', { status: 'FAILED' }))[0]?.errorMessage).toBe('boom');
      const abandoned = await ms.startRun({ monitorName: 'churn', monitorVersion: 2, trigger: 'SCHEDULE' });
      expect(await ms.failAbandonedRuns('server stopped')).toBe(1);
      expect((await ms.getRun(abandoned.runId)).status).toBe('FAILED');

      // Leases (migration 0008): a run another live process owns is never reclaimed; one whose lease expired is.
      let now = 1_000_000;
      const clocked = MonitoringStore.for(store, { now: () => now });
      const mine = await clocked.startRun({ monitorName: 'churn', monitorVersion: 2, trigger: 'SCHEDULE', owner: 'server-a', leaseMs: 60_000 });
      expect(mine).toMatchObject({ status: 'RUNNING', owner: 'server-a', leaseExpires: 1_060_000 });
      now = 1_050_000;
      expect(await clocked.failAbandonedRuns('lease expired')).toBe(0);
      // The owner's heartbeat extends the lease; another owner cannot.
      expect(await clocked.renewLease(mine.runId, 'server-b', 60_000)).toBe(false);
      expect(await clocked.renewLease(mine.runId, 'server-a', 60_000)).toBe(true);
      now = 1_100_000;
      expect(await clocked.failAbandonedRuns('lease expired')).toBe(0);
      expect((await clocked.getRun(mine.runId)).status).toBe('RUNNING');
      now = 1_110_001;
      expect(await clocked.failAbandonedRuns('lease expired')).toBe(1);
      expect(await clocked.getRun(mine.runId)).toMatchObject({ status: 'FAILED', errorMessage: 'lease expired', owner: 'server-a' });
      // A reclaimed run's lease is not renewed any more.
      expect(await clocked.renewLease(mine.runId, 'server-a', 60_000)).toBe(false);

      const alert = await ms.fireAlert({ monitorName: 'churn', ruleName: 'rmse', runId: run.runId, detail: { violations: 2 } });
      expect((await ms.openAlert('churn', 'rmse'))?.alertId).toBe(alert.alertId);
      await ms.setRetrainRun(alert.alertId, 'abc');
      const resolved = await ms.resolveAlert(alert.alertId, failed.runId);
      expect(resolved).toMatchObject({ status: 'RESOLVED', resolvedRunId: failed.runId, retrainRunId: 'abc', detail: { violations: 2 } });
      expect(await ms.openAlert('churn', 'rmse')).toBeNull();
      expect((await ms.listAlerts({ monitorName: 'churn' })).length).toBe(1);

      // db copy carries the tables.
      const target = await open(`sqlite:///${join(dir, 'copy.db')}`);
      const report = await copyStore(store, target);
      expect(report.monitors).toBe(1);
      expect(report.monitor_runs).toBe(4);
      expect((await MonitoringStore.for(target).listAlerts()).length).toBe(1);

      await ms.deleteMonitor('churn');
      expect(await ms.listMonitors()).toEqual([]);
      expect(await ms.listAlerts()).toEqual([]);
    });
  }
});
