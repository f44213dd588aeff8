/**
 * Validation at the edge, shared by the tracking server's routes and Hangar's own servers: the
 * first problem a zod schema finds becomes INVALID_PARAMETER_VALUE with a message that names the
 * field and the rule, in MLflow's words where MLflow has them.
 */
import type { z } from 'zod';
import { HangarError } from './errors.js';

/** Validate `data` against `schema`; INVALID_PARAMETER_VALUE naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const result = schema.safeParse(data ?? {});
  if (result.success) return result.data;
  throw toHangarError(result.error, data);
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** The first issue of a zod error as INVALID_PARAMETER_VALUE naming its field. */
export function toHangarError(error: z.ZodError, data: unknown): HangarError {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(body)';
  const value = valueAt(data, issue.path);
  if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) {
    return new HangarError(
      'INVALID_PARAMETER_VALUE',
      `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`,
      { field },
    );
  }
  const shown = JSON.stringify(value);
  const shownValue = shown === undefined ? String(value) : shown.length > 100 ? `${shown.slice(0, 100)}...` : shown;
  return new HangarError('INVALID_PARAMETER_VALUE', `Invalid value ${shownValue} for parameter '${field}' supplied: ${issue.message}`, { field });
}
