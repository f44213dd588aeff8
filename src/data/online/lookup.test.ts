import { beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { FeatureTableSpec } from '../features/spec.js';
import { OnlineFeatures } from './lookup.js';
import { openOnlineStore } from './open.js';
import { encodeEntityKey, type OnlineStore } from './port.js';

const T = (s: string): number => Date.parse(s);
const HOUR = 3_600_000;

const drivers: FeatureTableSpec = {
  name: 'driver_stats',
  keys: [{ name: 'driver_id', type: 'long' }],
  timestampKey: 'ts',
  features: [
    { name: 'conv_rate', type: 'double' },
    { name: 'acc_rate', type: 'double' },
  ],
  source: { kind: 'sql', sql: 'select 1' },
  ttlMs: 2 * HOUR,
};

const routes: FeatureTableSpec = {
  name: 'routes',
  keys: [
    { name: 'origin', type: 'string' },
    { name: 'dest', type: 'string' },
  ],
  timestampKey: 'ts',
  features: [{ name: 'delay_rate', type: 'double' }, { name: 'conv_rate', type: 'double' }],
  source: { kind: 'sql', sql: 'select 1' },
  ttlMs: 0,
};

describe('online look-up', () => {
  let store: OnlineStore;
  let now: number;
  let online: OnlineFeatures;

  beforeEach(async () => {
    store = await openOnlineStore({ type: 'sqlite', url: ':memory:' }, { home: '.' });
    await store.registerTable(drivers, 0);
    await store.registerTable(routes, 0);
    await store.write('driver_stats', [
      { key: encodeEntityKey([1001]), eventTs: T('2021-12-31T23:00:00Z'), createdTs: 0, values: { conv_rate: 0.7, acc_rate: null } },
      { key: encodeEntityKey([1003]), eventTs: T('2021-12-31T20:00:00Z'), createdTs: 0, values: { conv_rate: 0.1, acc_rate: 0.2 } },
    ]);
    await store.write('routes', [{ key: encodeEntityKey(['SFO', 'LAX']), eventTs: T('2020-01-01T00:00:00.250Z'), createdTs: 0, values: { delay_rate: 0.3, conv_rate: 0.9 } }]);
    now = T('2022-01-01T00:00:00Z');
    online = new OnlineFeatures(store, { clock: { now: () => now }, resolveFeatureService: async (n) => (n === 'driver_service' ? ['driver_stats:conv_rate'] : undefined) });
  });
  afterEach(() => store.close());

  it("answers semantics §e's columnar example", async () => {
    const r = await online.get({ features: ['driver_stats:conv_rate'], entities: { driver_id: [1001, 1002] } });
    expect(r).toEqual({
      metadata: { feature_names: ['driver_id', 'conv_rate'] },
      results: [
        { values: [1001, 1002], statuses: ['PRESENT', 'PRESENT'], event_timestamps: ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'] },
        { values: [0.7, null], statuses: ['PRESENT', 'NOT_FOUND'], event_timestamps: ['2021-12-31T23:00:00Z', '1970-01-01T00:00:00Z'] },
      ],
    });
  });

  it('gives NULL_VALUE for an empty field, OUTSIDE_MAX_AGE past the TTL (enforced at read time), INVALID for a null key', async () => {
    const r = await online.get({ features: ['driver_stats:acc_rate', 'driver_stats:conv_rate'], entities: { driver_id: [1001, 1003, null] } });
    expect(r.results[1]).toEqual({
      values: [null, null, null],
      statuses: ['NULL_VALUE', 'OUTSIDE_MAX_AGE', 'INVALID'],
      event_timestamps: ['2021-12-31T23:00:00Z', '2021-12-31T20:00:00Z', '1970-01-01T00:00:00Z'],
    });
    expect(r.results[2]!.statuses).toEqual(['PRESENT', 'OUTSIDE_MAX_AGE', 'INVALID']);
    // Exactly at the TTL the value is still served; one millisecond later it is not.
    now = T('2021-12-31T22:00:00Z');
    expect((await online.get({ features: ['driver_stats:conv_rate'], entities: { driver_id: [1003] } })).results[1]).toMatchObject({ values: [0.1], statuses: ['PRESENT'] });
    now += 1;
    expect((await online.get({ features: ['driver_stats:conv_rate'], entities: { driver_id: [1003] } })).results[1]).toMatchObject({ values: [null], statuses: ['OUTSIDE_MAX_AGE'] });
  });

  it('never expires a TTL-0 table, and joins composite keys', async () => {
    now = T('2099-01-01T00:00:00Z');
    const r = await online.get({ features: ['routes:delay_rate'], entities: { origin: ['SFO', 'SFO'], dest: ['LAX', 'JFK'] } });
    expect(r.metadata.feature_names).toEqual(['origin', 'dest', 'delay_rate']);
    expect(r.results[2]).toEqual({ values: [0.3, null], statuses: ['PRESENT', 'NOT_FOUND'], event_timestamps: ['2020-01-01T00:00:00.250Z', '1970-01-01T00:00:00Z'] });
  });

  it('mixes tables in request order, with full feature names', async () => {
    const r = await online.get({
      features: ['routes:conv_rate', 'driver_stats:conv_rate', 'routes:delay_rate'],
      entities: { driver_id: ['1001'], origin: ['SFO'], dest: ['LAX'] },
      fullFeatureNames: true,
    });
    expect(r.metadata.feature_names).toEqual(['driver_id', 'origin', 'dest', 'routes__conv_rate', 'driver_stats__conv_rate', 'routes__delay_rate']);
    expect(r.results.slice(3).map((c) => c.values[0])).toEqual([0.9, 0.7, 0.3]);
  });

  it('resolves a feature service', async () => {
    const r = await online.get({ featureService: 'driver_service', entities: { driver_id: [1001] } });
    expect(r.results[1]!.values).toEqual([0.7]);
    await expect(online.get({ featureService: 'nope', entities: { driver_id: [1] } })).rejects.toMatchObject({ field: 'feature_service' });
  });

  it('writes the JSON answer as bytes: values copied as stored, text escaped and UTF-8 encoded', async () => {
    const labels: FeatureTableSpec = { ...routes, name: 'labels', features: [{ name: 'label', type: 'string' }, { name: 'n', type: 'long' }] };
    await store.registerTable(labels, 0);
    const odd = 'a "quoted", comma\\back\nslash é ✈ 𝄞 \u0001';
    // Rows in two key orders, one with a value the table no longer lists, one written as text.
    await store.write('labels', [
      { key: encodeEntityKey(['SFO', 'LAX']), eventTs: T('2021-12-31T23:00:00Z'), createdTs: 0, values: { n: 3, label: odd } },
      { key: encodeEntityKey(['SFO', 'JFK']), eventTs: T('2021-12-31T23:00:00Z'), createdTs: 0, values: '{"gone":[1,{"x":"}"}],"label":"x,y","n":5.0}' },
    ]);
    const req = { features: ['labels:label', 'labels:n'], entities: { origin: ['SFO', 'SFO', 'é'], dest: ['LAX', 'JFK', 'x"y'] } };
    const bytes = await online.getJson(req);
    const text = bytes.toString('utf8');
    expect(JSON.parse(text)).toEqual(await online.get(req));
    expect(JSON.parse(text)).toMatchObject({
      results: [
        { values: ['SFO', 'SFO', 'é'] },
        { values: ['LAX', 'JFK', 'x"y'] },
        { values: [odd, 'x,y', null], statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'] },
        { values: [3, 5, null], statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'] },
      ],
    });
    // The stored text goes out as it is.
    expect(text).toContain('"values":[3,5.0,null]');
    expect(Buffer.byteLength(text)).toBe(bytes.length);
    const empty = await online.getJson({ features: ['driver_stats:conv_rate'], entities: { driver_id: [] } });
    expect(JSON.parse(empty.toString('utf8'))).toEqual({
      metadata: { feature_names: ['driver_id', 'conv_rate'] },
      results: [
        { values: [], statuses: [], event_timestamps: [] },
        { values: [], statuses: [], event_timestamps: [] },
      ],
    });
  });

  it('reuses the last plan only for the same references and naming', async () => {
    const features = ['driver_stats:conv_rate', 'routes:delay_rate'];
    const entities = { driver_id: [1001], origin: ['SFO'], dest: ['LAX'] };
    const names = async (req: Parameters<OnlineFeatures['get']>[0]): Promise<string[]> => (await online.get(req)).metadata.feature_names;
    expect(await names({ features, entities })).toEqual(['driver_id', 'origin', 'dest', 'conv_rate', 'delay_rate']);
    expect(await names({ features, entities, fullFeatureNames: true })).toEqual(['driver_id', 'origin', 'dest', 'driver_stats__conv_rate', 'routes__delay_rate']);
    expect(await names({ features: [features[1]!, features[0]!], entities })).toEqual(['driver_id', 'origin', 'dest', 'delay_rate', 'conv_rate']);
    expect(await names({ features: [features[1]!], entities: { origin: ['SFO'], dest: ['LAX'] } })).toEqual(['origin', 'dest', 'delay_rate']);
    // A spec change shows once the cache is dropped, even for the request just answered.
    expect(await names({ features: ['routes:conv_rate'], entities })).toEqual(['driver_id', 'origin', 'dest', 'conv_rate']);
    await store.registerTable({ ...routes, features: [{ name: 'delay_rate', type: 'double' }] }, 1);
    online.invalidate();
    await expect(online.get({ features: ['routes:conv_rate'], entities })).rejects.toMatchObject({ field: 'features[0]' });
  });

  it('shares status lists only between columns that agree', async () => {
    // 1001 has conv_rate but no acc_rate: the two columns' statuses differ in that slot only.
    const r = await online.get({ features: ['driver_stats:conv_rate', 'driver_stats:acc_rate'], entities: { driver_id: [1001, 1002, 1001] } });
    expect(r.results.slice(1).map((c) => c.statuses)).toEqual([
      ['PRESENT', 'NOT_FOUND', 'PRESENT'],
      ['NULL_VALUE', 'NOT_FOUND', 'NULL_VALUE'],
    ]);
    expect(r.results[1]!.event_timestamps).toEqual(['2021-12-31T23:00:00Z', '1970-01-01T00:00:00Z', '2021-12-31T23:00:00Z']);
  });

  it('answers an empty batch with empty columns', async () => {
    const r = await online.get({ features: ['driver_stats:conv_rate'], entities: { driver_id: [] } });
    expect(r.results).toEqual([
      { values: [], statuses: [], event_timestamps: [] },
      { values: [], statuses: [], event_timestamps: [] },
    ]);
  });

  it('sees a table materialised after the first look-up once the cache is invalidated', async () => {
    await expect(online.get({ features: ['later:x'], entities: { driver_id: [1] } })).rejects.toMatchObject({ field: 'features[0]' });
    await store.registerTable({ ...drivers, name: 'later', features: [{ name: 'x', type: 'double' }] }, 0);
    online.invalidate();
    expect((await online.get({ features: ['later:x'], entities: { driver_id: [1] } })).results[1]!.statuses).toEqual(['NOT_FOUND']);
  });

  const bad: Array<[string, Parameters<OnlineFeatures['get']>[0], string, RegExp]> = [
    ['an unknown table', { features: ['nope:conv_rate'], entities: { driver_id: [1] } }, 'features[0]', /Unknown feature table 'nope'/],
    ['an unknown feature', { features: ['driver_stats:conv_rate', 'driver_stats:nope'], entities: { driver_id: [1] } }, 'features[1]', /Unknown feature 'nope'.*conv_rate, acc_rate/],
    ['a malformed reference', { features: ['conv_rate'], entities: { driver_id: [1] } }, 'features[0]', /table:feature/],
    ['no features', { features: [], entities: { driver_id: [1] } }, 'features', /at least one/],
    ['a missing entity key', { features: ['routes:delay_rate'], entities: { origin: ['SFO'] } }, 'entities.dest', /Missing entity key 'dest'/],
    ['a string for a long key', { features: ['driver_stats:conv_rate'], entities: { driver_id: ['abc'] } }, 'entities.driver_id', /entities\.driver_id\[0\].*an integer/],
    ['a fraction for a long key', { features: ['driver_stats:conv_rate'], entities: { driver_id: [1, 1.5] } }, 'entities.driver_id', /\[1\]/],
    ['a number for a string key', { features: ['routes:delay_rate'], entities: { origin: [1], dest: ['LAX'] } }, 'entities.origin', /a string/],
    ['lists of different lengths', { features: ['routes:delay_rate'], entities: { origin: ['SFO', 'LAX'], dest: ['LAX'] } }, 'entities.dest', /has 1 values/],
    ['no entities', { features: ['routes:delay_rate'], entities: {} }, 'entities', /at least one/],
    ['colliding short names', { features: ['routes:conv_rate', 'driver_stats:conv_rate'], entities: { driver_id: [1], origin: ['a'], dest: ['b'] } }, 'features[1]', /full_feature_names/],
    ['both features and a service', { features: ['routes:conv_rate'], featureService: 'driver_service', entities: { driver_id: [1] } }, 'feature_service', /not both/],
  ];
  for (const [what, req, field, message] of bad) {
    it(`rejects ${what}, naming ${field}`, async () => {
      const err = await online.get(req).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field });
      expect((err as Error).message).toMatch(message);
    });
  }
});
