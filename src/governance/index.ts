/**
 * Governance: principals and tokens, permission levels, transition requests, comments, the
 * activity log, promotion history and rollback, stage ↔ alias sync, and signed webhooks.
 * Other domain folders, the API and the CLI use it through this file only.
 */
export {
  ACTIVITY_TYPES,
  ANONYMOUS,
  Governance,
  HISTORY_TYPES,
  MAX_COMMENT_LENGTH,
  emitRegistryEvent,
  governanceFor,
  optionalGovernanceFor,
  tagPromotionCheck,
  type ActivityType,
  type GovernanceOptions,
  type Principal,
  type PromotionCheck,
  type TransitionOutcome,
} from './service.js';
export {
  CHAMPION,
  LEVEL_MEANING,
  PERMISSION_LEVELS,
  atLeast,
  isPermissionLevel,
  levelForAlias,
  levelForTransition,
  parseLevel,
  type PermissionLevel,
} from './permissions.js';
export { REGISTRY_EVENTS, eventBody, eventToWire, isRegistryEvent, parseEvent, type RegistryEvent, type RegistryEventName } from './events.js';
export { TOKEN_PREFIX, bearerToken, generateToken, hashToken } from './tokens.js';
export {
  WebhookDispatcher,
  checkWebhookUrl,
  databricksSignature,
  deliveryHeaders,
  isPrivateAddress,
  signPayload,
  verifySignature,
  type DispatcherOptions,
} from './webhooks.js';
export type {
  Activity,
  ApiToken,
  ModelPermission,
  TransitionRequest,
  TransitionRequestStatus,
  Webhook,
  WebhookDelivery,
} from '../store/governance-store.js';
