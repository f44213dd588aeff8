import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeEngines } from '../../../test/support/engines.js';
import { openLocalArtifactStore } from '../../artifacts/index.js';
import { copyStore } from '../../store/copy.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import type { DataContext } from '../context.js';
import { registerDataset } from '../datasets/index.js';
import { readTable } from '../table.js';
import { loadDefinitions } from './define.js';
import { applyFeatureTables, computeFeatureTable, featureStoreOf, listFeatureTables, loadFeatureTable } from './tables.js';
import { createTrainingSet, getTrainingSet } from './training-set.js';

const DAY = 86_400_000;
const D0 = Date.UTC(2024, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** Events: per user and day, a count; written as CSV the feature SQL reads. */
function writeEvents(dir: string, rows: Array<[string, number, number]>, name = 'events.csv'): string {
  const path = join(dir, name);
  writeFileSync(path, `user_id,day,clicks\n${rows.map(([u, d, c]) => `${u},${iso(D0 + d * DAY)},${c}`).join('\n')}\n`);
  return path;
}

describe.each(storeEngines())('feature tables $title', (engine) => {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
    await engine.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  let uriOnce: Promise<string> | undefined;
  async function context(): Promise<{ ctx: DataContext; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-features-'));
    dirs.push(dir);
    // PostgreSQL gets one database per suite; every test uses its own table names there.
    const uri = engine.title === 'on SQLite' ? `sqlite:///${join(dir, 'hangar.db')}` : await (uriOnce ??= engine.open(dir));
    const store = await openStore(uri, { defaultArtifactRoot: join(dir, 'artifacts'), migrate: true });
    stores.push(store);
    return { ctx: { store, artifacts: await openLocalArtifactStore(join(dir, 'artifacts')), cacheDir: join(dir, 'cache') }, dir };
  }
  const unique = (base: string): string => `${base}_${Math.random().toString(36).slice(2, 8)}`;

  it.skipIf(engine.skip)('apply reports created, unchanged and changed; dry-run writes nothing', async () => {
    const { ctx, dir } = await context();
    const name = unique('clicks');
    const events = writeEvents(dir, [['u1', 0, 3]]);
    const yaml = (ttl: string): string => `tables:
  - name: ${name}
    keys: [user_id]
    timestamp_key: day
    features: {clicks: long}
    source: "select user_id, day, clicks from read_csv('${events}', header = true)"
    ttl: ${ttl}
    owner: data-eng
    tags: {pii: 'false'}
`;
    writeFileSync(join(dir, 'features.yaml'), yaml('7d'));
    const { specs } = await loadDefinitions(dir);
    expect(specs[0]).toMatchObject({ name, ttlMs: 7 * DAY, timestampKey: 'day', keys: [{ name: 'user_id', type: 'string' }] });
    expect(await applyFeatureTables(ctx, specs, { dryRun: true })).toEqual([{ name, status: 'created' }]);
    expect(await featureStoreOf(ctx).findTable(name)).toBeNull();
    expect(await applyFeatureTables(ctx, specs)).toEqual([{ name, status: 'created' }]);
    expect(await applyFeatureTables(ctx, specs)).toEqual([{ name, status: 'unchanged' }]);
    writeFileSync(join(dir, 'features.yaml'), yaml('12h'));
    expect(await applyFeatureTables(ctx, (await loadDefinitions(dir)).specs)).toEqual([{ name, status: 'changed' }]);
    expect((await listFeatureTables(ctx)).find((t) => t.spec.name === name)?.spec.ttlMs).toBe(12 * 3_600_000);
  });

  it.skipIf(engine.skip)('compute writes a full version, then only the new time range, and loadFeatureTable returns every file', async () => {
    const { ctx, dir } = await context();
    const name = unique('clicks');
    const events = writeEvents(dir, [['u1', 0, 1], ['u1', 1, 2], ['u2', 1, 5], ['u1', 3, 7], ['u2', 5, 9]]);
    await applyFeatureTables(ctx, [
      { name, keys: [{ name: 'user_id', type: 'string' }], timestampKey: 'day', features: [{ name: 'clicks', type: 'long' }], source: { kind: 'sql', sql: `select * from read_csv('${events}', header = true)` }, ttlMs: 0 },
    ]);
    const v1 = await computeFeatureTable(ctx, name, { end: D0 + 2 * DAY });
    expect(v1.version).toMatchObject({ version: 1, mode: 'full', rowCount: 3, totalRows: 3, startTs: null, endTs: D0 + 2 * DAY });
    const v2 = await computeFeatureTable(ctx, name, { end: D0 + 4 * DAY });
    expect(v2.version).toMatchObject({ version: 2, mode: 'incremental', rowCount: 1, totalRows: 4, startTs: D0 + 2 * DAY, endTs: D0 + 4 * DAY });
    const loaded = await loadFeatureTable(ctx, name);
    expect(loaded.version).toBe(2);
    expect(loaded.files).toHaveLength(2);
    const rows = await Promise.all(loaded.files.map((f) => readTable(f)));
    expect(rows.reduce((n, t) => n + t.rows, 0)).toBe(4);
    // A full recompute replaces the chain with one file.
    const v3 = await computeFeatureTable(ctx, name, { full: true, end: D0 + 10 * DAY });
    expect(v3.version).toMatchObject({ version: 3, mode: 'full', rowCount: 5, files: [v3.version.path] });
    await expect(computeFeatureTable(ctx, name, { end: D0 + 5 * DAY })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'end' });
    // A compute that started from version 3 cannot commit once another one has: nothing is recorded.
    const stale = { mode: 'full' as const, startTs: null, endTs: D0, rowCount: 0, totalRows: 0, path: 'x', files: ['x'], digest: 'd', schema: [], specDigest: 's' };
    await expect(featureStoreOf(ctx).addVersion(name, 2, stale)).rejects.toMatchObject({ code: 'RESOURCE_CONFLICT' });
    expect((await featureStoreOf(ctx).listVersions(name)).map((v) => v.version)).toEqual([1, 2, 3]);
  });

  it.skipIf(engine.skip)('bad data names the column and leaves no version and no file behind', async () => {
    const { ctx, dir } = await context();
    const dup = unique('dup');
    const badTs = unique('badts');
    const badType = unique('badtype');
    const events = writeEvents(dir, [['u1', 0, 1], ['u1', 0, 2]]);
    const src = { kind: 'sql' as const, sql: `select * from read_csv('${events}', header = true)` };
    await applyFeatureTables(ctx, [
      { name: dup, keys: [{ name: 'user_id', type: 'string' }], timestampKey: 'day', features: [{ name: 'clicks', type: 'long' }], source: src, ttlMs: 0 },
      { name: badTs, keys: [{ name: 'user_id', type: 'string' }], timestampKey: 'clicks', features: [], source: src, ttlMs: 0 },
      { name: badType, keys: [{ name: 'user_id', type: 'long' }], features: [{ name: 'clicks', type: 'long' }], source: src, ttlMs: 0 },
    ]);
    await expect(computeFeatureTable(ctx, dup)).rejects.toMatchObject({ code: 'DATA_EXPECTATION_FAILED', field: 'user_id,day', message: expect.stringContaining('duplicate primary key') });
    await expect(computeFeatureTable(ctx, badTs)).rejects.toMatchObject({ code: 'DATA_EXPECTATION_FAILED', field: 'clicks', message: expect.stringContaining('TIMESTAMP or DATE') });
    await expect(computeFeatureTable(ctx, badType)).rejects.toMatchObject({ code: 'DATA_EXPECTATION_FAILED', field: 'user_id' });
    for (const n of [dup, badTs, badType]) {
      expect((await featureStoreOf(ctx).getTable(n)).latestVersion).toBe(0);
      expect(existsSync(join(dir, 'artifacts', 'features', n)) ? readdirSync(join(dir, 'artifacts', 'features', n)) : []).toEqual([]);
    }
  });

  it.skipIf(engine.skip)('a training set from a registered dataset and a TypeScript transform, with lineage on the run and in the record', async () => {
    const { ctx, dir } = await context();
    const clicks = unique('clicks');
    const levels = unique('levels');
    const ds = unique('events');
    const events = writeEvents(dir, [['u1', 0, 1], ['u1', 2, 4], ['u2', 1, 5]]);
    await registerDataset(ctx, { name: ds, source: { path: events } });
    writeFileSync(join(dir, 'levels.mjs'), `export function transform() { return [{ user_id: 'u1', since: ${D0}, level: 'gold' }, { user_id: 'u2', since: ${D0 + 3 * DAY}, level: 'silver' }]; }\n`);
    writeFileSync(
      join(dir, 'features.ts'),
      `export default [
  { name: '${clicks}', keys: ['user_id'], timestampKey: 'day', features: { clicks: 'long' }, source: "select user_id, day, clicks from dataset('${ds}')", ttl: '1d' },
  { name: '${levels}', keys: ['user_id'], timestampKey: 'since', features: { level: 'string' }, source: { transform: './levels.mjs' } },
];\n`,
    );
    const { specs } = await loadDefinitions(join(dir, 'features.ts'));
    await applyFeatureTables(ctx, specs);
    await computeFeatureTable(ctx, clicks, { end: D0 + 10 * DAY });
    await computeFeatureTable(ctx, levels, { end: D0 + 10 * DAY });

    writeFileSync(join(dir, 'labels.csv'), `user_id,at,label\nu1,${iso(D0 + 2 * DAY)},1\nu1,${iso(D0 + 4 * DAY)},0\nu2,${iso(D0 + 2 * DAY)},1\nu3,${iso(D0)},0\n`);
    const experimentId = await ctx.store.createExperiment({ name: unique('exp'), tags: [] });
    const run = await ctx.store.createRun({ runId: unique('run').replace('run_', 'r'), experimentId, userId: 'alice', startTime: Date.now(), tags: [], runName: 'ts' });
    const out = join(dir, 'out', 'train.parquet');
    const ts = await createTrainingSet(
      ctx,
      { labels: join(dir, 'labels.csv'), lookups: [{ table: clicks, timestampLookupKey: 'at', rename: { clicks: 'recent_clicks' } }, { table: levels, timestampLookupKey: 'at' }] },
      { out, runId: run.info.runId },
    );
    const table = await readTable(out);
    const col = (n: string) => table.columns.find((c) => c.name === n)!;
    const clicksCol = col('recent_clicks');
    const level = col('level');
    expect(table.columns.map((c) => c.name)).toEqual(['user_id', 'at', 'label', 'recent_clicks', 'level']);
    // u1 at day 2: the day-2 row (exactly at the label time); u1 at day 4: day 2 is 2 days old (TTL 1d) → null;
    // u2 at day 2: day 1 (1 day old, inside TTL), level not yet known (since day 3); u3: nothing.
    expect(clicksCol.type === 'number' ? Array.from(clicksCol.values) : []).toEqual([4, NaN, 5, NaN]);
    expect(level.type === 'string' ? Array.from(level.codes, (c) => (c < 0 ? null : level.categories[c])) : []).toEqual(['gold', 'gold', null, null]);
    expect(ts.lineage.map((l) => [l.table, l.version])).toEqual([[clicks, 1], [levels, 1]]);
    expect((await getTrainingSet(ctx, ts.id)).output).toBe(out);
    // Labels may be a registered dataset too; the result is then kept under the artifact root.
    const labelsDs = unique('labels');
    await registerDataset(ctx, { name: labelsDs, source: { path: join(dir, 'labels.csv') } });
    const fromDataset = await createTrainingSet(ctx, { labels: { dataset: labelsDs }, lookups: [{ table: clicks, timestampLookupKey: 'at' }] });
    expect(fromDataset.rowCount).toBe(4);
    expect(fromDataset.path).toBe(`training-sets/${fromDataset.id}/data.parquet`);
    expect(existsSync(join(dir, 'artifacts', 'training-sets', fromDataset.id, 'data.parquet'))).toBe(true);
    const logged = (await ctx.store.getRun(run.info.runId)).inputs.datasetInputs.map((d) => d.dataset.name);
    expect(logged).toEqual([`training_set_${ts.id}`, `${clicks}@v1`, `${levels}@v1`]);
  });

  // The copy starts from a SQLite database, so this test is declared for the SQLite engine only.
  if (engine.title === 'on SQLite') it.skipIf(engine.skip)('hangar db copy carries feature tables, versions and training sets', async () => {
    const { ctx, dir } = await context();
    const name = unique('clicks');
    const events = writeEvents(dir, [['u1', 0, 1]]);
    await applyFeatureTables(ctx, [{ name, keys: [{ name: 'user_id', type: 'string' }], timestampKey: 'day', features: [{ name: 'clicks', type: 'long' }], source: { kind: 'sql', sql: `select * from read_csv('${events}', header = true)` }, ttlMs: 0 }]);
    await computeFeatureTable(ctx, name, { end: D0 + DAY });
    writeFileSync(join(dir, 'labels.csv'), `user_id,day\nu1,${iso(D0)}\n`);
    await createTrainingSet(ctx, { labels: join(dir, 'labels.csv'), lookups: [{ table: name }] });
    const target = await openStore(`sqlite:///${join(dir, 'copy.db')}`, { defaultArtifactRoot: join(dir, 'artifacts'), migrate: true });
    stores.push(target);
    const report = await copyStore(ctx.store, target);
    expect(report).toMatchObject({ feature_tables: 1, feature_table_versions: 1, training_sets: 1 });
  });
});
