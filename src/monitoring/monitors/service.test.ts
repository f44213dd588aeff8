import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore, type ArtifactStore } from '../../artifacts/index.js';
import { governanceFor } from '../../governance/index.js';
import { openStore, type Store } from '../../store/index.js';
import { MonitorScheduler } from './scheduler.js';
import { MonitorService } from './service.js';
import { writeBaselineFixture, writeLogFixture } from './test-data.js';

describe('the monitor service: runs, alerts, webhooks, retraining, schedules', () => {
  let dir: string;
  let store: Store;
  let artifacts: ArtifactStore;
  let baseline: string;
  const events: Array<{ name: string; data: Record<string, unknown> }> = [];
  let service: MonitorService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-mon-service-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
    // The inference-log layout: <root>/<model>/date=YYYY-MM-DD/<file>.parquet (not indexed: found by folder).
    const day = join(dir, 'artifacts', 'inference-log', 'flights', 'date=2026-05-01');
    mkdirSync(day, { recursive: true });
    await writeLogFixture(join(day, '1-0.parquet'), { start: '2026-05-01', days: 12, rowsPerDay: 100, driftFromDay: 9 });
    baseline = join(dir, 'baseline.parquet');
    await writeBaselineFixture(baseline, 1500);
    service = new MonitorService({ store, artifacts, emit: async (name, data) => void events.push({ name, data }) });
  });
  afterAll(async () => {
    await service.idle();
    await store.close();
    await artifacts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a monitor over an inference log: tables, a fired alert with its webhook and a retraining run, a report', async () => {
    const marker = join(dir, 'retrained.txt');
    await service.create(
      {
        name: 'flights-quality',
        source: { inference_log: { model: 'flights' } },
        profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
        baseline,
        alert_rules: [
          {
            name: 'accuracy-drop',
            metric: 'accuracy_score',
            direction: 'below',
            threshold: 0.8,
            retrain: { command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, process.env.HANGAR_ALERT_ID); console.log('trained'); console.error('warn')`] },
          },
          { name: 'x-drift', table: 'drift', metric: 'js_distance', column_name: 'x', threshold: 0.99 },
        ],
      },
      'alice',
    );
    const run = await service.run('flights-quality');
    expect(run.errorMessage).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    const summary = run.summary as { windows: number; alerts_fired: string[]; evaluations: Array<{ rule: string; violated: boolean; violations: number }> };
    expect(summary.windows).toBe(12);
    expect(summary.evaluations.find((e) => e.rule === 'accuracy-drop')).toMatchObject({ violated: true, violations: 3 });
    expect(summary.evaluations.find((e) => e.rule === 'x-drift')?.violated).toBe(false);
    expect(summary.alerts_fired.length).toBe(1);

    const table = await service.metrics('flights-quality', 'profile', { column_name: ':table', model_id: '*', slice_key: null, log_type: 'INPUT' });
    expect(table.length).toBe(12);
    expect((table[0]!.window as { start: number }).start).toBe(Date.parse('2026-05-01T00:00:00Z'));
    expect(table[0]!.accuracy_score).toBe(1);
    expect(table[11]!.accuracy_score).toBe(0);
    const drift = await service.metrics('flights-quality', 'drift', { column_name: 'x', drift_type: 'BASELINE' });
    expect(drift.length).toBe(12);
    expect(drift[11]!.drift_detected).toBe(true);

    const [alert] = await service.alerts({ monitor: 'flights-quality' });
    expect(alert).toMatchObject({ status: 'FIRED', ruleName: 'accuracy-drop' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ name: 'monitor.alert_fired', data: { name: 'flights', monitor: 'flights-quality', rule: 'accuracy-drop', alert_id: alert!.alertId, retrain_run_id: alert!.retrainRunId } });

    await service.idle();
    expect(readFileSync(marker, 'utf8')).toBe(alert!.alertId);
    const retrain = await store.getRun(alert!.retrainRunId!);
    expect(retrain.info.status).toBe('FINISHED');
    const tags = Object.fromEntries(retrain.data.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ 'hangar.monitor': 'flights-quality', 'hangar.alert_id': alert!.alertId, 'hangar.monitor_run_id': run.runId, 'hangar.exit_code': '0' });
    const runDir = retrain.info.artifactUri.replace('mlflow-artifacts:/', '');
    expect(await text(await artifacts.get(`${runDir}/stdout.txt`))).toBe('trained\n');
    expect(await text(await artifacts.get(`${runDir}/stderr.txt`))).toBe('warn\n');

    const html = await text(await service.report(run.runId));
    expect(html).toContain('<svg');
    expect(html).toContain('accuracy-drop: FIRED');

    // A second run over the same data: the alert stays open (no second webhook), the windows are recomputed, not duplicated.
    const again = await service.run('flights-quality');
    expect(again.status).toBe('SUCCEEDED');
    expect(events).toHaveLength(1);
    expect((await service.metrics('flights-quality', 'profile', { column_name: ':table', model_id: '*', slice_key: null, log_type: 'INPUT' })).length).toBe(12);
  });

  it('records a failing command as a FAILED run, and a run whose data does not fit as a FAILED monitor run', async () => {
    await service.create(
      {
        name: 'always',
        source: { inference_log: { model: 'flights' } },
        profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
        alert_rules: [{ name: 'rows', metric: 'count', threshold: 1, retrain: { command: [process.execPath, '-e', 'process.exit(3)'] } }],
      },
      'alice',
    );
    await service.run('always');
    await service.idle();
    const [alert] = await service.alerts({ monitor: 'always' });
    const retrain = await store.getRun(alert!.retrainRunId!);
    expect(retrain.info.status).toBe('FAILED');
    expect(retrain.data.tags.find((t) => t.key === 'hangar.exit_code')?.value).toBe('3');

    await service.create({ name: 'broken', source: { table: baseline }, profile: { type: 'TimeSeries', timestamp_col: 'nope', granularities: ['1 day'] } }, 'alice');
    const failed = await service.run('broken');
    expect(failed.status).toBe('FAILED');
    expect(failed.errorMessage).toMatch(/Column 'nope' \(profile.timestamp_col\) is not in the source/);
  });

  it('delivers monitor.alert_fired to subscribed webhooks through governance by default', async () => {
    const bodies: string[] = [];
    const receiver = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const gov = governanceFor(store, { webhooks: { allowPrivateHosts: true, maxRetries: 0 } });
      await gov.createWebhook({ name: 'admin', isAdmin: true, authenticated: true }, { name: 'alerts', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['monitor.alert_fired'] });
      const svc = new MonitorService({ store, artifacts });
      await svc.create({ name: 'hooked', source: { table: baseline }, profile: { type: 'Snapshot' }, columns: ['x'], alert_rules: [{ name: 'rows', metric: 'count', threshold: 10, num_evaluation_windows: 1, num_violation_windows: 1 }] }, 'alice');
      expect((await svc.run('hooked')).status).toBe('SUCCEEDED');
      await gov.webhooks.idle();
      expect(bodies).toHaveLength(1);
      const body = JSON.parse(bodies[0]!) as { entity: string; action: string; data: Record<string, unknown>; text: string };
      expect(body).toMatchObject({ entity: 'monitor', action: 'alert_fired', data: { monitor: 'hooked', rule: 'rows', metric: 'count', value: 1500, violations: 1, evaluated: 1 } });
      expect(body.text).toBe("Monitor 'hooked': alert rule 'rows' fired (count above 10 in 1 of the last 1 windows).");
    } finally {
      receiver.close();
    }
  });

  it('a starting scheduler reclaims only runs whose owner lease expired, never the run of a live server', async () => {
    const a = new MonitorService({ store, artifacts, emit: async () => {}, instanceId: 'server-a', leaseMs: 60_000 });
    const b = new MonitorService({ store, artifacts, emit: async () => {}, instanceId: 'server-b', leaseMs: 60_000 });
    await a.create({ name: 'shared', source: { table: baseline }, profile: { type: 'Snapshot' } }, 'alice');
    // A run of server A's, recorded with its owner and lease.
    const done = await a.run('shared');
    expect(done).toMatchObject({ status: 'SUCCEEDED', owner: 'server-a' });
    expect(done.leaseExpires).toBeGreaterThan(done.startTimestamp);
    // Server A is in the middle of a run; a run of a stopped server's lease ran out; a run from before leases has none.
    const live = await a.monitoringStore.startRun({ monitorName: 'shared', monitorVersion: 1, trigger: 'SCHEDULE', owner: 'server-a', leaseMs: 60_000 });
    const stale = await a.monitoringStore.startRun({ monitorName: 'shared', monitorVersion: 1, trigger: 'SCHEDULE', owner: 'server-c', leaseMs: 1 });
    const legacy = await a.monitoringStore.startRun({ monitorName: 'shared', monitorVersion: 1, trigger: 'SCHEDULE' });
    await new Promise((r) => setTimeout(r, 5));
    const lines: string[] = [];
    const scheduler = new MonitorScheduler(b, { log: (m) => void lines.push(m) });
    await scheduler.start();
    await scheduler.stop();
    expect((await b.getRun(live.runId)).status).toBe('RUNNING');
    expect(await b.getRun(stale.runId)).toMatchObject({ status: 'FAILED', errorMessage: 'The server running it stopped: its lease expired before the run finished.' });
    expect((await b.getRun(legacy.runId)).status).toBe('FAILED');
    expect(lines).toContain('2 monitor run(s) of a stopped server (lease expired) marked FAILED');
    await a.monitoringStore.finishRun(live.runId, { status: 'SUCCEEDED', summary: {} });
  });

  it('the scheduler runs due monitors one at a time and sets the next time', async () => {
    let now = Date.parse('2026-07-01T10:00:00Z');
    const svc = new MonitorService({ store, artifacts, emit: async () => {}, now: () => now });
    await svc.create({ name: 'hourly', source: { table: baseline }, profile: { type: 'Snapshot' }, schedule: '1h' }, 'alice');
    await svc.create({ name: 'cron', source: { table: baseline }, profile: { type: 'Snapshot' }, schedule: '0 18 * * *' }, 'alice');
    const scheduler = new MonitorScheduler(svc, { now: () => now });
    await scheduler.tick();
    expect((await svc.runs('hourly')).length).toBe(1);
    expect((await svc.runs('cron')).length).toBe(1);
    expect((await svc.get('hourly')).nextRunTimestamp).toBe(now + 3_600_000);
    expect((await svc.get('cron')).nextRunTimestamp).toBe(Date.parse('2026-07-01T18:00:00Z'));
    now += 30 * 60_000;
    await scheduler.tick();
    expect((await svc.runs('hourly')).length).toBe(1);
    now += 31 * 60_000;
    await scheduler.tick();
    expect((await svc.runs('hourly')).length).toBe(2);
    await svc.setStatus('hourly', 'PAUSED');
    now += 2 * 3_600_000;
    await scheduler.tick();
    expect((await svc.runs('hourly')).length).toBe(2);
    const snap = await svc.metrics('hourly', 'profile', { column_name: 'x' });
    expect(snap[0]).toMatchObject({ count: 1500, granularity: null });
    await scheduler.stop();
  });
});
