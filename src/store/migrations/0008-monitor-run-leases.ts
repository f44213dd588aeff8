/**
 * Migration 0008: owners and leases for monitor runs (issue 5). A run records the server
 * instance that runs it and until when its lease holds; the owner renews the lease while the
 * run is in progress. A starting scheduler reclaims (marks FAILED) only RUNNING runs whose
 * lease has expired, so a second server process on the same database leaves the runs of the
 * first alone. Runs recorded before this migration have no owner and no lease: reclaimable.
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  await db.schema.alterTable('monitor_runs').addColumn('owner', 'text').execute();
  await db.schema.alterTable('monitor_runs').addColumn('lease_expires', 'bigint').execute();
  // A starting scheduler asks for RUNNING runs by lease.
  await db.schema.createIndex('monitor_runs_lease_idx').on('monitor_runs').columns(['status', 'lease_expires']).execute();
}
