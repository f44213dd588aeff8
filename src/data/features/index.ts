/**
 * Feature tables (issue 4): definitions as code, offline versions computed incrementally by
 * time, point-in-time training sets with lineage, feature services (named lists of features a
 * model uses), and the feature spec a model carries for scoring with automatic look-up. The
 * online store lives in `src/data/online/`.
 */
export type { FeatureTableSpec, FeatureSpec, KeySpec, FeatureSource, FeatureType, FeatureServiceSpec } from './spec.js';
export {
  defineFeatureTable,
  defineFeatureTables,
  defineFeatureService,
  toFeatureTableSpec,
  toFeatureTableSpecs,
  toFeatureServiceSpec,
  toFeatureServiceSpecs,
  loadDefinitions,
  specsFromYaml,
  parseTtl,
  formatTtl,
  specDigest,
  FEATURE_TYPES,
  type FeatureTableInput,
  type FeatureServiceInput,
} from './define.js';
export {
  applyFeatureDefinitions,
  applyFeatureServices,
  getFeatureService,
  listFeatureServices,
  deleteFeatureService,
  featureServiceToWire,
  type ServiceApplyOutcome,
  type FeatureServiceInfo,
} from './services.js';
export { featureServiceResolver, metadataServiceResolver, FEATURE_SERVICES_SCHEMA_VERSION, type FeatureServiceResolve, type FeatureServiceResolverOptions, type MetadataServiceResolver } from './service-resolver.js';
export {
  applyFeatureTables,
  computeFeatureTable,
  getFeatureTable,
  listFeatureTables,
  loadFeatureTable,
  loadFeatureTableVersion,
  featureStoreOf,
  type ApplyOutcome,
  type ComputeOptions,
  type ComputeResult,
  type FeatureTableInfo,
} from './tables.js';
export {
  createTrainingSet,
  getTrainingSet,
  parseLookupArg,
  featureSpecYaml,
  parseFeatureSpec,
  trainingSetRequestSchema,
  FEATURE_SPEC_FILE,
  type FeatureLookup,
  type LabelsSource,
  type TrainingSetRequest,
  type CreateTrainingSetOptions,
  type TrainingSet,
  type ModelFeatureSpec,
} from './training-set.js';
export { pitQuery, type PitLookup } from './pit.js';
export { isSensitiveTag, sensitiveFeatures, sensitiveReason, sensitiveFeatureToWire, SENSITIVE_FEATURES_TAG, type SensitiveFeature } from './sensitive.js';
export type { FeatureTableRecord, FeatureTableVersionRecord, TrainingSetRecord, LineageEntry, FeatureServiceRecord } from '../../store/features-store.js';
export { scoreWithFeatures, type ScoreOptions, type ScoreResult, type BatchPredictions } from './score.js';
export { flightsExampleDir, flightsFeatureTables, flightsTrainingSetRequest } from './flights.js';
