/**
 * Drift statistics: pure functions over typed arrays (NaN = missing for numbers; category
 * counts for categories), each with the exact definition in its TSDoc and in docs/drift.md.
 */
export {
  ksTwoSample,
  ksTwoSampleSorted,
  mergedWalk,
  wasserstein,
  wassersteinSorted,
  wassersteinNormed,
  wassersteinNormedSorted,
  psi,
  psiSorted,
  psiFromCounts,
  emptyBinShare,
  quantileEdges,
  binCountsSorted,
  stdDev,
  KS_MAX_EXACT_N,
  WASSERSTEIN_MIN_STD,
  type TestResult,
  type KsResult,
  type KsMethod,
  type MergedWalk,
  type PsiOptions,
} from './numeric.js';
export { chiSquared, jensenShannon, totalVariation, lInfinity, zTestProportions } from './categorical.js';
export { erfc, normalCdf, normalSf, logGamma, gammaIncUpper, gammaIncLower, chi2Sf, smirnovSf, kolmogorovSf, kolmogorovLimitSf } from './special.js';
export { sortedValues, sortValuesInPlace, radixSortInPlace, quantileSorted, upperBound, lowerBound, distinctUnion } from './sort.js';
export {
  DRIFT_METHODS,
  DEFAULT_THRESHOLDS,
  DEFAULT_DRIFT_SHARE,
  SMALL_REFERENCE_ROWS,
  DISCRETE_MAX_VALUES,
  isPValueMethod,
  chooseMethod,
  prepareColumn,
  prepareNumeric,
  categoryCounts,
  distinctValueCounts,
  binnedCounts,
  driftOfPrepared,
  columnDrift,
  planColumns,
  datasetVerdict,
  datasetDrift,
  type DriftMethod,
  type ColumnKind,
  type PreparedColumn,
  type CategoryCounts,
  type ColumnDriftOptions,
  type ColumnDrift,
  type DatasetDriftOptions,
  type DatasetDrift,
} from './column-drift.js';
