import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorsClient } from '../../client/monitors.js';
import { startMonitorServer, type MonitorServer } from '../../../test/support/monitor-server.js';
import { apiError } from '../../../test/support/api-error.js';

describe('monitors over REST and the SDK', () => {
  let monitors: MonitorsClient;
  let baseline: string;
  let fixture: MonitorServer;

  beforeAll(async () => {
    fixture = await startMonitorServer('hangar-mon-rest-');
    ({ monitors, baseline } = fixture);
  });
  afterAll(() => fixture?.close());

  it('creates, runs, lists runs, reads both tables, alerts and the report', async () => {
    const created = await monitors.create({
      name: 'churn',
      source: { inference_log: { model: 'churn' } },
      profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
      baseline,
      slicing_exprs: ["cat = 'a'"],
      alert_rules: [{ name: 'accuracy', metric: 'accuracy_score', direction: 'below', threshold: 0.7, num_evaluation_windows: 3, num_violation_windows: 2 }],
    });
    expect(created).toMatchObject({ name: 'churn', status: 'ACTIVE', monitorVersion: 1, nextRunTimestamp: null, watermark: null });
    expect(created.definition.alert_rules?.[0]).toMatchObject({ column_name: ':table', num_evaluation_windows: 3 });
    expect((await monitors.list()).map((m) => m.name)).toEqual(['churn']);

    const run = await monitors.run('churn');
    expect(run).toMatchObject({ status: 'SUCCEEDED', trigger: 'MANUAL', errorMessage: null });
    expect((await monitors.get('churn')).watermark).toBeGreaterThan(Date.parse('2026-05-08T00:00:00Z'));
    expect((await monitors.runs('churn')).map((r) => r.runId)).toEqual([run.runId]);

    const table = await monitors.profileMetrics('churn', { columnName: ':table', wholeTable: true, modelId: '*', logType: 'INPUT' });
    expect(table.map((r) => r.count)).toEqual([80, 80, 80, 80, 80, 80, 80, 80]);
    expect(table[0]!.window).toEqual({ start: Date.parse('2026-05-01T00:00:00Z'), end: Date.parse('2026-05-02T00:00:00Z') });
    expect(table[7]!.accuracy_score).toBe(0);
    const sliced = await monitors.profileMetrics('churn', { sliceKey: "cat = 'a'", sliceValue: 'true', columnName: 'x', modelId: '*', logType: 'INPUT' });
    expect(sliced.length).toBe(8);
    const drift = await monitors.driftMetrics('churn', { columnName: 'x', driftType: 'BASELINE', wholeTable: true });
    expect(drift.length).toBe(8);
    expect(drift.at(-1)!.drift_detected).toBe(true);
    expect(drift[0]!.drift_method).toBeTypeOf('string');

    const alerts = await monitors.alerts({ name: 'churn' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ ruleName: 'accuracy', status: 'FIRED', runId: run.runId, retrainRunId: null });

    const html = await monitors.report(run.runId);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('accuracy: FIRED');
  });

  it('answers bad input with 400 naming the field, unknown monitors with 404, taken names with RESOURCE_ALREADY_EXISTS', async () => {
    const bad = await apiError(
      monitors.create({ name: 'x', source: { table: baseline }, profile: { type: 'TimeSeries', timestamp_col: 't', granularities: ['2 days'] } }),
    );
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/profile.granularities.0/);
    const sql = await apiError(monitors.create({ name: 'x', source: { table: baseline }, profile: { type: 'Snapshot' }, slicing_exprs: ["read_csv('/etc/passwd') is not null"] }));
    expect(sql.message).toMatch(/slicing_exprs.0.*function calls are not allowed/);
    const cron = await apiError(monitors.create({ name: 'x', source: { table: baseline }, profile: { type: 'Snapshot' }, schedule: '61 * * * *' }));
    expect(cron.message).toMatch(/schedule/);
    const missing = await apiError(monitors.get('nope'));
    expect(missing.status).toBe(404);
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await apiError(monitors.run('nope'))).status).toBe(404);
    const taken = await apiError(monitors.create({ name: 'churn', source: { table: baseline }, profile: { type: 'Snapshot' } }));
    expect(taken.code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it("the server's scheduler starts a scheduled monitor's first run by itself", async () => {
    await monitors.create({ name: 'scheduled', source: { table: baseline }, profile: { type: 'Snapshot' }, columns: ['x'], schedule: '1h' });
    let runs = await monitors.runs('scheduled');
    for (let i = 0; i < 200 && !(runs.length > 0 && runs[0]!.status !== 'RUNNING'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      runs = await monitors.runs('scheduled');
    }
    expect(runs[0]).toMatchObject({ status: 'SUCCEEDED', trigger: 'SCHEDULE' });
    const m = await monitors.get('scheduled');
    expect(m.nextRunTimestamp! - runs[0]!.startTimestamp).toBeGreaterThan(3_590_000);
  });

  it('records a run whose data does not fit as FAILED, pauses and deletes', async () => {
    await monitors.create({ name: 'snap', source: { table: baseline }, profile: { type: 'TimeSeries', timestamp_col: 'missing', granularities: ['1 day'] }, schedule: '1h' });
    const run = await monitors.run('snap');
    expect(run.status).toBe('FAILED');
    expect(run.errorMessage).toMatch(/missing/);
    expect((await monitors.pause('snap')).status).toBe('PAUSED');
    await monitors.delete('snap');
    expect((await apiError(monitors.get('snap'))).status).toBe(404);
    expect((await apiError(monitors.report(run.runId))).status).toBe(404);
  });
});
