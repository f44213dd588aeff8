import { invalidParam } from '../core/errors.js';

/**
 * Registry events in MLflow 3's `entity.action` naming: MLflow 3's own six, then Hangar's.
 * Each event's `data` is documented in docs/webhooks.md.
 */
export const REGISTRY_EVENTS = [
  'registered_model.created',
  'model_version.created',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
  'model_version.stage_transitioned',
  'transition_request.created',
  'transition_request.approved',
  'transition_request.rejected',
  'transition_request.cancelled',
  'comment.created',
  'validation.completed',
  'monitor.alert_fired',
] as const;

export type RegistryEventName = (typeof REGISTRY_EVENTS)[number];

const KNOWN = new Set<string>(REGISTRY_EVENTS);

export function isRegistryEvent(value: string): value is RegistryEventName {
  return KNOWN.has(value);
}

/**
 * An event as accepted on the wire: `"model_version.created"`, or MLflow 3's
 * `{entity: "MODEL_VERSION", action: "CREATED"}` in any letter case.
 */
export function parseEvent(value: unknown, field = 'events'): RegistryEventName {
  let name: string | undefined;
  if (typeof value === 'string') name = value.trim().toLowerCase();
  else if (value !== null && typeof value === 'object') {
    const { entity, action } = value as { entity?: unknown; action?: unknown };
    if (typeof entity === 'string' && typeof action === 'string') name = `${entity}.${action}`.toLowerCase();
  }
  if (name === undefined || !isRegistryEvent(name)) {
    throw invalidParam(`Invalid webhook event ${JSON.stringify(value)}. Valid events: ${REGISTRY_EVENTS.join(', ')}.`, field);
  }
  return name;
}

/** MLflow 3's proto form of an event: upper-case entity and action enum names. */
export function eventToWire(name: string): { entity: string; action: string } {
  const [entity, action] = name.split('.') as [string, string];
  return { entity: entity.toUpperCase(), action: action.toUpperCase() };
}

/** An event raised by a registry or governance change, delivered to subscribed webhooks after commit. */
export interface RegistryEvent {
  name: RegistryEventName;
  /** The event's `data` (see docs/webhooks.md). */
  data: Record<string, unknown>;
  /** When it happened, epoch ms. */
  timestamp: number;
}

/**
 * The delivered body: MLflow 3's `{entity, action, timestamp (ISO-8601 UTC), data}`, plus
 * Hangar's `text`, a one-line summary for chat receivers. Returned as the exact string that is
 * signed and sent.
 */
export function eventBody(event: RegistryEvent): string {
  const [entity, action] = event.name.split('.') as [string, string];
  return JSON.stringify({ entity, action, timestamp: new Date(event.timestamp).toISOString(), data: event.data, text: describe(event) });
}

function describe(event: RegistryEvent): string {
  const d = event.data;
  const mv = `Registered model '${String(d.name)}' version ${String(d.version)}`;
  switch (event.name) {
    case 'registered_model.created':
      return `Registered model '${String(d.name)}' was created.`;
    case 'model_version.created':
      return `${mv} was created.`;
    case 'model_version_tag.set':
      return `${mv}: tag '${String(d.key)}' set to '${String(d.value)}'.`;
    case 'model_version_tag.deleted':
      return `${mv}: tag '${String(d.key)}' deleted.`;
    case 'model_version_alias.created':
      return `${mv} is now '@${String(d.alias)}'.`;
    case 'model_version_alias.deleted':
      return `Alias '@${String(d.alias)}' of registered model '${String(d.name)}' was deleted.`;
    case 'model_version.stage_transitioned':
      return `${mv} transitioned from ${String(d.from_stage)} to ${String(d.to_stage)}.`;
    case 'transition_request.created':
      return `${mv}: ${String(d.user_id)} requested a transition to ${String(d.to_stage)}.`;
    case 'transition_request.approved':
      return `${mv}: the transition to ${String(d.to_stage)} was approved by ${String(d.user_id)}.`;
    case 'transition_request.rejected':
      return `${mv}: the transition to ${String(d.to_stage)} was rejected by ${String(d.user_id)}.`;
    case 'transition_request.cancelled':
      return `${mv}: the request to move to ${String(d.to_stage)} was cancelled by ${String(d.user_id)}.`;
    case 'comment.created':
      return `${mv}: ${String(d.user_id)} commented.`;
    case 'validation.completed':
      return `${mv}: validation completed (${String(d.status ?? 'unknown')}).`;
    case 'monitor.alert_fired':
      return `Monitor '${String(d.monitor)}': alert rule '${String(d.rule)}' fired (${String(d.metric)} ${String(d.direction)} ${String(d.threshold)} in ${String(d.violations)} of the last ${String(d.evaluated)} windows).`;
  }
}
