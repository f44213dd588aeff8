/**
 * Feature tables (issue 4): definitions as code, offline versions computed incrementally by
 * time, point-in-time training sets with lineage, and the feature spec a model carries for
 * scoring with automatic look-up. The online store lives in `src/data/online/`.
 */
export type { FeatureTableSpec, FeatureSpec, KeySpec, FeatureSource, FeatureType } from './spec.js';
export {
  defineFeatureTable,
  defineFeatureTables,
  toFeatureTableSpec,
  toFeatureTableSpecs,
  loadDefinitions,
  specsFromYaml,
  parseTtl,
  formatTtl,
  specDigest,
  FEATURE_TYPES,
  type FeatureTableInput,
} from './define.js';
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
export type { FeatureTableRecord, FeatureTableVersionRecord, TrainingSetRecord, LineageEntry } from '../../store/features-store.js';
export { scoreWithFeatures, type ScoreOptions, type ScoreResult, type BatchPredictions } from './score.js';
export { flightsExampleDir, flightsFeatureTables, flightsTrainingSetRequest } from './flights.js';
