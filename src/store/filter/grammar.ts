/**
 * Which keys, comparators and value types each searchable entity accepts. The parser is one
 * piece of code; what differs between runs, experiments, registered models, model versions and
 * logged models lives in these tables, so a rule is changed in one place.
 */
import type { Comparator, FilterClause } from '../types.js';

export type Entity = FilterClause['entity'];

export const NUMERIC_OPS: readonly Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
export const STRING_OPS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
export const STRING_IN_OPS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN'];
export const STRING_LIST_OPS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

/** How values of one key are compared. */
export interface KeyRule {
  /** `number`: the value must be a bare number; `string`: a quoted string (or a list for IN). */
  kind: 'number' | 'string';
  /** The comparators allowed for this key. */
  ops: readonly Comparator[];
}

/** The grammar of one search endpoint. */
export interface SearchGrammar {
  /** Used in messages: "runs", "experiments", … */
  what: string;
  /**
   * Rules for `metrics.`, `params.`, `tags.` and `datasets.` keys; an entity missing here is
   * rejected with the list of the ones that are allowed.
   */
  entities: Partial<Record<Exclude<Entity, 'attribute' | 'dataset'>, KeyRule>>;
  /** Dataset fields (runs only): canonical key → rule. */
  datasetKeys?: Record<string, KeyRule>;
  /** Canonical attribute name → rule, in the order they are listed in messages. */
  attributes: Record<string, KeyRule>;
  /** Alternative spellings (lower case) → canonical attribute name. */
  attributeAliases: Record<string, string>;
  /** Entities `order_by` may name besides attributes. */
  orderEntities: ReadonlyArray<'metric' | 'param' | 'tag'>;
  /** Attributes `order_by` may name (canonical), in message order. */
  orderAttributes: readonly string[];
}

const num = (ops: readonly Comparator[] = NUMERIC_OPS): KeyRule => ({ kind: 'number', ops });
const str = (ops: readonly Comparator[] = STRING_OPS): KeyRule => ({ kind: 'string', ops });

/** `runs/search` (mlflow-wire.md §4.4). */
export const RUN_GRAMMAR: SearchGrammar = {
  what: 'runs',
  entities: { metric: num(), param: str(), tag: str() },
  datasetKeys: { name: str(STRING_LIST_OPS), digest: str(STRING_LIST_OPS), context: str(STRING_LIST_OPS) },
  attributes: {
    run_id: str(STRING_LIST_OPS),
    run_name: str(STRING_LIST_OPS),
    status: str(STRING_LIST_OPS),
    user_id: str(STRING_LIST_OPS),
    artifact_uri: str(STRING_LIST_OPS),
    start_time: num(),
    end_time: num(),
  },
  // The MLflow UI's column titles are accepted as attribute names too.
  attributeAliases: { 'run name': 'run_name', created: 'start_time' },
  orderEntities: ['metric', 'param', 'tag'],
  orderAttributes: ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'end_time'],
};

/** `experiments/search`. */
export const EXPERIMENT_GRAMMAR: SearchGrammar = {
  what: 'experiments',
  entities: { tag: str() },
  attributes: { name: str(), creation_time: num(), last_update_time: num() },
  attributeAliases: {},
  orderEntities: [],
  orderAttributes: ['name', 'experiment_id', 'creation_time', 'last_update_time'],
};

/** `registered-models/search`. */
export const REGISTERED_MODEL_GRAMMAR: SearchGrammar = {
  what: 'registered models',
  entities: { tag: str() },
  attributes: { name: str() },
  attributeAliases: { timestamp: 'creation_timestamp' },
  orderEntities: [],
  orderAttributes: ['name', 'creation_timestamp', 'last_updated_timestamp'],
};

/** `model-versions/search`. */
export const MODEL_VERSION_GRAMMAR: SearchGrammar = {
  what: 'model versions',
  entities: { tag: str() },
  attributes: {
    name: str(STRING_IN_OPS),
    run_id: str(STRING_IN_OPS),
    source_path: str(STRING_IN_OPS),
    version_number: num(),
  },
  attributeAliases: { timestamp: 'creation_timestamp' },
  orderEntities: [],
  orderAttributes: ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'],
};

/** `logged-models/search` (mlflow3-wire.md §4.7). */
export const LOGGED_MODEL_GRAMMAR: SearchGrammar = {
  what: 'logged models',
  entities: { metric: num(), param: str(), tag: str() },
  attributes: {
    name: str(STRING_LIST_OPS),
    model_id: str(STRING_LIST_OPS),
    status: str(STRING_LIST_OPS),
    source_run_id: str(STRING_LIST_OPS),
    model_type: str(STRING_LIST_OPS),
    creation_timestamp: num(),
    last_updated_timestamp: num(),
  },
  // The wire names of the two timestamps (`…_ms` in the LoggedModel object) mean the same columns.
  attributeAliases: {
    creation_timestamp_ms: 'creation_timestamp',
    last_updated_timestamp_ms: 'last_updated_timestamp',
  },
  orderEntities: ['metric'],
  orderAttributes: [
    'name',
    'model_id',
    'status',
    'source_run_id',
    'model_type',
    'creation_timestamp',
    'last_updated_timestamp',
  ],
};

/** Entity prefixes before the `.` of a key, and the aliases MLflow accepts for them. */
export const ENTITY_PREFIXES: Record<string, Entity> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameters: 'param',
  parameter: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  datasets: 'dataset',
  dataset: 'dataset',
};

/** How an entity is named in messages. */
export const ENTITY_NOUN: Record<Entity, string> = {
  metric: 'metric',
  param: 'param',
  tag: 'tag',
  attribute: 'attribute',
  dataset: 'dataset',
};

/** The canonical prefix of each entity, as listed in messages. */
export const ENTITY_PREFIX: Record<Entity, string> = {
  metric: 'metrics',
  param: 'params',
  tag: 'tags',
  attribute: 'attributes',
  dataset: 'datasets',
};
