import { invalidParam } from '../core/errors.js';

/** Longest alias name, in characters (code points). */
export const MAX_ALIAS_LENGTH = 255;

// MLflow checks aliases with Python's `^[\w\-]*$`, whose `\w` is Unicode-aware (letters and digits
// of any script plus `_`); JavaScript's `\w` is ASCII-only, so spell the classes out.
const ALIAS_CHARS = /^[\p{L}\p{N}_-]+$/u;
// `v1`, `V12`: reserved so that an alias can never be mistaken for a version reference.
const VERSION_LIKE = /^[vV]\p{Nd}+$/u;

/**
 * Check a registered-model alias name: non-empty, letters, digits, `_` and `-` only, at most
 * 255 characters, not `latest` in any case (it already means "highest version") and not
 * `v<digits>`. Throws INVALID_PARAMETER_VALUE with MLflow's message.
 */
export function validateAliasName(alias: string, field = 'alias'): void {
  if (alias === '') {
    throw invalidParam('Registered model alias name cannot be empty.', field);
  }
  if (!ALIAS_CHARS.test(alias)) {
    throw invalidParam(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`, field);
  }
  const length = [...alias].length;
  if (length > MAX_ALIAS_LENGTH) {
    throw invalidParam(
      `Registered model alias name '${[...alias].slice(0, 250).join('')}' had length ${length}, which exceeded length limit of ${MAX_ALIAS_LENGTH}`,
      field,
    );
  }
  if (alias.toLowerCase() === 'latest') {
    throw invalidParam("'latest' alias name (case insensitive) is reserved.", field);
  }
  if (VERSION_LIKE.test(alias)) {
    throw invalidParam(`Version alias name '${alias}' is reserved.`, field);
  }
}
