import { invalidParam } from '../core/errors.js';
import type { Stage } from '../store/types.js';
import { isStage, parseStage } from './stages.js';

/**
 * Model URIs as MLflow clients write them, parsed into one discriminated union. Pure: no I/O,
 * so the server, the SDK and the CLI share it; resolving a URI to files is the caller's job.
 *
 * | URI                              | kind           |
 * |----------------------------------|----------------|
 * | `models:/<name>/<version>`       | `version`      |
 * | `models:/<name>/<Stage>`         | `stage`        |
 * | `models:/<name>/latest`          | `latest`       |
 * | `models:/<name>@<alias>`         | `alias`        |
 * | `models:/m-<id>`                 | `logged-model` |
 * | `runs:/<run_id>[/<path>]`        | `run`          |
 */
export type ModelUri =
  | { kind: 'version'; name: string; version: number }
  | { kind: 'stage'; name: string; stage: Stage }
  | { kind: 'latest'; name: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'logged-model'; modelId: string }
  | { kind: 'run'; runId: string; path: string };

const SHAPES =
  "Model URIs must be of the form 'models:/<name>/<version|stage|latest>', 'models:/<name>@<alias>', " +
  "'models:/m-<model_id>' or 'runs:/<run_id>/<path>'.";

function improper(uri: string, why: string, field: string): never {
  throw invalidParam(`Not a proper model URI: '${uri}'. ${why} ${SHAPES}`, field);
}

/** The scheme of a URI, lower-cased, or null when it has none. */
function schemeOf(uri: string): string | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  return m === null ? null : m[1]!.toLowerCase();
}

/** True for `models:` and `runs:` URIs, which `parseModelUri` understands. */
export function isModelUri(uri: string): boolean {
  const scheme = schemeOf(uri);
  return scheme === 'models' || scheme === 'runs';
}

/**
 * Parse a model URI. Malformed input throws INVALID_PARAMETER_VALUE naming `field`.
 *
 * Follows MLflow's reading where URIs are ambiguous: the part after the last `@` is an alias
 * (so `models:/m-x@prod` is an alias of a model named `m-x`), a bare `m-…` is a LoggedModel id,
 * and a suffix of digits is a version. An unknown stage is rejected here with the stage error,
 * rather than later by the server. URIs with an authority (`models://profile/...`, Databricks'
 * profile form) are not accepted: a Hangar server is addressed by its tracking URI.
 */
export function parseModelUri(uri: string, field = 'uri'): ModelUri {
  const scheme = schemeOf(uri);
  if (scheme !== 'models' && scheme !== 'runs') improper(uri, 'The scheme must be models or runs.', field);
  const rest = uri.slice(scheme.length + 1);
  if (!rest.startsWith('/') || rest.length <= 1) improper(uri, 'The path must start with a single /.', field);
  if (rest.startsWith('//')) improper(uri, 'An authority (//host) is not supported.', field);
  const path = rest.slice(1);

  if (scheme === 'runs') {
    const slash = path.indexOf('/');
    const runId = slash === -1 ? path : path.slice(0, slash);
    if (runId.trim() === '') improper(uri, 'The run id is empty.', field);
    return { kind: 'run', runId, path: slash === -1 ? '' : path.slice(slash + 1) };
  }

  const slash = path.indexOf('/');
  if (slash !== -1) {
    const name = path.slice(0, slash);
    const suffix = path.slice(slash + 1);
    if (name.trim() === '') improper(uri, 'The model name is empty.', field);
    if (suffix.trim() === '') improper(uri, 'The version, stage or latest after the name is empty.', field);
    if (/^\d+$/.test(suffix)) {
      const version = Number(suffix);
      if (!Number.isSafeInteger(version)) improper(uri, `Version ${suffix} is too large.`, field);
      return { kind: 'version', name, version };
    }
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name };
    if (isStage(suffix)) return { kind: 'stage', name, stage: parseStage(suffix, field) };
    improper(uri, `'${suffix}' is not a version number, a stage (None, Staging, Production, Archived) or 'latest'.`, field);
  }

  const at = path.lastIndexOf('@');
  if (at !== -1) {
    const name = path.slice(0, at);
    const alias = path.slice(at + 1);
    if (name.trim() === '') improper(uri, 'The model name is empty.', field);
    if (alias.trim() === '') improper(uri, 'The alias after @ is empty.', field);
    return { kind: 'alias', name, alias };
  }
  if (path.startsWith('m-') && path.length > 2) return { kind: 'logged-model', modelId: path };
  return improper(uri, 'A model name needs a version, stage, latest or @alias.', field);
}

/**
 * The URI text of a parsed model URI. `parseModelUri(formatModelUri(u))` gives `u` back when
 * names, ids and aliases contain no `/` (and LoggedModel ids no `@`), which MLflow's URIs cannot
 * express either.
 */
export function formatModelUri(uri: ModelUri): string {
  switch (uri.kind) {
    case 'version':
      return `models:/${uri.name}/${uri.version}`;
    case 'stage':
      return `models:/${uri.name}/${uri.stage}`;
    case 'latest':
      return `models:/${uri.name}/latest`;
    case 'alias':
      return `models:/${uri.name}@${uri.alias}`;
    case 'logged-model':
      return `models:/${uri.modelId}`;
    case 'run':
      return uri.path === '' ? `runs:/${uri.runId}` : `runs:/${uri.runId}/${uri.path}`;
  }
}
