/**
 * Governance rules: who may do what to a registered model, transition requests and their
 * decisions, comments, the activity log, promotion history and rollback, and the one place
 * where stages and aliases are kept in step. Every governed change runs in one transaction of
 * the governance store (the registry rows, the activity rows, the request's new status); its
 * webhook events go out after commit.
 */
import { HangarError, invalidParam, notFound } from '../core/errors.js';
import type { Store } from '../store/port.js';
import type { Stage, Tag } from '../store/types.js';
import {
  GovernanceStore,
  type Activity,
  type ApiToken,
  type GovernanceTx,
  type ModelPermission,
  type NewActivity,
  type TransitionRequest,
  type Webhook,
} from '../store/governance-store.js';
import { isRegistryEvent, parseEvent, type RegistryEvent, type RegistryEventName } from './events.js';
import {
  CHAMPION,
  atLeast,
  denied,
  levelForAlias,
  levelForTransition,
  maxLevel,
  parseLevel,
  type PermissionLevel,
} from './permissions.js';
import { bearerToken, generateToken, hashToken } from './tokens.js';
import { WebhookDispatcher, checkWebhookUrl, type DispatcherOptions } from './webhooks.js';

/** Who makes a request. */
export interface Principal {
  /** User or service name; `anonymous` without a token. */
  name: string;
  /** Admins hold every permission on every model and manage tokens and webhooks. */
  isAdmin: boolean;
  /** False for callers without a token. */
  authenticated: boolean;
}

export const ANONYMOUS = 'anonymous';

/** Activity types: Databricks' seven, then Hangar's alias and rollback entries. */
export const ACTIVITY_TYPES = [
  'APPLIED_TRANSITION',
  'REQUESTED_TRANSITION',
  'CANCELLED_REQUEST',
  'APPROVED_REQUEST',
  'REJECTED_REQUEST',
  'NEW_COMMENT',
  'SYSTEM_TRANSITION',
  'ALIAS_SET',
  'ALIAS_DELETED',
  'ROLLBACK',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** The activities that make up a model's promotion history (every stage and alias change). */
export const HISTORY_TYPES: readonly ActivityType[] = [
  'APPLIED_TRANSITION',
  'APPROVED_REQUEST',
  'SYSTEM_TRANSITION',
  'ALIAS_SET',
  'ALIAS_DELETED',
  'ROLLBACK',
];

/** Longest comment Databricks accepts. */
export const MAX_COMMENT_LENGTH = 65_535;

/**
 * A rule that may block a promotion: given the version's tags and target, it returns one
 * message per failed rule (empty when the promotion may go ahead).
 */
export type PromotionCheck = (input: { name: string; version: number; toStage: Stage; tags: readonly Tag[] }) => string[];

/**
 * The default promotion check: a version whose compliance checks failed (tag
 * `compliance_status=failed`, written by `hangar validate`) may not enter Staging or Production,
 * and one whose validation gate failed (`validation_status=failed`) may not enter Production.
 * Each failed rule (tags `compliance.<rule>` not starting with "pass") is one message.
 */
export const tagPromotionCheck: PromotionCheck = ({ toStage, tags }) => {
  const byKey = new Map(tags.map((t) => [t.key, t.value]));
  const problems: string[] = [];
  if (byKey.get('compliance_status')?.toLowerCase() === 'failed') {
    const rules = tags.filter((t) => t.key.startsWith('compliance.') && !/^pass/i.test(t.value));
    if (rules.length === 0) problems.push('compliance checks failed (tag compliance_status=failed)');
    for (const r of rules) problems.push(`compliance rule ${r.key.slice('compliance.'.length)} failed: ${r.value}`);
  }
  if (toStage === 'Production' && byKey.get('validation_status')?.toLowerCase() === 'failed') {
    problems.push('the validation gate failed (tag validation_status=failed)');
  }
  return problems;
};

export interface GovernanceOptions {
  /** Whether the server requires tokens (`--auth`). Default false. */
  auth?: boolean;
  /**
   * Level of callers without a token on every model, and the floor for token holders without a
   * grant. Default CAN_MANAGE without auth (the single-user embedded default), CAN_READ with auth.
   */
  defaultPermission?: PermissionLevel;
  /** Webhook delivery settings. */
  webhooks?: DispatcherOptions;
}

/** What a governed stage change reports back. */
export interface TransitionOutcome {
  name: string;
  version: number;
  fromStage: Stage;
  toStage: Stage;
  /** Activities recorded, in order. */
  activities: Activity[];
}

export class Governance {
  readonly store: GovernanceStore;
  readonly webhooks: WebhookDispatcher;
  readonly auth: boolean;
  readonly defaultPermission: PermissionLevel;
  readonly #checks: PromotionCheck[] = [tagPromotionCheck];

  constructor(store: GovernanceStore, options: GovernanceOptions = {}) {
    this.store = store;
    this.auth = options.auth ?? false;
    this.defaultPermission = options.defaultPermission ?? (this.auth ? 'CAN_READ' : 'CAN_MANAGE');
    this.webhooks = new WebhookDispatcher(store, options.webhooks);
  }

  /** Add a rule consulted before any version enters Staging or Production (direct, approved or via `champion`). */
  addPromotionCheck(check: PromotionCheck): void {
    this.#checks.push(check);
  }

  close(): void {
    this.webhooks.close();
  }

  // --- principals ----------------------------------------------------------------------------

  /**
   * The principal of an `Authorization` header. No header: anonymous. A header that is not a
   * live Hangar token: UNAUTHENTICATED (401), with or without `--auth`, so a typo never
   * silently downgrades a caller to anonymous.
   */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === undefined) return { name: ANONYMOUS, isAdmin: false, authenticated: false };
    const found = token === '' ? undefined : await this.store.tokenByHash(hashToken(token));
    if (found === undefined) {
      throw new HangarError('UNAUTHENTICATED', 'Invalid or revoked API token. Create one with `hangar tokens create --user NAME`.');
    }
    return { name: found.principal, isAdmin: found.isAdmin, authenticated: true };
  }

  /** The level a principal holds on a model; undefined when the model does not exist. */
  async levelOn(actor: Principal, name: string): Promise<PermissionLevel | undefined> {
    const access = await this.store.modelAccess(name, actor.name);
    if (access === undefined) return undefined;
    return this.#level(actor, access.creator, access.grant);
  }

  #level(actor: Principal, creator: string | null, grant: string | null): PermissionLevel {
    if (actor.isAdmin) return 'CAN_MANAGE';
    let level = this.defaultPermission;
    if (!actor.authenticated) return level;
    if (creator === actor.name) level = 'CAN_MANAGE';
    if (grant !== null) level = maxLevel(level, parseLevel(grant));
    return level;
  }

  async #levelIn(tx: GovernanceTx, actor: Principal, name: string): Promise<PermissionLevel> {
    const model = await tx.lockModel(name);
    return this.#level(actor, model.creator, actor.authenticated ? await tx.grant(name, actor.name) : null);
  }

  /**
   * Throw PERMISSION_DENIED unless `actor` holds `needed` on model `name`. A missing model is
   * left for the handler to report (RESOURCE_DOES_NOT_EXIST), unless `mustExist`.
   */
  async require(actor: Principal, name: string, needed: PermissionLevel, what: string): Promise<void> {
    // Every caller holds at least the default level, so the common embedded case reads nothing.
    if (actor.isAdmin || atLeast(this.defaultPermission, needed)) return;
    const level = await this.levelOn(actor, name);
    if (level === undefined) return;
    if (!atLeast(level, needed)) throw this.#denied(actor, needed, what, name);
  }

  #denied(actor: Principal, needed: PermissionLevel, what: string, name?: string): HangarError {
    if (!actor.authenticated && this.auth) {
      return new HangarError('UNAUTHENTICATED', `This server requires an API token to ${what} (send Authorization: Bearer <token>).`);
    }
    return denied(actor.name, needed, what, name);
  }

  /** Writes that concern no model (experiments, runs, new models) need Can Edit as the default level. */
  requireWriter(actor: Principal, what: string): void {
    if (actor.isAdmin || actor.authenticated) return;
    if (!atLeast(this.defaultPermission, 'CAN_EDIT')) throw this.#denied(actor, 'CAN_EDIT', what);
  }

  requireAdmin(actor: Principal, what: string): void {
    if (actor.isAdmin) return;
    if (!actor.authenticated && !this.auth && this.defaultPermission === 'CAN_MANAGE') return;
    if (!actor.authenticated && this.auth) throw this.#denied(actor, 'CAN_MANAGE', what);
    throw new HangarError('PERMISSION_DENIED', `Principal '${actor.name}' must be an admin to ${what}.`);
  }

  // --- tokens --------------------------------------------------------------------------------

  /** Create a token; the secret is returned once and only its hash is kept. */
  async createToken(input: { principal: string; isAdmin?: boolean; description?: string | null }): Promise<{ token: string; record: ApiToken }> {
    const principal = input.principal.trim();
    if (principal === '' || principal === ANONYMOUS) throw invalidParam(`Invalid principal name '${input.principal}'.`, 'user');
    const token = generateToken();
    const record = await this.store.createToken({
      principal,
      isAdmin: input.isAdmin ?? false,
      description: input.description ?? null,
      tokenHash: hashToken(token),
    });
    return { token, record };
  }

  // --- permissions ---------------------------------------------------------------------------

  async listPermissions(actor: Principal, name: string): Promise<ModelPermission[]> {
    await this.require(actor, name, 'CAN_READ', 'list permissions');
    return this.store.listPermissions(name);
  }

  async setPermission(actor: Principal, name: string, principal: string, level: PermissionLevel): Promise<ModelPermission> {
    await this.require(actor, name, 'CAN_MANAGE', 'change permissions');
    if (principal.trim() === '') throw invalidParam('Principal name cannot be empty.', 'principal');
    return this.store.setPermission(name, principal, level, actor.name);
  }

  async deletePermission(actor: Principal, name: string, principal: string): Promise<void> {
    await this.require(actor, name, 'CAN_MANAGE', 'change permissions');
    await this.store.deletePermission(name, principal);
  }

  // --- governed registry writes: stage and alias in step ---------------------------------------

  /** A direct stage change (MLflow's transition-stage, Databricks' transition-stage with a comment). */
  async transitionStage(
    actor: Principal,
    input: { name: string; version: number; stage: Stage; archiveExisting: boolean; comment?: string | null },
  ): Promise<TransitionOutcome> {
    const comment = checkComment(input.comment, false);
    return this.#write(async (tx, events) => {
      const level = await this.#levelIn(tx, actor, input.name);
      const current = await tx.version(input.name, input.version);
      const needed = levelForTransition(current.stage, input.stage);
      if (!atLeast(level, needed)) throw this.#denied(actor, needed, `move a version from ${current.stage} to ${input.stage}`, input.name);
      return this.#applyTransition(tx, events, {
        ...input,
        actor: actor.name,
        activityType: 'APPLIED_TRANSITION',
        comment,
        requestId: null,
      });
    });
  }

  /** Point an alias at a version; `champion` also moves the version to Production and archives the previous one. */
  async setAlias(actor: Principal, input: { name: string; alias: string; version: number }): Promise<Activity[]> {
    return this.#write(async (tx, events) => {
      const level = await this.#levelIn(tx, actor, input.name);
      const needed = levelForAlias(input.alias);
      if (!atLeast(level, needed)) throw this.#denied(actor, needed, `set the alias '${input.alias}'`, input.name);
      const version = await tx.version(input.name, input.version);
      if (input.alias === CHAMPION) await this.#guard(tx, input.name, input.version, 'Production');
      const activities: Activity[] = [];
      const previous = await tx.aliasVersion(input.name, input.alias);
      await tx.setAlias(input.name, input.alias, input.version);
      activities.push(
        await this.#activity(tx, {
          name: input.name,
          version: input.version,
          activityType: 'ALIAS_SET',
          userId: actor.name,
          fromStage: null,
          toStage: null,
          alias: input.alias,
          comment: previous === undefined || previous === input.version ? null : `moved from version ${previous}`,
          requestId: null,
        }),
      );
      events.push(event('model_version_alias.created', tx.now, { name: input.name, alias: input.alias, version: String(input.version) }));
      if (input.alias === CHAMPION) {
        if (version.stage !== 'Production') {
          const outcome = await this.#applyTransition(tx, events, {
            name: input.name,
            version: input.version,
            stage: 'Production',
            archiveExisting: true,
            actor: actor.name,
            activityType: 'SYSTEM_TRANSITION',
            comment: `'${CHAMPION}' follows Production`,
            requestId: null,
            checked: true,
          });
          activities.push(...outcome.activities);
        } else {
          activities.push(...(await this.#archiveOthers(tx, events, input.name, input.version, 'Production', actor.name)));
        }
      }
      return activities;
    });
  }

  async deleteAlias(actor: Principal, input: { name: string; alias: string }): Promise<Activity[]> {
    return this.#write(async (tx, events) => {
      const level = await this.#levelIn(tx, actor, input.name);
      const needed = levelForAlias(input.alias);
      if (!atLeast(level, needed)) throw this.#denied(actor, needed, `delete the alias '${input.alias}'`, input.name);
      const version = await tx.aliasVersion(input.name, input.alias);
      // MLflow answers success for a missing alias; so does Hangar, recording nothing.
      if (version === undefined) return [];
      await tx.deleteAlias(input.name, input.alias);
      events.push(event('model_version_alias.deleted', tx.now, { name: input.name, alias: input.alias, version: String(version) }));
      return [
        await this.#activity(tx, {
          name: input.name,
          version,
          activityType: 'ALIAS_DELETED',
          userId: actor.name,
          fromStage: null,
          toStage: null,
          alias: input.alias,
          comment: null,
          requestId: null,
        }),
      ];
    });
  }

  /**
   * Restore the previous champion: `champion` and Production go back to the version that held
   * them before the current one, the current one is archived, and a ROLLBACK activity records
   * it. The champion's past is read from the activity log (ALIAS_SET pushes, ROLLBACK pops), so
   * rolling back twice walks further back rather than toggling.
   */
  async rollback(actor: Principal, input: { name: string; comment?: string | null }): Promise<{ from: number; to: number; activities: Activity[] }> {
    const comment = checkComment(input.comment, false);
    return this.#write(async (tx, events) => {
      const level = await this.#levelIn(tx, actor, input.name);
      if (!atLeast(level, 'CAN_MANAGE_PRODUCTION_VERSIONS')) throw this.#denied(actor, 'CAN_MANAGE_PRODUCTION_VERSIONS', 'roll back the champion', input.name);
      const past = (await tx.modelActivities(input.name, ['ALIAS_SET', 'ROLLBACK'])).reverse();
      const stack: number[] = [];
      for (const a of past) {
        if (a.alias !== CHAMPION) continue;
        if (a.activityType === 'ROLLBACK') stack.pop();
        if (stack.at(-1) !== a.version) stack.push(a.version);
      }
      const current = (await tx.aliasVersion(input.name, CHAMPION)) ?? stack.at(-1);
      while (stack.length > 0 && stack.at(-1) === current) stack.pop();
      const target = stack.at(-1);
      if (current === undefined || target === undefined) {
        throw invalidParam(`Registered model '${input.name}' has no previous champion to roll back to.`, 'name');
      }
      const before = await tx.version(input.name, target);
      await tx.setAlias(input.name, CHAMPION, target);
      const activities = [
        await this.#activity(tx, {
          name: input.name,
          version: target,
          activityType: 'ROLLBACK',
          userId: actor.name,
          fromStage: before.stage,
          toStage: 'Production',
          alias: CHAMPION,
          comment: comment ?? `rolled back from version ${current}`,
          requestId: null,
        }),
      ];
      events.push(event('model_version_alias.created', tx.now, { name: input.name, alias: CHAMPION, version: String(target) }));
      if (before.stage !== 'Production') {
        await tx.setStage(input.name, target, 'Production');
        events.push(stageEvent(tx.now, input.name, target, before.stage, 'Production', actor.name, comment));
      }
      activities.push(...(await this.#archiveOthers(tx, events, input.name, target, 'Production', actor.name)));
      return { from: current, to: target, activities };
    });
  }

  // --- transition requests -------------------------------------------------------------------

  async createRequest(actor: Principal, input: { name: string; version: number; stage: Stage; comment?: string | null }): Promise<{ request: TransitionRequest; activity: Activity }> {
    const comment = checkComment(input.comment, false);
    return this.#write(async (tx, events) => {
      const level = await this.#levelIn(tx, actor, input.name);
      if (!atLeast(level, 'CAN_READ')) throw this.#denied(actor, 'CAN_READ', 'request a transition', input.name);
      const v = await tx.version(input.name, input.version);
      const mine = await tx.requests(input.name, input.version, { stage: input.stage, status: 'OPEN', creator: actor.name });
      if (mine.length > 0) {
        throw new HangarError(
          'RESOURCE_ALREADY_EXISTS',
          `${actor.name} already has an open request to move registered model '${input.name}' version ${input.version} to ${input.stage}.`,
        );
      }
      const request = await tx.insertRequest({ name: input.name, version: input.version, toStage: input.stage, creator: actor.name, comment });
      const activity = await this.#activity(tx, {
        name: input.name,
        version: input.version,
        activityType: 'REQUESTED_TRANSITION',
        userId: actor.name,
        fromStage: v.stage,
        toStage: input.stage,
        alias: null,
        comment,
        requestId: request.id,
      });
      events.push(requestEvent('transition_request.created', tx.now, request, v.stage, actor.name, comment));
      return { request, activity };
    });
  }

  async listRequests(actor: Principal, name: string, version: number): Promise<TransitionRequest[]> {
    await this.require(actor, name, 'CAN_READ', 'list transition requests');
    return this.store.listRequests(name, version, 'OPEN');
  }

  /**
   * Approve the open request(s) to move a version to `stage` and apply the transition, in one
   * transaction. Of two concurrent approvals exactly one wins; the other gets RESOURCE_CONFLICT
   * naming who decided first. A cancelled or decided request cannot be approved (409).
   */
  async approveRequest(
    actor: Principal,
    input: { name: string; version: number; stage: Stage; archiveExisting: boolean; comment?: string | null },
  ): Promise<{ request: TransitionRequest; outcome: TransitionOutcome }> {
    const comment = checkComment(input.comment, false);
    return this.#write(async (tx, events) => {
      const { request, from } = await this.#decide(tx, actor, input, 'APPROVED', 'approve');
      const outcome = await this.#applyTransition(tx, events, {
        name: input.name,
        version: input.version,
        stage: input.stage,
        archiveExisting: input.archiveExisting,
        actor: actor.name,
        activityType: 'APPROVED_REQUEST',
        comment,
        requestId: request.id,
      });
      events.push(requestEvent('transition_request.approved', tx.now, request, from, actor.name, comment));
      return { request: { ...request, status: 'APPROVED', decidedBy: actor.name, lastUpdatedTimestamp: tx.now }, outcome };
    });
  }

  async rejectRequest(actor: Principal, input: { name: string; version: number; stage: Stage; comment?: string | null }): Promise<{ request: TransitionRequest; activity: Activity }> {
    const comment = checkComment(input.comment, false);
    return this.#write(async (tx, events) => {
      const { request, from } = await this.#decide(tx, actor, input, 'REJECTED', 'reject');
      const activity = await this.#activity(tx, {
        name: input.name,
        version: input.version,
        activityType: 'REJECTED_REQUEST',
        userId: actor.name,
        fromStage: from,
        toStage: input.stage,
        alias: null,
        comment,
        requestId: request.id,
      });
      events.push(requestEvent('transition_request.rejected', tx.now, request, from, actor.name, comment));
      return { request: { ...request, status: 'REJECTED', decidedBy: actor.name, lastUpdatedTimestamp: tx.now }, activity };
    });
  }

  /** Cancel `creator`'s open request; allowed to the creator and to Can Manage. */
  async cancelRequest(
    actor: Principal,
    input: { name: string; version: number; stage: Stage; creator: string; comment?: string | null },
  ): Promise<{ request: TransitionRequest; activity: Activity }> {
    const comment = checkComment(input.comment, false);
    return this.#write(async (tx, events) => {
      const level = await this.#levelIn(tx, actor, input.name);
      if (input.creator !== actor.name && !atLeast(level, 'CAN_MANAGE')) {
        throw this.#denied(actor, 'CAN_MANAGE', `cancel a request filed by '${input.creator}'`, input.name);
      }
      const v = await tx.version(input.name, input.version);
      const open = await tx.requests(input.name, input.version, { stage: input.stage, status: 'OPEN', creator: input.creator });
      if (open.length === 0) throw await this.#noOpenRequest(tx, input, 'cancel', input.creator);
      for (const r of open) {
        if (!(await tx.decideRequest(r.id, 'CANCELLED', actor.name))) throw await this.#noOpenRequest(tx, input, 'cancel', input.creator);
      }
      const request = open[0]!;
      const activity = await this.#activity(tx, {
        name: input.name,
        version: input.version,
        activityType: 'CANCELLED_REQUEST',
        userId: actor.name,
        fromStage: v.stage,
        toStage: input.stage,
        alias: null,
        comment,
        requestId: request.id,
      });
      events.push(requestEvent('transition_request.cancelled', tx.now, request, v.stage, actor.name, comment));
      return { request: { ...request, status: 'CANCELLED', decidedBy: actor.name, lastUpdatedTimestamp: tx.now }, activity };
    });
  }

  async #decide(
    tx: GovernanceTx,
    actor: Principal,
    input: { name: string; version: number; stage: Stage },
    status: 'APPROVED' | 'REJECTED',
    verb: string,
  ): Promise<{ request: TransitionRequest; from: Stage }> {
    const level = await this.#levelIn(tx, actor, input.name);
    const v = await tx.version(input.name, input.version);
    const needed = levelForTransition(v.stage, input.stage);
    if (!atLeast(level, needed)) throw this.#denied(actor, needed, `${verb} a transition from ${v.stage} to ${input.stage}`, input.name);
    const open = await tx.requests(input.name, input.version, { stage: input.stage, status: 'OPEN' });
    if (open.length === 0) throw await this.#noOpenRequest(tx, input, verb);
    // Every open request for this move is decided together: once the version moves, the others are moot.
    for (const r of open) {
      if (!(await tx.decideRequest(r.id, status, actor.name))) throw await this.#noOpenRequest(tx, input, verb);
    }
    return { request: open[0]!, from: v.stage };
  }

  async #noOpenRequest(tx: GovernanceTx, input: { name: string; version: number; stage: Stage }, verb: string, creator?: string): Promise<HangarError> {
    const all = await tx.requests(input.name, input.version, { stage: input.stage, ...(creator === undefined ? {} : { creator }) });
    const what = `registered model '${input.name}' version ${input.version} to ${input.stage}`;
    const latest = all[0];
    if (latest === undefined) return notFound(`No transition request to move ${what}${creator === undefined ? '' : ` by '${creator}'`}.`);
    return new HangarError(
      'RESOURCE_CONFLICT',
      `Cannot ${verb} the request to move ${what}: it was already ${latest.status.toLowerCase()}${latest.decidedBy === null ? '' : ` by '${latest.decidedBy}'`}. Only an open request can be decided.`,
    );
  }

  // --- comments and activities ------------------------------------------------------------------

  async createComment(actor: Principal, input: { name: string; version: number; comment: string }): Promise<Activity> {
    const comment = checkComment(input.comment, true)!;
    return this.#write(async (tx, events) => {
      const level = await this.#levelIn(tx, actor, input.name);
      if (!atLeast(level, 'CAN_READ')) throw this.#denied(actor, 'CAN_READ', 'comment', input.name);
      await tx.version(input.name, input.version);
      const activity = await this.#activity(tx, {
        name: input.name,
        version: input.version,
        activityType: 'NEW_COMMENT',
        userId: actor.name,
        fromStage: null,
        toStage: null,
        alias: null,
        comment,
        requestId: null,
      });
      events.push(
        event('comment.created', tx.now, { name: input.name, version: String(input.version), comment_id: String(activity.id), user_id: actor.name, comment }),
      );
      return activity;
    });
  }

  /** Edit a comment; only its author (or an admin) may. */
  async updateComment(actor: Principal, input: { id: number; comment: string }): Promise<Activity> {
    const comment = checkComment(input.comment, true)!;
    return this.#write(async (tx) => {
      const existing = await this.#commentIn(tx, input.id);
      await this.#levelIn(tx, actor, existing.name);
      if (existing.userId !== actor.name && !actor.isAdmin) {
        throw new HangarError('PERMISSION_DENIED', `Only '${existing.userId}' may edit comment ${input.id}.`);
      }
      return tx.updateActivityComment(input.id, comment);
    });
  }

  /** Delete a comment; its author or Can Manage on the model may. */
  async deleteComment(actor: Principal, id: number): Promise<void> {
    await this.#write(async (tx) => {
      const existing = await this.#commentIn(tx, id);
      const level = await this.#levelIn(tx, actor, existing.name);
      if (existing.userId !== actor.name && !atLeast(level, 'CAN_MANAGE')) {
        throw this.#denied(actor, 'CAN_MANAGE', `delete a comment by '${existing.userId}'`, existing.name);
      }
      await tx.deleteActivity(id);
    });
  }

  async #commentIn(tx: GovernanceTx, id: number): Promise<Activity> {
    const a = await tx.activity(id);
    if (a.activityType !== 'NEW_COMMENT') throw invalidParam(`Activity ${id} is a ${a.activityType}, not a comment.`, 'id');
    return a;
  }

  async listActivities(actor: Principal, name: string, version: number): Promise<Activity[]> {
    await this.require(actor, name, 'CAN_READ', 'list activities');
    return this.store.listActivities(name, version);
  }

  /** Every stage and alias change of a model, oldest first, with who, when and why. */
  async history(actor: Principal, name: string): Promise<Activity[]> {
    await this.require(actor, name, 'CAN_READ', 'read the promotion history');
    const types = new Set<string>(HISTORY_TYPES);
    return (await this.store.listActivities(name)).filter((a) => types.has(a.activityType));
  }

  // --- webhooks --------------------------------------------------------------------------------

  /**
   * Create a webhook. Registry-wide webhooks need an admin; with `modelName` the webhook fires
   * only for that model's events and needs Can Manage on it (Databricks' model-specific registry
   * webhooks), and it cannot subscribe to `registered_model.created`, which no existing model raises.
   */
  async createWebhook(
    actor: Principal,
    input: { name: string; url: string; events: unknown[]; description?: string | null; secret?: string | null; status?: string | null; modelName?: string | null },
  ): Promise<Webhook> {
    const modelName = input.modelName ?? null;
    if (modelName === null) this.requireAdmin(actor, 'manage registry-wide webhooks');
    else {
      if (modelName.trim() === '') throw invalidParam('model_name cannot be empty; leave it out for a registry-wide webhook.', 'model_name');
      await this.require(actor, modelName, 'CAN_MANAGE', 'manage webhooks of a registered model');
    }
    if (input.name.trim() === '') throw invalidParam('Webhook name cannot be empty.', 'name');
    checkWebhookUrl(input.url, this.webhooks.allowPrivateHosts);
    const events = parseEvents(input.events);
    if (modelName !== null) checkModelEvents(events);
    return this.store.createWebhook({
      name: input.name,
      url: input.url,
      events,
      description: input.description ?? null,
      secret: input.secret === '' ? null : (input.secret ?? null),
      status: parseStatus(input.status ?? 'ACTIVE'),
      modelName,
    });
  }

  /**
   * Throw unless `actor` may manage `webhook`: admins may manage any; Can Manage on its model
   * suffices for a model webhook (an orphaned one, whose model was deleted, is left to admins).
   */
  async requireWebhookManager(actor: Principal, webhook: Webhook, what = 'manage webhooks'): Promise<void> {
    if (webhook.scope === 'model' && webhook.modelName !== null) await this.require(actor, webhook.modelName, 'CAN_MANAGE', what);
    else this.requireAdmin(actor, what);
  }

  /** The webhooks `actor` may see: every one for admins; with `modelName`, that model's for its managers. */
  async listWebhooks(actor: Principal, filter: { modelName?: string } = {}): Promise<Webhook[]> {
    if (filter.modelName === undefined) this.requireAdmin(actor, 'list registry-wide webhooks');
    else await this.require(actor, filter.modelName, 'CAN_MANAGE', 'list webhooks of a registered model');
    return this.store.listWebhooks(filter);
  }

  async updateWebhook(
    actor: Principal,
    id: string,
    patch: { name?: string | null; url?: string | null; events?: unknown[] | null; description?: string | null; secret?: string | null; status?: string | null },
  ): Promise<Webhook> {
    const webhook = await this.store.getWebhook(id);
    await this.requireWebhookManager(actor, webhook);
    if (patch.url != null) checkWebhookUrl(patch.url, this.webhooks.allowPrivateHosts);
    const events = patch.events == null ? undefined : parseEvents(patch.events);
    if (events !== undefined && webhook.scope !== 'registry') checkModelEvents(events);
    return this.store.updateWebhook(id, {
      ...(patch.name == null ? {} : { name: patch.name }),
      ...(patch.url == null ? {} : { url: patch.url }),
      ...(events === undefined ? {} : { events }),
      ...(patch.description == null ? {} : { description: patch.description }),
      ...(patch.secret == null ? {} : { secret: patch.secret === '' ? null : patch.secret }),
      ...(patch.status == null ? {} : { status: parseStatus(patch.status) }),
    });
  }

  /** Delete a webhook and its delivery log (admins, or Can Manage on a model webhook's model). */
  async deleteWebhook(actor: Principal, id: string): Promise<void> {
    await this.requireWebhookManager(actor, await this.store.getWebhook(id), 'delete webhooks');
    await this.store.deleteWebhook(id);
  }

  /** Fire a sample event at a webhook now (MLflow 3's test call). */
  async testWebhook(actor: Principal, id: string, eventName?: unknown): Promise<Awaited<ReturnType<WebhookDispatcher['test']>>> {
    const webhook = await this.store.getWebhook(id);
    await this.requireWebhookManager(actor, webhook, 'test webhooks');
    const name = eventName === undefined || eventName === null ? (webhook.events[0] as RegistryEventName | undefined) ?? 'model_version.created' : parseEvent(eventName, 'event');
    const data = sampleData(name);
    return this.webhooks.test(webhook, { name, timestamp: Date.now(), data: webhook.modelName === null ? data : { ...data, name: webhook.modelName } });
  }

  /**
   * Deliver an event to subscribed webhooks (after the change it reports has committed). For
   * events raised outside this module, e.g. `validation.completed` by the validation gate.
   */
  async emit(name: RegistryEventName, data: Record<string, unknown>): Promise<void> {
    if (!isRegistryEvent(name)) throw invalidParam(`Unknown event '${String(name)}'.`, 'event');
    await this.webhooks.dispatch([{ name, data, timestamp: Date.now() }]);
  }

  // --- internals -------------------------------------------------------------------------------

  /** One transaction; its events are dispatched once it has committed, without holding up the caller. */
  async #write<T>(fn: (tx: GovernanceTx, events: RegistryEvent[]) => Promise<T>): Promise<T> {
    let events: RegistryEvent[] = [];
    const result = await this.store.write(async (tx) => {
      // A retried transaction starts its events afresh.
      events = [];
      return fn(tx, events);
    });
    void this.webhooks.dispatch(events).catch(() => {});
    return result;
  }

  #activity(tx: GovernanceTx, a: NewActivity): Promise<Activity> {
    return tx.addActivity(a);
  }

  async #guard(tx: GovernanceTx, name: string, version: number, toStage: Stage): Promise<void> {
    if (toStage !== 'Staging' && toStage !== 'Production') return;
    const tags = await tx.versionTags(name, version);
    const problems = this.#checks.flatMap((check) => check({ name, version, toStage, tags }));
    if (problems.length > 0) {
      throw new HangarError(
        'BAD_REQUEST',
        `Registered model '${name}' version ${version} cannot move to ${toStage}:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      );
    }
  }

  /** Archive every other version in `stage`, one SYSTEM_TRANSITION each. */
  async #archiveOthers(tx: GovernanceTx, events: RegistryEvent[], name: string, version: number, stage: Stage, actor: string): Promise<Activity[]> {
    const out: Activity[] = [];
    for (const other of await tx.versionsInStage(name, stage)) {
      if (other === version) continue;
      await tx.setStage(name, other, 'Archived');
      const comment = `archived: version ${version} moved to ${stage}`;
      out.push(
        await this.#activity(tx, {
          name,
          version: other,
          activityType: 'SYSTEM_TRANSITION',
          userId: actor,
          fromStage: stage,
          toStage: 'Archived',
          alias: null,
          comment,
          requestId: null,
        }),
      );
      events.push(stageEvent(tx.now, name, other, stage, 'Archived', actor, comment));
    }
    return out;
  }

  /**
   * The one place a stage changes: archive siblings when asked, move the version, record the
   * activity, and keep `champion` on Production (it follows a version into Production and, when
   * its version leaves Production, moves to the highest version still there or is removed).
   */
  async #applyTransition(
    tx: GovernanceTx,
    events: RegistryEvent[],
    p: {
      name: string;
      version: number;
      stage: Stage;
      archiveExisting: boolean;
      actor: string;
      activityType: ActivityType;
      comment: string | null;
      requestId: number | null;
      checked?: boolean;
    },
  ): Promise<TransitionOutcome> {
    const current = await tx.version(p.name, p.version);
    if (p.checked !== true) await this.#guard(tx, p.name, p.version, p.stage);
    const activities: Activity[] = [];
    if (p.archiveExisting) activities.push(...(await this.#archiveOthers(tx, events, p.name, p.version, p.stage, p.actor)));
    await tx.setStage(p.name, p.version, p.stage);
    activities.push(
      await this.#activity(tx, {
        name: p.name,
        version: p.version,
        activityType: p.activityType,
        userId: p.actor,
        fromStage: current.stage,
        toStage: p.stage,
        alias: null,
        comment: p.comment,
        requestId: p.requestId,
      }),
    );
    events.push(stageEvent(tx.now, p.name, p.version, current.stage, p.stage, p.actor, p.comment));

    const champion = await tx.aliasVersion(p.name, CHAMPION);
    if (p.stage === 'Production' && champion !== p.version) {
      await tx.setAlias(p.name, CHAMPION, p.version);
      activities.push(await this.#aliasActivity(tx, events, p.name, p.version, p.actor, champion));
    } else if (current.stage === 'Production' && p.stage !== 'Production' && champion === p.version) {
      const next = (await tx.versionsInStage(p.name, 'Production'))[0];
      if (next === undefined) {
        await tx.deleteAlias(p.name, CHAMPION);
        activities.push(
          await this.#activity(tx, {
            name: p.name,
            version: p.version,
            activityType: 'ALIAS_DELETED',
            userId: p.actor,
            fromStage: null,
            toStage: null,
            alias: CHAMPION,
            comment: `the version left Production`,
            requestId: null,
          }),
        );
        events.push(event('model_version_alias.deleted', tx.now, { name: p.name, alias: CHAMPION, version: String(p.version) }));
      } else {
        await tx.setAlias(p.name, CHAMPION, next);
        activities.push(await this.#aliasActivity(tx, events, p.name, next, p.actor, p.version));
      }
    }
    return { name: p.name, version: p.version, fromStage: current.stage, toStage: p.stage, activities };
  }

  async #aliasActivity(tx: GovernanceTx, events: RegistryEvent[], name: string, version: number, actor: string, previous: number | undefined): Promise<Activity> {
    events.push(event('model_version_alias.created', tx.now, { name, alias: CHAMPION, version: String(version) }));
    return this.#activity(tx, {
      name,
      version,
      activityType: 'ALIAS_SET',
      userId: actor,
      fromStage: null,
      toStage: null,
      alias: CHAMPION,
      comment: previous === undefined ? `'${CHAMPION}' follows Production` : `'${CHAMPION}' follows Production (was version ${previous})`,
      requestId: null,
    });
  }
}

// --- helpers ---------------------------------------------------------------------------------------

function checkComment(comment: string | null | undefined, required: boolean): string | null {
  if (comment === undefined || comment === null || comment === '') {
    if (required) throw invalidParam("Missing value for required parameter 'comment'.", 'comment');
    return null;
  }
  if (comment.length > MAX_COMMENT_LENGTH) throw invalidParam(`A comment may hold at most ${MAX_COMMENT_LENGTH} characters.`, 'comment');
  return comment;
}

function parseEvents(values: unknown[]): RegistryEventName[] {
  if (values.length === 0) throw invalidParam('A webhook needs at least one event.', 'events');
  return [...new Set(values.map((v) => parseEvent(v)))];
}

/** A model webhook cannot hear of its model's creation (Databricks: registry-wide only). */
function checkModelEvents(events: readonly string[]): void {
  if (events.includes('registered_model.created')) {
    throw invalidParam('registered_model.created is for registry-wide webhooks only; a model webhook exists after its model.', 'events');
  }
}

function parseStatus(value: string): Webhook['status'] {
  const s = value.toUpperCase();
  if (s !== 'ACTIVE' && s !== 'DISABLED' && s !== 'TEST_MODE') throw invalidParam(`Invalid webhook status '${value}'. Valid: ACTIVE, DISABLED, TEST_MODE.`, 'status');
  return s;
}

function event(name: RegistryEventName, timestamp: number, data: Record<string, unknown>): RegistryEvent {
  return { name, timestamp, data };
}

function stageEvent(timestamp: number, name: string, version: number, from: Stage, to: Stage, user: string, comment: string | null): RegistryEvent {
  return event('model_version.stage_transitioned', timestamp, {
    name,
    version: String(version),
    from_stage: from,
    to_stage: to,
    user_id: user,
    comment,
  });
}

function requestEvent(name: RegistryEventName, timestamp: number, r: TransitionRequest, from: Stage, user: string, comment: string | null): RegistryEvent {
  return event(name, timestamp, {
    name: r.name,
    version: String(r.version),
    request_id: String(r.id),
    from_stage: from,
    to_stage: r.toStage,
    creator: r.creator,
    user_id: user,
    comment,
  });
}

/** Sample `data` for test deliveries, shaped like the real event's. */
function sampleData(name: RegistryEventName): Record<string, unknown> {
  const base = { name: 'example-model', version: '1' };
  switch (name) {
    case 'registered_model.created':
      return { name: 'example-model', tags: {}, description: 'An example registered model.' };
    case 'model_version.created':
      return { ...base, source: 'models:/m-example', run_id: 'example-run', tags: {}, description: '' };
    case 'model_version_tag.set':
      return { ...base, key: 'example_key', value: 'example_value' };
    case 'model_version_tag.deleted':
      return { ...base, key: 'example_key' };
    case 'model_version_alias.created':
    case 'model_version_alias.deleted':
      return { ...base, alias: 'champion' };
    case 'model_version.stage_transitioned':
      return { ...base, from_stage: 'Staging', to_stage: 'Production', user_id: 'example-user', comment: null };
    case 'transition_request.created':
    case 'transition_request.approved':
    case 'transition_request.rejected':
    case 'transition_request.cancelled':
      return { ...base, request_id: '1', from_stage: 'Staging', to_stage: 'Production', creator: 'example-user', user_id: 'example-user', comment: null };
    case 'comment.created':
      return { ...base, comment_id: '1', user_id: 'example-user', comment: 'Looks good.' };
    case 'validation.completed':
      return { ...base, status: 'SUCCESS' };
    case 'monitor.alert_fired':
      return { ...base, monitor: 'example-monitor', rule: 'rmse', metric: 'root_mean_squared_error', direction: 'above', threshold: 100, violations: 2, evaluated: 5, value: 120 };
  }
}

// --- one instance per store -----------------------------------------------------------------------

const INSTANCES = new WeakMap<object, Governance>();

/**
 * The governance service of a metadata store: created by the server with its options, or on
 * first use with the defaults (embedded, single user). Everything that changes the same store
 * shares it, so its webhook dispatcher and promotion checks are one.
 */
export function governanceFor(store: Store, options?: GovernanceOptions): Governance {
  let g = INSTANCES.get(store);
  if (g === undefined || options !== undefined) {
    g?.close();
    g = new Governance(GovernanceStore.for(store), options);
    INSTANCES.set(store, g);
  }
  return g;
}

/** The governance service of a store, or undefined when the store is not one `openStore` opened (test doubles). */
export function optionalGovernanceFor(store: Store): Governance | undefined {
  try {
    return governanceFor(store);
  } catch (e) {
    if (e instanceof HangarError && e.code === 'NOT_IMPLEMENTED') return undefined;
    throw e;
  }
}

/**
 * Raise a registry event for webhooks, e.g. `validation.completed` from the validation gate.
 * In-process callers pass the server's store; remote callers use the SDK's `emitEvent`.
 */
export function emitRegistryEvent(store: Store, name: RegistryEventName, data: Record<string, unknown>): Promise<void> {
  return governanceFor(store).emit(name, data);
}
