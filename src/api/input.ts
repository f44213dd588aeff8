import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
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

/**
 * MLflow's body rules: a POST needs `Content-Type: application/json` (parameters such as
 * charset are ignored); PATCH and DELETE bodies are read as JSON when present. GET input is
 * the query string.
 */
export function readJsonBody(req: FastifyRequest): unknown {
  if (req.method === 'GET') return req.query ?? {};
  const raw = req.body as Buffer | undefined;
  const contentType = req.headers['content-type'];
  if (req.method === 'POST') {
    if (contentType === undefined) {
      throw new HangarError('INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing.');
    }
    const mime = contentType.split(';')[0]!.trim().toLowerCase();
    if (mime !== 'application/json') {
      throw new HangarError('INVALID_PARAMETER_VALUE', "Bad Request. Content-Type must be one of ['application/json'].");
    }
  }
  if (raw === undefined || raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Malformed JSON in request body: ${(e as Error).message}`, { field: '(body)' });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HangarError('INVALID_PARAMETER_VALUE', 'Request body must be a JSON object.', { field: '(body)' });
  }
  return parsed;
}
