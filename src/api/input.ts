import { z } from 'zod';
import { HangarError } from '../core/errors.js';

/**
 * Validate request input against a zod schema once, at the edge. The first problem becomes
 * INVALID_PARAMETER_VALUE with a message that names the field and the rule, in MLflow's words
 * where MLflow has them.
 */
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
  return new HangarError(
    'INVALID_PARAMETER_VALUE',
    `Invalid value ${shownValue} for parameter '${field}' supplied: ${issue.message}`,
    { field },
  );
}

// Reusable field schemas. Query strings carry everything as strings, so numeric fields coerce.

/** An integer that may arrive as a JSON number or a numeric string (query strings, int64 as string). */
export const intLike = z.union([z.number().int(), z.string().regex(/^-?\d+$/, 'expected an integer').transform(Number)]);

/** A list that may arrive as a single value (query strings). */
export function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item));
}

export const tagSchema = z.object({ key: z.string(), value: z.string().nullish().transform((v) => v ?? '') });
