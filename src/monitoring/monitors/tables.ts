/**
 * The rows of the two metric tables (semantics.md §f): `<monitor>_profile_metrics` and
 * `<monitor>_drift_metrics`, as JS objects before they are written to Parquet. Times are epoch
 * ms here and TIMESTAMPs in the files. Nothing is ever NaN: a statistic that cannot be computed
 * (an empty window, a column with no values) is null.
 */

/** What every profile row of one window and slice shares. */
export interface ProfileHead {
  window_start: number | null;
  window_end: number | null;
  granularity: string | null;
  slice_key: string | null;
  log_type: 'INPUT' | 'BASELINE';
  monitor_version: number;
  monitor_run_id: string;
  computed_at: number;
}

/** One profile-metrics row: one window × granularity × slice × column × log type × model. */
export interface ProfileRow {
  window_start: number | null;
  window_end: number | null;
  /** One of the monitor's granularities; null for Snapshot profiles and BASELINE rows. */
  granularity: string | null;
  /** The slicing expression; null = the whole table. */
  slice_key: string | null;
  slice_value: string | null;
  /** A column, or `:table` for table-level metrics (row count, model quality, operations). */
  column_name: string;
  /** `INPUT` (the monitored data) or `BASELINE` (the baseline table). */
  log_type: 'INPUT' | 'BASELINE';
  /** A model version, or `*` for all models together. */
  model_id: string;
  /** DuckDB type of the column (`:table` rows: `table`). */
  data_type: string;
  monitor_version: number;
  /** The monitor run that computed the row; the newest run's row wins when windows are recomputed. */
  monitor_run_id: string;
  computed_at: number;
  [metric: string]: unknown;
}

/** The profile metric columns, in file order, with their DuckDB types. */
export const PROFILE_METRICS: ReadonlyArray<readonly [string, string]> = [
  ['count', 'BIGINT'],
  ['num_nulls', 'BIGINT'],
  ['num_zeros', 'BIGINT'],
  ['num_nan', 'BIGINT'],
  ['avg', 'DOUBLE'],
  ['stddev', 'DOUBLE'],
  ['min', 'DOUBLE'],
  ['max', 'DOUBLE'],
  ['median', 'DOUBLE'],
  ['quantiles', 'DOUBLE[]'],
  ['distinct_count', 'BIGINT'],
  ['percent_nan', 'DOUBLE'],
  ['percent_null', 'DOUBLE'],
  ['percent_zeros', 'DOUBLE'],
  ['percent_distinct', 'DOUBLE'],
  ['min_length', 'DOUBLE'],
  ['max_length', 'DOUBLE'],
  ['avg_length', 'DOUBLE'],
  ['frequent_items', 'STRUCT(item VARCHAR, count BIGINT)[]'],
  // model quality (InferenceLog, `:table` rows, once labels exist)
  ['labeled_count', 'BIGINT'],
  ['accuracy_score', 'DOUBLE'],
  ['precision_score', 'DOUBLE'],
  ['recall_score', 'DOUBLE'],
  ['f1_score', 'DOUBLE'],
  ['roc_auc', 'DOUBLE'],
  ['log_loss', 'DOUBLE'],
  ['true_positives', 'BIGINT'],
  ['false_positives', 'BIGINT'],
  ['true_negatives', 'BIGINT'],
  ['false_negatives', 'BIGINT'],
  ['root_mean_squared_error', 'DOUBLE'],
  ['mean_squared_error', 'DOUBLE'],
  ['mean_absolute_error', 'DOUBLE'],
  ['r2_score', 'DOUBLE'],
  // operations (inference logs, `:table` rows)
  ['throughput_per_second', 'DOUBLE'],
  ['num_errors', 'BIGINT'],
  ['error_rate', 'DOUBLE'],
  ['latency_p50_ms', 'DOUBLE'],
  ['latency_p95_ms', 'DOUBLE'],
  ['latency_p99_ms', 'DOUBLE'],
];

/** The quantiles each numeric column reports, in `quantiles` order. */
export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;

/** What every drift row of one comparison shares. */
export interface DriftHead {
  window_start: number;
  window_end: number;
  window_cmp_start: number | null;
  window_cmp_end: number | null;
  drift_type: 'CONSECUTIVE' | 'BASELINE';
  granularity: string | null;
  slice_key: string | null;
  slice_value: string | null;
  model_id: string;
  monitor_version: number;
  monitor_run_id: string;
  computed_at: number;
}

/** One drift-metrics row: a window compared with the previous window or with the baseline. */
export interface DriftRow {
  window_start: number;
  window_end: number;
  /** The window compared against: the previous window (CONSECUTIVE); null for BASELINE. */
  window_cmp_start: number | null;
  window_cmp_end: number | null;
  drift_type: 'CONSECUTIVE' | 'BASELINE';
  granularity: string | null;
  slice_key: string | null;
  slice_value: string | null;
  column_name: string;
  data_type: string;
  model_id: string;
  monitor_version: number;
  monitor_run_id: string;
  computed_at: number;
  [metric: string]: unknown;
}

export const DRIFT_METRICS: ReadonlyArray<readonly [string, string]> = [
  ['count_delta', 'DOUBLE'],
  ['avg_delta', 'DOUBLE'],
  ['percent_null_delta', 'DOUBLE'],
  ['percent_zeros_delta', 'DOUBLE'],
  ['percent_distinct_delta', 'DOUBLE'],
  ['non_null_columns_delta', 'DOUBLE'],
  ['ks_test', 'STRUCT(statistic DOUBLE, pvalue DOUBLE)'],
  ['wasserstein_distance', 'DOUBLE'],
  ['population_stability_index', 'DOUBLE'],
  ['chi_squared_test', 'STRUCT(statistic DOUBLE, pvalue DOUBLE)'],
  ['tv_distance', 'DOUBLE'],
  ['l_infinity_distance', 'DOUBLE'],
  ['js_distance', 'DOUBLE'],
  // Evidently's automatic choice for the column (M1's columnDrift) and its verdict.
  ['drift_method', 'VARCHAR'],
  ['drift_statistic', 'DOUBLE'],
  ['drift_pvalue', 'DOUBLE'],
  ['drift_threshold', 'DOUBLE'],
  ['drift_detected', 'BOOLEAN'],
  // `:table` rows: the dataset verdict
  ['drifted_columns', 'BIGINT'],
  ['drifted_columns_share', 'DOUBLE'],
];

/** The key columns (besides the window) of each table, for keeping the newest run's row. */
export const PROFILE_KEY = ['window_start', 'granularity', 'slice_key', 'slice_value', 'column_name', 'log_type', 'model_id'] as const;
export const DRIFT_KEY = ['window_start', 'drift_type', 'granularity', 'slice_key', 'slice_value', 'column_name', 'model_id'] as const;
