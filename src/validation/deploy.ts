import type { HangarClient } from '../client/index.js';
import { assertPromotable, checkPromotion, type PromotionOptions } from './promotion.js';

/**
 * The deployment step after the gate, as MLOps Stacks' deploy task on Unity Catalog: the
 * validated version becomes `champion` (if it is not already) and loses `challenger`. No metric
 * is checked here (the gate did that); the recorded compliance and gate verdicts are, so a
 * version that failed them cannot be deployed this way either.
 *
 * Stages follow aliases (issue 3 §5): the server moves a new champion to Production and archives
 * the previous one when its stage/alias sync is present; this step makes sure of it either way,
 * transitioning with `archive_existing_versions` only when the version is not in Production yet.
 */

export interface DeployResult {
  /** Registered model name. */
  name: string;
  /** The version now `champion`. */
  version: number;
  /** The version that was `champion` before, or null. */
  previousChampion: number | null;
  /** False when the version was champion already. */
  championSet: boolean;
  /** True when the version carried `challenger` and it was removed. */
  challengerRemoved: boolean;
  /** The version's stage afterwards. */
  stage: string;
}

export async function deployVersion(client: HangarClient, name: string, version: number | string, opts: PromotionOptions = {}): Promise<DeployResult> {
  assertPromotable(name, version, await checkPromotion(client, name, version, opts));
  const v = Number(version);
  const model = await client.getRegisteredModel(name);
  const aliasOf = (alias: string): number | null => model.aliases.find((a) => a.alias === alias)?.version ?? null;
  const previousChampion = aliasOf('champion');
  const championSet = previousChampion !== v;
  if (championSet) await client.setRegisteredModelAlias(name, 'champion', v);
  const challengerRemoved = aliasOf('challenger') === v;
  if (challengerRemoved) await client.deleteRegisteredModelAlias(name, 'challenger');
  let mv = await client.getModelVersion(name, v);
  if (mv.currentStage !== 'Production') mv = await client.transitionModelVersionStage(name, v, 'Production', true);
  return { name, version: v, previousChampion: previousChampion === v ? null : previousChampion, championSet, challengerRemoved, stage: mv.currentStage };
}
