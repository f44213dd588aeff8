/**
 * A monitor run reads back only the run files that can hold the windows it needs: as daily runs
 * accumulate, each run downloads the same number of metric files, and every rule still sees what
 * a read of every run's files gives. Copies of remote files go to the service's cache folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore, type ArtifactStore } from '../../artifacts/index.js';
import { cacheKeyOf } from '../../serving/index.js';
import { openStore, type Store } from '../../store/index.js';
import { evaluateRule, ruleQuery, type RuleEvaluation } from './alerts.js';
import { readTable } from './results.js';
import { MonitorService, type RunSummary } from './service.js';
import { writeBaselineFixture, writeLogFixture } from './test-data.js';

const DAY = 86_400_000;
const first = Date.parse('2026-05-01T00:00:00Z');
const isoDay = (d: number): string => new Date(first + d * DAY).toISOString().slice(0, 10);

/**
 * A local store that presents itself as a remote one (so every metric file a run reads is
 * fetched through `get` into the cache), counting the fetches of metric files.
 */
function countingRemote(local: ArtifactStore, root: string): { store: ArtifactStore; gets: string[] } {
  const gets: string[] = [];
  const store = new Proxy(local, {
    get(target, prop) {
      if (prop === 'rootUri') return root;
      if (prop === 'get') {
        return (path: string) => {
          if (path.endsWith('.parquet')) gets.push(path);
          return target.get(path);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store, gets };
}

describe('monitor runs read a bounded number of metric files', () => {
  let dir: string;
  let store: Store;
  let local: ArtifactStore;
  let logRoot: string;
  let baseline: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-mon-reads-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    local = await openLocalArtifactStore(join(dir, 'artifacts'));
    logRoot = join(dir, 'inference-log');
    baseline = join(dir, 'baseline.parquet');
    await writeBaselineFixture(baseline, 500);
  });
  afterAll(async () => {
    await store.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Day `d` of traffic: model version 1 until day `v2From`, version 2 after. */
  async function writeDay(model: string, d: number, v2From: number): Promise<void> {
    const folder = join(logRoot, model, `date=${isoDay(d)}`);
    mkdirSync(folder, { recursive: true });
    await writeLogFixture(join(folder, `${d}.parquet`), { start: isoDay(d), days: 1, rowsPerDay: 40, ...(d >= v2From ? { version2FromDay: 0 } : {}) });
  }

  /** What the rules give over every successful run's files (the reading before bounded reads). */
  async function fullEvaluations(service: MonitorService, artifacts: ArtifactStore, name: string): Promise<RuleEvaluation[]> {
    const def = (await service.get(name)).definition;
    const runs = (await service.runs(name, 1000)).filter((r) => r.status === 'SUCCEEDED').reverse();
    const out: RuleEvaluation[] = [];
    for (const rule of def.alert_rules) {
      const paths = runs.map((r) => (r.summary as unknown as RunSummary)[rule.table === 'profile' ? 'profile_path' : 'drift_path']);
      const { exclude_all_models, ...q } = ruleQuery(rule, def);
      const rows = await readTable(artifacts, rule.table, paths, { ...q, max_results: 100_000 }, join(dir, 'full-cache'));
      out.push(evaluateRule(rule, rows, exclude_all_models));
    }
    return out;
  }

  it('daily runs: each downloads the same few files however many ran before, with the same verdicts as reading every file', async () => {
    const root = 'mem://bounded-reads';
    const { store: artifacts, gets } = countingRemote(local, root);
    const cacheDir = join(dir, 'home', 'cache', 'data');
    const service = new MonitorService({ store, artifacts, logRoot, cacheDir, reportWindows: 3, emit: async () => {} });
    await service.create(
      {
        name: 'daily',
        source: { inference_log: { model: 'm1' } },
        profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
        baseline,
        columns: ['x', 'cat'],
        refresh_days: 1,
        alert_rules: [
          { name: 'rows', metric: 'count', direction: 'below', threshold: 50, num_evaluation_windows: 2, num_violation_windows: 1 },
          { name: 'x-drift', table: 'drift', metric: 'js_distance', column_name: 'x', model_id: '*', threshold: 0.5, num_evaluation_windows: 2, num_violation_windows: 1 },
          // Without model_id, an inference-log drift rule reads the all-models rows (the only drift rows); 5 windows by default.
          { name: 'x-drift-per-model', table: 'drift', metric: 'js_distance', column_name: 'x', threshold: 0.5 },
        ],
      },
      'alice',
    );
    const downloads: number[] = [];
    const filesRead: number[] = [];
    for (let d = 0; d < 9; d++) {
      await writeDay('m1', d, 1000);
      // An empty cache before each run: every metric file the run reads is downloaded, and counted.
      rmSync(cacheDir, { recursive: true, force: true });
      gets.length = 0;
      const run = await service.run('daily');
      expect(run.status).toBe('SUCCEEDED');
      downloads.push(new Set(gets).size);
      const summary = run.summary as unknown as RunSummary;
      filesRead.push(summary.files_read);
      expect(summary.evaluations).toEqual(await fullEvaluations(service, artifacts, 'daily'));
      expect(summary.evaluations.map((e) => e.evaluated)).toEqual([Math.min(2, d + 1), Math.min(2, d + 1), Math.min(5, d + 1)]);
    }
    // Each run merges the previous run's recent files with its own files into its recent files
    // (the report's 3 windows), and answers its report's and rules' reads while merging: 2 + 2
    // files read, none read back. The third rule's 5 windows reach past those 3: it reads the
    // drift files of the runs whose newest row is at most 5 days before this run's (6 from the
    // sixth run on), however many runs came before.
    expect(filesRead.slice(1)).toEqual([6, 7, 8, 9, 10, 10, 10, 10]);
    // Downloaded: the previous recent files, this run's own and the third rule's run files.
    expect(downloads).toEqual([2, 5, 6, 7, 8, 9, 9, 9, 9]);

    // Only the newest run's recent files are kept.
    expect(readdirSync(join(dir, 'artifacts', 'monitors', 'daily', 'recent', 'profile'))).toHaveLength(1);
    // A recent file gone (removed by hand, and not in the cache): the next run rebuilds its own
    // from the run files that can hold the report's windows, with the same verdicts.
    const [last] = await service.runs('daily', 1);
    await local.delete((last!.summary as unknown as RunSummary).recent.profile!.path);
    await writeDay('m1', 9, 1000);
    rmSync(cacheDir, { recursive: true, force: true });
    const rebuilt = await service.run('daily');
    // 2 tried (the previous recent file is missing), 4 run files, 2 for the drift table, 6 for the third rule.
    expect((rebuilt.summary as unknown as RunSummary).files_read).toBe(14);
    expect((rebuilt.summary as unknown as RunSummary).evaluations).toEqual(await fullEvaluations(service, artifacts, 'daily'));

    // The copies went to the service's cache folder, none to the temp folder's default cache.
    const key = cacheKeyOf(root, 'monitors/daily').split('/')[0]!;
    expect(existsSync(join(cacheDir, key, 'monitors', 'daily'))).toBe(true);
    expect(existsSync(join(tmpdir(), 'hangar-data-cache', key))).toBe(false);
    // Staging of the written tables happens under the cache folder too, and is cleaned up.
    expect(readdirSync(join(cacheDir, 'staging'))).toEqual([]);

    // A metrics query with `from` reads only the files that can hold those windows.
    rmSync(cacheDir, { recursive: true, force: true });
    gets.length = 0;
    const recent = await service.metrics('daily', 'profile', { column_name: ':table', model_id: '*', slice_key: null, log_type: 'INPUT', from: first + 7 * DAY });
    expect(recent.map((r) => (r.window as { start: number }).start)).toEqual([first + 7 * DAY, first + 8 * DAY, first + 9 * DAY]);
    expect(new Set(gets).size).toBe(3);
  });

  it('reads further back while a rule has fewer rows than its windows (a model version no longer served), with the same verdict', async () => {
    const service = new MonitorService({ store, artifacts: local, logRoot, reportWindows: 2, emit: async () => {} });
    await service.create(
      {
        name: 'retired',
        source: { inference_log: { model: 'm2' } },
        profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
        columns: ['x'],
        refresh_days: 1,
        alert_rules: [
          { name: 'v1-rows', metric: 'count', model_id: '1', direction: 'below', threshold: 50, num_evaluation_windows: 3, num_violation_windows: 1 },
          { name: 'any-rows', metric: 'count', direction: 'above', threshold: 10, num_evaluation_windows: 4, num_violation_windows: 4 },
        ],
      },
      'alice',
    );
    for (let d = 0; d < 8; d++) {
      await writeDay('m2', d, 3);
      const run = await service.run('retired');
      expect(run.status).toBe('SUCCEEDED');
      const evaluations = (run.summary as unknown as RunSummary).evaluations;
      expect(evaluations).toEqual(await fullEvaluations(service, local, 'retired'));
    }
    const [v1, any] = ((await service.runs('retired', 1))[0]!.summary as unknown as RunSummary).evaluations;
    // Version 1 served days 0–2 only: its 3 windows are found by reading further back.
    expect(v1!.windows.map((w) => [w.start, w.model_id])).toEqual([2, 1, 0].map((d) => [first + d * DAY, '1']));
    expect(any).toMatchObject({ evaluated: 4, violations: 4, violated: true });
  });
  it('Snapshot monitors (one window per run, at its start): the newest windows are the newest runs', async () => {
    const service = new MonitorService({ store, artifacts: local, reportWindows: 3, emit: async () => {} });
    await service.create(
      { name: 'snap', source: { table: baseline }, profile: { type: 'Snapshot' }, columns: ['x'], alert_rules: [{ name: 'rows', metric: 'count', threshold: 10, num_evaluation_windows: 2, num_violation_windows: 2 }] },
      'alice',
    );
    const read: number[] = [];
    for (let k = 0; k < 6; k++) {
      const run = await service.run('snap');
      const summary = run.summary as unknown as RunSummary;
      read.push(summary.files_read);
      expect(summary.evaluations).toEqual(await fullEvaluations(service, local, 'snap'));
      expect(summary.evaluations[0]!.windows.map((w) => w.start)).toEqual(
        (await service.runs('snap', 2)).map((r) => r.startTimestamp),
      );
    }
    expect(new Set(read.slice(2)).size).toBe(1);
  });
});
