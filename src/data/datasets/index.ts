/** Versioned datasets: registration, profiles, expectations at ingestion, resolution (issue 4). */
export { resolveDataset, versionFromRow } from './resolve.js';
export {
  registerDataset,
  checkDatasetName,
  contentDigest,
  expandDatasetRefs,
  DATASET_NAME,
  type DatasetSource,
  type RegisterDatasetInput,
  type RegisterDatasetResult,
  type RegisterProgress,
} from './register.js';
export { getDataset, listDatasets, listDatasetVersions, getDatasetVersion, deleteDataset, exportDataset } from './catalogue.js';
export {
  checkExpectations,
  parseExpectations,
  loadExpectationsFile,
  expectationError,
  typeMatches,
  expectationsSchema,
  columnExpectationSchema,
  type Expectations,
  type ColumnExpectation,
  type ExpectationCheck,
  type ExpectationReport,
  type ExpectationViolation,
} from './expectations.js';
export { profileRelation, PROFILE_QUANTILES, TOP_VALUES, type ColumnProfile, type DatasetProfile } from './profile.js';
export { withDuck, type DuckConnection } from './duck.js';
export { DATASETS_PREFIX, versionArtifactPath, localCopy, cacheDirOf } from './files.js';
export type { ResolvedDataset, DatasetColumn, DatasetInfo, DatasetVersion, DatasetSourceType } from './types.js';
