/**
 * Governance objects in their wire shapes: Databricks' transition request, activity and comment
 * shapes (semantics.md §b), MLflow 3's webhook shape (with events as `{entity, action}` enum
 * names, and never the secret), and Hangar's own token, permission and delivery shapes.
 */
import { eventToWire, type Activity, type ApiToken, type ModelPermission, type TransitionRequest, type Webhook, type WebhookDelivery } from '../../governance/index.js';

export function requestToWire(r: TransitionRequest): Record<string, unknown> {
  return {
    id: String(r.id),
    name: r.name,
    version: String(r.version),
    creation_timestamp: r.creationTimestamp,
    last_updated_timestamp: r.lastUpdatedTimestamp,
    to_stage: r.toStage,
    user_id: r.creator,
    status: r.status,
    ...(r.comment === null ? {} : { comment: r.comment }),
    ...(r.decidedBy === null ? {} : { decided_by: r.decidedBy }),
    available_actions: r.status === 'OPEN' ? ['APPROVE_TRANSITION_REQUEST', 'REJECT_TRANSITION_REQUEST', 'CANCEL_TRANSITION_REQUEST'] : [],
  };
}

export function activityToWire(a: Activity): Record<string, unknown> {
  return {
    id: String(a.id),
    name: a.name,
    version: String(a.version),
    creation_timestamp: a.creationTimestamp,
    last_updated_timestamp: a.lastUpdatedTimestamp,
    user_id: a.userId,
    activity_type: a.activityType,
    ...(a.fromStage === null ? {} : { from_stage: a.fromStage }),
    ...(a.toStage === null ? {} : { to_stage: a.toStage }),
    ...(a.alias === null ? {} : { alias: a.alias }),
    ...(a.comment === null ? {} : { comment: a.comment }),
    ...(a.requestId === null ? {} : { request_id: String(a.requestId) }),
  };
}

export function commentToWire(a: Activity): Record<string, unknown> {
  return {
    id: String(a.id),
    creation_timestamp: a.creationTimestamp,
    last_updated_timestamp: a.lastUpdatedTimestamp,
    user_id: a.userId,
    comment: a.comment ?? '',
    available_actions: ['EDIT_COMMENT', 'DELETE_COMMENT'],
  };
}

export function webhookToWire(w: Webhook): Record<string, unknown> {
  return {
    id: w.id,
    name: w.name,
    ...(w.description === null ? {} : { description: w.description }),
    url: w.url,
    events: w.events.map(eventToWire),
    status: w.status,
    creation_timestamp: w.creationTimestamp,
    last_updated_timestamp: w.lastUpdatedTimestamp,
  };
}

export function deliveryToWire(d: WebhookDelivery): Record<string, unknown> {
  return {
    delivery_id: d.id,
    webhook_id: d.webhookId,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    creation_timestamp: d.creationTimestamp,
    ...(d.lastAttemptTimestamp === null ? {} : { last_attempt_timestamp: d.lastAttemptTimestamp }),
    ...(d.responseStatus === null ? {} : { response_status: d.responseStatus }),
    ...(d.responseBody === null ? {} : { response_body: d.responseBody }),
    ...(d.errorMessage === null ? {} : { error_message: d.errorMessage }),
    payload: d.payload,
  };
}

export function tokenToWire(t: ApiToken): Record<string, unknown> {
  return {
    token_id: t.tokenId,
    user: t.principal,
    is_admin: t.isAdmin,
    creation_timestamp: t.creationTimestamp,
    ...(t.description === null ? {} : { description: t.description }),
    ...(t.revokedTimestamp === null ? {} : { revoked_timestamp: t.revokedTimestamp }),
  };
}

export function permissionToWire(p: ModelPermission): Record<string, unknown> {
  return { name: p.name, principal: p.principal, level: p.level, granted_by: p.grantedBy, last_updated_timestamp: p.lastUpdatedTimestamp };
}
