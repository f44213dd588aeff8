/**
 * Serving: the scoring server (`hangar serve`, MLflow's scoring protocol), alias following,
 * traffic split and shadow scoring, the inference log (Parquet files indexed in the metadata
 * store, labels, retention), Prometheus metrics, and batch scoring (`hangar predict`).
 * Other folders use serving only through this file.
 */
export {
  EVENT_TIME_HEADER,
  INPUT_FIELDS,
  mediaType,
  parseCsv,
  parseEventTime,
  parseScoringJson,
  parseScoringRequest,
  rowEventTimes,
  UnsupportedMediaType,
  type InputField,
  type ScoringRequest,
  type ScoringTable,
} from './protocol.js';
export { loadServingModel, type LoadServingOptions, type PredictionType, type ScoreResult, type ServingModel } from './model.js';
export { InferenceLog, LOG_COLUMNS, utcDay, type InferenceIndex, type InferenceLogOptions, type LoggedModel, type RowTimes } from './inference-log.js';
export {
  MAX_LABELS_PER_CALL,
  checkModelName,
  inferenceLogRoot,
  cacheKeyOf,
  listInferenceLogFiles,
  localLogPaths,
  pruneInferenceLog,
  storeIndex,
  restIndex,
  writeLabels,
  type InferenceFileInfo,
  type LabelInput,
  type LogFilesContext,
  type PruneReport,
} from './inference-files.js';
export {
  INFERENCE_LOG_PREFIX,
  UploadingIndex,
  artifactPublisher,
  inferenceLogUri,
  isLocalArtifactStore,
  restPublisher,
  type LogPublisher,
  type UploadingIndexOptions,
} from './log-publish.js';
export { HttpMetrics, ServingMetrics } from './metrics.js';
export { ModelFollower, isMovingUri, localModel, type FollowerOptions } from './follower.js';
export { SCORING_PROTOCOL_VERSION, createScoringServer, startScoringServer, type ModelSlot, type ScoringServer, type ScoringServerOptions } from './server.js';
export { predictFile, type BatchProgress, type PredictFileOptions, type PredictFileResult } from './batch.js';
export { startServe, targetUri, type RunningServe, type ServeOptions } from './serve.js';
