import { HangarError, invalidParam } from '../core/errors.js';
import type { Stage } from '../store/types.js';

/**
 * Permission levels on a registered model, lowest first (Databricks' model ACLs, semantics.md
 * §b). Each level includes every level below it; versions inherit their model's level.
 */
export const PERMISSION_LEVELS = [
  'NO_PERMISSIONS',
  'CAN_READ',
  'CAN_EDIT',
  'CAN_MANAGE_STAGING_VERSIONS',
  'CAN_MANAGE_PRODUCTION_VERSIONS',
  'CAN_MANAGE',
] as const;

export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

const RANK = new Map<string, number>(PERMISSION_LEVELS.map((l, i) => [l, i]));

/** What each level adds, for errors and the CLI's help. */
export const LEVEL_MEANING: Record<PermissionLevel, string> = {
  NO_PERMISSIONS: 'nothing',
  CAN_READ: 'view versions, requests and activities; request transitions; comment',
  CAN_EDIT: 'create versions, edit descriptions and tags',
  CAN_MANAGE_STAGING_VERSIONS: 'transition and approve among None, Archived and Staging',
  CAN_MANAGE_PRODUCTION_VERSIONS: 'any transition and approval, the champion alias, rollback',
  CAN_MANAGE: "rename, delete, permissions, cancel others' requests",
};

export function isPermissionLevel(value: string): value is PermissionLevel {
  return RANK.has(value);
}

/** Accepts `CAN_MANAGE`, `can_manage` or `can-manage`; anything else names the valid levels. */
export function parseLevel(value: string, field = 'level'): PermissionLevel {
  const canonical = value.trim().toUpperCase().replaceAll('-', '_');
  if (!isPermissionLevel(canonical)) {
    throw invalidParam(`Invalid permission level '${value}'. Valid levels: ${PERMISSION_LEVELS.join(', ')}.`, field);
  }
  return canonical;
}

/** True when `held` includes `needed`. */
export function atLeast(held: PermissionLevel, needed: PermissionLevel): boolean {
  return RANK.get(held)! >= RANK.get(needed)!;
}

export function maxLevel(a: PermissionLevel, b: PermissionLevel): PermissionLevel {
  return atLeast(a, b) ? a : b;
}

/**
 * The level a stage transition needs: moves among None, Archived and Staging need Can Manage
 * Staging Versions; any move into or out of Production needs Can Manage Production Versions.
 */
export function levelForTransition(from: Stage, to: Stage): PermissionLevel {
  return from === 'Production' || to === 'Production' ? 'CAN_MANAGE_PRODUCTION_VERSIONS' : 'CAN_MANAGE_STAGING_VERSIONS';
}

/** The alias serving follows; moving it is a production change. */
export const CHAMPION = 'champion';

/** Setting or deleting `champion` is a production change; other aliases are staging-level changes. */
export function levelForAlias(alias: string): PermissionLevel {
  return alias === CHAMPION ? 'CAN_MANAGE_PRODUCTION_VERSIONS' : 'CAN_MANAGE_STAGING_VERSIONS';
}

/** PERMISSION_DENIED naming who lacked which level for what. */
export function denied(principal: string, needed: PermissionLevel, what: string, model?: string): HangarError {
  const on = model === undefined ? '' : ` on registered model '${model}'`;
  return new HangarError('PERMISSION_DENIED', `Principal '${principal}' needs ${needed}${on} to ${what}.`);
}
