import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { fileURLToPath } from 'node:url';
import { FeaturesClient, HangarClient, InferenceClient, MonitorsClient } from '../client/index.js';
import { readTable } from '../data/index.js';
import { flightsParquet } from '../demo/main-job.js';
import { runCli } from './program.js';
import { startServer } from './serve.js';
import { testIo } from './test-support/cli.js';

/** `hangar demo`, the main job, end to end on a temp home with the real flights data. */

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'hangar-demo-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('hangar demo', () => {
  it('--no-serve ingests, computes features, trains, gates and promotes, replays May–June to June 30 under a monitor of the inference log, retrains, promotes and serves the new champion; works twice in the same home', async () => {
    const first = testIo();
    expect(await runCli(['demo', '--no-serve', '--home', home], first.io)).toBe(0);
    expect(first.err()).toBe('');
    const out1 = first.out();
    expect(out1).toMatch(/demo: server http:\/\/127\.0\.0\.1:\d+, home /);
    // Issue 4: a versioned dataset, feature tables computed from it, point-in-time training sets, the online store.
    expect(out1).toMatch(/dataset {5}flights v1 \(new\): 3,000,000 rows, digest [0-9a-f]{12}…, expectations on 5 columns passed/);
    expect(out1).toContain('features    examples/flights/features.ts: origin_delays_7d created, destination_delays_7d created, route_delays_7d created; service flights_delay_model_v1 v1 created (4 features)');
    expect(out1).toMatch(/compute {5}origin_delays_7d v1 \(full\): [\d,]+ daily rows/);
    expect(out1).toMatch(/compute {5}destination_delays_7d v1 \(full\): [\d,]+ daily rows/);
    expect(out1).toMatch(/compute {5}route_delays_7d v1 \(full\): [\d,]+ daily rows/);
    // Nothing from May 1 on is used before the replay: training Jan 1–Apr 15, holdout Apr 16–30, the online store up to May 1.
    expect(out1).toMatch(/training {4}set ts_[0-9a-f]+…: [\d,]+ labelled flights \(Jan 1–Apr 15, 1 in 20\) \+ [\d,]+ \(holdout Apr 16–30, 1 in 20\), point-in-time from origin_delays_7d@v1, route_delays_7d@v1/);
    expect(out1).toMatch(/online {6}materialised the latest row per key before 2001-05-01: origin_delays_7d [\d,]+ keys, destination_delays_7d [\d,]+ keys, route_delays_7d [\d,]+ keys/);
    expect(out1).toMatch(/data {8}[\d,]+ training rows × 9 features \(origin, destination, distance, hour, weekday, origin_delay_rate_7d, origin_flights_7d, route_delay_rate_7d, route_flights_7d\)/);
    expect(out1).toMatch(/train {7}Baseline logistic regression: run [0-9a-f]{8}…, holdout AUC 0\.\d{4}, log loss 0\.\d{4} → flight-delays v1\n/);
    expect(out1).toMatch(/train {7}Gradient-boosted trees: run [0-9a-f]{8}…, holdout AUC 0\.\d{4}, log loss 0\.\d{4} → flight-delays v2\n/);
    expect(out1).toContain('compliance  v1: 8/8 rules pass');
    expect(out1).toContain('compliance  v2: 8/8 rules pass');
    expect(out1).toContain('deploy      v1 (baseline) passed the gate with no champion to compare → champion, Production');
    expect(out1).toMatch(/gate {8}v2: roc_auc 0\.\d{4} vs champion v1 0\.\d{4} → approved, alias challenger\n/);
    expect(out1).toContain('request     dana asks to move v2 to Production');
    expect(out1).toContain('approve     sam approves (the demo standing in for a person): v2 → Production');
    expect(out1).toContain('registry    flight-delays: champion v2, v2 is Production, v1 archived');
    expect(out1).toMatch(/REQUESTED_TRANSITION dana {6}None → Production/);
    expect(out1).toMatch(/APPROVED_REQUEST {5}sam {7}None → Production/);

    // Issue 5: the threshold derived before the replay from the champion's holdout AUC.
    const derived = /threshold {3}AUC < (0\.\d+): champion v2's AUC on the April 16–30 holdout (0\.\d{4}) minus 1 standard error \((0\.\d{4})\) of the AUC of one day of traffic/.exec(out1);
    expect(derived).not.toBeNull();
    const threshold = Number(derived![1]);
    expect(threshold).toBeCloseTo(Number(derived![2]) - Number(derived![3]), 3);
    // The champion served; May 1 to June 30 replayed with no failed request; a monitor over the inference log.
    expect(out1).toMatch(/serve {7}models:\/flight-delays@champion \(v2\) on http:\/\/127\.0\.0\.1:\d+; each row's departure \(column date\) is its event time/);
    expect(out1).toContain('monitor     flight-delays-daily: the inference log joined with its labels, daily windows by event time');
    expect(out1).toMatch(/replay {6}61 days \(2001-05-01 … 2001-06-30\), [\d,]+ flights in [\d,]+ requests of ≤ 25 rows, 0 failed; features looked up by service flights_delay_model_v1; labels posted each evening/);
    // No future leaked into the features served: every looked-up value is from before its flight.
    expect(out1).toContain("feature values looked up from after their flight's departure: 0\n");
    const windows = [...out1.matchAll(/^ {14}(2001-0[56]-\d\d) +(\d+) +(0\.\d{3}) +(v[\dv+]+) +(\d+\.\d{3}).*$/gm)];
    expect(windows).toHaveLength(61);
    expect(windows[0]![1]).toBe('2001-05-01');
    expect(windows.at(-1)![1]).toBe('2001-06-30');
    expect(windows[0]![4]).toBe('v2');
    // Each alert that started a retraining names days the windows show below the threshold, and two of them served by the champion.
    const auc = new Map(windows.map((w) => [w[1], Number(w[3])]));
    const retrains = [...out1.matchAll(/^ {2}alert {7}auc-2-of-5 fired on (2001-0[56]-\d\d) \(\S+\): daily AUC below ([\d.]+) on (.+); retraining starts$/gm)];
    expect(retrains.length).toBeGreaterThanOrEqual(1);
    for (const r of retrains) {
      expect(Number(r[2])).toBe(threshold);
      const days = [...r[3]!.matchAll(/(2001-\d\d-\d\d) \(v(\d+)\)/g)];
      expect(days.length).toBeGreaterThanOrEqual(2);
      for (const d of days) expect(auc.get(d[1]!)).toBeLessThan(threshold);
    }
    expect(out1).toMatch(/retrain {5}training set ts_[0-9a-f]+…: [\d,]+ flights through 2001-0[56]-\d\d \(1 in 20\); gate data: [\d,]+ other flights/);
    expect(out1).toMatch(/train {7}Gradient-boosted trees retrained after the alert: run [0-9a-f]{8}…, holdout AUC 0\.\d{4}, log loss 0\.\d{4} → flight-delays v3\n/);
    expect(out1).toContain('compliance  v3: 8/8 rules pass');
    expect(out1).toMatch(/gate {8}v3: roc_auc 0\.\d{4} vs champion v2 0\.\d{4} → (approved|rejected|failed)/);
    // A retrained version became champion, serving followed the alias the next morning, and the windows after it show it serving.
    const swap = /^ {14}(2001-0[56]-\d\d) .*swap v(\d+) → v(\d+)$/m.exec(out1);
    expect(swap).not.toBeNull();
    const [, swapDay, fromV, toV] = swap!;
    expect(Number(toV)).toBeGreaterThan(Number(fromV));
    expect(out1).toContain(`approve     sam approves (the demo standing in for a person): v${toV} → Production`);
    const served = new Map(windows.map((w) => [w[1], w[4]]));
    expect(served.get(swapDay!)).toContain(`v${toV}`);
    const last = Number(/registry {4}flight-delays: champion v(\d+) at the end of the replay; \d+ alert\(s\), (\d+) retrained version\(s\) promoted, 0 failed request\(s\)/.exec(out1)![1]);
    expect(windows.at(-1)![4]).toBe(`v${last}`);
    const versionsMade = Math.max(...[...out1.matchAll(/→ flight-delays v(\d+)\n/g)].map((m) => Number(m[1])));
    expect(out1).toContain('Done (--no-serve): server stopped.');

    // Again in the same home: new versions, gated against the champion the first run left.
    const second = testIo();
    expect(await runCli(['demo', '--no-serve', '--home', home], second.io)).toBe(0);
    const out2 = second.out();
    // The first replay left June in the online store: a second replay could only look up the future, so it is refused.
    expect(out2).toMatch(/replay {6}skipped: this home's online store already holds features after May 1 \(destination_delays_7d up to 2001-07-01, origin_delays_7d up to 2001-07-01, route_delays_7d up to 2001-07-01\)/);
    expect(out2).not.toContain('serve       ');
    expect(out2).not.toContain('(baseline) passed the gate with no champion');
    // The same file and the same definitions: the version and the tables are reused, not duplicated.
    expect(out2).toContain('dataset     flights v1 (unchanged, reused)');
    expect(out2).toContain('origin_delays_7d unchanged, destination_delays_7d unchanged, route_delays_7d unchanged; service flights_delay_model_v1 v1 unchanged (4 features)');
    expect(out2).toMatch(new RegExp(`gate {8}v${versionsMade + 2}: roc_auc 0\\.\\d{4} vs champion v${last} 0\\.\\d{4} → (approved|rejected|failed)`));

    // What the runs left behind, read back through a fresh server on the same home.
    const server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent' }));
    try {
      const client = new HangarClient(server.url);
      const versions = await client.searchAllModelVersions({ filter: "name = 'flight-delays'" });
      expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: versionsMade + 2 }, (_, k) => k + 1));
      expect(versions.find((v) => v.version === 1)!.currentStage).toBe('Archived');
      // The retrained version went through the checks and the gate, and records the alert behind it.
      const v3 = await client.getModelVersion('flight-delays', 3);
      const tags = Object.fromEntries(v3.tags.map((t) => [t.key, t.value]));
      expect(tags).toMatchObject({ compliance_status: 'passed', owner: 'dana' });
      // The project's sensitive_features rule read the retraining set's lineage: no sensitive feature.
      expect(tags['compliance.sensitive_features']).toMatch(/^PASS: no sensitive features in training set ts_[0-9a-f]+ \(origin_delays_7d v\d+, route_delays_7d v\d+\)$/);
      expect(tags.validation_status).toMatch(/^(approved|rejected|failed)$/);
      const monitors = new MonitorsClient(server.url);
      const alerts = await monitors.alerts({ name: 'flight-delays-daily' });
      expect(alerts.map((a) => a.alertId)).toContain(tags.retrained_after_alert);
      const windowsRead = await monitors.profileMetrics('flight-delays-daily', { granularity: '1 day', columnName: ':table', wholeTable: true, logType: 'INPUT' });
      expect(windowsRead.filter((r) => r.model_id === '*').length).toBeGreaterThanOrEqual(windows.length);

      // The monitor read the inference log itself: every logged row carries its flight's departure as its event time
      // (May–June 2001) and today's arrival time; no retraining set holds a flight from after its alert's day.
      const inference = new InferenceClient(server.url);
      const logged = (await inference.listFiles('flight-delays', { kind: 'predictions' })).map((f) => `'${f.path}'`);
      const times = await readTable(
        `select min(epoch_ms("timestamp"))::DOUBLE as first, max(epoch_ms("timestamp"))::DOUBLE as last, min(epoch_ms(arrival_timestamp))::DOUBLE as arrived, count(*)::DOUBLE as n from read_parquet([${logged.join(', ')}], union_by_name = true)`,
      );
      const [first, lastEvent, arrived, loggedRows] = times.columns.map((c) => (c.type === 'number' ? c.values[0]! : NaN));
      expect(first).toBeGreaterThanOrEqual(Date.UTC(2001, 4, 1));
      expect(lastEvent).toBeLessThan(Date.UTC(2001, 6, 1));
      expect(arrived).toBeGreaterThan(Date.UTC(2026, 0, 1));
      expect(loggedRows).toBe(windows.reduce((s, w) => s + Number(w[2]), 0));
      for (const r of retrains) {
        const v = await client.searchAllModelVersions({ filter: "name = 'flight-delays'" });
        const alertId = /fired on \S+ \((\S+)\)/.exec(r[0])![1];
        const model = v.find((x) => x.tags.some((t) => t.key === 'retrained_after_alert' && t.value === alertId))!;
        const run = await client.getRun(model.runId!);
        const setId = run.data.tags.find((t) => t.key === 'hangar.training_set')!.value;
        const set = await new FeaturesClient(server.url).getTrainingSet(setId);
        const span = await readTable(`select max(epoch_ms(date))::DOUBLE as newest from '${fileURLToPath(set.uri!)}'`);
        const newest = span.columns[0]!.type === 'number' ? span.columns[0]!.values[0]! : NaN;
        expect(newest).toBeLessThan(Date.parse(`${r[1]!}T00:00:00Z`) + 86_400_000);
      }
      const gbdt = await client.getModelVersion('flight-delays', 2);

      // The model was trained from a point-in-time training set and carries its look-ups.
      const trainingRun = await client.getRun(gbdt.runId!);
      const tsId = trainingRun.data.tags.find((t) => t.key === 'hangar.training_set')?.value;
      expect(tsId).toMatch(/^ts_/);
      const spec = (await client.readArtifact((await client.resolveModelUri('models:/flight-delays/2')).artifactUri, 'feature_spec.yaml')).toString('utf8');
      expect(spec).toContain('table: origin_delays_7d');
      expect(spec).toContain('table: route_delays_7d');
      // Declared and computed, but not one of the models' look-ups.
      expect(spec).not.toContain('destination_delays_7d');

      // No leakage: on a sample of training rows, each looked-up rate equals the rate recomputed
      // from the raw flights of the 7 days before the departure day (the flight's own day excluded).
      const ts = await new FeaturesClient(server.url).getTrainingSet(tsId!);
      const check = await readTable(
        `select count(*)::DOUBLE as n, count(*) filter (where abs(coalesce(t.origin_delay_rate_7d, -1) - coalesce(r.rate, -1)) > 1e-9)::DOUBLE as wrong
           from (select * from '${fileURLToPath(ts.uri!)}' where hash(date, origin) % 400 = 0) t,
           lateral (select avg((f.delay > 15)::DOUBLE) as rate from '${flightsParquet()}' f
                    where f.origin = t.origin and f.date >= date_trunc('day', t.date) - interval 7 day and f.date < date_trunc('day', t.date)) r`,
      );
      const [n, wrong] = check.columns.map((c) => (c.type === 'number' ? c.values[0] : NaN));
      expect(n).toBeGreaterThan(50);
      expect(wrong).toBe(0);

      // The gate's run on the retrained version: both models scored on the same recent flights, with MLOps Stacks' artifacts.
      const run = await client.getRun(tags.validation_run_id!);
      const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
      expect(metrics.roc_auc).toBeGreaterThan(0.6);
      expect(metrics.baseline_roc_auc).toBeGreaterThan(0.5);
      const files = (await client.listArtifacts({ runId: run.info.runId })).map((f) => f.path);
      expect(files).toEqual(expect.arrayContaining(['metrics.txt', 'validation_thresholds.txt', 'evaluation']));

      // The activity log records who asked and who approved.
      const activity = await client.governance.listActivities('flight-delays', 2);
      expect(activity.map((a) => [a.activityType, a.userId])).toEqual(
        expect.arrayContaining([
          ['REQUESTED_TRANSITION', 'dana'],
          ['APPROVED_REQUEST', 'sam'],
        ]),
      );
    } finally {
      await server.close();
    }
  }, 900_000);

  it('keeps serving until interrupted, then stops cleanly', async () => {
    const t = testIo();
    const done = runCli(['demo', '--home', home, '--port', '0', '--sample-every', '100', '--no-replay'], t.io);
    const out = await t.waitForOutput('press Ctrl+C to stop', 120_000);
    const url = /Serving on (http:\/\/\S+);/.exec(out)![1]!;
    const client = new HangarClient(url);
    expect((await client.getRegisteredModel('flight-delays')).aliases.map((a) => a.alias)).toContain('champion');
    expect(out).toContain(`MLFLOW_TRACKING_URI=${url} npx hangar models show flight-delays`);
    // The rules the job applied are left in the home; the champion passes them again.
    const rules = join(home, 'hangar.yaml');
    expect(out).toContain(`npx hangar validate models:/flight-delays@champion --config ${rules}`);
    const check = testIo();
    expect(await runCli(['validate', 'models:/flight-delays@champion', '--config', rules, '--tracking-uri', url, '--no-record'], check.io)).toBe(0);
    expect(check.out()).toMatch(/^PASS {2}required_tags {7}tags present: owner, use_case$/m);
    t.shutdown('SIGINT');
    expect(await done).toBe(0);
    expect(await client.health()).toBe(false);
  }, 180_000);
});
