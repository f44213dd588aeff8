import { invalidParam } from '../core/errors.js';
import { STAGES, type Stage } from '../store/types.js';

/**
 * Model version stages. Deprecated by MLflow since 2.9 in favour of aliases, but clients still
 * send them (and resolve `models:/<name>/<Stage>` through them), so input stays case-insensitive
 * and output always uses the canonical spelling.
 */

const CANONICAL = new Map<string, Stage>(STAGES.map((s) => [s.toLowerCase(), s]));

/** The stages whose other versions `archive_existing_versions` may move to Archived. */
export const ARCHIVABLE_STAGES: readonly Stage[] = ['Staging', 'Production'];

/** True when `value` names a stage in any letter case. */
export function isStage(value: string): boolean {
  return CANONICAL.has(value.toLowerCase());
}

/**
 * The canonical spelling of a stage given in any letter case. Anything else throws
 * INVALID_PARAMETER_VALUE with MLflow's message, which clients show to users as is.
 */
export function parseStage(value: string, field = 'stage'): Stage {
  const stage = CANONICAL.get(value.toLowerCase());
  if (stage === undefined) {
    throw invalidParam(`Invalid Model Version stage: ${value}. Value must be one of ${STAGES.join(', ')}.`, field);
  }
  return stage;
}

/**
 * `archive_existing_versions` only makes sense when the target stage is one a model has a single
 * "current" version in; MLflow rejects it elsewhere, and so does Hangar (with a 400, where MLflow
 * answers a 500 that clients would retry).
 */
export function checkArchiveExisting(stage: Stage, archiveExisting: boolean): void {
  if (archiveExisting && !ARCHIVABLE_STAGES.includes(stage)) {
    throw invalidParam(
      `Model version transition cannot archive existing model versions because '${stage}' is not an active stage. ` +
        `archive_existing_versions=true is only valid for ${ARCHIVABLE_STAGES.join(' and ')}.`,
      'archive_existing_versions',
    );
  }
}
