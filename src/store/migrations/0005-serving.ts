/**
 * Migration 0005: the inference-log file index (prediction and ground-truth label files, issue 5).
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  // Files are not tied to a registered model by a foreign key: the log outlives a deleted model
  // until retention removes it, and a label may arrive for a model served from elsewhere.
  await db.schema
    .createTable('inference_log_files')
    .addColumn('file_id', 'text', (c) => c.primaryKey())
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('min_ts', 'bigint', (c) => c.notNull())
    .addColumn('max_ts', 'bigint', (c) => c.notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull().unique())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .execute();
  // Monitors ask "this model's prediction files over this time range"; retention asks by the age of the newest row.
  await db.schema.createIndex('inference_log_files_model_idx').on('inference_log_files').columns(['model_name', 'kind', 'min_ts']).execute();
  await db.schema.createIndex('inference_log_files_age_idx').on('inference_log_files').columns(['max_ts']).execute();
}
