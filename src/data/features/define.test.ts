import { describe, expect, it } from 'vitest';
import {
  defineFeatureService,
  defineFeatureTable,
  definitionsFromModule,
  definitionsFromYaml,
  formatTtl,
  loadDefinitions,
  parseTtl,
  specDigest,
  specsFromYaml,
  toFeatureServiceSpec,
  toFeatureServiceSpecs,
  toFeatureTableSpec,
  toFeatureTableSpecs,
} from './define.js';

const base = { name: 'origin_delays', keys: ['origin'], timestampKey: 'day', features: { delay_rate: 'double' as const }, source: 'select 1' };

describe('feature table definitions', () => {
  it('accept shorthands and produce the spec', () => {
    expect(toFeatureTableSpec({ ...base, ttl: '7d', owner: 'data-eng', tags: { pii: 'false' } })).toEqual({
      name: 'origin_delays',
      keys: [{ name: 'origin', type: 'string' }],
      timestampKey: 'day',
      features: [{ name: 'delay_rate', type: 'double' }],
      source: { kind: 'sql', sql: 'select 1' },
      ttlMs: 7 * 86_400_000,
      owner: 'data-eng',
      tags: { pii: 'false' },
    });
    expect(toFeatureTableSpec(defineFeatureTable({ ...base, source: { transform: './t.ts', input: "dataset('x')" } }), { baseDir: '/defs' }).source).toEqual({ kind: 'transform', module: '/defs/t.ts', input: "dataset('x')" });
  });

  it('parse TTLs as durations; 0 never expires', () => {
    expect(parseTtl('12h')).toBe(12 * 3_600_000);
    expect(parseTtl('30m')).toBe(1_800_000);
    expect(parseTtl('1h30m')).toBe(5_400_000);
    expect(parseTtl(0)).toBe(0);
    expect(parseTtl('0')).toBe(0);
    expect(formatTtl(7 * 86_400_000)).toBe('1w');
    for (const bad of ['7 days', '-1d', 'abc', -5, 1.5, '']) expect(() => parseTtl(bad, 't.ttl'), String(bad)).toThrow(expect.objectContaining({ field: 't.ttl' }));
  });

  it('name the field of every mistake', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, name: '9bad' }, 'name'],
      [{ ...base, keys: [] }, 'origin_delays.keys'],
      [{ ...base, keys: [{ name: 'origin', type: 'double' }] }, 'origin_delays.keys[0].type'],
      [{ ...base, timestampKey: 3 }, 'origin_delays.timestampKey'],
      [{ ...base, ttl: '1 week' }, 'origin_delays.ttl'],
      [{ ...base, features: { delay_rate: 'float128' } }, 'origin_delays.features.delay_rate.type'],
      [{ ...base, features: { origin: 'string' } }, 'origin_delays.features.origin'],
      [{ ...base, features: [{ name: 'a', type: 'double' }, { name: 'a', type: 'long' }] }, 'origin_delays.features.a'],
      [{ ...base, source: 42 }, 'origin_delays.source'],
      [{ ...base, colour: 'red' }, 'origin_delays.colour'],
    ];
    for (const [raw, field] of cases) expect(() => toFeatureTableSpec(raw), field).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', field }));
    expect(() => toFeatureTableSpecs([base, base])).toThrow(expect.objectContaining({ field: 'origin_delays.name', message: expect.stringContaining('defined twice') }));
  });

  it('read YAML with snake_case fields, and the digest ignores key order', () => {
    const [spec] = specsFromYaml(`tables:\n  - name: t\n    keys: [{name: id, type: long}]\n    timestamp_key: ts\n    created_timestamp_key: created\n    features: [{name: x, type: boolean}]\n    source: {sql: select 1}\n    ttl: 0\n`);
    expect(spec).toMatchObject({ timestampKey: 'ts', createdTimestampKey: 'created', ttlMs: 0, keys: [{ name: 'id', type: 'long' }] });
    const a = toFeatureTableSpec({ ...base, ttl: '1d' });
    const b = toFeatureTableSpec({ ttl: '24h', source: 'select 1', features: { delay_rate: 'double' }, timestampKey: 'day', keys: ['origin'], name: 'origin_delays' });
    expect(specDigest(a)).toBe(specDigest(b));
    expect(() => specsFromYaml('tables: [')).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });
});

describe('TypeScript definitions under plain Node', () => {
  it('are transpiled beside the source, imported, and the temp file removed', async () => {
    const { mkdtempSync, readdirSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { importTranspiled, specsFromModule } = await import('./define.js');
    const dir = mkdtempSync(join(tmpdir(), 'hangar-defs-'));
    try {
      writeFileSync(join(dir, 'features.ts'), 'const TTL: string = "2d";\ninterface T { name: string }\nconst t: T & Record<string, unknown> = { name: "typed", keys: ["id"], features: { x: "double" }, source: "select 1", ttl: TTL };\nexport default [t];\n');
      const mod = await importTranspiled(join(dir, 'features.ts'));
      expect((mod.default as Array<{ name: string }>)[0]!.name).toBe('typed');
      expect(readdirSync(dir)).toEqual(['features.ts']);
      expect((await specsFromModule(join(dir, 'features.ts')))[0]).toMatchObject({ name: 'typed', ttlMs: 2 * 86_400_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('feature service definitions', () => {
  const svc = { name: 'driver_activity_v1', features: ['driver_stats:conv_rate', 'driver_stats:trips', 'origin:*'] };

  it('keep the references in order, with description, owner and tags', () => {
    expect(toFeatureServiceSpec(defineFeatureService({ ...svc, owner: 'ml', tags: { team: 'risk' } }))).toEqual({ ...svc, owner: 'ml', tags: { team: 'risk' } });
  });

  it('name the field of every mistake', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...svc, name: 'bad-name' }, 'name'],
      [{ ...svc, features: [] }, 'driver_activity_v1.features'],
      [{ ...svc, features: 'driver_stats:trips' }, 'driver_activity_v1.features'],
      [{ ...svc, features: ['driver_stats:trips', 'driver_stats'] }, 'driver_activity_v1.features[1]'],
      [{ ...svc, features: ['a:x', 'b:y', 'a:x'] }, 'driver_activity_v1.features[2]'],
      [{ ...svc, features: ['a:x', 7] }, 'driver_activity_v1.features[1]'],
      [{ ...svc, features: ['a:x:y'] }, 'driver_activity_v1.features[0]'],
      [{ ...svc, owner: 3 }, 'driver_activity_v1.owner'],
      [{ ...svc, tags: { a: 1 } }, 'driver_activity_v1.tags'],
      [{ ...svc, entities: ['driver'] }, 'driver_activity_v1.entities'],
    ];
    for (const [raw, field] of cases) expect(() => toFeatureServiceSpec(raw), field).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', field }));
    expect(() => toFeatureServiceSpecs([svc, svc])).toThrow(expect.objectContaining({ field: 'driver_activity_v1.name', message: expect.stringContaining('defined twice') }));
  });

  it('read from YAML beside the tables, or alone; a list is tables only', () => {
    const yaml = `tables:\n  - {name: t, keys: [id], features: {x: double}, source: select 1}\nservices:\n  - {name: s1, features: ['t:x'], owner: ml}\n`;
    expect(definitionsFromYaml(yaml)).toMatchObject({ tables: [{ name: 't' }], services: [{ name: 's1', features: ['t:x'], owner: 'ml' }] });
    expect(definitionsFromYaml(`feature_services:\n  - {name: s2, features: ['t:*']}\n`)).toEqual({ tables: [], services: [{ name: 's2', features: ['t:*'] }] });
    expect(definitionsFromYaml(`- {name: t, keys: [id], features: {x: double}, source: select 1}\n`).services).toEqual([]);
    expect(() => definitionsFromYaml(`services:\n  - {name: s3, features: ['t:x', 't:x']}\n`)).toThrow(expect.objectContaining({ field: 's3.features[1]' }));
    expect(() => definitionsFromYaml(`services: {name: s4}\n`)).toThrow(expect.objectContaining({ field: 'features.yaml.services' }));
    expect(() => definitionsFromYaml(`colour: red\n`)).toThrow(expect.objectContaining({ field: 'features.yaml' }));
  });

  it('read from a module: named defineFeatureService exports and {tables, services} defaults', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'hangar-defs-svc-'));
    try {
      const table = '{ name: "t", keys: ["id"], features: { x: "double", y: "long" }, source: "select 1" }';
      writeFileSync(join(dir, 'a.mjs'), `export default { tables: [${table}], services: [{ name: "plain", features: ["t:y"] }] };\n`);
      expect(await definitionsFromModule(join(dir, 'a.mjs'))).toMatchObject({ tables: [{ name: 't' }], services: [{ name: 'plain', features: ['t:y'] }] });
      // A marked service in a default list, and a named one, next to the tables.
      const mark = `const mark = (s) => Object.defineProperty(s, Symbol.for('hangar.featureService'), { value: true });`;
      writeFileSync(join(dir, 'b.mjs'), `${mark}\nexport const v2 = mark({ name: "named", features: ["t:*"] });\nexport default [${table}, mark({ name: "listed", features: ["t:x"] })];\n`);
      const b = await definitionsFromModule(join(dir, 'b.mjs'));
      expect(b.tables.map((t) => t.name)).toEqual(['t']);
      expect(b.services.map((s) => s.name)).toEqual(['listed', 'named']);
      writeFileSync(join(dir, 'c.mjs'), 'export default { services: [] };\n');
      await expect(definitionsFromModule(join(dir, 'c.mjs'))).rejects.toMatchObject({ field: 'path', message: expect.stringContaining('no feature tables or services') });
      writeFileSync(join(dir, 'features.yaml'), `services:\n  - {name: only, features: ['t:x']}\n`);
      expect(await loadDefinitions(dir)).toMatchObject({ specs: [], services: [{ name: 'only' }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
