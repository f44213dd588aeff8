import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import type { ArtifactStore } from '../../src/artifacts/port.js';
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

async function admin(url: string, statement: string): Promise<void> {
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
