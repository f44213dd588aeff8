import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noArtifacts, storeSuite } from '../../../test/support/engines.js';
import { FeatureStore } from '../../store/features-store.js';
import type { Store } from '../../store/port.js';
import type { DataContext } from '../context.js';
import { featureServiceResolver, metadataServiceResolver } from './service-resolver.js';
import { loadDefinitions } from './define.js';
import { flightsExampleDir } from './flights.js';
import { applyFeatureServices, deleteFeatureService, getFeatureService, listFeatureServices } from './services.js';
import type { FeatureTableSpec } from './spec.js';
import { applyFeatureTables } from './tables.js';

let n = 0;
const unique = (p: string): string => `${p}_${process.pid}_${++n}`;

function table(name: string, features: string[]): FeatureTableSpec {
  return { name, keys: [{ name: 'id', type: 'string' }], timestampKey: 'ts', features: features.map((f) => ({ name: f, type: 'double' })), source: { kind: 'sql', sql: 'select 1' }, ttlMs: 0 };
}

describe('feature services: apply and resolve', () => {
  const suite = storeSuite('hangar-services-');
  for (const engine of suite.engines) {
    describe.skipIf(engine.skip)(engine.title, () => {
      let uri: Promise<string> | undefined;
      let opened: Promise<Store> | undefined;
      const storeUri = (): Promise<string> => (uri ??= engine.open(suite.tempDir()));
      const context = async (): Promise<DataContext> => ({ store: await (opened ??= storeUri().then((u) => suite.open(u))), artifacts: noArtifacts });

      it('checks references against the tables of the same apply and the registry, expands table:*, and versions changes', async () => {
        const ctx = await context();
        const [origin, route, svc] = [unique('origin'), unique('route'), unique('svc')];
        await applyFeatureTables(ctx, [table(origin, ['rate', 'flights'])]);
        // `route` is only in this apply, not registered yet.
        const tables = [table(route, ['route_rate'])];
        const declared = { name: svc, features: [`${origin}:*`, `${route}:route_rate`], owner: 'ml' };
        const expanded = [`${origin}:rate`, `${origin}:flights`, `${route}:route_rate`];

        expect(await applyFeatureServices(ctx, [declared], { tables, dryRun: true })).toEqual([{ name: svc, status: 'created', version: 1, features: expanded }]);
        expect(await FeatureStore.for(ctx.store).findService(svc)).toBeNull();
        expect(await applyFeatureServices(ctx, [declared], { tables })).toEqual([{ name: svc, status: 'created', version: 1, features: expanded }]);
        expect((await getFeatureService(ctx, svc)).spec).toEqual({ name: svc, features: expanded, owner: 'ml' });

        // The same features written out are the same service.
        expect(await applyFeatureServices(ctx, [{ ...declared, features: expanded }], { tables })).toMatchObject([{ status: 'unchanged', version: 1 }]);
        // A feature added to the table joins the `table:*` service at the next apply, as version 2.
        await applyFeatureTables(ctx, [table(origin, ['rate', 'flights', 'late'])]);
        const next = await applyFeatureServices(ctx, [declared], { tables });
        expect(next).toEqual([{ name: svc, status: 'changed', version: 2, features: [`${origin}:rate`, `${origin}:flights`, `${origin}:late`, `${route}:route_rate`] }]);
        expect(await applyFeatureServices(ctx, [declared], { tables, dryRun: true })).toMatchObject([{ status: 'unchanged', version: 2 }]);
        expect(await applyFeatureServices(ctx, [{ ...declared, description: 'v3' }], { tables, dryRun: true })).toMatchObject([{ status: 'changed', version: 3 }]);
        expect((await listFeatureServices(ctx)).find((s) => s.spec.name === svc)?.record.version).toBe(2);
      });

      it('names the reference at fault, and writes no service when one is bad', async () => {
        const ctx = await context();
        const [t, good, bad] = [unique('t'), unique('good'), unique('bad')];
        await applyFeatureTables(ctx, [table(t, ['a', 'b'])]);
        const cases: Array<[string[], string, string]> = [
          [[`${t}:a`, `${unique('ghost')}:x`], `${bad}.features[1]`, 'no feature table'],
          [[`${t}:a`, `${t}:nope`], `${bad}.features[1]`, 'its features: a, b'],
          [[`${t}:*`, `${t}:b`], `${bad}.features[1]`, 'already in the service'],
        ];
        for (const [features, field, mention] of cases) {
          await expect(applyFeatureServices(ctx, [{ name: good, features: [`${t}:a`] }, { name: bad, features }]), field).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field, message: expect.stringContaining(mention) });
        }
        expect(await FeatureStore.for(ctx.store).findService(good)).toBeNull();
        await applyFeatureServices(ctx, [{ name: good, features: [`${t}:a`] }]);
        await deleteFeatureService(ctx, good);
        await expect(getFeatureService(ctx, good)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      });

      it('resolves names to references, reusing an answer for the TTL and reading again after it', async () => {
        const ctx = await context();
        const [t, svc] = [unique('t'), unique('svc')];
        await applyFeatureTables(ctx, [table(t, ['a', 'b'])]);
        await applyFeatureServices(ctx, [{ name: svc, features: [`${t}:b`, `${t}:a`] }]);
        let now = 0;
        let opens = 0;
        const resolve = featureServiceResolver(
          () => {
            opens++;
            return ctx.store;
          },
          { ttlMs: 1000, clock: { now: () => now } },
        );
        const [r1, r2] = await Promise.all([resolve(svc), resolve(svc)]);
        expect(r1).toEqual([`${t}:b`, `${t}:a`]);
        expect(r2).toBe(r1);
        expect(await resolve(unique('ghost'))).toBeUndefined();
        await deleteFeatureService(ctx, svc);
        now = 999;
        expect(await resolve(svc)).toEqual([`${t}:b`, `${t}:a`]);
        now = 1000;
        expect(await resolve(svc)).toBeUndefined();
        expect(opens).toBe(1);
      });

      it('a process apart (hangar online serve) opens the metadata store itself and reads the same services', async () => {
        const ctx = await context();
        const [t, svc] = [unique('t'), unique('svc')];
        await applyFeatureTables(ctx, [table(t, ['a', 'b'])]);
        await applyFeatureServices(ctx, [{ name: svc, features: [`${t}:*`] }]);
        const apart = metadataServiceResolver(await storeUri());
        try {
          expect(await apart.resolve(svc)).toEqual([`${t}:a`, `${t}:b`]);
          expect(await apart.resolve(unique('ghost'))).toBeUndefined();
        } finally {
          await apart.close();
        }
      });
    });
  }

  it('retries an open that failed, and a server without a metadata database has no services', async () => {
    let attempts = 0;
    const resolve = featureServiceResolver(() => {
      attempts++;
      if (attempts === 1) throw new Error('database not up yet');
      return null;
    });
    await expect(resolve('s')).rejects.toThrow('database not up yet');
    expect(await resolve('s')).toBeUndefined();
    expect(attempts).toBe(2);

    const file = join(suite.tempDir(), 'missing', 'hangar.db');
    const services = metadataServiceResolver(`sqlite:///${file}`);
    expect(await services.resolve('s')).toBeUndefined();
    // A feature server only reads: it did not create the database.
    expect(existsSync(file)).toBe(false);
    await services.close();
  });

  it('reads services from a SQLite metadata database it opens itself, and refuses a schema older than 0009', async () => {
    const dir = suite.tempDir();
    const uri = `sqlite:///${join(dir, 'hangar.db')}`;
    const store = await suite.open(uri);
    const ctx: DataContext = { store, artifacts: noArtifacts };
    await applyFeatureTables(ctx, [table('t', ['a'])]);
    await applyFeatureServices(ctx, [{ name: 's', features: ['t:*'] }]);
    const services = metadataServiceResolver(uri);
    try {
      expect(await services.resolve('s')).toEqual(['t:a']);
    } finally {
      await services.close();
    }

    const old = `sqlite:///${join(dir, 'old.db')}`;
    const oldStore = await suite.open(old);
    // As a database left at schema 8 looks: the migration rows from 0009 on and the table of 0009 gone.
    const { sql } = await import('kysely');
    const { KyselyStore } = await import('../../store/kysely-store.js');
    const db = KyselyStore.engineOf(oldStore)!.db;
    await sql`delete from hangar_migration where name >= '0009'`.execute(db);
    await sql`drop table feature_services`.execute(db);
    const refused = metadataServiceResolver(old);
    try {
      await expect(refused.resolve('s')).rejects.toMatchObject({ code: 'SCHEMA_OUT_OF_DATE', message: expect.stringContaining('hangar db upgrade') });
    } finally {
      await refused.close();
    }
  });

  it('the flights example declares flights_delay_model_v1 over the origin and route tables', async () => {
    const { specs, services } = await loadDefinitions(flightsExampleDir());
    expect(specs.map((t) => t.name)).toEqual(['origin_delays_7d', 'destination_delays_7d', 'route_delays_7d']);
    const store = await suite.open(`sqlite:///${join(suite.tempDir(), 'hangar.db')}`);
    const [outcome] = await applyFeatureServices({ store, artifacts: noArtifacts }, services, { tables: specs, dryRun: true });
    expect(outcome).toEqual({
      name: 'flights_delay_model_v1',
      status: 'created',
      version: 1,
      features: ['origin_delays_7d:origin_delay_rate_7d', 'origin_delays_7d:origin_flights_7d', 'route_delays_7d:route_delay_rate_7d', 'route_delays_7d:route_flights_7d'],
    });
  });
});
