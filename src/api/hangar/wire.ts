/**
 * Governance objects in their wire shapes: Databricks' transition request, activity and comment
 * shapes (semantics.md §b), MLflow 3's webhook shape (with events as `{entity, action}` enum
 * names, and never the secret), and Hangar's own token, permission and delivery shapes.
 */
import { eventToWire, type Activity, type ApiToken, type ModelPermission, type TransitionRequest, type Webhook, type WebhookDelivery } from '../../governance/index.js';
import { thresholdToInput, type ComplianceReport, type GateResult, type MetricValidationResult, type ValidationResults } from '../../validation/index.js';

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
    // Databricks' field for model-specific webhooks; null once the model was deleted.
    ...(w.scope === 'registry' ? {} : { model_name: w.modelName }),
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

// --- validation (compliance checks and the gate) -----------------------------------------------

export function complianceReportToWire(r: Pick<ComplianceReport, 'modelUri' | 'name' | 'version' | 'passed' | 'checks'>): Record<string, unknown> {
  return { model_uri: r.modelUri, name: r.name, version: String(r.version), passed: r.passed, checks: r.checks.map((c) => ({ rule: c.rule, status: c.status, reason: c.reason })) };
}

function metricVerdictToWire(m: MetricValidationResult): Record<string, unknown> {
  return {
    metric: m.metric,
    ...(m.candidate === undefined ? {} : { candidate: m.candidate }),
    ...(m.baseline === undefined ? {} : { baseline: m.baseline }),
    threshold: thresholdToInput(m.threshold),
    missing_candidate: m.missingCandidate,
    missing_baseline: m.missingBaseline,
    threshold_failed: m.thresholdFailed,
    absolute_change_failed: m.absoluteChangeFailed,
    relative_change_failed: m.relativeChangeFailed,
    ...(m.relativeChange === undefined ? {} : { relative_change: m.relativeChange }),
    passed: m.passed,
    failures: m.failures,
    message: m.message,
  };
}

/** The gate's result in snake_case, versions as strings (as on MLflow's wire). */
export function gateResultToWire(r: GateResult): Record<string, unknown> {
  return {
    mode: r.mode,
    passed: r.passed,
    blocking: r.blocking,
    status: r.status,
    candidate: r.candidate === null ? null : { name: r.candidate.name, version: String(r.candidate.version), metrics: r.candidate.metrics },
    baseline: r.baseline === null ? null : { version: String(r.baseline.version), uri: r.baseline.uri, metrics: r.baseline.metrics },
    validation: r.validation === null ? null : { passed: r.validation.passed, message: r.validation.message, metrics: r.validation.metrics.map(metricVerdictToWire) },
    run_id: r.runId,
    run_link: r.runLink,
    skipped_comparisons: r.skippedComparisons,
    ...(r.hookError === undefined ? {} : { hook_error: r.hookError }),
  };
}

export function validationResultsToWire(r: ValidationResults): Record<string, unknown> {
  return {
    name: r.name,
    version: String(r.version),
    compliance: r.compliance === null ? null : { status: r.compliance.status, checks: r.compliance.checks },
    gate: r.gate === null ? null : { status: r.gate.status, run_id: r.gate.runId, result: r.gate.result === null ? null : gateResultToWire(r.gate.result) },
  };
}
