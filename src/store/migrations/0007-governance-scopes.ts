/**
 * Migration 0007: per-model webhook scopes (issue 3). A webhook with a row here fires only for
 * events about that registered model, as Databricks' model-specific registry webhooks do; one
 * without a row is registry-wide.
 *
 * The scope follows its model through renames (ON UPDATE CASCADE). When the model is deleted the
 * row stays with `model_name` NULL (ON DELETE SET NULL): the webhook then fires for nothing,
 * rather than silently becoming registry-wide and sending other models' events to whoever
 * managed the deleted one.
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('webhook_scopes')
    .addColumn('webhook_id', 'text', (c) => c.primaryKey().references('webhooks.webhook_id').onDelete('cascade'))
    .addColumn('model_name', 'text', (c) => c.references('registered_models.name').onDelete('set null').onUpdate('cascade'))
    .execute();
  await db.schema.createIndex('webhook_scopes_model_idx').on('webhook_scopes').columns(['model_name']).execute();
}
