import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeEngines } from '../../test/support/engines.js';
import { copyStore } from './copy.js';
import { DataStore, type NewDataAssetVersion } from './data-store.js';
import { openStore } from './open.js';
import type { Store } from './port.js';

let n = 0;
const unique = (p: string): string => `${p}-${process.pid}-${++n}`;

function version(name: string, digest: string, extra: Partial<NewDataAssetVersion> = {}): NewDataAssetVersion {
  return {
    name,
    digest,
    rowCount: 10,
    schema: '[{"name":"x","type":"BIGINT"}]',
    profile: '{"num_rows":10,"num_elements":10,"columns":[]}',
    sourceType: 'file',
    source: '/data/x.csv',
    uri: `file:///a/datasets/${name}/${digest}/data.parquet`,
    artifactPath: `datasets/${name}/${digest}/data.parquet`,
    sizeBytes: 123,
    expectations: null,
    createdBy: 'alice',
    ...extra,
  };
}

for (const engine of storeEngines()) {
  describe.skipIf(engine.skip)(`the dataset catalogue ${engine.title}`, () => {
    let dir: string;
    let store: Store;
    let data: DataStore;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hangar-data-store-'));
      store = await openStore(await engine.open(dir), { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
      data = DataStore.for(store);
    });

    afterAll(async () => {
      await store?.close();
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('numbers versions from 1, returns the existing version for a known digest, merges tags', async () => {
      const name = unique('ds');
      const a = await data.addVersion({ ...version(name, 'd1'), description: 'first', tags: { a: '1' } });
      expect(a.created).toBe(true);
      expect(a.version).toMatchObject({ name, version: 1, digest: 'd1', rowCount: 10, sizeBytes: 123, createdBy: 'alice' });
      const again = await data.addVersion(version(name, 'd1'));
      expect(again).toMatchObject({ created: false, version: { version: 1 } });
      const b = await data.addVersion({ ...version(name, 'd2'), tags: { b: '2' } });
      expect(b.version.version).toBe(2);
      expect(await data.getAsset(name)).toMatchObject({ name, description: 'first', tags: { a: '1', b: '2' }, latestVersion: 2 });
      expect((await data.getVersion(name)).version).toBe(2);
      expect((await data.getVersion(name, 1)).digest).toBe('d1');
      expect((await data.listVersions(name)).map((v) => v.version)).toEqual([2, 1]);
    });

    it('numbers concurrent registrations without gaps, and identical concurrent content once', async () => {
      const name = unique('race');
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => data.addVersion(version(name, `digest-${i}`))));
      expect(results.map((r) => r.version.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const same = await Promise.all(Array.from({ length: 4 }, () => data.addVersion(version(name, 'same'))));
      expect(new Set(same.map((r) => r.version.version)).size).toBe(1);
      expect(same.filter((r) => r.created).length).toBe(1);
      expect((await data.listVersions(name)).length).toBe(9);
    });

    it('never reuses a deleted version number; deleting the dataset removes every version', async () => {
      const name = unique('del');
      await data.addVersion(version(name, 'a'));
      await data.addVersion(version(name, 'b'));
      expect((await data.delete(name, 2)).map((v) => v.digest)).toEqual(['b']);
      expect((await data.addVersion(version(name, 'c'))).version.version).toBe(3);
      await expect(data.delete(name, 2)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      expect((await data.delete(name)).map((v) => v.version).sort()).toEqual([1, 3]);
      await expect(data.getAsset(name)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await expect(data.getVersion(name)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await expect(data.listVersions(name)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    });

    it('lists datasets in code-point order, paged, filtered by a literal substring', async () => {
      const prefix = unique('list');
      for (const s of ['b', 'B', 'a_1', 'a%2']) await data.addVersion(version(`${prefix}-${s}`, 'x'));
      const all: string[] = [];
      let token: string | undefined;
      do {
        const page = await data.listAssets({ maxResults: 3, pageToken: token, nameContains: prefix });
        all.push(...page.items.map((a) => a.name));
        token = page.nextPageToken;
      } while (token !== undefined);
      expect(all).toEqual([`${prefix}-B`, `${prefix}-a%2`, `${prefix}-a_1`, `${prefix}-b`]);
      expect((await data.listAssets({ maxResults: 10, nameContains: `${prefix}-a_` })).items.map((a) => a.name)).toEqual([`${prefix}-a_1`]);
    });

    it('is carried by hangar db copy', async () => {
      const name = unique('copied');
      await data.addVersion(version(name, 'z'));
      const target = await openStore(`sqlite:///${join(dir, `${unique('copy')}.db`)}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
      try {
        const report = await copyStore(store, target);
        expect(report.data_asset_versions).toBeGreaterThanOrEqual(1);
        expect((await DataStore.for(target).getVersion(name)).digest).toBe('z');
      } finally {
        await target.close();
      }
    });
  });
}
