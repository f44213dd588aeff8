/**
 * Migration 0005: the inference-log file index and ground-truth labels (issue 5).
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(_db: Kysely<unknown>, _engine: Engine): Promise<void> {
  // Tables arrive with the capability that owns them.
}
