import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeMonitor } from './compute.js';
import { parseMonitorDefinition } from './spec.js';
import { writeBaselineFixture, writeLogFixture } from './test-data.js';

const DAY = 86_400_000;

describe('a monitor run computes profile and drift tables', () => {
  let dir: string;
  let log: string;
  let baseline: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-mon-compute-'));
    log = join(dir, 'log.parquet');
    baseline = join(dir, 'baseline.parquet');
    await writeLogFixture(log, { start: '2026-05-01', days: 40, rowsPerDay: 200, driftFromDay: 37, emptyDays: [34], version2FromDay: 38 });
    await writeBaselineFixture(baseline, 2000);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const def = (extra: Record<string, unknown> = {}) =>
    parseMonitorDefinition({
      name: 'm',
      source: { table: log },
      profile: { type: 'InferenceLog', granularities: ['1 day'], label_col: 'label', prediction_proba_col: 'prediction_proba', problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
      baseline,
      ...extra,
    });

  it('the first run covers the last 30 days, reports an empty window as count 0, and finds drift, quality and operations', async () => {
    const out = await computeMonitor({ def: def(), monitorVersion: 1, runId: 'run1', computedAt: Date.parse('2026-06-20T00:00:00Z'), watermark: null, store: null, logRoot: null });
    const newestDay = Date.parse('2026-06-09T00:00:00Z');
    expect(out.newest).toBeGreaterThan(newestDay);
    expect(out.from).toBe(out.newest! - 30 * DAY);
    const all = out.profile.filter((r) => r.column_name === ':table' && r.model_id === '*' && r.slice_key === null && r.log_type === 'INPUT');
    // 30 days back from a timestamp within the last day: 31 daily windows, the first partial.
    expect(all.length).toBe(31);
    const emptyDay = all.find((r) => r.window_start === Date.parse('2026-06-04T00:00:00Z'))!;
    expect(emptyDay.count).toBe(0);
    expect(Object.values(emptyDay).some((v) => typeof v === 'number' && Number.isNaN(v))).toBe(false);
    const full = all.find((r) => r.window_start === Date.parse('2026-06-01T00:00:00Z'))!;
    expect(full.count).toBe(200);
    expect(full.window_end).toBe(Date.parse('2026-06-02T00:00:00Z'));
    expect(full.accuracy_score).toBe(1);
    expect(full.roc_auc).toBe(1);
    expect(full.error_rate as number).toBeLessThan(0.1);
    expect(full.latency_p50_ms as number).toBeGreaterThan(5);
    expect(full.throughput_per_second).toBeCloseTo(200 / 86400, 8);
    const drifted = all.find((r) => r.window_start === Date.parse('2026-06-07T00:00:00Z'))!;
    expect(drifted.accuracy_score).toBe(0);

    // Per-model rows: version 2 from day 38 (7 June is day 37: version 1 only).
    const v2 = out.profile.filter((r) => r.column_name === ':table' && r.model_id === '2' && r.slice_key === null);
    expect(v2.map((r) => r.window_start)).toEqual([Date.parse('2026-06-08T00:00:00Z'), Date.parse('2026-06-09T00:00:00Z')]);

    const x = out.profile.find((r) => r.column_name === 'x' && r.window_start === Date.parse('2026-06-01T00:00:00Z') && r.model_id === '*' && r.slice_key === null)!;
    expect(x.count).toBe(200);
    expect(x.avg as number).toBeGreaterThan(3);
    expect((x.quantiles as number[]).length).toBe(5);
    const cat = out.profile.find((r) => r.column_name === 'cat' && r.window_start === Date.parse('2026-06-01T00:00:00Z') && r.model_id === '*' && r.slice_key === null)!;
    expect((cat.frequent_items as Array<{ item: string }>)[0]!.item).toBe('a');
    expect(cat.distinct_count).toBe(3);
    expect(out.profile.filter((r) => r.log_type === 'BASELINE' && r.column_name === 'x')[0]!.count).toBe(2000);

    const xb = (day: string) => out.drift.find((r) => r.column_name === 'x' && r.drift_type === 'BASELINE' && r.window_start === Date.parse(day) && r.slice_key === null)!;
    expect(xb('2026-06-01T00:00:00Z').drift_detected).toBe(false);
    expect(xb('2026-06-07T00:00:00Z').drift_detected).toBe(true);
    expect((xb('2026-06-07T00:00:00Z').ks_test as { pvalue: number }).pvalue).toBeLessThan(0.001);
    // No CONSECUTIVE comparison across the empty day.
    expect(out.drift.some((r) => r.drift_type === 'CONSECUTIVE' && r.window_start === Date.parse('2026-06-05T00:00:00Z'))).toBe(false);
    expect(out.drift.some((r) => r.drift_type === 'CONSECUTIVE' && r.window_start === Date.parse('2026-06-06T00:00:00Z'))).toBe(true);
    const catDrift = out.drift.find((r) => r.column_name === 'cat' && r.drift_type === 'BASELINE' && r.window_start === Date.parse('2026-06-01T00:00:00Z'))!;
    expect(catDrift.chi_squared_test).toBeDefined();
    expect(catDrift.js_distance as number).toBeLessThan(0.1);
  });

  it('slices by expression, and a later run starts from the previous watermark', async () => {
    const out = await computeMonitor({
      def: def({ slicing_exprs: ["cat = 'a'"], profile: { type: 'TimeSeries', timestamp_col: 'timestamp', granularities: ['1 week', '1 day'] } }),
      monitorVersion: 2,
      runId: 'run2',
      computedAt: 0,
      watermark: Date.parse('2026-06-05T12:00:00Z'),
      store: null,
      logRoot: null,
    });
    const weekly = out.profile.filter((r) => r.granularity === '1 week' && r.column_name === ':table' && r.slice_key === null);
    // Weeks start on Monday.
    expect(new Date(weekly[0]!.window_start!).getUTCDay()).toBe(1);
    const sliced = out.profile.filter((r) => r.slice_key === "cat = 'a'" && r.column_name === ':table' && r.granularity === '1 day' && r.window_start === Date.parse('2026-06-01T00:00:00Z'));
    expect(sliced.map((r) => r.slice_value).sort()).toEqual(['false', 'true']);
    expect(sliced.reduce((a, r) => a + (r.count as number), 0)).toBe(200);
    expect(out.profile.every((r) => r.model_id === '*')).toBe(true);
  });

  it('with refresh_days 0 a later run recomputes only the windows since the previous run', async () => {
    const out = await computeMonitor({ def: def({ refresh_days: 0 }), monitorVersion: 1, runId: 'r3', computedAt: 0, watermark: Date.parse('2026-06-05T12:00:00Z'), store: null, logRoot: null });
    const days = out.profile.filter((r) => r.column_name === ':table' && r.model_id === '*' && r.slice_key === null && r.log_type === 'INPUT').map((r) => r.window_start);
    expect(days).toEqual([5, 6, 7, 8, 9].map((d) => Date.parse(`2026-06-0${d}T00:00:00Z`)));
    // The first recomputed window has no previous window in this run: no CONSECUTIVE row for it (the earlier run's stays).
    expect(out.drift.some((r) => r.drift_type === 'CONSECUTIVE' && r.window_start === Date.parse('2026-06-05T00:00:00Z'))).toBe(false);
  });

  it('names the field when the definition does not fit the data', async () => {
    await expect(computeMonitor({ def: def({ profile: { type: 'TimeSeries', timestamp_col: 'when', granularities: ['1 day'] } }), monitorVersion: 1, runId: 'r', computedAt: 0, watermark: null, store: null, logRoot: null })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      field: 'profile.timestamp_col',
    });
    await expect(computeMonitor({ def: def({ slicing_exprs: ['nope > 1'] }), monitorVersion: 1, runId: 'r', computedAt: 0, watermark: null, store: null, logRoot: null })).rejects.toMatchObject({ field: 'slicing_exprs' });
  });
});
