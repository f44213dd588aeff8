/** The metadata store: the port, its domain types and `openStore`, which picks an adapter by URI. */
export type { Store } from './port.js';
export * from './types.js';
export { openStore, STORE_SCHEMES, type OpenStoreOptions } from './open.js';
export { copyStore, type CopyReport } from './copy.js';
export { ServingStore, type InferenceLogFile, type NewInferenceLogFile, type InferenceFileKind, type InferenceFileQuery } from './serving-store.js';
export { MonitoringStore, type MonitorRecord, type MonitorRunRecord, type MonitorRunStatus, type AlertRuleRecord, type AlertRecord } from './monitoring-store.js';
