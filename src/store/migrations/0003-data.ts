/**
 * Migration 0003: versioned datasets and their versions (issue 4). Named `data_assets` because
 * MLflow's `datasets` table (run inputs, migration 0001) already has the plain name.
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('data_assets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('latest_version', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('data_asset_versions')
    .addColumn('name', 'text', (c) => c.notNull().references('data_assets.name').onDelete('cascade'))
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('schema', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('artifact_path', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('expectations', 'text')
    .addColumn('created_by', 'text')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('data_asset_versions_pk', ['name', 'version'])
    // Identical content registers once: a second registration finds the version by digest.
    .addUniqueConstraint('data_asset_versions_digest_uq', ['name', 'digest'])
    .execute();
}
