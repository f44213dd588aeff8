import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgSkipReason, pgUrl } from '../../test/support/services.js';
import { defaultBackendStoreUri, loadConfig } from '../core/config.js';
import { HangarClient } from '../client/index.js';
import { runDemoScenario } from '../demo/scenario.js';
import { runCli } from './program.js';
import { checkSchema, startServer } from './serve.js';
import { testIo } from './test-support/cli.js';

/** The server bootstrap's schema rule, and `hangar db copy` between real databases. */

const temps: string[] = [];
async function tempHome(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hangar-serve-'));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

function fakeStore(current: number, latest: number) {
  const calls: string[] = [];
  return {
    calls,
    store: {
      schemaStatus: async () => ({ current, latest }),
      migrate: async () => {
        calls.push('migrate');
        return latest;
      },
    },
  };
}

describe('checkSchema', () => {
  it('migrates a fresh database', async () => {
    const f = fakeStore(0, 3);
    await checkSchema(f.store, 'sqlite:////x.db');
    expect(f.calls).toEqual(['migrate']);
  });

  it('accepts a current database as it is', async () => {
    const f = fakeStore(3, 3);
    await checkSchema(f.store, 'sqlite:////x.db');
    expect(f.calls).toEqual([]);
  });

  it('refuses an older schema, naming hangar db upgrade and hiding the password', async () => {
    const f = fakeStore(2, 3);
    const err = await checkSchema(f.store, 'postgresql://hangar:s3cret@db:5432/hangar').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SCHEMA_OUT_OF_DATE' });
    const message = (err as Error).message;
    expect(message).toContain('at version 2 and this Hangar needs version 3');
    expect(message).toContain('`hangar db upgrade --backend-store-uri postgresql://hangar:***@db:5432/hangar`');
    expect(message).not.toContain('s3cret');
    expect(f.calls).toEqual([]);
  });
});

async function seed(home: string): Promise<{ runId: string }> {
  const server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent' }));
  try {
    const demo = await runDemoScenario(new HangarClient(server.url), { epochs: 3 });
    return { runId: demo.run.info.runId };
  } finally {
    await server.close();
  }
}

describe('hangar db copy', () => {
  it('copies a SQLite database into a fresh one that a server then serves', async () => {
    const src = await tempHome();
    const dst = await tempHome();
    const { runId } = await seed(src);
    const t = testIo();
    expect(await runCli(['db', 'copy', '--from', defaultBackendStoreUri(src), '--to', defaultBackendStoreUri(dst)], t.io)).toBe(0);
    expect(t.out()).toMatch(/^Copied sqlite:.* → sqlite:.*: \d+ rows \(.*experiments 2.*\)\.\n$/);

    // Same ids on the other side; artifacts stay where they are, so point at the source's.
    const server = await startServer(loadConfig({ home: dst, port: 0, logLevel: 'silent', artifactsDestination: join(src, 'artifacts') }));
    try {
      const client = new HangarClient(server.url);
      expect((await client.getRun(runId)).data.params).toContainEqual({ key: 'model_type', value: 'linear-regression' });
      expect((await client.resolveModelUri('models:/hangar-demo-model/Staging')).modelVersion?.runId).toBe(runId);
    } finally {
      await server.close();
    }
  });

  it('refuses to copy into a database that already has data', async () => {
    const src = await tempHome();
    const dst = await tempHome();
    await seed(src);
    await seed(dst);
    const t = testIo();
    expect(await runCli(['db', 'copy', '--from', defaultBackendStoreUri(src), '--to', defaultBackendStoreUri(dst)], t.io)).toBe(1);
    expect(t.err()).toMatch(/^INVALID_PARAMETER_VALUE: /);
  });

  it('requires both --from and --to', async () => {
    const t = testIo();
    expect(await runCli(['db', 'copy', '--from', 'sqlite:////tmp/x.db'], t.io)).not.toBe(0);
    expect(t.err()).toContain("required option '--to <uri>' not specified");
  });
});

describe.skipIf(!pgUrl)(`on PostgreSQL${pgUrl ? '' : ` (skipped: ${pgSkipReason})`}`, () => {
  const dbName = `hangar_cli_${process.pid}_${Date.now()}`;
  const admin = async (query: string): Promise<void> => {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: pgUrl! });
    await c.connect();
    try {
      await c.query(query);
    } finally {
      await c.end();
    }
  };
  afterAll(async () => {
    if (pgUrl) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  });

  it('copies SQLite to PostgreSQL, then serves from PostgreSQL and the demo runs on it', async () => {
    await admin(`CREATE DATABASE ${dbName}`);
    const url = new URL(pgUrl!);
    url.pathname = `/${dbName}`;
    const src = await tempHome();
    const { runId } = await seed(src);
    const copy = testIo();
    expect(await runCli(['db', 'copy', '--from', defaultBackendStoreUri(src), '--to', url.href], copy.io)).toBe(0);

    const server = await startServer(loadConfig({ home: src, port: 0, logLevel: 'silent', backendStoreUri: url.href }));
    try {
      expect(server.store.engine).toBe('postgres');
      const client = new HangarClient(server.url);
      expect((await client.getRun(runId)).info.status).toBe('FINISHED');
      // New rows after the copy must not collide with copied ids.
      const again = await runDemoScenario(client, { epochs: 2 });
      expect(again.modelVersion.version).toBe(2);
      expect(again.archivedVersions).toEqual([1]);
    } finally {
      await server.close();
    }
  });
});
