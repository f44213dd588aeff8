/**
 * MLflow's search filter grammar and `order_by` clauses, parsed once at the API edge into the
 * store's FilterClause / OrderBy (mlflow-wire.md §4.4, mlflow3-wire.md §4.7). Attribute keys
 * come out canonical (`created` → `start_time`, `run name` → `run_name`), so adapters see one
 * spelling per column.
 */
import type { FilterClause, OrderBy } from '../types.js';
import {
  EXPERIMENT_GRAMMAR,
  LOGGED_MODEL_GRAMMAR,
  MODEL_VERSION_GRAMMAR,
  REGISTERED_MODEL_GRAMMAR,
  RUN_GRAMMAR,
} from './grammar.js';
import { parseFilter, parseObjectOrderBy, parseOrderBy, type LoggedModelOrderField } from './parse.js';

export type { LoggedModelOrderField } from './parse.js';
export type { KeyRule, SearchGrammar } from './grammar.js';

/** `runs/search` filter: metrics, params, tags, run attributes and dataset inputs. */
export const parseRunFilter = (filter?: string | null): FilterClause[] => parseFilter(RUN_GRAMMAR, filter);
/** `experiments/search` filter: `name`, `creation_time`, `last_update_time`, tags. */
export const parseExperimentFilter = (filter?: string | null): FilterClause[] => parseFilter(EXPERIMENT_GRAMMAR, filter);
/** `registered-models/search` filter: `name`, tags. */
export const parseRegisteredModelFilter = (filter?: string | null): FilterClause[] => parseFilter(REGISTERED_MODEL_GRAMMAR, filter);
/** `model-versions/search` filter: `name`, `run_id`, `source_path`, `version_number`, tags. */
export const parseModelVersionFilter = (filter?: string | null): FilterClause[] => parseFilter(MODEL_VERSION_GRAMMAR, filter);
/** `logged-models/search` filter: model attributes, metrics, params, tags. */
export const parseLoggedModelFilter = (filter?: string | null): FilterClause[] => parseFilter(LOGGED_MODEL_GRAMMAR, filter);

/** `runs/search` order_by: metrics, params, tags or run attributes; default ascending. */
export const parseRunOrderBy = (orderBy?: readonly string[] | null): OrderBy[] => parseOrderBy(RUN_GRAMMAR, orderBy);
/** `experiments/search` order_by: `name`, `experiment_id`, `creation_time`, `last_update_time`. */
export const parseExperimentOrderBy = (orderBy?: readonly string[] | null): OrderBy[] => parseOrderBy(EXPERIMENT_GRAMMAR, orderBy);
/** `registered-models/search` order_by: `name`, `creation_timestamp` (`timestamp`), `last_updated_timestamp`. */
export const parseRegisteredModelOrderBy = (orderBy?: readonly string[] | null): OrderBy[] =>
  parseOrderBy(REGISTERED_MODEL_GRAMMAR, orderBy);
/** `model-versions/search` order_by: `name`, `version_number`, `creation_timestamp`, `last_updated_timestamp`. */
export const parseModelVersionOrderBy = (orderBy?: readonly string[] | null): OrderBy[] => parseOrderBy(MODEL_VERSION_GRAMMAR, orderBy);
/**
 * `logged-models/search` order_by: `{field_name, ascending}` objects (MLflow 3's shape) or
 * strings; attributes and metrics. `dataset_name` / `dataset_digest` are rejected.
 */
export const parseLoggedModelOrderBy = (orderBy?: ReadonlyArray<string | LoggedModelOrderField> | null): OrderBy[] =>
  parseObjectOrderBy(LOGGED_MODEL_GRAMMAR, orderBy);
