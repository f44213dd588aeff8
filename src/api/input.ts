import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { HangarError } from '../core/errors.js';

export { parseInput, toHangarError } from '../core/input.js';

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
