/**
 * Numbered schema migrations, applied in order by Kysely's Migrator (which records them in
 * `hangar_migration` and serialises concurrent migrators through `hangar_migration_lock`).
 * A migration file is named `NNNN-what.ts` and exports `up(db, engine)`; its number is the
 * schema version it brings the database to.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { HangarError } from '../../core/errors.js';
import type { Engine } from '../dialects/engine.js';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-governance.js';
import * as m0003 from './0003-data.js';
import * as m0004 from './0004-features.js';
import * as m0005 from './0005-serving.js';
import * as m0006 from './0006-monitoring.js';
import * as m0007 from './0007-governance-scopes.js';
import * as m0008 from './0008-monitor-run-leases.js';
import * as m0009 from './0009-feature-services.js';
import * as m0010 from './0010-audit-filters.js';

interface StoreMigration {
  name: string;
  up(db: Kysely<unknown>, engine: Engine): Promise<void>;
}

const MIGRATIONS: readonly StoreMigration[] = [
  { name: '0001-initial', up: m0001.up },
  { name: '0002-governance', up: m0002.up },
  { name: '0003-data', up: m0003.up },
  { name: '0004-features', up: m0004.up },
  { name: '0005-serving', up: m0005.up },
  { name: '0006-monitoring', up: m0006.up },
  { name: '0007-governance-scopes', up: m0007.up },
  { name: '0008-monitor-run-leases', up: m0008.up },
  { name: '0009-feature-services', up: m0009.up },
  { name: '0010-audit-filters', up: m0010.up },
];

/** The schema version this code expects. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

async function migrator(engine: Engine): Promise<Migrator> {
  const schema = await engine.currentSchema();
  const provider: MigrationProvider = {
    getMigrations: () =>
      Promise.resolve(
        Object.fromEntries(
          MIGRATIONS.map((m): [string, Migration] => [m.name, { up: (db: Kysely<unknown>) => m.up(db, engine) }]),
        ),
      ),
  };
  return new Migrator({
    db: engine.db,
    provider,
    migrationTableName: 'hangar_migration',
    migrationLockTableName: 'hangar_migration_lock',
    // Without a schema Kysely looks for its tables in every schema and may find another's.
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
}

function versionOf(name: string): number {
  return Number.parseInt(name.slice(0, 4), 10);
}

/** Apply every pending migration; returns the schema version now in place. */
export async function migrateToLatest(engine: Engine): Promise<number> {
  const { error, results } = await (await migrator(engine)).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new HangarError('INTERNAL_ERROR', `Schema migration ${failed} failed.`, { cause: error });
  }
  return currentSchemaVersion(engine);
}

/**
 * The highest migration recorded in the database; 0 for an empty database. Read from the
 * migration table itself, so a database upgraded by newer code reports its newer version.
 */
export async function currentSchemaVersion(engine: Engine): Promise<number> {
  if (!(await engine.tableExists('hangar_migration'))) return 0;
  const rows = await sql<{ name: string }>`select name from hangar_migration`.execute(engine.db);
  return rows.rows.reduce((max, r) => Math.max(max, versionOf(r.name)), 0);
}
