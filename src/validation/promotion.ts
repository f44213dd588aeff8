import { HangarError } from '../core/errors.js';
import type { HangarClient, Tag } from '../client/index.js';
import { COMPLIANCE_RULES } from './compliance.js';

/**
 * Whether a version may be promoted to production, decided from the tags the compliance checks
 * and the validation gate record on it. Pure over the tags, so the server's approval path (which
 * reads tags from its store) and the SDK (which reads them over HTTP) apply the same rule.
 *
 * What counts as promotion: a move to `Staging` or `Production`, or onto the `champion` alias
 * (kept in step with Production). Moves to None and Archived are never blocked. The rule is the
 * same as the governance service's default promotion check, which the server applies to direct
 * transitions, approvals and alias moves:
 * - `compliance_status=failed` blocks Staging and Production, one message per failed rule;
 * - `validation_status=failed` (the gate ran in `enabled` mode) blocks Production;
 *   `dry_run_failed` blocks nothing, as MLOps Stacks' dry run lets deployment proceed;
 * - with `requireChecks`, a version on which the compliance checks never ran is blocked too.
 */

export interface PromotionOptions {
  /** The stage the version would enter. Default `Production`. */
  toStage?: string;
  /** Block versions with no `compliance_status` tag. Default false. */
  requireChecks?: boolean;
}

/** The stage or alias a promotion targets. */
export type PromotionTarget = { stage: string } | { alias: string };

/** True when moving to `target` is a promotion the checks guard. */
export function isGuardedPromotion(target: PromotionTarget): boolean {
  return 'stage' in target ? ['staging', 'production'].includes(target.stage.toLowerCase()) : target.alias === 'champion';
}

/**
 * The reasons `tags` forbid promoting to production: empty when allowed. `tags` is a version's
 * tags as a list or a record.
 */
export function promotionBlockers(tags: readonly Tag[] | Readonly<Record<string, string>>, opts: PromotionOptions = {}): string[] {
  const map = new Map<string, string>(Array.isArray(tags) ? (tags as readonly Tag[]).map((t) => [t.key, t.value]) : Object.entries(tags));
  const blockers: string[] = [];
  const toStage = (opts.toStage ?? 'Production').toLowerCase();
  if (!isGuardedPromotion({ stage: toStage })) return blockers;
  const compliance = map.get('compliance_status');
  if (compliance === 'failed') {
    const failed = COMPLIANCE_RULES.flatMap((rule) => {
      const value = map.get(`compliance.${rule}`);
      return value?.startsWith('FAIL') ? [`compliance check ${rule} failed: ${value.replace(/^FAIL:\s*/, '')}`] : [];
    });
    blockers.push(...(failed.length > 0 ? failed : ['compliance checks failed']));
  } else if (compliance === undefined && opts.requireChecks) {
    blockers.push('compliance checks have not been run (hangar validate MODEL_URI)');
  }
  if (toStage === 'production' && map.get('validation_status') === 'failed') {
    blockers.push('the validation gate failed (validation_status=failed); see the version description for the validation run');
  }
  return blockers;
}

/** The verdict for one version. */
export interface PromotionCheck {
  /** No blocker. */
  allowed: boolean;
  /** One message per reason, empty when allowed. */
  blockers: string[];
}

/** Read `name`/`version`'s tags and decide whether it may move to `opts.toStage` (default Production, i.e. champion). */
export async function checkPromotion(client: HangarClient, name: string, version: number | string, opts: PromotionOptions = {}): Promise<PromotionCheck> {
  const mv = await client.getModelVersion(name, version);
  const blockers = promotionBlockers(mv.tags, opts);
  return { allowed: blockers.length === 0, blockers };
}

/** Throws BAD_REQUEST listing every blocker, one per line, when promotion is not allowed. */
export function assertPromotable(name: string, version: number | string, check: PromotionCheck): void {
  if (!check.allowed) {
    throw new HangarError('BAD_REQUEST', `Model ${name} version ${version} cannot be promoted to Production:\n${check.blockers.map((b) => `  - ${b}`).join('\n')}`);
  }
}
