import { invalidParam } from '../core/errors.js';
import type { DatasetInput, Metric, Tag } from '../store/types.js';
import {
  MAX_DATASET_DIGEST_LENGTH,
  MAX_DATASET_NAME_LENGTH,
  MAX_DATASET_PROFILE_LENGTH,
  MAX_DATASET_SCHEMA_LENGTH,
  MAX_DATASET_SOURCE_LENGTH,
  MAX_ENTITIES_PER_BATCH,
  MAX_ENTITY_KEY_LENGTH,
  MAX_EXPERIMENT_NAME_LENGTH,
  MAX_EXPERIMENT_TAG_VALUE_LENGTH,
  MAX_INPUT_TAG_KEY_LENGTH,
  MAX_INPUT_TAG_VALUE_LENGTH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_PARAMS_PER_BATCH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS_PER_BATCH,
} from './limits.js';

/*
 * The tracking rules that hold whatever the transport: names, lengths, batch sizes. Messages
 * follow MLflow 2.12's wording, because users search for them and scripts match on them.
 */

// Python's `\w` on str is Unicode letters, digits and `_`; MLflow allows those plus `/.- `.
const VALID_NAME = /^[\p{L}\p{N}_/.\- ]*$/u;
const BAD_CHARACTERS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).';
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;

/** posixpath.normpath, enough to tell whether a name would resolve to another file name. */
function normPath(name: string): string {
  if (name === '') return '.';
  const absolute = name.startsWith('/');
  // POSIX keeps exactly two leading slashes; MLflow then rejects the name anyway.
  const lead = absolute ? (name.startsWith('//') && !name.startsWith('///') ? '//' : '/') : '';
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && (out.length > 0 ? out[out.length - 1] !== '..' : absolute)) {
      if (out.length > 0) out.pop();
      continue;
    }
    out.push(part);
  }
  const joined = lead + out.join('/');
  return joined === '' ? '.' : joined;
}

function validateName(kind: string, name: string, field: string): void {
  if (!VALID_NAME.test(name)) {
    throw invalidParam(`Invalid ${kind} name: '${name}'. ${BAD_CHARACTERS}`, field);
  }
  // Only a name with a slash can normalise to something else; the hot path skips the split.
  const norm = name.includes('/') ? normPath(name) : name === '' ? '.' : name;
  if (norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw invalidParam(
      `Invalid ${kind} name: '${name}'. Names may be treated as files in certain cases, and must not resolve to ` +
        `other names when treated as such. This name would resolve to '${norm}'`,
      field,
    );
  }
}

function validateLength(entity: string, limit: number, value: string, field: string): void {
  if (value.length > limit) {
    throw invalidParam(
      `${entity} '${value.slice(0, 250)}' had length ${value.length}, which exceeded length limit of ${limit}`,
      field,
    );
  }
}

/** A run id as MLflow accepts it (`^[a-zA-Z0-9][\w-]{0,255}$`). */
export function validateRunId(runId: string, field = 'run_id'): void {
  if (!RUN_ID.test(runId)) throw invalidParam(`Invalid run ID: '${runId}'`, field);
}

/** An experiment id as MLflow accepts it (`^[a-zA-Z0-9][\w-]{0,63}$`). */
export function validateExperimentId(experimentId: string, field = 'experiment_id'): void {
  if (!EXPERIMENT_ID.test(experimentId)) throw invalidParam(`Invalid experiment ID: '${experimentId}'`, field);
}

/** A non-empty name of at most 500 characters. */
export function validateExperimentName(name: string, field = 'name'): void {
  if (name === '') throw invalidParam(`Invalid experiment name: '${name}'`, field);
  validateLength('Experiment name', MAX_EXPERIMENT_NAME_LENGTH, name, field);
}

/** An experiment's artifact location may be anything but a `runs:/` URI, which points into a run. */
export function validateArtifactLocation(location: string, field = 'artifact_location'): void {
  if (location.startsWith('runs:')) {
    throw invalidParam(`Artifact location cannot be a runs:/ URI. Given: '${location}'`, field);
  }
}

/**
 * One metric point: a legal key of at most 250 characters, a non-negative integer timestamp and
 * an integer step. The value is already a number (NaN and ±Infinity included) by the time it
 * gets here.
 */
export function validateMetric(m: Metric, prefix = ''): void {
  validateName('metric', m.key, `${prefix}key`);
  validateLength('Metric name', MAX_ENTITY_KEY_LENGTH, m.key, `${prefix}key`);
  validatePoint(m, prefix);
}

/** The per-point half of validateMetric: timestamp and step. */
function validatePoint(m: Metric, prefix: string): void {
  if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) {
    throw invalidParam(
      `Got invalid timestamp ${m.timestamp} for metric '${m.key}' (value=${m.value}). ` +
        'Timestamp must be a nonnegative long (64-bit integer) ',
      `${prefix}timestamp`,
    );
  }
  if (!Number.isSafeInteger(m.step)) {
    throw invalidParam(
      `Got invalid step ${m.step} for metric '${m.key}' (value=${m.value}). Step must be a valid long (64-bit integer).`,
      `${prefix}step`,
    );
  }
}

/** A param: legal key of at most 250 characters, value of at most 6000. */
export function validateParam(p: Tag, prefix = ''): void {
  validateName('parameter', p.key, `${prefix}key`);
  validateLength('Param key', MAX_ENTITY_KEY_LENGTH, p.key, `${prefix}key`);
  validateLength('Param value', MAX_PARAM_VALUE_LENGTH, p.value, `${prefix}value`);
}

/** A run tag: legal key of at most 250 characters, value of at most 5000. */
export function validateRunTag(t: Tag, prefix = ''): void {
  validateName('tag', t.key, `${prefix}key`);
  validateLength('Tag key', MAX_ENTITY_KEY_LENGTH, t.key, `${prefix}key`);
  validateLength('Tag value', MAX_TAG_VALUE_LENGTH, t.value, `${prefix}value`);
}

/** An experiment tag: legal key of at most 250 characters, value of at most 5000. */
export function validateExperimentTag(t: Tag, prefix = ''): void {
  validateName('tag', t.key, `${prefix}key`);
  validateLength('Tag key', MAX_ENTITY_KEY_LENGTH, t.key, `${prefix}key`);
  validateLength('Tag value', MAX_EXPERIMENT_TAG_VALUE_LENGTH, t.value, `${prefix}value`);
}

function validateBatchLimit(entity: string, limit: number, length: number): void {
  if (length > limit) {
    throw invalidParam(
      `A batch logging request can contain at most ${limit} ${entity}. Got ${length} ${entity}. ` +
        `Please split up ${entity} across multiple requests and try again.`,
      entity === 'metrics' || entity === 'params' || entity === 'tags' ? entity : undefined,
    );
  }
}

/** Python's repr of a list of strings, as MLflow puts it in messages. */
function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`).join(', ')}]`;
}

/**
 * A whole `log-batch`: the count limits first (as MLflow checks them), then every item, then
 * that no param key appears twice.
 */
export function validateBatch(batch: { metrics: Metric[]; params: Tag[]; tags: Tag[] }): void {
  const { metrics, params, tags } = batch;
  validateBatchLimit('metrics', MAX_METRICS_PER_BATCH, metrics.length);
  validateBatchLimit('params', MAX_PARAMS_PER_BATCH, params.length);
  validateBatchLimit('tags', MAX_TAGS_PER_BATCH, tags.length);
  validateBatchLimit('metrics, params, and tags', MAX_ENTITIES_PER_BATCH, metrics.length + params.length + tags.length);
  // A batch repeats a few keys many times (one per step); check each key's name once.
  const checkedKeys = new Set<string>();
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i]!;
    if (checkedKeys.has(m.key)) validatePoint(m, `metrics.${i}.`);
    else {
      validateMetric(m, `metrics.${i}.`);
      checkedKeys.add(m.key);
    }
  }
  for (let i = 0; i < params.length; i++) validateParam(params[i]!, `params.${i}.`);
  for (let i = 0; i < tags.length; i++) validateRunTag(tags[i]!, `tags.${i}.`);
  if (params.length > 1) {
    const seen = new Set<string>();
    const dupes: string[] = [];
    for (const p of params) {
      if (seen.has(p.key)) dupes.push(p.key);
      else seen.add(p.key);
    }
    if (dupes.length > 0) {
      throw invalidParam(
        `Duplicate parameter keys have been submitted: ${pyList(dupes)}. Please ensure the request contains only ` +
          'one param value per param key.',
        'params',
      );
    }
  }
}

/** Dataset inputs of `runs/log-inputs`: MLflow's size limits on each dataset and input tag. */
export function validateDatasetInputs(inputs: DatasetInput[]): void {
  inputs.forEach((input, i) => {
    const d = input.dataset;
    const f = `datasets.${i}.dataset`;
    if (d.name.length > MAX_DATASET_NAME_LENGTH) {
      throw invalidParam(`Dataset name exceeds the maximum length of ${MAX_DATASET_NAME_LENGTH}`, `${f}.name`);
    }
    if (d.digest.length > MAX_DATASET_DIGEST_LENGTH) {
      throw invalidParam(`Dataset digest exceeds the maximum length of ${MAX_DATASET_DIGEST_LENGTH}`, `${f}.digest`);
    }
    if (d.source.length > MAX_DATASET_SOURCE_LENGTH) {
      throw invalidParam(`Dataset source exceeds the maximum size of ${MAX_DATASET_SOURCE_LENGTH}`, `${f}.source`);
    }
    if (d.schema != null && d.schema.length > MAX_DATASET_SCHEMA_LENGTH) {
      throw invalidParam(`Dataset schema exceeds the maximum size of ${MAX_DATASET_SCHEMA_LENGTH}`, `${f}.schema`);
    }
    if (d.profile != null && d.profile.length > MAX_DATASET_PROFILE_LENGTH) {
      throw invalidParam(`Dataset profile exceeds the maximum size of ${MAX_DATASET_PROFILE_LENGTH}`, `${f}.profile`);
    }
    input.tags.forEach((t, j) => {
      if (t.key.length > MAX_INPUT_TAG_KEY_LENGTH) {
        throw invalidParam(`InputTag key exceeds the maximum length of ${MAX_INPUT_TAG_KEY_LENGTH}`, `datasets.${i}.tags.${j}.key`);
      }
      if (t.value.length > MAX_INPUT_TAG_VALUE_LENGTH) {
        throw invalidParam(`InputTag value exceeds the maximum length of ${MAX_INPUT_TAG_VALUE_LENGTH}`, `datasets.${i}.tags.${j}.value`);
      }
    });
  });
}
