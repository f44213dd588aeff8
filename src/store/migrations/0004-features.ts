/**
 * Migration 0004: feature-table definitions, versions and training sets (issue 4).
 *
 * A version's rows live in Parquet files under the artifact root; these tables are the
 * catalogue. A version row is written last, in one transaction with the table's
 * `latest_version`, so a reader never sees a version whose file is missing.
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('feature_tables')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('spec_json', 'text', (c) => c.notNull())
    .addColumn('spec_digest', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('owner', 'text')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('latest_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_end', 'bigint')
    .execute();

  await db.schema
    .createTable('feature_table_versions')
    .addColumn('name', 'text', (c) => c.notNull().references('feature_tables.name').onDelete('cascade').onUpdate('cascade'))
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('start_ts', 'bigint')
    .addColumn('end_ts', 'bigint')
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('total_rows', 'bigint', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('files_json', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('schema_json', 'text', (c) => c.notNull())
    .addColumn('spec_digest', 'text', (c) => c.notNull())
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('feature_table_versions_pk', ['name', 'version'])
    .execute();

  await db.schema
    .createTable('training_sets')
    .addColumn('training_set_id', 'text', (c) => c.primaryKey())
    .addColumn('spec_json', 'text', (c) => c.notNull())
    .addColumn('path', 'text')
    .addColumn('output', 'text')
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('schema_json', 'text', (c) => c.notNull())
    .addColumn('lineage_json', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('training_sets_created_idx').on('training_sets').columns(['creation_timestamp']).execute();
}
