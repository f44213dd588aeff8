/**
 * The governance part of the SDK: transition requests, comments, activities, promotion history
 * and rollback, permissions, tokens, webhooks and their delivery log. Reached as
 * `client.governance`; it shares the client's transport (token, retries).
 */
import { isApiError } from './errors.js';
import type { Query, Transport } from './http.js';
import type { AuditEntry, AuditListOptions, Page } from './types.js';

const MLFLOW = '/api/2.0/mlflow';
const HANGAR = '/api/2.0/hangar';

export type PermissionLevelName =
  | 'NO_PERMISSIONS'
  | 'CAN_READ'
  | 'CAN_EDIT'
  | 'CAN_MANAGE_STAGING_VERSIONS'
  | 'CAN_MANAGE_PRODUCTION_VERSIONS'
  | 'CAN_MANAGE';

/** A transition request (Databricks' shape, plus its id and status). */
export interface TransitionRequestInfo {
  id: string;
  name: string;
  version: string;
  toStage: string;
  /** Who filed it. */
  userId: string;
  status: 'OPEN' | 'APPROVED' | 'REJECTED' | 'CANCELLED';
  comment?: string;
  decidedBy?: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  availableActions: string[];
}

/** One activity-log entry of a model version. */
export interface ActivityInfo {
  id: string;
  name: string;
  version: string;
  /** APPLIED_TRANSITION, REQUESTED_TRANSITION, CANCELLED_REQUEST, APPROVED_REQUEST, REJECTED_REQUEST, NEW_COMMENT, SYSTEM_TRANSITION, ALIAS_SET, ALIAS_DELETED or ROLLBACK. */
  activityType: string;
  userId: string;
  fromStage?: string;
  toStage?: string;
  alias?: string;
  comment?: string;
  requestId?: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

export interface CommentInfo {
  id: string;
  userId: string;
  comment: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

export interface PermissionInfo {
  name: string;
  principal: string;
  level: PermissionLevelName;
  grantedBy: string;
  lastUpdatedTimestamp: number;
}

export interface TokenInfo {
  tokenId: string;
  user: string;
  isAdmin: boolean;
  description?: string;
  creationTimestamp: number;
  revokedTimestamp?: number;
}

/** A webhook as the server shows it: never with its secret. */
export interface WebhookInfo {
  id: string;
  name: string;
  description?: string;
  url: string;
  /** Event names in `entity.action` form. */
  events: string[];
  status: 'ACTIVE' | 'DISABLED' | 'TEST_MODE';
  /**
   * For a model webhook, the registered model it is limited to (null once that model was
   * deleted: it then fires for nothing); absent for a registry-wide webhook.
   */
  modelName?: string | null;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

export interface WebhookInput {
  name: string;
  url: string;
  /** `entity.action` names, e.g. `model_version.created`, `transition_request.approved`. */
  events: string[];
  /** HMAC key for `X-MLflow-Signature`; stored by the server, never returned. */
  secret?: string;
  description?: string;
  /** Default ACTIVE; TEST_MODE hooks fire only from `testWebhook`. */
  status?: 'ACTIVE' | 'DISABLED' | 'TEST_MODE';
  /**
   * Limit the webhook to this registered model's events (Databricks' `model_name`); needs Can
   * Manage on it instead of admin. Cannot be changed afterwards.
   */
  modelName?: string;
}

export interface DeliveryInfo {
  deliveryId: string;
  webhookId: string;
  event: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  responseStatus?: number;
  responseBody?: string;
  errorMessage?: string;
  creationTimestamp: number;
  lastAttemptTimestamp?: number;
  /** The exact JSON body that was signed and sent. */
  payload: string;
}

export interface WebhookTestResult {
  success: boolean;
  responseStatus?: number;
  responseBody?: string;
  errorMessage?: string;
}

type Wire = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function requestFromWire(w: Wire): TransitionRequestInfo {
  return {
    id: String(w.id),
    name: String(w.name),
    version: String(w.version),
    toStage: String(w.to_stage),
    userId: String(w.user_id),
    status: w.status as TransitionRequestInfo['status'],
    ...opt('comment', str(w.comment)),
    ...opt('decidedBy', str(w.decided_by)),
    creationTimestamp: Number(w.creation_timestamp),
    lastUpdatedTimestamp: Number(w.last_updated_timestamp),
    availableActions: (w.available_actions as string[] | undefined) ?? [],
  };
}

function activityFromWire(w: Wire): ActivityInfo {
  return {
    id: String(w.id),
    name: String(w.name),
    version: String(w.version),
    activityType: String(w.activity_type),
    userId: String(w.user_id),
    ...opt('fromStage', str(w.from_stage)),
    ...opt('toStage', str(w.to_stage)),
    ...opt('alias', str(w.alias)),
    ...opt('comment', str(w.comment)),
    ...opt('requestId', str(w.request_id)),
    creationTimestamp: Number(w.creation_timestamp),
    lastUpdatedTimestamp: Number(w.last_updated_timestamp),
  };
}

function commentFromWire(w: Wire): CommentInfo {
  return {
    id: String(w.id),
    userId: String(w.user_id),
    comment: String(w.comment),
    creationTimestamp: Number(w.creation_timestamp),
    lastUpdatedTimestamp: Number(w.last_updated_timestamp),
  };
}

function permissionFromWire(w: Wire): PermissionInfo {
  return {
    name: String(w.name),
    principal: String(w.principal),
    level: w.level as PermissionLevelName,
    grantedBy: String(w.granted_by),
    lastUpdatedTimestamp: Number(w.last_updated_timestamp),
  };
}

function tokenFromWire(w: Wire): TokenInfo {
  return {
    tokenId: String(w.token_id),
    user: String(w.user),
    isAdmin: w.is_admin === true,
    ...opt('description', str(w.description)),
    creationTimestamp: Number(w.creation_timestamp),
    ...opt('revokedTimestamp', num(w.revoked_timestamp)),
  };
}

function webhookFromWire(w: Wire): WebhookInfo {
  const events = (w.events as Array<{ entity: string; action: string }> | undefined) ?? [];
  return {
    id: String(w.id),
    name: String(w.name),
    ...opt('description', str(w.description)),
    url: String(w.url),
    events: events.map((e) => `${e.entity}.${e.action}`.toLowerCase()),
    status: w.status as WebhookInfo['status'],
    ...('model_name' in w ? { modelName: str(w.model_name) ?? null } : {}),
    creationTimestamp: Number(w.creation_timestamp),
    lastUpdatedTimestamp: Number(w.last_updated_timestamp),
  };
}

function deliveryFromWire(w: Wire): DeliveryInfo {
  return {
    deliveryId: String(w.delivery_id),
    webhookId: String(w.webhook_id),
    event: String(w.event),
    status: w.status as DeliveryInfo['status'],
    attempts: Number(w.attempts),
    ...opt('responseStatus', num(w.response_status)),
    ...opt('responseBody', str(w.response_body)),
    ...opt('errorMessage', str(w.error_message)),
    creationTimestamp: Number(w.creation_timestamp),
    ...opt('lastAttemptTimestamp', num(w.last_attempt_timestamp)),
    payload: String(w.payload),
  };
}

/** Governance calls; every failure is an ApiError carrying the server's `error_code`. */
export class GovernanceClient {
  constructor(private readonly http: Transport) {}

  private get<T>(path: string, query: Query): Promise<T> {
    return this.http.json<T>('GET', path, { query, idempotent: true });
  }

  private send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, json: unknown, idempotent = false): Promise<T> {
    return this.http.json<T>(method, path, { json, idempotent });
  }

  /** Who the server takes this client for, and whether it requires tokens. */
  async whoami(): Promise<{ user: string; isAdmin: boolean; authenticated: boolean; authRequired: boolean; defaultPermission: string }> {
    const r = await this.get<Wire>(`${HANGAR}/whoami`, {});
    return {
      user: String(r.user),
      isAdmin: r.is_admin === true,
      authenticated: r.authenticated === true,
      authRequired: r.auth_required === true,
      defaultPermission: String(r.default_permission),
    };
  }

  // --- transition requests ---------------------------------------------------------------------

  /** File a request to move a version to `stage` (needs Can Read). RESOURCE_ALREADY_EXISTS when you have one open already. */
  async createTransitionRequest(name: string, version: number | string, stage: string, comment?: string): Promise<TransitionRequestInfo> {
    const r = await this.send<{ request: Wire }>('POST', `${MLFLOW}/transition-requests/create`, { name, version: String(version), stage, comment });
    return requestFromWire(r.request);
  }

  /** Open requests of a version. */
  async listTransitionRequests(name: string, version: number | string): Promise<TransitionRequestInfo[]> {
    const r = await this.get<{ requests?: Wire[] }>(`${MLFLOW}/transition-requests/list`, { name, version: String(version) });
    return (r.requests ?? []).map(requestFromWire);
  }

  /**
   * Approve the open request(s) to move a version to `stage` and apply the move in the same
   * transaction; `archiveExistingVersions` archives the versions now in that stage. A decided
   * or cancelled request answers RESOURCE_CONFLICT (409).
   */
  async approveTransitionRequest(
    name: string,
    version: number | string,
    stage: string,
    opts: { archiveExistingVersions: boolean; comment?: string },
  ): Promise<ActivityInfo> {
    const r = await this.send<{ activity: Wire }>('POST', `${MLFLOW}/transition-requests/approve`, {
      name,
      version: String(version),
      stage,
      archive_existing_versions: opts.archiveExistingVersions,
      comment: opts.comment,
    });
    return activityFromWire(r.activity);
  }

  async rejectTransitionRequest(name: string, version: number | string, stage: string, comment?: string): Promise<ActivityInfo> {
    const r = await this.send<{ activity: Wire }>('POST', `${MLFLOW}/transition-requests/reject`, { name, version: String(version), stage, comment });
    return activityFromWire(r.activity);
  }

  /** Cancel `creator`'s open request (yours, or anyone's with Can Manage). */
  async cancelTransitionRequest(name: string, version: number | string, stage: string, creator: string, comment?: string): Promise<ActivityInfo> {
    const r = await this.send<{ activity: Wire }>('DELETE', `${MLFLOW}/transition-requests/delete`, { name, version: String(version), stage, creator, comment });
    return activityFromWire(r.activity);
  }

  /** Databricks' transition-stage: MLflow's stage change with a comment in the activity log. */
  async transitionStage(name: string, version: number | string, stage: string, opts: { archiveExistingVersions?: boolean; comment?: string } = {}): Promise<void> {
    await this.send('POST', `${MLFLOW}/databricks/model-versions/transition-stage`, {
      name,
      version: String(version),
      stage,
      archive_existing_versions: opts.archiveExistingVersions ?? false,
      comment: opts.comment,
    });
  }

  // --- comments and activities --------------------------------------------------------------------

  async createComment(name: string, version: number | string, comment: string): Promise<CommentInfo> {
    const r = await this.send<{ comment: Wire }>('POST', `${MLFLOW}/comments/create`, { name, version: String(version), comment });
    return commentFromWire(r.comment);
  }

  async updateComment(id: string, comment: string): Promise<CommentInfo> {
    const r = await this.send<{ comment: Wire }>('PATCH', `${MLFLOW}/comments/update`, { id, comment }, true);
    return commentFromWire(r.comment);
  }

  async deleteComment(id: string): Promise<void> {
    await this.send('DELETE', `${MLFLOW}/comments/delete`, { id }, true);
  }

  /** The activity log of one version, oldest first. */
  async listActivities(name: string, version: number | string): Promise<ActivityInfo[]> {
    const r = await this.get<{ activities?: Wire[] }>(`${HANGAR}/activities/list`, { name, version: String(version) });
    return (r.activities ?? []).map(activityFromWire);
  }

  /** Every stage and alias change of a model, oldest first. */
  async history(name: string): Promise<ActivityInfo[]> {
    const r = await this.get<{ history?: Wire[] }>(`${HANGAR}/models/history`, { name });
    return (r.history ?? []).map(activityFromWire);
  }

  /** Restore the previous champion (alias and Production), archiving the current one. */
  async rollback(name: string, comment?: string): Promise<{ fromVersion: string; toVersion: string; activities: ActivityInfo[] }> {
    const r = await this.send<{ from_version: string; to_version: string; activities: Wire[] }>('POST', `${HANGAR}/models/rollback`, { name, comment });
    return { fromVersion: r.from_version, toVersion: r.to_version, activities: r.activities.map(activityFromWire) };
  }

  // --- permissions and tokens -----------------------------------------------------------------------

  async setPermission(name: string, principal: string, level: PermissionLevelName | string): Promise<PermissionInfo> {
    const r = await this.send<{ permission: Wire }>('POST', `${HANGAR}/permissions/set`, { name, principal, level }, true);
    return permissionFromWire(r.permission);
  }

  async listPermissions(name: string): Promise<PermissionInfo[]> {
    const r = await this.get<{ permissions?: Wire[] }>(`${HANGAR}/permissions/list`, { name });
    return (r.permissions ?? []).map(permissionFromWire);
  }

  async deletePermission(name: string, principal: string): Promise<void> {
    await this.send('DELETE', `${HANGAR}/permissions/delete`, { name, principal }, true);
  }

  /** Admins only. The token is in the answer once; the server keeps only its hash. */
  async createToken(user: string, opts: { admin?: boolean; description?: string } = {}): Promise<{ token: string; info: TokenInfo }> {
    const r = await this.send<{ token: string; token_info: Wire }>('POST', `${HANGAR}/tokens/create`, { user, is_admin: opts.admin ?? false, description: opts.description });
    return { token: r.token, info: tokenFromWire(r.token_info) };
  }

  async listTokens(user?: string): Promise<TokenInfo[]> {
    const r = await this.get<{ tokens?: Wire[] }>(`${HANGAR}/tokens/list`, { user });
    return (r.tokens ?? []).map(tokenFromWire);
  }

  async revokeToken(tokenId: string): Promise<TokenInfo> {
    const r = await this.send<{ token_info: Wire }>('POST', `${HANGAR}/tokens/revoke`, { token_id: tokenId }, true);
    return tokenFromWire(r.token_info);
  }

  // --- webhooks ---------------------------------------------------------------------------------------

  /** Create a webhook: registry-wide (admins, MLflow 3's route) or, with `modelName`, for one model (Hangar's route). */
  async createWebhook(input: WebhookInput): Promise<WebhookInfo> {
    const { modelName, ...rest } = input;
    const r =
      modelName === undefined
        ? await this.send<{ webhook: Wire }>('POST', `${MLFLOW}/webhooks`, rest)
        : await this.send<{ webhook: Wire }>('POST', `${HANGAR}/webhooks/create`, { ...rest, model_name: modelName });
    return webhookFromWire(r.webhook);
  }

  /** Every webhook (admins), or with `modelName` that model's webhooks (Can Manage on it). */
  async listWebhooks(opts: { modelName?: string } = {}): Promise<WebhookInfo[]> {
    const r =
      opts.modelName === undefined
        ? await this.get<{ webhooks?: Wire[] }>(`${MLFLOW}/webhooks`, {})
        : await this.get<{ webhooks?: Wire[] }>(`${HANGAR}/webhooks/list`, { model_name: opts.modelName });
    return (r.webhooks ?? []).map(webhookFromWire);
  }

  async getWebhook(id: string): Promise<WebhookInfo> {
    const r = await this.get<{ webhook: Wire }>(`${MLFLOW}/webhooks/${encodeURIComponent(id)}`, {});
    return webhookFromWire(r.webhook);
  }

  async updateWebhook(id: string, patch: Partial<WebhookInput>): Promise<WebhookInfo> {
    const r = await this.send<{ webhook: Wire }>('PATCH', `${MLFLOW}/webhooks/${encodeURIComponent(id)}`, patch, true);
    return webhookFromWire(r.webhook);
  }

  /**
   * Delete a webhook and its delivery log. Hangar's route lets a model's managers delete its
   * webhooks; a server without it (MLflow 3) gets MLflow's own call.
   */
  async deleteWebhook(id: string): Promise<void> {
    try {
      await this.send('DELETE', `${HANGAR}/webhooks/delete`, { id }, true);
    } catch (e) {
      if (!(isApiError(e) && e.code === 'ENDPOINT_NOT_FOUND')) throw e;
      await this.send('DELETE', `${MLFLOW}/webhooks/${encodeURIComponent(id)}`, {}, true);
    }
  }

  /** Send a sample event now and report the receiver's answer. */
  async testWebhook(id: string, event?: string): Promise<WebhookTestResult> {
    const r = await this.send<{ result: Wire }>('POST', `${MLFLOW}/webhooks/${encodeURIComponent(id)}/test`, event === undefined ? {} : { event });
    return {
      success: r.result.success === true,
      ...opt('responseStatus', num(r.result.response_status)),
      ...opt('responseBody', str(r.result.response_body)),
      ...opt('errorMessage', str(r.result.error_message)),
    };
  }

  /** The delivery log, newest first; of one webhook when `webhookId` is given. */
  async listDeliveries(webhookId?: string, maxResults = 100): Promise<DeliveryInfo[]> {
    const r = await this.get<{ deliveries?: Wire[] }>(`${HANGAR}/webhooks/deliveries`, { webhook_id: webhookId, max_results: maxResults });
    return (r.deliveries ?? []).map(deliveryFromWire);
  }

  /**
   * Raise a registry event for the server's webhooks, e.g. `validation.completed` with
   * `{name, version, status, …}` (needs Can Edit on the model named in `data.name`).
   */
  async emitEvent(event: string, data: Record<string, unknown>): Promise<void> {
    await this.send('POST', `${HANGAR}/events/emit`, { event, data });
  }
}

/** The audit trail (`client.audit`): one row per mutating request. Admins only. */
export class AuditClient {
  constructor(private readonly http: Transport) {}

  /**
   * One page of audit rows, newest first, of the rows matching every filter given (entity,
   * principal, action, time range, outcome). A bad time is INVALID_PARAMETER_VALUE naming
   * `from` or `to`.
   */
  async list(opts: AuditListOptions = {}): Promise<Page<AuditEntry>> {
    const time = (t: number | string | Date | undefined) => (t instanceof Date ? t.getTime() : t);
    const r = await this.http.json<{ entries?: Wire[]; next_page_token?: string }>('GET', `${HANGAR}/audit/list`, {
      query: {
        entity_type: opts.entityType,
        entity_id: opts.entityId,
        principal: opts.principal,
        action: opts.action,
        from: time(opts.from),
        to: time(opts.to),
        status: opts.status,
        max_results: opts.maxResults,
        page_token: opts.pageToken,
      },
      idempotent: true,
    });
    const items = (r.entries ?? []).map(
      (w): AuditEntry => ({
        id: Number(w.id),
        timestamp: Number(w.timestamp),
        principal: String(w.principal),
        action: String(w.action),
        entityType: str(w.entity_type) ?? null,
        entityId: str(w.entity_id) ?? null,
        status: Number(w.status),
        before: w.before ?? null,
        after: w.after ?? null,
        requestId: str(w.request_id) ?? null,
      }),
    );
    return r.next_page_token === undefined || r.next_page_token === '' ? { items } : { items, nextPageToken: r.next_page_token };
  }
}
