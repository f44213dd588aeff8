import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeaturesClient, HangarClient } from '../../client/index.js';
import { readTable } from '../../data/index.js';
import { runCli } from '../program.js';
import { testIo } from '../test-support/cli.js';
import { startLiveServer, type LiveServer } from '../test-support/live-server.js';

/**
 * The feature store end to end through the CLI: apply, compute, a training set, `hangar train
 * --training-set`, and `hangar score` taking only keys and timestamps.
 */

let live: LiveServer;
let dir: string;

beforeAll(async () => {
  live = await startLiveServer('hangar-features-cli-');
  dir = await mkdtemp(join(tmpdir(), 'hangar-features-cli-data-'));
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  // Daily activity per user; a user's late flag on a day follows the activity known the day before.
  await con.run(`copy (select 'u' || (i % 40) as user_id, timestamp '2024-01-01' + to_days(i // 40) as day, ((hash(i) % 100) / 10.0)::DOUBLE as activity
                 from range(0, 40 * 30) t(i)) to '${join(dir, 'activity.parquet')}' (format parquet)`);
  await con.run(`copy (select a.user_id, a.day + interval 12 hour as "at", a.activity > 5 as late
                 from read_parquet('${join(dir, 'activity.parquet')}') a where a.day > timestamp '2024-01-01') to '${join(dir, 'labels.parquet')}' (format parquet)`);
  await con.run(`copy (select user_id, "at" from read_parquet('${join(dir, 'labels.parquet')}')) to '${join(dir, 'keys.parquet')}' (format parquet)`);
  con.closeSync();
  db.closeSync();
  await writeFile(
    join(dir, 'features.yaml'),
    `tables:
  - name: user_activity
    keys: [user_id]
    timestamp_key: day
    features:
      - {name: activity, type: double, description: activity score of the day}
    source: "select user_id, day, activity from '${join(dir, 'activity.parquet')}'"
    ttl: 2d
    owner: growth
`,
  );
});

afterAll(async () => {
  await live?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const t = testIo();
  const code = await runCli(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

describe('hangar features and hangar score', () => {
  it('apply, compute, training-set, train --training-set, then score from keys alone', async () => {
    const home = ['--home', live.home];
    const dry = await cli(['features', 'apply', dir, '--dry-run', ...home]);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/user_activity\s+created/);
    const applied = JSON.parse((await cli(['features', 'apply', join(dir, 'features.yaml'), '--json', ...home])).out) as { results: unknown[] };
    expect(applied.results).toEqual([{ name: 'user_activity', status: 'created' }]);
    expect((await cli(['features', 'apply', dir, ...home])).out).toMatch(/unchanged/);

    const computed = await cli(['features', 'compute', 'user_activity', '--end', '2024-02-15', '--json', ...home]);
    expect(computed.code).toBe(0);
    expect(JSON.parse(computed.out)).toMatchObject({ version: { version: 1, mode: 'full', rowCount: 1200 } });
    const listed = await cli(['features', 'list', ...home]);
    expect(listed.out).toMatch(/user_activity\s+user_id\s+day\s+1\s+2d\s+1\s+2024-02-15 00:00:00\s+growth/);
    expect((await cli(['features', 'show', 'user_activity', ...home])).out).toContain('activity score of the day');

    const out = join(dir, 'train.parquet');
    const built = await cli(['features', 'training-set', '--labels', join(dir, 'labels.parquet'), '--lookup', 'user_activity', '--timestamp-column', 'at', '--rename', 'activity=prev_activity', '--out', out, '--json', ...home]);
    expect(built.err).toBe('');
    const ts = JSON.parse(built.out) as { training_set_id: string; row_count: number; columns: string[]; lineage: Array<{ table: string; version: number }> };
    expect(ts).toMatchObject({ row_count: 1160, columns: ['user_id', 'at', 'late', 'prev_activity'], lineage: [{ table: 'user_activity', version: 1 }] });
    // The same training set is visible over REST.
    expect((await new FeaturesClient(live.url).getTrainingSet(ts.training_set_id)).rowCount).toBe(1160);

    const trained = await cli(['train', '--data', out, '--target', 'late', '--exclude', 'user_id,at', '--training-set', ts.training_set_id, '--register', 'lateness', '--tracking-uri', live.url, '--json']);
    expect(trained.err).toBe('');
    expect(trained.code).toBe(0);
    // The model is a LoggedModel (MLflow 3) whose package holds feature_spec.yaml beside MLmodel.
    const mlflow = new HangarClient({ trackingUri: live.url });
    const version = await mlflow.getModelVersion('lateness', 1);
    expect(version.source).toMatch(/^models:\/m-/);
    const modelId = version.source.slice('models:/'.length);
    expect((await mlflow.listArtifacts({ modelId })).map((f) => f.path)).toEqual(expect.arrayContaining(['MLmodel', 'feature_spec.yaml']));

    const scoredPath = join(dir, 'scored.parquet');
    const scored = await cli(['score', 'models:/lateness/1', '--data', join(dir, 'keys.parquet'), '--out', scoredPath, '--tracking-uri', live.url, '--batch-rows', '500', ...home]);
    expect(scored.code).toBe(0);
    expect(scored.err).toContain('scored 1160/1160 rows (100%)');
    const table = await readTable(`select s.prediction, s.probability, l.late from '${scoredPath}' s positional join '${join(dir, 'labels.parquet')}' l`);
    expect(table.rows).toBe(1160);
    const [prediction, , late] = table.columns;
    // The label is the previous day's activity > 5: only a model that got the looked-up feature predicts it well.
    if (prediction?.type !== 'string' || late?.type !== 'boolean') throw new Error(`unexpected columns ${table.columns.map((c) => c.type).join(',')}`);
    let right = 0;
    for (let i = 0; i < table.rows; i++) if ((prediction.categories[prediction.codes[i]!] === 'true') === (late.values[i] === 1)) right++;
    expect(right / table.rows).toBeGreaterThan(0.95);
  });

  it('apply registers feature services after the tables; services list and get show them', async () => {
    const home = ['--home', live.home];
    const defs = join(dir, 'services.yaml');
    const yaml = (features: string): string => `tables:
  - name: user_profile
    keys: [user_id]
    features: {tenure_days: long, plan: string}
    source: "select 'u1' as user_id, 3::BIGINT as tenure_days, 'pro' as plan"
  - name: user_region
    keys: [user_id]
    features: {region: string}
    source: "select 'u1' as user_id, 'eu' as region"
services:
  - name: lateness_v1
    features: [${features}]
    description: what the lateness model reads
    owner: growth
`;
    await writeFile(defs, yaml("'user_profile:*', 'user_region:region'"));
    const dry = await cli(['features', 'apply', defs, '--dry-run', ...home]);
    expect(dry.out).toMatch(/service\s+lateness_v1\s+created\s+v1, 3 features/);
    expect((await cli(['features', 'services', 'list', '--json', ...home])).out).toBe('{\n  "feature_services": []\n}\n');
    const applied = await cli(['features', 'apply', defs, '--json', ...home]);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.out)).toMatchObject({
      results: [
        { name: 'user_profile', status: 'created' },
        { name: 'user_region', status: 'created' },
      ],
      services: [{ name: 'lateness_v1', status: 'created', version: 1, features: ['user_profile:tenure_days', 'user_profile:plan', 'user_region:region'] }],
    });
    await writeFile(defs, yaml("'user_profile:plan', 'user_region:region'"));
    const again = await cli(['features', 'apply', defs, ...home]);
    expect(again.out).toMatch(/table\s+user_profile\s+unchanged/);
    expect(again.out).toMatch(/service\s+lateness_v1\s+changed\s+v2, 2 features/);
    expect(again.err).toContain('tables 0 created, 0 changed, 2 unchanged; services 0 created, 1 changed, 0 unchanged');

    expect((await cli(['features', 'services', 'list', ...home])).out).toMatch(/lateness_v1\s+2\s+2\s+user_profile,user_region\s+\S+ \S+\s+growth/);
    const got = await cli(['features', 'services', 'get', 'lateness_v1', ...home]);
    expect(got.out).toContain('what the lateness model reads');
    expect(got.out).toMatch(/user_profile\s+plan\n/);
    const json = JSON.parse((await cli(['features', 'services', 'get', 'lateness_v1', '--json', ...home])).out) as { feature_service: Record<string, unknown> };
    expect(json.feature_service).toMatchObject({ name: 'lateness_v1', version: 2, features: ['user_profile:plan', 'user_region:region'], owner: 'growth' });
    // The same service over REST.
    expect((await new FeaturesClient(live.url).getService('lateness_v1')).features).toEqual(['user_profile:plan', 'user_region:region']);

    // A bad reference fails naming it, and nothing of that apply is written.
    await writeFile(defs, `${yaml("'user_profile:plan'")}  - name: broken_v1\n    features: ['user_profile:plan', 'user_profile:nope']\n`.replace('tenure_days: long, plan: string', 'tenure_days: long, plan: string, region: string'));
    const bad = await cli(['features', 'apply', defs, ...home]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('broken_v1.features[1]');
    expect((await cli(['features', 'show', 'user_profile', '--json', ...home])).out).not.toContain('region');
    expect((await cli(['features', 'services', 'get', 'lateness_v1', '--json', ...home])).out).toContain('"version": 2');

    expect((await cli(['features', 'services', 'delete', 'lateness_v1', ...home])).out).toBe('Deleted feature service lateness_v1\n');
    const gone = await cli(['features', 'services', 'get', 'lateness_v1', ...home]);
    expect(gone.code).not.toBe(0);
    expect(gone.err).toContain("Feature service 'lateness_v1' not found");
  });

  it('training-set --feature-service looks up the service\'s features', async () => {
    const home = ['--home', live.home];
    const defs = join(dir, 'activity-service.yaml');
    await writeFile(
      defs,
      `tables:
  - name: activity_for_service
    keys: [user_id]
    timestamp_key: day
    features: {activity: double, activity_x2: double}
    source: "select user_id, day, activity, activity * 2 as activity_x2 from '${join(dir, 'activity.parquet')}'"
services:
  - name: activity_v1
    features: ['activity_for_service:activity']
`,
    );
    expect((await cli(['features', 'apply', defs, ...home])).code).toBe(0);
    expect((await cli(['features', 'compute', 'activity_for_service', '--end', '2024-02-15', ...home])).code).toBe(0);
    const out = join(dir, 'by-service.parquet');
    const built = await cli(['features', 'training-set', '--labels', join(dir, 'labels.parquet'), '--feature-service', 'activity_v1', '--timestamp-column', 'at', '--rename', 'activity=prev_activity', '--out', out, '--json', ...home]);
    expect(built.err).toBe('');
    // Only the service's feature, not the table's other one.
    expect(JSON.parse(built.out)).toMatchObject({ row_count: 1160, columns: ['user_id', 'at', 'late', 'prev_activity'], lineage: [{ table: 'activity_for_service', version: 1, features: ['prev_activity'] }] });
    const missing = await cli(['features', 'training-set', '--labels', join(dir, 'labels.parquet'), '--feature-service', 'nope_v1', '--out', out, ...home]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain("Feature service 'nope_v1' not found");
  });

  it('names the field of bad input', async () => {
    const home = ['--home', live.home];
    await writeFile(join(dir, 'bad.yaml'), `- name: bad\n  keys: [id]\n  timestamp_key: ts\n  features: {x: double}\n  source: select 1\n  ttl: 1 week\n`);
    const bad = await cli(['features', 'apply', join(dir, 'bad.yaml'), ...home]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('bad.ttl');
    const missing = await cli(['features', 'compute', 'nope', ...home]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain("Feature table 'nope' not found");
  });
});
