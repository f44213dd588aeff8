/**
 * Migration 0010: indexes for the audit trail's filters (who, what, when, failed). The trail is
 * read newest first by id, so each index ends in `id`: a filter on one principal or one action
 * walks its index backwards and stops after a page. Failed requests are few, so they get a
 * partial index of their own; succeeded ones are most rows and need none.
 */
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema.createIndex('audit_log_principal_idx').on('audit_log').columns(['principal', 'id']).execute();
  await db.schema.createIndex('audit_log_action_idx').on('audit_log').columns(['action', 'id']).execute();
  await db.schema.createIndex('audit_log_timestamp_idx').on('audit_log').columns(['timestamp', 'id']).execute();
  await db.schema.createIndex('audit_log_failed_idx').on('audit_log').column('id').where(sql.ref('status'), '>=', 400).execute();
}
