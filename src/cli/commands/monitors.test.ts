import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBaselineFixture, writeLogFixture } from '../../monitoring/monitors/test-data.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { runCliAgainst } from '../test-support/cli.js';

describe('hangar monitor create|list|show|run|metrics|alerts|report', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'hangar-mon-cli-'));
    const day = join(server.home, 'artifacts', 'inference-log', 'delays', 'date=2026-05-01');
    mkdirSync(day, { recursive: true });
    await writeLogFixture(join(day, '1-0.parquet'), { start: '2026-05-01', days: 6, rowsPerDay: 50, driftFromDay: 4 });
    await writeBaselineFixture(join(dir, 'train.parquet'), 800);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates from YAML, runs, and prints tables and JSON', async () => {
    const file = join(dir, 'monitor.yaml');
    writeFileSync(
      file,
      [
        'name: delays',
        'source: { inference_log: { model: delays } }',
        'profile: { type: InferenceLog, granularities: ["1 day"], problem_type: PROBLEM_TYPE_CLASSIFICATION }',
        `baseline: ${join(dir, 'train.parquet')}`,
        'schedule: "0 18 * * *"',
        'alert_rules:',
        '  - { name: accuracy, metric: accuracy_score, direction: below, threshold: 0.6 }',
      ].join('\n'),
    );
    const created = await runCliAgainst(server.url, ['monitor', 'create', '--file', file]);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    expect(created.out).toContain("Created monitor 'delays' over the inference log of delays, scheduled '0 18 * * *'.");

    const list = await runCliAgainst(server.url, ['monitor', 'list']);
    expect(list.out).toMatch(/delays\s+inference log of delays\s+InferenceLog\s+0 18 \* \* \*\s+ACTIVE/);

    const run = await runCliAgainst(server.url, ['monitor', 'run', 'delays']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/SUCCEEDED\s+MANUAL/);
    expect(run.out).toContain('rule accuracy: VIOLATED (2 of the last 5 windows)');

    const metrics = await runCliAgainst(server.url, ['monitor', 'metrics', 'delays', '--column', ':table', '--whole-table', '--model', '*', '--log-type', 'INPUT', '--json']);
    const rows = JSON.parse(metrics.out) as Array<{ count: number; accuracy_score: number }>;
    expect(rows.map((r) => r.count)).toEqual([50, 50, 50, 50, 50, 50]);
    expect(rows.map((r) => r.accuracy_score)).toEqual([1, 1, 1, 1, 0, 0]);
    const table = await runCliAgainst(server.url, ['monitor', 'metrics', 'delays', '--drift', '--column', 'x', '--drift-type', 'BASELINE']);
    expect(table.out).toMatch(/WINDOW \(UTC\)\s+TYPE\s+SLICE\s+COLUMN\s+MODEL\s+DRIFT_METHOD/);
    expect(table.out.trim().split('\n')).toHaveLength(7);

    const alerts = await runCliAgainst(server.url, ['monitor', 'alerts', 'delays']);
    expect(alerts.out).toMatch(/delays\s+accuracy\s+FIRED/);

    const show = await runCliAgainst(server.url, ['monitor', 'show', 'delays']);
    expect(show.out).toContain('below 0.6 in 2 of 5');
    const runId = /(mrun_[0-9a-f]+)/.exec(show.out)![1]!;
    const out = join(dir, 'report.html');
    const report = await runCliAgainst(server.url, ['monitor', 'report', runId, '--out', out]);
    expect(report.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<svg');
  });

  it('fails with the server error for bad definitions and unknown monitors', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad', source: { table: 'x.parquet' }, profile: { type: 'TimeSeries', granularities: ['1 day'] } }));
    const bad = await runCliAgainst(server.url, ['monitor', 'create', '--file', file]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/INVALID_PARAMETER_VALUE.*profile.timestamp_col/);
    const missing = await runCliAgainst(server.url, ['monitor', 'run', 'nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/RESOURCE_DOES_NOT_EXIST/);
  });
});
