/**
 * Store subjects for the store suites: a fresh SQLite file per store, and for PostgreSQL a
 * database per test file (random name, dropped afterwards) with a fresh schema per store,
 * so tests and parallel runs never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Clock } from '../../core/clock.js';
import { pgSkipReason, pgUrl } from '../../../test/support/services.js';
import { openStore } from '../open.js';
import type { Store } from '../port.js';

export interface StoreSubject {
  /** Title of the describe block; names the skip reason when skipped. */
  title: string;
  skip: boolean;
  beforeAll(): Promise<void>;
  afterAll(): Promise<void>;
  /** A URI naming a fresh, empty database (not migrated). */
  freshUri(): Promise<string>;
  /** A fresh, migrated store; closed by `cleanup`. */
  open(options?: { clock?: Clock; defaultArtifactRoot?: string }): Promise<Store>;
  /** Close every store opened through this subject and remove its files or schemas. */
  cleanup(): Promise<void>;
}

const suffix = (): string => randomBytes(5).toString('hex');

export function sqliteSubject(): StoreSubject {
  const dirs: string[] = [];
  const stores: Store[] = [];
  const subject: StoreSubject = {
    title: 'SQLite',
    skip: false,
    async beforeAll() {},
    async afterAll() {},
    freshUri() {
      const dir = mkdtempSync(join(tmpdir(), 'hangar-store-'));
      dirs.push(dir);
      // A subdirectory that does not exist yet: openStore must create it.
      return Promise.resolve(`sqlite:///${join(dir, 'nested', 'hangar.db')}`);
    },
    async open(options = {}) {
      const store = await openStore(await subject.freshUri(), {
        defaultArtifactRoot: options.defaultArtifactRoot ?? 'mlflow-artifacts:',
        migrate: true,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      });
      stores.push(store);
      return store;
    },
    async cleanup() {
      for (const s of stores.splice(0)) await s.close();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
  return subject;
}

export function postgresSubject(): StoreSubject {
  const database = `hangar_store_${suffix()}`;
  const stores: Store[] = [];
  let dbUrl = '';
  const admin = async <T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  const subject: StoreSubject = {
    title: pgUrl === null ? `PostgreSQL (skipped: ${pgSkipReason || 'no server'})` : 'PostgreSQL',
    skip: pgUrl === null,
    async beforeAll() {
      await admin(pgUrl!, (c) => c.query(`create database ${database}`));
      const url = new URL(pgUrl!);
      url.pathname = `/${database}`;
      dbUrl = url.toString();
    },
    async afterAll() {
      await admin(pgUrl!, (c) => c.query(`drop database if exists ${database} with (force)`));
    },
    async freshUri() {
      const schema = `s_${suffix()}`;
      await admin(dbUrl, (c) => c.query(`create schema ${schema}`));
      const url = new URL(dbUrl);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return url.toString();
    },
    async open(options = {}) {
      const store = await openStore(await subject.freshUri(), {
        defaultArtifactRoot: options.defaultArtifactRoot ?? 'mlflow-artifacts:',
        migrate: true,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      });
      stores.push(store);
      return store;
    },
    async cleanup() {
      for (const s of stores.splice(0)) await s.close();
    },
  };
  return subject;
}

/** Both engines, PostgreSQL marked skipped when `npm test` found no server. */
export function allSubjects(): StoreSubject[] {
  return [sqliteSubject(), postgresSubject()];
}

/** A clock that moves forward 1 ms on every reading, so every timestamp the store sets differs. */
export function tickingClock(start = 1_700_000_000_000): Clock & { set(t: number): void } {
  let t = start;
  return {
    now: () => ++t,
    set(value: number) {
      t = value;
    },
  };
}
