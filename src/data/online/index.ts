/**
 * The online store: the port and its adapters (SQLite, Redis, PostgreSQL), materialisation
 * from the offline feature files, and the online look-up with a status per value.
 */
export { encodeEntityKey, ONLINE_TABLE_NAME, type KeyPart, type OnlineHit, type OnlineRow, type OnlineRows, type OnlineStore, type OnlineTableState, type OnlineValue } from './port.js';
export { describeOnlineStore, openOnlineStore, onlineStoreConfigFromUri, ONLINE_STORE_TYPES, type OnlineStoreConfig, type OnlineStoreDefaults } from './open.js';
export {
  materialize,
  materializeIncremental,
  featureTableNames,
  materializeFiles,
  materializeFilesIncremental,
  incrementalWindow,
  type MaterializeOptions,
  type MaterializeProgress,
  type MaterializeResult,
} from './materialize.js';
export {
  OnlineFeatures,
  type FeatureStatus,
  type OnlineFeatureColumn,
  type OnlineFeaturesOptions,
  type OnlineFeaturesRequest,
  type OnlineFeaturesResponse,
} from './lookup.js';
export { lookupInput, lookupRequest, lookupSchema, parseLookupBody, type LookupBody } from './lookup-input.js';
export {
  createFeatureServer,
  startFeatureServer,
  FEAST_ONLINE_PATH,
  FEATURE_SERVER_PORT,
  HANGAR_ONLINE_GET_PATH,
  type FeatureServer,
  type FeatureServerOptions,
} from './feature-server.js';
