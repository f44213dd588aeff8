/**
 * The governance adapter: tokens, per-model permissions, transition requests, the activity log,
 * webhooks and deliveries, on the same Kysely engine as the metadata store (so a governed
 * registry write — a stage change, its archived siblings, the champion alias and the activity
 * rows — commits in one transaction).
 *
 * It offers storage primitives only. The rules (who may do what, which activity a change
 * records, how stages and aliases stay in step) live in `src/governance/`, which composes these
 * primitives inside `write()`; the store layer may not import domain code.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { HangarError, invalidParam, notFound } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Engine } from './dialects/engine.js';
import { inTransaction } from './transaction.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './port.js';
import type { Database } from './schema.js';
import type {
  ActivitiesTable,
  ApiTokensTable,
  ModelPermissionsTable,
  TransitionRequestsTable,
  WebhookDeliveriesTable,
  WebhooksTable,
} from './governance-schema.js';
import type { Stage, Tag } from './types.js';

type Db = Kysely<Database>;

/** Webhooks left-joined with their scope (`scoped` is the scope row's id, null when registry-wide). */
function webhooksWithScope(trx: Db) {
  return trx
    .selectFrom('webhooks')
    .leftJoin('webhook_scopes', 'webhook_scopes.webhook_id', 'webhooks.webhook_id')
    .selectAll('webhooks')
    .select(['webhook_scopes.webhook_id as scoped', 'webhook_scopes.model_name as model_name']);
}

// --- domain shapes ---------------------------------------------------------------------------

/** A stored API token (its secret is never stored, only a sha256 of it). */
export interface ApiToken {
  /** Public handle of the token, e.g. `tok_3f9a…`; used to list and revoke it. */
  tokenId: string;
  /** The principal (user or service) the token authenticates. */
  principal: string;
  /** Admins hold every permission on every model. */
  isAdmin: boolean;
  /** Free text, e.g. what the token is for. */
  description: string | null;
  creationTimestamp: number;
  /** Set once revoked; a revoked token no longer authenticates. */
  revokedTimestamp: number | null;
}

/** One explicit grant of a permission level on a registered model. */
export interface ModelPermission {
  /** Registered model name. */
  name: string;
  principal: string;
  /** A permission level name (`CAN_READ` … `CAN_MANAGE`). */
  level: string;
  /** Who granted it. */
  grantedBy: string;
  lastUpdatedTimestamp: number;
}

export type TransitionRequestStatus = 'OPEN' | 'APPROVED' | 'REJECTED' | 'CANCELLED';

/** A request to move a model version to a stage, decided by someone with the right level. */
export interface TransitionRequest {
  id: number;
  name: string;
  version: number;
  toStage: Stage;
  /** Who filed the request. */
  creator: string;
  comment: string | null;
  status: TransitionRequestStatus;
  /** Who approved, rejected or cancelled it. */
  decidedBy: string | null;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

/** One entry of a version's activity log (Databricks' activity shape plus Hangar's alias and rollback entries). */
export interface Activity {
  id: number;
  name: string;
  version: number;
  activityType: string;
  userId: string;
  fromStage: string | null;
  toStage: string | null;
  /** The alias an ALIAS_SET / ALIAS_DELETED entry is about. */
  alias: string | null;
  comment: string | null;
  /** The transition request an entry decided, if any. */
  requestId: number | null;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

/** An activity before the store numbers it. */
export type NewActivity = Omit<Activity, 'id' | 'creationTimestamp' | 'lastUpdatedTimestamp'>;

/** A webhook subscription. The secret stays inside the server: it is never read back out over the API. */
export interface Webhook {
  id: string;
  name: string;
  description: string | null;
  url: string;
  /** Event names in `entity.action` form. */
  events: string[];
  /** HMAC key for signatures; null when deliveries are unsigned. */
  secret: string | null;
  status: 'ACTIVE' | 'DISABLED' | 'TEST_MODE';
  /**
   * The scope: `registry` (every model's events), `model` (only `modelName`'s), or `orphaned`
   * (its model was deleted: it fires for nothing).
   */
  scope: 'registry' | 'model' | 'orphaned';
  /** The registered model a `model` webhook is limited to; null otherwise. */
  modelName: string | null;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** One delivery of one event to one webhook, with its latest attempt. */
export interface WebhookDelivery {
  /** Also sent as `X-MLflow-Delivery-Id`. */
  id: string;
  webhookId: string;
  event: string;
  /** The exact JSON body sent (and signed). */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  responseStatus: number | null;
  /** The receiver's answer, cut to 1 000 characters. */
  responseBody: string | null;
  errorMessage: string | null;
  creationTimestamp: number;
  lastAttemptTimestamp: number | null;
}

/** What a governed write needs to know about a model version. */
export interface VersionState {
  name: string;
  version: number;
  stage: Stage;
}

// --- mapping -----------------------------------------------------------------------------------

const toToken = (r: ApiTokensTable): ApiToken => ({
  tokenId: r.token_id,
  principal: r.principal,
  isAdmin: Number(r.is_admin) === 1,
  description: r.description,
  creationTimestamp: Number(r.creation_timestamp),
  revokedTimestamp: r.revoked_timestamp === null ? null : Number(r.revoked_timestamp),
});

const toPermission = (r: ModelPermissionsTable): ModelPermission => ({
  name: r.name,
  principal: r.principal,
  level: r.level,
  grantedBy: r.granted_by,
  lastUpdatedTimestamp: Number(r.last_updated_timestamp),
});

type RequestRow = Omit<TransitionRequestsTable, 'request_id'> & { request_id: number };
const toRequest = (r: RequestRow): TransitionRequest => ({
  id: Number(r.request_id),
  name: r.name,
  version: Number(r.version),
  toStage: r.to_stage as Stage,
  creator: r.creator,
  comment: r.comment,
  status: r.status as TransitionRequestStatus,
  decidedBy: r.decided_by,
  creationTimestamp: Number(r.creation_timestamp),
  lastUpdatedTimestamp: Number(r.last_updated_timestamp),
});

type ActivityRow = Omit<ActivitiesTable, 'activity_id'> & { activity_id: number };
const toActivity = (r: ActivityRow): Activity => ({
  id: Number(r.activity_id),
  name: r.name,
  version: Number(r.version),
  activityType: r.activity_type,
  userId: r.user_id,
  fromStage: r.from_stage,
  toStage: r.to_stage,
  alias: r.alias,
  comment: r.comment,
  requestId: r.request_id === null ? null : Number(r.request_id),
  creationTimestamp: Number(r.creation_timestamp),
  lastUpdatedTimestamp: Number(r.last_updated_timestamp),
});

/** A webhook row with its scope row (left-joined: `scoped` is null for a registry-wide one). */
type WebhookRow = WebhooksTable & { scoped: string | null; model_name: string | null };

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.webhook_id,
  name: r.name,
  description: r.description,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  secret: r.secret,
  status: r.status as Webhook['status'],
  scope: r.scoped === null ? 'registry' : r.model_name === null ? 'orphaned' : 'model',
  modelName: r.model_name,
  creationTimestamp: Number(r.creation_timestamp),
  lastUpdatedTimestamp: Number(r.last_updated_timestamp),
});

const toDelivery = (r: WebhookDeliveriesTable): WebhookDelivery => ({
  id: r.delivery_id,
  webhookId: r.webhook_id,
  event: r.event,
  payload: r.payload,
  status: r.status as DeliveryStatus,
  attempts: Number(r.attempts),
  responseStatus: r.response_status === null ? null : Number(r.response_status),
  responseBody: r.response_body,
  errorMessage: r.error_message,
  creationTimestamp: Number(r.creation_timestamp),
  lastAttemptTimestamp: r.last_attempt_timestamp === null ? null : Number(r.last_attempt_timestamp),
});

/** A short random id with a prefix, e.g. `tok_9f2c4a1b0d3e`. */
export function newShortId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

// --- the unit of work --------------------------------------------------------------------------

/**
 * The primitives a governed write composes, all inside one transaction. `lockModel` serialises
 * writes to one model (PostgreSQL `FOR UPDATE`; SQLite holds the database lock anyway), so two
 * concurrent promotions cannot both leave a version in Production.
 */
export class GovernanceTx {
  readonly #trx: Db;
  readonly #e: Engine;
  /** The transaction's timestamp, used for every row it writes. */
  readonly now: number;

  constructor(trx: Db, engine: Engine, now: number) {
    this.#trx = trx;
    this.#e = engine;
    this.now = now;
  }

  /** Lock the registered model's row until commit; RESOURCE_DOES_NOT_EXIST when absent. Returns its creator. */
  async lockModel(name: string): Promise<{ name: string; creator: string | null }> {
    const rows = await sql<{ name: string; user_id: string | null }>`select name, user_id from registered_models where name = ${name}${this.#e.forUpdate}`.execute(
      this.#trx,
    );
    const row = rows.rows[0];
    if (row === undefined) throw notFound(`Registered Model with name=${name} not found`);
    return { name: row.name, creator: row.user_id };
  }

  /** The principal's explicit grant on a model, or null. */
  async grant(name: string, principal: string): Promise<string | null> {
    const row = await this.#trx
      .selectFrom('model_permissions')
      .select('level')
      .where('name', '=', name)
      .where('principal', '=', principal)
      .executeTakeFirst();
    return row?.level ?? null;
  }

  async version(name: string, version: number): Promise<VersionState> {
    const row = await this.#trx
      .selectFrom('model_versions')
      .select(['name', 'version', 'current_stage'])
      .where('name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    if (row === undefined) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return { name: row.name, version: Number(row.version), stage: row.current_stage as Stage };
  }

  /** Versions of `name` now in `stage`, highest first. */
  async versionsInStage(name: string, stage: Stage): Promise<number[]> {
    const rows = await this.#trx
      .selectFrom('model_versions')
      .select('version')
      .where('name', '=', name)
      .where('current_stage', '=', stage)
      .orderBy('version', 'desc')
      .execute();
    return rows.map((r) => Number(r.version));
  }

  async setStage(name: string, version: number, stage: Stage): Promise<void> {
    await this.#trx
      .updateTable('model_versions')
      .set({ current_stage: stage, last_updated_timestamp: this.now })
      .where('name', '=', name)
      .where('version', '=', version)
      .execute();
    await this.#trx.updateTable('registered_models').set({ last_updated_timestamp: this.now }).where('name', '=', name).execute();
  }

  async versionTags(name: string, version: number): Promise<Tag[]> {
    const rows = await this.#trx
      .selectFrom('model_version_tags')
      .select(['key', 'value'])
      .where('name', '=', name)
      .where('version', '=', version)
      .orderBy('key')
      .execute();
    return rows.map((r) => ({ key: r.key, value: r.value }));
  }

  /** The version an alias points at, or undefined. */
  async aliasVersion(name: string, alias: string): Promise<number | undefined> {
    const row = await this.#trx
      .selectFrom('registered_model_aliases')
      .select('version')
      .where('name', '=', name)
      .where('alias', '=', alias)
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.version);
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await this.#trx
      .insertInto('registered_model_aliases')
      .values({ name, alias, version })
      .onConflict((oc) => oc.columns(['name', 'alias']).doUpdateSet({ version }))
      .execute();
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.#trx.deleteFrom('registered_model_aliases').where('name', '=', name).where('alias', '=', alias).execute();
  }

  async addActivity(a: NewActivity): Promise<Activity> {
    const row = {
      name: a.name,
      version: a.version,
      activity_type: a.activityType,
      user_id: a.userId,
      from_stage: a.fromStage,
      to_stage: a.toStage,
      alias: a.alias,
      comment: a.comment,
      request_id: a.requestId,
      creation_timestamp: this.now,
      last_updated_timestamp: this.now,
    };
    const { activity_id } = await this.#trx.insertInto('activities').values(row).returning('activity_id').executeTakeFirstOrThrow();
    return toActivity({ ...row, activity_id: Number(activity_id) });
  }

  async activity(id: number): Promise<Activity> {
    const row = await this.#trx.selectFrom('activities').selectAll().where('activity_id', '=', id).executeTakeFirst();
    if (row === undefined) throw notFound(`Activity with id=${id} not found`);
    return toActivity(row);
  }

  async updateActivityComment(id: number, comment: string): Promise<Activity> {
    await this.#trx.updateTable('activities').set({ comment, last_updated_timestamp: this.now }).where('activity_id', '=', id).execute();
    return this.activity(id);
  }

  async deleteActivity(id: number): Promise<void> {
    await this.#trx.deleteFrom('activities').where('activity_id', '=', id).execute();
  }

  /** A model's activities of the given types, newest first. */
  async modelActivities(name: string, types: readonly string[]): Promise<Activity[]> {
    const rows = await this.#trx
      .selectFrom('activities')
      .selectAll()
      .where('name', '=', name)
      .where('activity_type', 'in', [...types])
      .orderBy('activity_id', 'desc')
      .execute();
    return rows.map(toActivity);
  }

  async insertRequest(r: { name: string; version: number; toStage: Stage; creator: string; comment: string | null }): Promise<TransitionRequest> {
    const row = {
      name: r.name,
      version: r.version,
      to_stage: r.toStage,
      creator: r.creator,
      comment: r.comment,
      status: 'OPEN',
      decided_by: null,
      creation_timestamp: this.now,
      last_updated_timestamp: this.now,
    };
    const { request_id } = await this.#trx.insertInto('transition_requests').values(row).returning('request_id').executeTakeFirstOrThrow();
    return toRequest({ ...row, request_id: Number(request_id) });
  }

  /** Requests of a version (optionally to one stage, optionally by status), newest first. */
  async requests(name: string, version: number, filter: { stage?: Stage; status?: TransitionRequestStatus; creator?: string } = {}): Promise<TransitionRequest[]> {
    let q = this.#trx.selectFrom('transition_requests').selectAll().where('name', '=', name).where('version', '=', version);
    if (filter.stage !== undefined) q = q.where('to_stage', '=', filter.stage);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.creator !== undefined) q = q.where('creator', '=', filter.creator);
    return (await q.orderBy('request_id', 'desc').execute()).map(toRequest);
  }

  /**
   * Move a request out of OPEN. The update is conditional on the status still being OPEN, so of
   * two concurrent deciders exactly one sees `true` (PostgreSQL re-checks the condition after
   * the row lock is released).
   */
  async decideRequest(id: number, status: Exclude<TransitionRequestStatus, 'OPEN'>, decidedBy: string): Promise<boolean> {
    const result = await this.#trx
      .updateTable('transition_requests')
      .set({ status, decided_by: decidedBy, last_updated_timestamp: this.now })
      .where('request_id', '=', id)
      .where('status', '=', 'OPEN')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

// --- the store -----------------------------------------------------------------------------------

/** Governance storage on the metadata store's engine. */
export class GovernanceStore {
  readonly #e: Engine;
  readonly #clock: Clock;

  constructor(engine: Engine, clock: Clock = systemClock) {
    this.#e = engine;
    this.#clock = clock;
  }

  /** The governance store beside a metadata store opened by `openStore`. */
  static for(store: Store, clock?: Clock): GovernanceStore {
    let engine: Engine | undefined;
    try {
      engine = KyselyStore.engineOf(store);
    } catch {
      // A Proxy around a KyselyStore (tests wrap stores to observe calls) hides its engine.
      engine = undefined;
    }
    if (engine === undefined) {
      throw new HangarError('NOT_IMPLEMENTED', 'Governance needs a metadata store opened by openStore (SQLite or PostgreSQL).');
    }
    return new GovernanceStore(engine, clock);
  }

  /** Run `fn` in one write transaction, retried on transient conflicts; resolves once durable. */
  async write<T>(fn: (tx: GovernanceTx) => Promise<T>): Promise<T> {
    return this.#tx('write', (trx) => fn(new GovernanceTx(trx, this.#e, this.#clock.now())));
  }

  #tx<T>(mode: 'read' | 'write', fn: (trx: Db) => Promise<T>): Promise<T> {
    return inTransaction(this.#e, mode, fn);
  }


  #read<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.#tx('read', fn);
  }

  // --- tokens ----------------------------------------------------------------------------

  createToken(input: { principal: string; isAdmin: boolean; description: string | null; tokenHash: string }): Promise<ApiToken> {
    return this.#tx('write', async (trx) => {
      const row: ApiTokensTable = {
        token_id: newShortId('tok'),
        principal: input.principal,
        is_admin: input.isAdmin ? 1 : 0,
        token_hash: input.tokenHash,
        description: input.description,
        creation_timestamp: this.#clock.now(),
        revoked_timestamp: null,
      };
      await trx.insertInto('api_tokens').values(row).execute();
      return toToken(row);
    });
  }

  /** The live (not revoked) token with this hash. */
  tokenByHash(tokenHash: string): Promise<ApiToken | undefined> {
    return this.#read(async (trx) => {
      const row = await trx.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).where('revoked_timestamp', 'is', null).executeTakeFirst();
      return row === undefined ? undefined : toToken(row);
    });
  }

  listTokens(principal?: string): Promise<ApiToken[]> {
    return this.#read(async (trx) => {
      let q = trx.selectFrom('api_tokens').selectAll();
      if (principal !== undefined) q = q.where('principal', '=', principal);
      return (await q.orderBy('creation_timestamp').orderBy('token_id').execute()).map(toToken);
    });
  }

  revokeToken(tokenId: string): Promise<ApiToken> {
    return this.#tx('write', async (trx) => {
      const row = await trx.selectFrom('api_tokens').selectAll().where('token_id', '=', tokenId).executeTakeFirst();
      if (row === undefined) throw notFound(`Token ${tokenId} not found.`);
      if (row.revoked_timestamp !== null) return toToken(row);
      const revoked = { ...row, revoked_timestamp: this.#clock.now() };
      await trx.updateTable('api_tokens').set({ revoked_timestamp: revoked.revoked_timestamp }).where('token_id', '=', tokenId).execute();
      return toToken(revoked);
    });
  }

  // --- permissions -----------------------------------------------------------------------

  /** A model's creator and the principal's explicit grant on it; undefined when the model does not exist. */
  modelAccess(name: string, principal: string): Promise<{ creator: string | null; grant: string | null } | undefined> {
    return this.#read(async (trx) => {
      const model = await trx.selectFrom('registered_models').select('user_id').where('name', '=', name).executeTakeFirst();
      if (model === undefined) return undefined;
      const grant = await trx
        .selectFrom('model_permissions')
        .select('level')
        .where('name', '=', name)
        .where('principal', '=', principal)
        .executeTakeFirst();
      return { creator: model.user_id, grant: grant?.level ?? null };
    });
  }

  listPermissions(name: string): Promise<ModelPermission[]> {
    return this.#read(async (trx) => {
      const model = await trx.selectFrom('registered_models').select('name').where('name', '=', name).executeTakeFirst();
      if (model === undefined) throw notFound(`Registered Model with name=${name} not found`);
      return (await trx.selectFrom('model_permissions').selectAll().where('name', '=', name).orderBy('principal').execute()).map(toPermission);
    });
  }

  setPermission(name: string, principal: string, level: string, grantedBy: string): Promise<ModelPermission> {
    return this.#tx('write', async (trx) => {
      const model = await trx.selectFrom('registered_models').select('name').where('name', '=', name).executeTakeFirst();
      if (model === undefined) throw notFound(`Registered Model with name=${name} not found`);
      const row: ModelPermissionsTable = { name, principal, level, granted_by: grantedBy, last_updated_timestamp: this.#clock.now() };
      await trx
        .insertInto('model_permissions')
        .values(row)
        .onConflict((oc) => oc.columns(['name', 'principal']).doUpdateSet({ level, granted_by: grantedBy, last_updated_timestamp: row.last_updated_timestamp }))
        .execute();
      return toPermission(row);
    });
  }

  deletePermission(name: string, principal: string): Promise<void> {
    return this.#tx('write', async (trx) => {
      await trx.deleteFrom('model_permissions').where('name', '=', name).where('principal', '=', principal).execute();
    });
  }

  // --- requests and activities (reads) -------------------------------------------------------

  listRequests(name: string, version: number, status?: TransitionRequestStatus): Promise<TransitionRequest[]> {
    return this.#read(async (trx) => {
      const tx = new GovernanceTx(trx, this.#e, 0);
      await tx.version(name, version);
      return (await tx.requests(name, version, status === undefined ? {} : { status })).reverse();
    });
  }

  /** Activities of one version, or of every version of a model, oldest first. */
  listActivities(name: string, version?: number): Promise<Activity[]> {
    return this.#read(async (trx) => {
      const tx = new GovernanceTx(trx, this.#e, 0);
      if (version !== undefined) await tx.version(name, version);
      else {
        const model = await trx.selectFrom('registered_models').select('name').where('name', '=', name).executeTakeFirst();
        if (model === undefined) throw notFound(`Registered Model with name=${name} not found`);
      }
      let q = trx.selectFrom('activities').selectAll().where('name', '=', name);
      if (version !== undefined) q = q.where('version', '=', version);
      return (await q.orderBy('activity_id').execute()).map(toActivity);
    });
  }

  // --- webhooks --------------------------------------------------------------------------

  /**
   * Create a webhook; with `modelName`, limited to that registered model (RESOURCE_DOES_NOT_EXIST
   * when there is no such model). The webhook and its scope are written in one transaction.
   */
  createWebhook(input: Omit<Webhook, 'id' | 'creationTimestamp' | 'lastUpdatedTimestamp' | 'scope'>): Promise<Webhook> {
    return this.#tx('write', async (trx) => {
      const now = this.#clock.now();
      if (input.modelName !== null) {
        const model = await trx.selectFrom('registered_models').select('name').where('name', '=', input.modelName).executeTakeFirst();
        if (model === undefined) throw notFound(`Registered Model with name=${input.modelName} not found`);
      }
      const row: WebhooksTable = {
        webhook_id: newShortId('wh'),
        name: input.name,
        description: input.description,
        url: input.url,
        events: JSON.stringify(input.events),
        secret: input.secret,
        status: input.status,
        creation_timestamp: now,
        last_updated_timestamp: now,
      };
      await trx.insertInto('webhooks').values(row).execute();
      if (input.modelName !== null) await trx.insertInto('webhook_scopes').values({ webhook_id: row.webhook_id, model_name: input.modelName }).execute();
      return toWebhook({ ...row, scoped: input.modelName === null ? null : row.webhook_id, model_name: input.modelName });
    });
  }

  getWebhook(id: string): Promise<Webhook> {
    return this.#read(async (trx) => {
      const row = await webhooksWithScope(trx).where('webhooks.webhook_id', '=', id).executeTakeFirst();
      if (row === undefined) throw notFound(`Webhook with ID ${id} not found.`);
      return toWebhook(row);
    });
  }

  /** Every webhook, oldest first; with `modelName`, only those limited to that model. */
  listWebhooks(filter: { modelName?: string } = {}): Promise<Webhook[]> {
    return this.#read(async (trx) => {
      let q = webhooksWithScope(trx);
      if (filter.modelName !== undefined) q = q.where('webhook_scopes.model_name', '=', filter.modelName);
      return (await q.orderBy('webhooks.creation_timestamp').orderBy('webhooks.webhook_id').execute()).map(toWebhook);
    });
  }

  updateWebhook(id: string, patch: Partial<Pick<Webhook, 'name' | 'description' | 'url' | 'events' | 'secret' | 'status'>>): Promise<Webhook> {
    return this.#tx('write', async (trx) => {
      const found = await webhooksWithScope(trx).where('webhooks.webhook_id', '=', id).executeTakeFirst();
      if (found === undefined) throw notFound(`Webhook with ID ${id} not found.`);
      const { scoped, model_name, ...row } = found;
      const next: WebhooksTable = {
        ...row,
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.url === undefined ? {} : { url: patch.url }),
        ...(patch.events === undefined ? {} : { events: JSON.stringify(patch.events) }),
        ...(patch.secret === undefined ? {} : { secret: patch.secret }),
        ...(patch.status === undefined ? {} : { status: patch.status }),
        last_updated_timestamp: this.#clock.now(),
      };
      const { webhook_id: _id, ...values } = next;
      await trx.updateTable('webhooks').set(values).where('webhook_id', '=', id).execute();
      return toWebhook({ ...next, scoped, model_name });
    });
  }

  deleteWebhook(id: string): Promise<void> {
    return this.#tx('write', async (trx) => {
      const result = await trx.deleteFrom('webhooks').where('webhook_id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound(`Webhook with ID ${id} not found.`);
    });
  }

  /** Record deliveries as PENDING before they are attempted, so the log shows them at once. */
  createDeliveries(deliveries: ReadonlyArray<Pick<WebhookDelivery, 'id' | 'webhookId' | 'event' | 'payload'>>): Promise<void> {
    if (deliveries.length === 0) return Promise.resolve();
    return this.#tx('write', async (trx) => {
      const now = this.#clock.now();
      await trx
        .insertInto('webhook_deliveries')
        .values(
          deliveries.map((d) => ({
            delivery_id: d.id,
            webhook_id: d.webhookId,
            event: d.event,
            payload: d.payload,
            status: 'PENDING',
            attempts: 0,
            response_status: null,
            response_body: null,
            error_message: null,
            creation_timestamp: now,
            last_attempt_timestamp: null,
          })),
        )
        .execute();
    });
  }

  recordAttempt(id: string, attempt: { status: DeliveryStatus; attempts: number; responseStatus: number | null; responseBody: string | null; errorMessage: string | null }): Promise<void> {
    return this.#tx('write', async (trx) => {
      await trx
        .updateTable('webhook_deliveries')
        .set({
          status: attempt.status,
          attempts: attempt.attempts,
          response_status: attempt.responseStatus,
          response_body: attempt.responseBody,
          error_message: attempt.errorMessage,
          last_attempt_timestamp: this.#clock.now(),
        })
        .where('delivery_id', '=', id)
        .execute();
    });
  }

  /** Deliveries, newest first; of one webhook when `webhookId` is given. */
  listDeliveries(query: { webhookId?: string; maxResults: number }): Promise<WebhookDelivery[]> {
    if (query.maxResults < 1) throw invalidParam('max_results must be positive.', 'max_results');
    return this.#read(async (trx) => {
      let q = trx.selectFrom('webhook_deliveries').selectAll();
      if (query.webhookId !== undefined) q = q.where('webhook_id', '=', query.webhookId);
      return (await q.orderBy('creation_timestamp', 'desc').orderBy('delivery_id').limit(query.maxResults).execute()).map(toDelivery);
    });
  }

  /** Deliveries left PENDING (e.g. by a restart), oldest first. */
  pendingDeliveries(limit: number): Promise<WebhookDelivery[]> {
    return this.#read(async (trx) =>
      (await trx.selectFrom('webhook_deliveries').selectAll().where('status', '=', 'PENDING').orderBy('creation_timestamp').limit(limit).execute()).map(toDelivery),
    );
  }
}
