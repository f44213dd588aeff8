/**
 * Data: tables read from Parquet and CSV files (through DuckDB) into typed arrays, and the
 * feature frames learners train on. Issue 4 adds datasets, feature tables and the online store.
 */
export {
  readTable,
  readTableOn,
  getColumn,
  tableSchema,
  tableDigest,
  isQuery,
  sqlString,
  sqlIdent,
  fileRelation,
  type Table,
  type Column,
  type NumberColumn,
  type BooleanColumn,
  type TimestampColumn,
  type StringColumn,
  type ReadTableOptions,
} from './table.js';
export { withSharedDuckDB } from './duckdb-shared.js';
export {
  toFeatureFrame,
  tableFeatures,
  inferProblem,
  dateParts,
  DATE_PARTS,
  MAX_INFERRED_CLASSES,
  type Feature,
  type FeatureFrame,
  type FeatureFrameOptions,
  type PreparedData,
  type Problem,
} from './frame.js';
export { resolveDataset, registerDataset, checkExpectations, parseExpectations, loadExpectationsFile, expectationError, type ResolvedDataset, type DatasetColumn, type Expectations, type ExpectationReport } from './datasets/index.js';
export { localCopy, cacheDirOf } from './datasets/index.js';
export type { DataContext } from './context.js';
export * from './features/index.js';
export * from './online/index.js';
