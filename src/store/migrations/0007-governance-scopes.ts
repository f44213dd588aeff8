/**
 * Migration 0007: per-model webhook scopes and other governance additions (issue 3).
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(_db: Kysely<unknown>, _engine: Engine): Promise<void> {
  // Tables arrive with the capability that owns them.
}
