import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore, openS3ArtifactStore } from '../../artifacts/index.js';
import { startFakeS3 } from '../../artifacts/test-support/fake-s3.js';
import type { ArtifactStore } from '../../artifacts/port.js';
import { HangarError } from '../../core/errors.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import type { DataContext } from '../context.js';
import {
  checkExpectations,
  deleteDataset,
  exportDataset,
  getDataset,
  getDatasetVersion,
  listDatasets,
  listDatasetVersions,
  parseExpectations,
  profileRelation,
  registerDataset,
  resolveDataset,
  typeMatches,
  withDuck,
} from './index.js';

let dir: string;
let store: Store;
let artifacts: ArtifactStore;
let ctx: DataContext;
let n = 0;
const unique = (p: string): string => `${p}-${process.pid}-${++n}`;

function csv(name: string, text: string): string {
  const path = join(dir, `${name}.csv`);
  writeFileSync(path, text);
  return path;
}

const FLIGHTS = 'id,origin,delay,day\n1,SFO,10,2024-01-01\n2,LAX,-5,2024-01-02\n3,SFO,30,2024-01-03\n4,JFK,,2024-01-04\n';

async function failure(p: Promise<unknown>): Promise<HangarError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HangarError) return e;
    throw e;
  }
  throw new Error('expected a HangarError');
}

async function datasetFiles(name: string): Promise<string[]> {
  const entries = await artifacts.list(`datasets/${name}`);
  return (entries ?? []).map((e) => e.path);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-datasets-'));
  store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
  artifacts = await openLocalArtifactStore(join(dir, 'artifacts'));
  ctx = { store, artifacts, cacheDir: join(dir, 'cache') };
});

afterAll(async () => {
  await store.close();
  await artifacts.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('registering datasets', () => {
  it('stores a version as Parquet with schema, row count, digest and a per-column profile', async () => {
    const name = unique('flights');
    const r = await registerDataset(ctx, { name, source: { path: csv(name, FLIGHTS) }, description: 'four flights', tags: { team: 'data' }, createdBy: 'alice' });
    expect(r.created).toBe(true);
    const v = r.version;
    expect(v).toMatchObject({ name, version: 1, rowCount: 4, sourceType: 'file', createdBy: 'alice' });
    expect(v.schema).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'origin', type: 'VARCHAR' },
      { name: 'delay', type: 'BIGINT' },
      { name: 'day', type: 'DATE' },
    ]);
    expect(v.digest).toMatch(/^[0-9a-f]{32}$/);
    expect(v.uri).toBe(`${artifacts.rootUri}/datasets/${name}/${v.digest}/data.parquet`);
    expect((await artifacts.stat(v.artifactPath))?.size).toBe(v.sizeBytes);

    const delay = v.profile.columns.find((c) => c.name === 'delay')!;
    expect(delay).toMatchObject({ count: 3, nulls: 1, distinct: 3, min: -5, max: 30, mean: 35 / 3 });
    expect(delay.stddev).toBeCloseTo(Math.sqrt(((10 - 35 / 3) ** 2 + (-5 - 35 / 3) ** 2 + (30 - 35 / 3) ** 2) / 2), 10);
    expect(delay.quantiles?.['0.5']).toBe(10);
    const origin = v.profile.columns.find((c) => c.name === 'origin')!;
    expect(origin).toMatchObject({ count: 4, nulls: 0, distinct: 3 });
    expect(origin.top).toEqual([{ value: 'SFO', count: 2 }, { value: 'JFK', count: 1 }, { value: 'LAX', count: 1 }]);
    expect(v.profile.columns.find((c) => c.name === 'day')).toMatchObject({ min: '2024-01-01', max: '2024-01-04' });
    expect(v.profile).toMatchObject({ num_rows: 4, num_elements: 16 });

    expect(await getDataset(ctx, name)).toMatchObject({ name, description: 'four flights', tags: { team: 'data' }, latestVersion: 1 });
  });

  it('returns the existing version for identical content, from CSV or Parquet, and adds a version when it changes', async () => {
    const name = unique('same');
    const first = await registerDataset(ctx, { name, source: { path: csv(name, FLIGHTS) } });
    const parquet = join(dir, `${name}.parquet`);
    await exportDataset(ctx, name, 1, parquet);
    const again = await registerDataset(ctx, { name, source: { path: parquet } });
    expect(again.created).toBe(false);
    expect(again.version.version).toBe(1);
    expect(again.version.digest).toBe(first.version.digest);

    const changed = await registerDataset(ctx, { name, source: { path: csv(`${name}-2`, FLIGHTS.replace('SFO,30', 'SFO,31')) } });
    expect(changed.created).toBe(true);
    expect(changed.version.version).toBe(2);
    expect(changed.version.digest).not.toBe(first.version.digest);
    // Same rows in another order are other content: row order is part of a dataset.
    const lines = FLIGHTS.trim().split('\n');
    const reordered = await registerDataset(ctx, { name, source: { path: csv(`${name}-3`, `${[lines[0], lines[2], lines[1], lines[3], lines[4]].join('\n')}\n`) } });
    expect(reordered.version.version).toBe(3);
    expect((await listDatasetVersions(ctx, name)).map((v) => v.version)).toEqual([3, 2, 1]);
    expect((await getDatasetVersion(ctx, name)).version).toBe(3);
    expect((await getDatasetVersion(ctx, name, { digest: first.version.digest })).version).toBe(1);
  });

  it('registers SQL over files and over registered datasets (dataset(name, version))', async () => {
    const base = unique('base');
    await registerDataset(ctx, { name: base, source: { path: csv(base, FLIGHTS) } });
    const derived = unique('derived');
    const r = await registerDataset(ctx, { name: derived, source: { sql: `select origin, count(*) as flights from dataset('${base}', 1) group by origin order by origin` } });
    expect(r.version).toMatchObject({ rowCount: 3, sourceType: 'sql' });
    expect(r.version.schema.map((c) => c.name)).toEqual(['origin', 'flights']);
    const e = await failure(registerDataset(ctx, { name: unique('bad'), source: { sql: `select * from dataset('${unique('nope')}')` } }));
    expect(e.code).toBe('RESOURCE_DOES_NOT_EXIST');
    const bad = await failure(registerDataset(ctx, { name: unique('bad'), source: { sql: 'select nope from (select 1 as x)' } }));
    expect(bad.code).toBe('INVALID_PARAMETER_VALUE');
    expect(bad.field).toBe('sql');
  });

  it('makes one version of identical content registered concurrently, and keeps its file', async () => {
    const name = unique('concurrent');
    const path = csv(name, FLIGHTS);
    const results = await Promise.all([1, 2, 3].map(() => registerDataset(ctx, { name, source: { path } })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.version.version))).toEqual(new Set([1]));
    expect((await artifacts.stat(results[0]!.version.artifactPath))?.size).toBe(results[0]!.version.sizeBytes);
    expect(await listDatasetVersions(ctx, name)).toHaveLength(1);
  });

  it('registers every DuckDB type a query can produce: lists, structs, blobs, decimals, booleans, dates, intervals', async () => {
    const name = unique('types');
    const sqlText = "select [1, 2] as l, {'a': 1} as s, 'x'::BLOB as b, 1.25::DECIMAL(4,2) as d, true as t, DATE '2024-01-01' as dt, INTERVAL 1 DAY as iv, NULL::VARCHAR as nothing";
    const r = await registerDataset(ctx, { name, source: { sql: sqlText } });
    expect(r.version.schema.map((c) => c.type)).toEqual(['INTEGER[]', 'STRUCT(a INTEGER)', 'BLOB', 'DECIMAL(4,2)', 'BOOLEAN', 'DATE', 'INTERVAL', 'VARCHAR']);
    const byName = Object.fromEntries(r.version.profile.columns.map((c) => [c.name, c]));
    expect(byName.l).toEqual({ name: 'l', type: 'INTEGER[]', count: 1, nulls: 0 });
    expect(byName.d).toMatchObject({ min: 1.25, max: 1.25, quantiles: { '0.5': 1.25 } });
    expect(byName.t!.top).toEqual([{ value: true, count: 1 }]);
    expect(byName.nothing).toEqual({ name: 'nothing', type: 'VARCHAR', count: 0, nulls: 1, distinct: 0, top: [] });
    expect((await registerDataset(ctx, { name, source: { sql: sqlText } })).created).toBe(false);
  });

  it('rejects bad names, missing files and unknown formats, naming the field', async () => {
    expect((await failure(registerDataset(ctx, { name: '../x', source: { path: csv('ok', FLIGHTS) } }))).field).toBe('name');
    expect((await failure(registerDataset(ctx, { name: unique('m'), source: { path: join(dir, 'missing.parquet') } }))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    writeFileSync(join(dir, 'data.json'), '{}');
    expect((await failure(registerDataset(ctx, { name: unique('m'), source: { path: join(dir, 'data.json') } }))).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('leaves no row and no file when storing fails, and none when the commit step fails', async () => {
    const name = unique('atomic');
    const failingPut: ArtifactStore = { ...artifacts, rootUri: artifacts.rootUri, put: () => Promise.reject(new Error('disk full')), get: (p) => artifacts.get(p), stat: (p) => artifacts.stat(p), list: (p) => artifacts.list(p), delete: (p) => artifacts.delete(p), close: () => Promise.resolve() };
    await expect(registerDataset({ ...ctx, artifacts: failingPut }, { name, source: { path: csv(name, FLIGHTS) } })).rejects.toThrow('disk full');
    expect((await failure(getDataset(ctx, name))).code).toBe('RESOURCE_DOES_NOT_EXIST');

    const boom = await failure(
      registerDataset(ctx, {
        name,
        source: { path: csv(name, FLIGHTS) },
        onProgress: (p) => {
          if (p.phase === 'committing') throw new HangarError('INTERNAL_ERROR', 'interrupted before the commit');
        },
      }),
    );
    expect(boom.message).toContain('interrupted');
    expect((await failure(getDataset(ctx, name))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await datasetFiles(name)).toEqual([]);
  });
});

describe('expectations at ingestion', () => {
  const DATA = 'id,origin,dest,delay,day\n1,SFO,LAX,10,2024-01-01\n2,LAX,SFO,-50,2024-01-02\n2,SFO,LAX,900,2024-01-02\n4,XXX,JFK,,2024-01-04\n';

  it('publishes nothing when any fails, and names every failing column with counts and examples', async () => {
    const name = unique('checked');
    const expectations = parseExpectations({
      columns: {
        id: { type: 'integer', unique: true },
        origin: { allowed: ['SFO', 'LAX', 'JFK'], not_null: true },
        delay: { type: 'number', not_null: true, min: -30, max: 600 },
        day: { type: 'date', min: '2024-01-01' },
        carrier: {},
      },
      unique: [['origin', 'dest', 'day']],
    });
    const e = await failure(registerDataset(ctx, { name, source: { path: csv(name, DATA) }, expectations }));
    expect(e.code).toBe('DATA_EXPECTATION_FAILED');
    expect(e.field).toBe('carrier');
    expect(e.message).toContain("column 'carrier' is missing");
    expect(e.message).toContain("column 'id': 2 rows share a value with another row");
    expect(e.message).toContain("column 'origin': 1 values not in the allowed list (e.g. \"XXX\")");
    expect(e.message).toContain("column 'delay': 1 null values");
    expect(e.message).toContain("column 'delay': 2 values outside [-30, 600] (e.g. -50, 900)");
    expect(e.message).not.toContain("columns (origin, dest, day)");
    expect((await failure(getDataset(ctx, name))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await datasetFiles(name)).toEqual([]);
  });

  it('reports composite-key duplicates, type mismatches and undeclared columns under strict', async () => {
    await withDuck(async (con) => {
      await con.run("create table t as select * from (values (1, 'a', 1.5), (1, 'a', 2.5), (2, 'a', 3.5)) v(k1, k2, x)");
      const report = await checkExpectations(con, 't', parseExpectations({ columns: { k1: { type: 'string' }, k2: {} }, unique: [['k1', 'k2']], strict: true }));
      expect(report.passed).toBe(false);
      expect(report.rowCount).toBe(3);
      expect(report.violations.map((v) => [v.column, v.check, v.count])).toEqual([
        ['k1', 'type', 0],
        ['x', 'unexpected', 0],
        ['k1, k2', 'unique', 2],
      ]);
      expect(report.violations[2]!.examples).toEqual([{ k1: 1, k2: 'a', count: 2 }]);
      await con.run("create table lists as select [1] as ints, [TIMESTAMP '2024-01-01'] as times, TIMESTAMPTZ '2024-01-01 00:00:00+00' as tz");
      const lists = await checkExpectations(con, 'lists', parseExpectations({ columns: { ints: { type: 'integer' }, times: { type: 'timestamp' }, tz: { type: 'timestamp' } } }));
      expect(lists.violations.map((v) => [v.column, v.check])).toEqual([
        ['ints', 'type'],
        ['times', 'type'],
      ]);
      expect(typeMatches('DECIMAL(10,2)', 'DECIMAL(10,2)')).toBe(true);
      const ok = await checkExpectations(con, 't', parseExpectations({ columns: { k1: { type: 'long', min: 1, max: 2 }, x: { type: 'double', not_null: true } }, unique: [['k1', 'x']] }));
      expect(ok).toEqual({ passed: true, rowCount: 3, violations: [] });
    });
  });

  it('publishes when every expectation holds, and keeps them with the version', async () => {
    const name = unique('clean');
    const expectations = parseExpectations({ columns: { id: { unique: true, not_null: true }, delay: { min: -100, max: 100 } } });
    const r = await registerDataset(ctx, { name, source: { path: csv(name, FLIGHTS) }, expectations });
    expect(r.expectations?.passed).toBe(true);
    expect(r.version.expectations).toEqual(expectations);
  });

  it('rejects malformed expectations naming the field', () => {
    expect(() => parseExpectations({ columns: { delay: { min: 'x', maxx: 3 } } })).toThrow(/expectations\.columns\.delay/);
    expect(() => parseExpectations({ unique: [[]] })).toThrow(/expectations\.unique\.0/);
  });
});

describe('resolving, exporting and deleting', () => {
  it('resolves through a cache when the artifact store is remote, and reuses the cached copy', async () => {
    const name = unique('remote');
    const r = await registerDataset(ctx, { name, source: { path: csv(name, FLIGHTS) } });
    let gets = 0;
    const remote: ArtifactStore = {
      rootUri: 's3://bucket/prefix',
      put: (p, b) => artifacts.put(p, b),
      get: (p) => {
        gets++;
        return artifacts.get(p);
      },
      stat: (p) => artifacts.stat(p),
      list: (p) => artifacts.list(p),
      delete: (p) => artifacts.delete(p),
      close: () => Promise.resolve(),
    };
    const cacheDir = join(dir, unique('cache'));
    const a = await resolveDataset({ store, artifacts: remote, cacheDir }, name);
    expect(a).toMatchObject({ name, version: 1, digest: r.version.digest, rowCount: 4 });
    expect(a.localPath.startsWith(cacheDir)).toBe(true);
    expect(readFileSync(a.localPath).length).toBe(r.version.sizeBytes);
    await resolveDataset({ store, artifacts: remote, cacheDir }, name, 1);
    expect(gets).toBe(1);
    const local = await resolveDataset(ctx, name);
    expect(local.localPath).toBe(join(dir, 'artifacts', ...r.version.artifactPath.split('/')));
    expect((await failure(resolveDataset(ctx, name, 9))).message).toContain('no version 9');
  });

  it('exports Parquet and CSV, and deletes a version or the whole dataset with its files', async () => {
    const name = unique('gone');
    const v1 = (await registerDataset(ctx, { name, source: { path: csv(name, FLIGHTS) } })).version;
    const v2 = (await registerDataset(ctx, { name, source: { path: csv(`${name}-b`, FLIGHTS.replace('JFK', 'BOS')) } })).version;
    const out = await exportDataset(ctx, name, 1, join(dir, `${name}-out.csv`));
    expect(readFileSync(out.path, 'utf8').split('\n')[0]).toBe('id,origin,delay,day');
    expect((await failure(exportDataset(ctx, name, 1, join(dir, 'x.json')))).field).toBe('out');

    await deleteDataset(ctx, name, 1);
    expect(existsSync(join(dir, 'artifacts', ...v1.artifactPath.split('/')))).toBe(false);
    expect((await listDatasetVersions(ctx, name)).map((v) => v.version)).toEqual([2]);
    await deleteDataset(ctx, name);
    expect(existsSync(join(dir, 'artifacts', ...v2.artifactPath.split('/')))).toBe(false);
    expect((await failure(getDataset(ctx, name))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await listDatasets(ctx, { nameContains: name })).datasets).toEqual([]);
  });
});

describe('profiles', () => {
  it('computes quantiles as quantile_cont does: exact from the histogram, approximate past the distinct cap', async () => {
    await withDuck(async (con) => {
      await con.run('create table t as select (i % 37) * (i % 5) - 20 as small, i * 1.5 as wide, null::DOUBLE as empty from range(150000) r(i)');
      const expected = (await con.runAndReadAll("select quantile_cont(small, [0.05, 0.25, 0.5, 0.75, 0.95])::DOUBLE[] as q, quantile_cont(wide, [0.05, 0.25, 0.5, 0.75, 0.95])::DOUBLE[] as w from t")).getRowObjectsJS()[0]!;
      const p = await profileRelation(con, 't', [{ name: 'small', type: 'BIGINT' }, { name: 'wide', type: 'DECIMAL(18,1)' }, { name: 'empty', type: 'DOUBLE' }], 150000);
      expect(Object.values(p.columns[0]!.quantiles!)).toEqual(expected.q);
      const wide = Object.values(p.columns[1]!.quantiles!);
      (expected.w as number[]).forEach((x, i) => expect(Math.abs(wide[i]! - x) / x).toBeLessThan(0.01));
      expect(p.columns[2]).toEqual({ name: 'empty', type: 'DOUBLE', count: 0, nulls: 150000, distinct: 0, min: null, max: null, mean: null, stddev: null, quantiles: null });
    });
  });
});

describe('on an S3 artifact store', () => {
  it('registers, resolves through the local cache, exports and deletes through the same port', async () => {
    const fake = await startFakeS3();
    const s3 = await openS3ArtifactStore(`s3://${fake.bucket}/hangar-${process.pid}`, fake.options);
    try {
      const cacheDir = join(dir, unique('s3cache'));
      const s3ctx: DataContext = { store, artifacts: s3, cacheDir };
      const name = unique('ons3');
      const r = await registerDataset(s3ctx, { name, source: { path: csv(name, FLIGHTS) } });
      expect(r.version.uri).toBe(`s3://${fake.bucket}/hangar-${process.pid}/datasets/${name}/${r.version.digest}/data.parquet`);
      expect((await s3.stat(r.version.artifactPath))?.size).toBe(r.version.sizeBytes);
      const resolved = await resolveDataset(s3ctx, name);
      expect(resolved.localPath).toBe(join(cacheDir, name, `${r.version.digest}.parquet`));
      const derived = await registerDataset(s3ctx, { name: unique('ons3-derived'), source: { sql: `select count(*) as n from dataset('${name}')` } });
      expect(derived.version.rowCount).toBe(1);
      const out = await exportDataset(s3ctx, name, undefined, join(dir, `${name}.csv`));
      expect(readFileSync(out.path, 'utf8')).toBe(FLIGHTS);
      await deleteDataset(s3ctx, name);
      expect(await s3.stat(r.version.artifactPath)).toBeNull();
    } finally {
      await s3.close();
      await fake.close();
    }
  });
});
