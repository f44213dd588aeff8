/**
 * Migration 0004: feature-table definitions, versions and training sets (issue 4).
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(_db: Kysely<unknown>, _engine: Engine): Promise<void> {
  // Tables arrive with the capability that owns them.
}
