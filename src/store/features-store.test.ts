import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeSuite } from '../../test/support/engines.js';
import { copyStore } from './copy.js';
import { FeatureStore } from './features-store.js';
import { KyselyStore } from './kysely-store.js';
import { openStore } from './open.js';
import type { Store } from './port.js';
import { tickingClock } from './test-support/subjects.js';

/** The feature-service part of the feature store, on SQLite and PostgreSQL (migration 0009). */

let n = 0;
const unique = (p: string): string => `${p}_${process.pid}_${++n}`;
const service = (name: string, features: string[], extra: { description?: string | null; owner?: string | null } = {}) => ({
  name,
  specJson: JSON.stringify({ name, features }),
  specDigest: features.join('|'),
  description: extra.description ?? null,
  owner: extra.owner ?? null,
});

describe('feature services in the feature store', () => {
  const suite = storeSuite('hangar-feature-services-');
  for (const engine of suite.engines) {
    describe.skipIf(engine.skip)(engine.title, () => {
      let opened: Promise<Store> | undefined;
      // One database per engine; every test uses its own service names.
      const store = (): Promise<Store> => (opened ??= engine.open(suite.tempDir()).then((uri) => suite.open(uri)));

      it('creates version 1, leaves the same content alone, and records a new version for changed content', async () => {
        const clock = tickingClock(1_000);
        const fs = new FeatureStore(KyselyStore.engineOf(await store())!, clock);
        const name = unique('svc');
        const created = await fs.upsertService(service(name, ['t:a', 't:b'], { owner: 'ml' }));
        expect(created.status).toBe('created');
        expect(created.service).toMatchObject({ name, version: 1, owner: 'ml', description: null, specDigest: 't:a|t:b' });
        expect(created.service.creationTimestamp).toBe(created.service.lastUpdatedTimestamp);

        const again = await fs.upsertService(service(name, ['t:a', 't:b'], { owner: 'ml' }));
        expect(again.status).toBe('unchanged');
        expect(again.service).toEqual(created.service);
        expect(await fs.getService(name)).toEqual(created.service);

        const changed = await fs.upsertService(service(name, ['t:b'], { description: 'only b' }));
        expect(changed.status).toBe('changed');
        expect(changed.service).toMatchObject({ version: 2, description: 'only b', owner: null, creationTimestamp: created.service.creationTimestamp });
        expect(changed.service.lastUpdatedTimestamp).toBeGreaterThan(created.service.lastUpdatedTimestamp);
        expect(await fs.getService(name)).toEqual(changed.service);
        expect(JSON.parse((await fs.getService(name)).specJson)).toEqual({ name, features: ['t:b'] });
      });

      it('lists by name, finds null for an unknown name, deletes, and fails naming the service', async () => {
        const fs = FeatureStore.for(await store());
        const [b, a] = [unique('b_svc'), unique('a_svc')];
        await fs.upsertService(service(b, ['t:x']));
        await fs.upsertService(service(a, ['t:y']));
        const names = (await fs.listServices()).map((s) => s.name);
        expect(names.filter((x) => x === a || x === b)).toEqual([a, b]);
        expect(await fs.findService(unique('ghost'))).toBeNull();
        await fs.deleteService(a);
        expect(await fs.findService(a)).toBeNull();
        await expect(fs.deleteService(a)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
        await expect(fs.getService(a)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', message: expect.stringContaining(a) });
        expect(await fs.findService(b)).not.toBeNull();
      });

      it('is carried by hangar db copy', async () => {
        const source = await store();
        const name = unique('copied');
        await FeatureStore.for(source).upsertService(service(name, ['t:z']));
        const target = await openStore(`sqlite:///${join(suite.tempDir(), 'copy.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
        try {
          const report = await copyStore(source, target);
          expect(report.feature_services).toBeGreaterThanOrEqual(1);
          expect(await FeatureStore.for(target).getService(name)).toMatchObject({ name, version: 1, specDigest: 't:z' });
        } finally {
          await target.close();
        }
      });
    });
  }
});
