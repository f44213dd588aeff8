import { HangarError } from '../core/errors.js';

/**
 * Path rules shared by every artifact store adapter, so that local disk and S3 accept and
 * refuse exactly the same paths. A store path is relative to the store's root, uses `/`
 * separators and names nothing outside the root.
 */

/**
 * Segments starting with this prefix belong to the stores themselves (temp files of atomic
 * writes, staged multipart parts); callers may not name them and listings never show them.
 */
export const RESERVED_PREFIX = '.hangar-';

/** S3's key limit; local disk accepts the same, so both adapters fail alike. */
export const MAX_PATH_BYTES = 1024;
/** Most filesystems' limit on one name. */
export const MAX_SEGMENT_BYTES = 255;

function reject(path: string, reason: string, field: string): never {
  const shown = path.length > 200 ? `${path.slice(0, 200)}...` : path;
  throw new HangarError('INVALID_PARAMETER_VALUE', `Invalid artifact path '${shown}': ${reason}.`, { field });
}

/**
 * Check a store path and return it unchanged. `''` (the root) passes only with `allowRoot`.
 * Throws INVALID_PARAMETER_VALUE naming the path for absolute paths, `.` and `..` segments,
 * backslashes, NUL, empty segments (leading, trailing or doubled `/`), reserved names and
 * paths over the length limits.
 */
export function checkArtifactPath(path: unknown, options: { allowRoot?: boolean; field?: string } = {}): string {
  const field = options.field ?? 'path';
  if (typeof path !== 'string') {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Invalid artifact path: expected a string, got ${typeof path}.`, { field });
  }
  if (path === '') {
    if (options.allowRoot === true) return path;
    reject(path, 'the path is empty', field);
  }
  if (path.includes('\0')) reject(path, 'it contains a NUL character', field);
  if (path.includes('\\')) reject(path, 'it contains a backslash', field);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) reject(path, 'it is absolute', field);
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) reject(path, `it is longer than ${MAX_PATH_BYTES} bytes`, field);
  for (const segment of path.split('/')) {
    if (segment === '') reject(path, 'it has an empty segment', field);
    if (segment === '..') reject(path, "it has a '..' segment", field);
    if (segment === '.') reject(path, "it has a '.' segment", field);
    if (segment.startsWith(RESERVED_PREFIX)) reject(path, `names starting with '${RESERVED_PREFIX}' are reserved`, field);
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) reject(path, `a name is longer than ${MAX_SEGMENT_BYTES} bytes`, field);
  }
  return path;
}

/** Join a directory path and a relative path; either may be the root `''`. */
export function joinArtifactPath(dir: string, rel: string): string {
  if (dir === '') return rel;
  if (rel === '') return dir;
  return `${dir}/${rel}`;
}

/** The last segment of a path. */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/**
 * Compare two names by their UTF-8 bytes, the order S3 lists keys in (JavaScript's `<`
 * compares UTF-16 code units, which differs for characters above U+FFFF).
 */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
