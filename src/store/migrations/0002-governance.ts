/**
 * Migration 0002: governance — API tokens, per-model permissions, transition requests, the
 * activity log (which is also the promotion history), webhooks and their delivery log.
 *
 * Requests, activities and permissions follow their model version or model through renames and
 * deletes (ON UPDATE / ON DELETE CASCADE), as the registry's own children do. The audit log of
 * migration 0001 keeps the record of deleted entities.
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  // Only a sha256 of each token is kept: tokens are 32 random bytes, so a fast hash is enough.
  await db.schema
    .createTable('api_tokens')
    .addColumn('token_id', 'text', (c) => c.primaryKey())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('is_admin', 'integer', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('revoked_timestamp', 'bigint')
    .execute();
  await db.schema.createIndex('api_tokens_principal_idx').on('api_tokens').columns(['principal']).execute();

  await engine
    .clusteredTable(
      db.schema
        .createTable('model_permissions')
        .addColumn('name', 'text', (c) => c.notNull().references('registered_models.name').onDelete('cascade').onUpdate('cascade'))
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('granted_by', 'text', (c) => c.notNull())
        .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_permissions_pk', ['name', 'principal']),
    )
    .execute();

  await db.schema
    .createTable('transition_requests')
    .addColumn('request_id', engine.identityType, (c) => engine.identity(c))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('to_stage', 'text', (c) => c.notNull())
    .addColumn('creator', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .addForeignKeyConstraint('transition_requests_fk', ['name', 'version'], 'model_versions', ['name', 'version'], (fk) =>
      fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
  await db.schema.createIndex('transition_requests_version_idx').on('transition_requests').columns(['name', 'version', 'status']).execute();

  await db.schema
    .createTable('activities')
    .addColumn('activity_id', engine.identityType, (c) => engine.identity(c))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('activity_type', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('from_stage', 'text')
    .addColumn('to_stage', 'text')
    .addColumn('alias', 'text')
    .addColumn('comment', 'text')
    .addColumn('request_id', 'bigint')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .addForeignKeyConstraint('activities_fk', ['name', 'version'], 'model_versions', ['name', 'version'], (fk) =>
      fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
  await db.schema.createIndex('activities_version_idx').on('activities').columns(['name', 'version', 'activity_id']).execute();
  // The promotion history reads a model's activities in order.
  await db.schema.createIndex('activities_model_idx').on('activities').columns(['name', 'activity_id']).execute();

  await db.schema
    .createTable('webhooks')
    .addColumn('webhook_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('delivery_id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.webhook_id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('error_message', 'text')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_attempt_timestamp', 'bigint')
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_webhook_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'creation_timestamp'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_status_idx').on('webhook_deliveries').columns(['status']).execute();
}
