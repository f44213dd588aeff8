import { HangarError } from '../core/errors.js';
import { STAGES, type ModelUri, type Stage } from './types.js';

// The SDK keeps its own parser rather than importing the registry's: the SDK may import no
// server code, so that it can ship and run on its own.

const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;

function bad(uri: string, why: string): HangarError {
  return new HangarError(
    'INVALID_PARAMETER_VALUE',
    `Not a model URI: '${uri}' (${why}). Expected models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME/latest, models:/NAME@ALIAS, models:/m-<id> or runs:/RUN_ID/PATH.`,
    { field: 'uri' },
  );
}

/** Stage names are case-insensitive on input (`production` is `Production`). */
export function canonicalStage(s: string): Stage | undefined {
  return STAGES.find((st) => st.toLowerCase() === s.toLowerCase());
}

/**
 * Parse a `models:/…` or `runs:/…` URI. Accepts the forms MLflow's clients accept:
 * `models:/NAME/3`, `models:/NAME/Staging` (any case), `models:/NAME/latest`,
 * `models:/NAME@alias`, `models:/m-<32 hex>`, and `runs:/RUN_ID/path/in/run`.
 * Throws INVALID_PARAMETER_VALUE for anything else.
 */
export function parseModelUri(uri: string): ModelUri {
  const m = /^(models|runs):(.*)$/.exec(uri);
  if (m === null) throw bad(uri, 'the scheme must be models: or runs:');
  const [, scheme, rest] = m as unknown as [string, 'models' | 'runs', string];
  // `models:/x` is the usual spelling; `models:///x` (empty authority) is the same thing. A
  // non-empty authority (`models://profile/x`) names a remote registry, which we do not support.
  let path: string;
  if (rest.startsWith('///')) path = rest.slice(3);
  else if (rest.startsWith('//')) throw bad(uri, 'a registry authority such as models://profile/… is not supported');
  else if (rest.startsWith('/')) path = rest.slice(1);
  else throw bad(uri, 'the path must start with /');
  path = path.replace(/\/+$/, '');
  if (path === '') throw bad(uri, 'the path is empty');

  if (scheme === 'runs') {
    const slash = path.indexOf('/');
    const runId = slash < 0 ? path : path.slice(0, slash);
    const sub = slash < 0 ? '' : path.slice(slash + 1);
    if (runId === '') throw bad(uri, 'the run id is empty');
    if (sub.split('/').some((seg) => seg === '..')) throw bad(uri, 'the path may not contain ..');
    return { kind: 'run', runId, path: sub };
  }

  const parts = path.split('/');
  if (parts.length === 1) {
    const only = parts[0]!;
    const at = only.lastIndexOf('@');
    if (at >= 0) {
      const name = only.slice(0, at);
      const alias = only.slice(at + 1);
      if (name === '' || alias === '') throw bad(uri, 'both the model name and the alias are needed');
      return { kind: 'alias', name, alias };
    }
    if (LOGGED_MODEL_ID.test(only)) return { kind: 'logged-model', modelId: only };
    throw bad(uri, 'a version, stage, latest or @alias is missing');
  }
  if (parts.length !== 2) throw bad(uri, 'too many path segments');
  const [name, suffix] = parts as [string, string];
  if (name === '' || suffix === '') throw bad(uri, 'empty name or version');
  if (/^\d+$/.test(suffix)) {
    const version = Number(suffix);
    if (version < 1) throw bad(uri, 'versions start at 1');
    return { kind: 'version', name, version };
  }
  if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name };
  const stage = canonicalStage(suffix);
  if (stage !== undefined) return { kind: 'stage', name, stage };
  throw bad(uri, `'${suffix}' is not a version number, a stage (${STAGES.join(', ')}) or latest`);
}
