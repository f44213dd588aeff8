import { invalidParam } from '../core/errors.js';
import type { Tag } from '../store/types.js';

/** Longest registered-model or model-version tag key, in characters. */
export const MAX_REGISTRY_TAG_KEY_LENGTH = 250;
/** Longest registered-model or model-version tag value, in characters. */
export const MAX_REGISTRY_TAG_VALUE_LENGTH = 5000;

// MLflow's `^[/\w.\- ]*$` with Python's Unicode-aware `\w`.
const TAG_KEY_CHARS = /^[/\p{L}\p{N}_. -]*$/u;

/** Python's `posixpath.normpath`, which MLflow uses to reject keys that would alias as paths. */
function normpath(p: string): string {
  if (p === '') return '.';
  const leading = p.startsWith('//') && !p.startsWith('///') ? 2 : p.startsWith('/') ? 1 : 0;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..' || (leading === 0 && out.length === 0) || out.at(-1) === '..') out.push(part);
    else if (out.length > 0) out.pop();
  }
  return '/'.repeat(leading) + out.join('/') || '.';
}

/** Length in code points, as Python's `len` counts. */
const charLength = (s: string): number => [...s].length;

/**
 * Check a tag key the way MLflow checks tracking and registry tag names: only letters, digits,
 * `_ - . /` and space, and no spelling that a file system would read as another name (`a//b`,
 * `./a`, `a/`, `..`, a leading `/`). Keys may be stored as file names by some backends, so two
 * keys must never resolve to one file.
 */
export function validateTagKey(key: string, field = 'key'): void {
  if (!TAG_KEY_CHARS.test(key)) {
    throw invalidParam(
      `Invalid tag name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`,
      field,
    );
  }
  const norm = normpath(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw invalidParam(
      `Invalid tag name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
      field,
    );
  }
}

function checkLength(what: string, limit: number, value: string, field: string): void {
  const length = charLength(value);
  if (length > limit) {
    throw invalidParam(`${what} '${[...value].slice(0, 250).join('')}' had length ${length}, which exceeded length limit of ${limit}`, field);
  }
}

/**
 * Check a registered-model (`entity: 'Registered model'`) or model-version
 * (`entity: 'Model version'`) tag: a valid key of at most 250 characters and a value of at most
 * 5000. Throws INVALID_PARAMETER_VALUE naming `field` (e.g. `key`, `tags`).
 */
export function validateRegistryTag(entity: 'Registered model' | 'Model version', tag: Tag, field?: { key: string; value: string }): void {
  validateTagKey(tag.key, field?.key ?? 'key');
  checkLength(`${entity} key`, MAX_REGISTRY_TAG_KEY_LENGTH, tag.key, field?.key ?? 'key');
  checkLength(`${entity} value`, MAX_REGISTRY_TAG_VALUE_LENGTH, tag.value, field?.value ?? 'value');
}

/** Keep the last value given for each key, in first-seen key order, as MLflow does for create calls. */
export function dedupeTags(tags: readonly Tag[]): Tag[] {
  const byKey = new Map<string, string>();
  for (const t of tags) byKey.set(t.key, t.value);
  return [...byKey].map(([key, value]) => ({ key, value }));
}
