import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeaturesClient, HangarClient, type FeatureTableDefinition } from '../../client/index.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { apiError } from '../../../test/support/api-error.js';

let server: TestServer;
let features: FeaturesClient;
let client: HangarClient;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  features = new FeaturesClient({ trackingUri: server.url, maxRetries: 0 });
  client = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
  dir = mkdtempSync(join(tmpdir(), 'hangar-features-api-'));
  writeFileSync(join(dir, 'prices.csv'), 'sku,at,price\nA,2024-01-01 00:00:00,10\nA,2024-01-03 00:00:00,12\nB,2024-01-02 00:00:00,7\n');
  writeFileSync(join(dir, 'orders.csv'), 'sku,ordered,qty\nA,2024-01-02 00:00:00,1\nA,2024-01-03 00:00:00,2\nB,2024-01-01 00:00:00,3\n');
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('feature tables over REST and the SDK', () => {
  it('apply, list, get, compute and a training set logged to a run', async () => {
    const def = { name: 'prices', keys: ['sku'], timestampKey: 'at', features: { price: 'double' as const }, source: `select * from read_csv('${join(dir, 'prices.csv')}', header = true)`, ttl: '0' };
    expect(await features.apply([def], { dryRun: true })).toEqual([{ name: 'prices', status: 'created' }]);
    expect(await features.list()).toEqual([]);
    expect(await features.apply([def])).toEqual([{ name: 'prices', status: 'created' }]);
    expect((await features.list()).map((t) => [t.name, t.ttl, t.latestVersion])).toEqual([['prices', '0', 0]]);

    const { version } = await features.compute('prices', { end: '2024-02-01T00:00:00Z' });
    expect(version).toMatchObject({ version: 1, mode: 'full', rowCount: 3, end: Date.UTC(2024, 1, 1) });
    expect((await features.get('prices')).versions.map((v) => v.version)).toEqual([1]);

    const exp = await client.getOrCreateExperiment('features-api');
    const run = await client.createRun(exp.experiment.experimentId, { runName: 'ts' });
    const ts = await features.createTrainingSet({ labels: join(dir, 'orders.csv'), lookups: [{ table: 'prices', timestampLookupKey: 'ordered' }], runId: run.info.runId });
    expect(ts).toMatchObject({ rowCount: 3, lineage: [{ table: 'prices', version: 1 }], runId: run.info.runId });
    expect(ts.uri).toMatch(/training-sets\/ts_[0-9a-f]+\/data\.parquet$/);
    expect((await features.getTrainingSet(ts.id)).schema.map((c) => c.name)).toEqual(['sku', 'ordered', 'qty', 'price']);
    const inputs = (await client.getRun(run.info.runId)).inputs.datasetInputs.map((d) => d.dataset.name);
    expect(inputs).toEqual([`training_set_${ts.id}`, 'prices@v1']);
  });

  it('answers 400 naming the field, and 404 for unknown tables and training sets', async () => {
    const bad = await apiError(features.apply([{ name: 'x', keys: ['k'], features: { v: 'complex' as 'double' }, source: 'select 1' }]));
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('x.features.v.type');
    expect((await apiError(features.compute('ghost'))).status).toBe(404);
    expect((await apiError(features.getTrainingSet('ts_0000'))).status).toBe(404);
    expect((await apiError(features.compute('prices', { end: 'yesterday-ish' }))).message).toContain('end');
  });

  it('registers feature services with the tables, lists, gets and deletes them', async () => {
    const def = { name: 'stock', keys: ['sku'], timestampKey: 'at', features: { on_hand: 'long' as const, reserved: 'long' as const }, source: 'select 1', ttl: '0' };
    const services = [{ name: 'stock_model_v1', features: ['stock:*', 'prices:price'], owner: 'ml', tags: { model: 'stock' } }];
    const dry = await features.applyAll({ tables: [def], services, dryRun: true });
    expect(dry).toEqual({ tables: [{ name: 'stock', status: 'created' }], services: [{ name: 'stock_model_v1', status: 'created', version: 1, features: ['stock:on_hand', 'stock:reserved', 'prices:price'] }] });
    expect(await features.listServices()).toEqual([]);
    expect(await features.apply([def], { services })).toEqual([{ name: 'stock', status: 'created' }]);
    const got = await features.getService('stock_model_v1');
    expect(got).toMatchObject({ name: 'stock_model_v1', features: ['stock:on_hand', 'stock:reserved', 'prices:price'], owner: 'ml', tags: { model: 'stock' }, version: 1 });
    // Services alone, referring to registered tables; a change is a new version.
    const changed = await features.applyAll({ services: [{ ...services[0]!, features: ['stock:on_hand'] }] });
    expect(changed).toEqual({ tables: [], services: [{ name: 'stock_model_v1', status: 'changed', version: 2, features: ['stock:on_hand'] }] });
    expect((await features.listServices()).map((s) => [s.name, s.version, s.features])).toEqual([['stock_model_v1', 2, ['stock:on_hand']]]);
    await features.deleteService('stock_model_v1');
    expect((await apiError(features.getService('stock_model_v1'))).status).toBe(404);
    expect((await apiError(features.deleteService('stock_model_v1'))).status).toBe(404);
  });

  it('answers 400 naming the service field, and registers nothing from a bad apply', async () => {
    const def = { name: 'bins', keys: ['sku'], features: { bin: 'string' as const }, source: 'select 1' };
    const bad = await apiError(features.applyAll({ tables: [def], services: [{ name: 'bins_v1', features: ['bins:bin', 'bins:colour'] }] }));
    expect(bad).toMatchObject({ status: 400, code: 'INVALID_PARAMETER_VALUE' });
    expect(bad.message).toContain('bins_v1.features[1]');
    // The table of the same apply was not registered either.
    expect((await apiError(features.get('bins'))).status).toBe(404);
    expect((await apiError(features.applyAll({ services: [{ name: 'x', features: ['nocolon'] }] }))).message).toContain('x.features[0]');
    expect((await apiError(features.applyAll({}))).message).toContain('tables');
  });

  it('answers each table with its sensitive features, and a training set records the sensitive columns it holds', async () => {
    writeFileSync(join(dir, 'buyers.csv'), 'sku,at,email,age,segment\nA,2024-01-01 00:00:00,a@x.org,41,gold\nB,2024-01-01 00:00:00,b@x.org,35,silver\n');
    const buyers: FeatureTableDefinition = {
      name: 'buyers',
      keys: ['sku'],
      timestampKey: 'at',
      features: [
        { name: 'email', type: 'string', tags: { pii: 'true' } },
        { name: 'age', type: 'long', tags: { classification: 'restricted' } },
        { name: 'segment', type: 'string', tags: { pii: 'false' } },
      ],
      source: `select * from read_csv('${join(dir, 'buyers.csv')}', header = true)`,
      ttl: '0',
    };
    const vault = { name: 'vault', keys: ['sku'], features: { note: 'string' as const }, source: "select 'A' as sku, 'n' as note", tags: { gdpr: 'yes' } };
    await features.apply([buyers, vault]);
    const got = (await features.get('buyers')).table;
    expect(got.sensitiveFeatures).toEqual([
      { feature: 'buyers:email', tag: 'pii', value: 'true', on: 'feature', reason: 'tag pii=true on the feature' },
      { feature: 'buyers:age', tag: 'classification', value: 'restricted', on: 'feature', reason: 'tag classification=restricted on the feature' },
    ]);
    const listed = Object.fromEntries((await features.list()).map((t) => [t.name, t.sensitiveFeatures.map((s) => `${s.feature} ${s.on}`)]));
    expect(listed).toMatchObject({ buyers: ['buyers:email feature', 'buyers:age feature'], vault: ['vault:note table'], prices: [] });
    const raw = (await (await fetch(`${server.url}/api/2.0/hangar/features/tables/get?name=vault`)).json()) as { feature_table: Record<string, unknown> };
    expect(raw.feature_table.sensitive_features).toEqual([{ feature: 'vault:note', tag: 'gdpr', value: 'yes', on: 'table', reason: 'tag gdpr=yes on the table' }]);

    await features.compute('buyers', { end: '2024-02-01T00:00:00Z' });
    await features.compute('vault');
    // email renamed, age excluded from the result: only the columns the result holds are named.
    const ts = await features.createTrainingSet({
      labels: join(dir, 'orders.csv'),
      lookups: [{ table: 'buyers', timestampLookupKey: 'ordered', rename: { email: 'buyer_email' } }, { table: 'vault' }, { table: 'prices', timestampLookupKey: 'ordered' }],
      exclude: ['age'],
    });
    expect(ts.lineage.map((l) => [l.table, l.sensitive])).toEqual([
      ['buyers', [{ column: 'buyer_email', feature: 'buyers:email', tag: 'pii', value: 'true', on: 'feature' }]],
      ['vault', [{ column: 'note', feature: 'vault:note', tag: 'gdpr', value: 'yes', on: 'table' }]],
      ['prices', []],
    ]);
    // Stored with the training set: read back the same.
    expect((await features.getTrainingSet(ts.id)).lineage).toEqual(ts.lineage);

    // A service lists the sensitive features among its references.
    await features.applyAll({ services: [{ name: 'buyers_v1', features: ['buyers:*', 'prices:price', 'vault:note'] }] });
    expect((await features.getService('buyers_v1')).sensitiveFeatures.map((s) => s.feature)).toEqual(['buyers:email', 'buyers:age', 'vault:note']);
    expect((await features.listServices()).find((s) => s.name === 'buyers_v1')?.sensitiveFeatures[2]).toEqual({ feature: 'vault:note', tag: 'gdpr', value: 'yes', on: 'table', reason: 'tag gdpr=yes on the table' });
  });
});
