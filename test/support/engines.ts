import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import type { ArtifactStore } from '../../src/artifacts/port.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/port.js';
import { pgSkipReason, pgUrl } from './services.js';

/**
 * The store engines a suite runs on. PostgreSQL gets a database of its own per suite, so
 * migrations never race other suites and nothing is left behind.
 */
export interface EngineUnderTest {
  title: string;
  skip: boolean;
  /** The store URI to open; `dir` is the suite's temp directory. */
  open(dir: string): Promise<string>;
  close(): Promise<void>;
}

/** Run one statement on a PostgreSQL server as its own connection (create or drop a database). */
export async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function postgresEngine(url: string): EngineUnderTest {
  const db = `hangar_t_${randomBytes(6).toString('hex')}`;
  return {
    title: 'on PostgreSQL',
    skip: false,
    async open() {
      await admin(url, `CREATE DATABASE ${db}`);
      const u = new URL(url);
      u.pathname = `/${db}`;
      return u.href;
    },
    close: () => admin(url, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`),
  };
}

/** SQLite always; PostgreSQL when `npm test` found a server, else a skipped entry saying why. */
export function storeEngines(): EngineUnderTest[] {
  return [
    { title: 'on SQLite', skip: false, open: async (dir) => `sqlite:///${join(dir, 'hangar.db')}`, close: async () => {} },
    pgUrl === null
      ? { title: `on PostgreSQL (skipped: ${pgSkipReason || 'no server'})`, skip: true, open: () => Promise.reject(new Error('no PostgreSQL')), close: async () => {} }
      : postgresEngine(pgUrl),
  ];
}

/** What a store suite opens: its engines, temp directories and migrated stores, all cleaned up after it. */
export interface StoreSuite {
  engines: EngineUnderTest[];
  /** A new temp directory, removed after the suite. */
  tempDir(): string;
  /** Open and migrate the store at `uri`; closed after the suite. */
  open(uri: string): Promise<Store>;
}

/** The engines of {@link storeEngines} plus the bookkeeping every store suite repeats; call it inside `describe`. */
export function storeSuite(prefix: string): StoreSuite {
  const dirs: string[] = [];
  const stores: Store[] = [];
  const engines = storeEngines();
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const e of engines) await e.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return {
    engines,
    tempDir() {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    async open(uri) {
      const s = await openStore(uri, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
      stores.push(s);
      return s;
    },
  };
}

/** An artifact store for suites whose routes never touch artifacts; any call is a bug. */
export const noArtifacts: ArtifactStore = {
  rootUri: 'memory://unused',
  put: () => Promise.reject(new Error('unused')),
  get: () => Promise.reject(new Error('unused')),
  stat: () => Promise.reject(new Error('unused')),
  list: () => Promise.reject(new Error('unused')),
  delete: () => Promise.reject(new Error('unused')),
  close: () => Promise.resolve(),
};
