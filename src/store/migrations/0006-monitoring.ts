/**
 * Migration 0006: monitors, their runs, alert rules and alerts (issue 5). Runs, rules and
 * alerts go with their monitor when it is deleted (ON DELETE CASCADE); the metric tables
 * themselves are Parquet files under the artifact root, indexed by run here.
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('monitors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('monitor_version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('creator', 'text', (c) => c.notNull())
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('next_run_timestamp', 'bigint')
    .addColumn('watermark', 'bigint')
    .execute();
  // The scheduler asks for due monitors on every tick.
  await db.schema.createIndex('monitors_due_idx').on('monitors').columns(['status', 'next_run_timestamp']).execute();

  await db.schema
    .createTable('monitor_runs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('monitor_name', 'text', (c) => c.notNull().references('monitors.name').onDelete('cascade'))
    .addColumn('monitor_version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('start_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('end_timestamp', 'bigint')
    .addColumn('error_message', 'text')
    .addColumn('summary', 'text')
    .execute();
  await db.schema.createIndex('monitor_runs_monitor_idx').on('monitor_runs').columns(['monitor_name', 'start_timestamp']).execute();

  await engine
    .clusteredTable(
      db.schema
        .createTable('monitor_alert_rules')
        .addColumn('monitor_name', 'text', (c) => c.notNull().references('monitors.name').onDelete('cascade'))
        .addColumn('rule_name', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('monitor_alert_rules_pk', ['monitor_name', 'rule_name']),
    )
    .execute();

  await db.schema
    .createTable('monitor_alerts')
    .addColumn('alert_id', 'text', (c) => c.primaryKey())
    .addColumn('monitor_name', 'text', (c) => c.notNull().references('monitors.name').onDelete('cascade'))
    .addColumn('rule_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('resolved_run_id', 'text')
    .addColumn('fired_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('resolved_timestamp', 'bigint')
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('retrain_run_id', 'text')
    .execute();
  await db.schema.createIndex('monitor_alerts_monitor_idx').on('monitor_alerts').columns(['monitor_name', 'rule_name', 'status']).execute();
}
