/**
 * Migration 0006: monitors, their runs, alert rules and alerts (issue 5).
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(_db: Kysely<unknown>, _engine: Engine): Promise<void> {
  // Tables arrive with the capability that owns them.
}
