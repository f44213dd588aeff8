/**
 * `hangar/client`: a typed TypeScript SDK over Hangar's MLflow-compatible REST API. It imports
 * no server code and needs nothing beyond Node 20's global `fetch`.
 *
 * ```ts
 * import { HangarClient } from 'hangar/client';
 * const client = new HangarClient({ trackingUri: 'http://127.0.0.1:5000' });
 * const { experiment } = await client.getOrCreateExperiment('churn');
 * const run = await client.createRun(experiment.experimentId, { runName: 'baseline' });
 * await client.logBatch(run.info.runId, { params: { lr: '0.1' }, metrics: [{ key: 'loss', value: 0.3, step: 1 }] });
 * await client.endRun(run.info.runId);
 * ```
 */
export { HangarClient, paginate, proxyPath, type HangarClientOptions } from './client.js';
export { ApiError, isApiError, errorFromResponse } from './errors.js';
export { parseModelUri, canonicalStage } from './model-uri.js';
export { HangarError, isHangarError, type ErrorCode } from '../core/errors.js';
export * from './types.js';
export { ValidationClient } from './validation.js';
export {
  AuditClient,
  GovernanceClient,
  type ActivityInfo,
  type CommentInfo,
  type DeliveryInfo,
  type PermissionInfo,
  type PermissionLevelName,
  type TokenInfo,
  type TransitionRequestInfo,
  type WebhookInfo,
  type WebhookInput,
  type WebhookTestResult,
} from './governance.js';
export { InferenceClient, scoreRecords, type LabelRecord, type InferenceFileRecord, type NewInferenceFile, type InferenceLogConfig, type ScoreResponse } from './serving.js';
export { DatasetsClient, parseDatasetRef, mlflowColumnType, type DatasetInfo, type DatasetVersionInfo, type DatasetColumnProfile, type RegisterDatasetOptions } from './datasets.js';
export { OnlineFeaturesClient, type MaterializeInfo, type MaterializeRequest, type OnlineFeaturesQuery, type OnlineFeaturesResult, type OnlineFeatureStatus, type OnlineTableInfo } from './online.js';
export { FeaturesClient, type FeatureTableDefinition, type FeatureTableInfo, type FeatureServiceDefinition, type FeatureServiceInfo, type FeatureServiceApplyResult, type FeatureTableVersionInfo, type FeatureLookupInput, type TrainingSetInfo, type SensitiveFeatureInfo, type TrainingSetLineageEntry } from './features.js';
export { MonitorsClient, type MonitorDefinitionInput, type MonitorInfo, type MonitorRunInfo, type AlertInfo, type MetricsFilter, type MetricsRow } from './monitors.js';
