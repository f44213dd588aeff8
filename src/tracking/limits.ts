/**
 * MLflow's write limits (MLflow 2.12 `mlflow/utils/validation.py` and the tracking protos).
 * MLflow's own client chunks its requests to stay inside them, so a request that breaks one is
 * either a foreign client or a bug; both deserve MLflow's exact message.
 */

/** Metrics in one `runs/log-batch` request. */
export const MAX_METRICS_PER_BATCH = 1000;
/** Params in one `runs/log-batch` request. */
export const MAX_PARAMS_PER_BATCH = 100;
/** Tags in one `runs/log-batch` request. */
export const MAX_TAGS_PER_BATCH = 100;
/** Metrics, params and tags together in one `runs/log-batch` request. */
export const MAX_ENTITIES_PER_BATCH = 1000;
/** Raw body of a `runs/log-batch` request, in bytes (MLflow uses `int(1e6)`, not 2^20). */
export const MAX_BATCH_REQUEST_BYTES = 1_000_000;

/** Metric, param and tag keys. */
export const MAX_ENTITY_KEY_LENGTH = 250;
/** Param values. */
export const MAX_PARAM_VALUE_LENGTH = 6000;
/** Run tag values (MLflow 2.12; newer versions allow 8000). */
export const MAX_TAG_VALUE_LENGTH = 5000;
/** Experiment tag values (MLflow 2.12). */
export const MAX_EXPERIMENT_TAG_VALUE_LENGTH = 5000;
/** Experiment names. */
export const MAX_EXPERIMENT_NAME_LENGTH = 500;

/** Dataset inputs (`runs/log-inputs`). */
export const MAX_DATASET_NAME_LENGTH = 500;
export const MAX_DATASET_DIGEST_LENGTH = 36;
export const MAX_DATASET_SOURCE_LENGTH = 65535;
export const MAX_DATASET_SCHEMA_LENGTH = 1048575;
export const MAX_DATASET_PROFILE_LENGTH = 16384;
export const MAX_INPUT_TAG_KEY_LENGTH = 255;
export const MAX_INPUT_TAG_VALUE_LENGTH = 500;

/** `runs/search`: page size when none is asked for, and the largest page. */
export const RUNS_DEFAULT_MAX_RESULTS = 1000;
export const RUNS_MAX_RESULTS = 50000;
/** `experiments/search`: page size when none is asked for, and the largest page. */
export const EXPERIMENTS_DEFAULT_MAX_RESULTS = 1000;
export const EXPERIMENTS_MAX_RESULTS = 50000;
/** `metrics/get-history`: the proto's default page and its maximum. */
export const METRIC_HISTORY_MAX_RESULTS = 25000;
/** `metrics/get-history-bulk-interval`: runs per request and sampled points per run. */
export const BULK_INTERVAL_MAX_RUN_IDS = 100;
export const BULK_INTERVAL_MAX_RESULTS_PER_RUN = 2500;
/** `databricks/runs/delete-runs` and `restore-runs`: runs per request (Databricks API). */
export const BULK_RUNS_MAX = 10000;

/** The run tag that holds `runs/log-model`'s history, a JSON array of MLmodel dicts. */
export const LOG_MODEL_HISTORY_TAG = 'mlflow.log-model.history';
/** The run tag that mirrors a run's name. */
export const RUN_NAME_TAG = 'mlflow.runName';
