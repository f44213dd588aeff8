/**
 * The body of an online look-up request (Feast's `GetOnlineFeaturesRequest` in JSON), shared by
 * the tracking server's routes (`src/api/hangar/online-routes.ts`) and the feature server
 * (`feature-server.ts`), so both accept and refuse the same bodies with the same errors.
 */
import { z } from 'zod';
import { HangarError } from '../../core/errors.js';
import { parseInput } from '../../core/input.js';
import type { OnlineFeaturesRequest } from './lookup.js';

/** Feast's `GetOnlineFeaturesRequest` in JSON. */
export const lookupSchema = z.object({
  features: z.array(z.string()).optional(),
  feature_service: z.string().min(1).optional(),
  entities: z.record(z.string(), z.array(z.unknown())),
  full_feature_names: z.boolean().optional(),
});

/** A validated look-up body. */
export type LookupBody = z.infer<typeof lookupSchema>;

/**
 * Validate a parsed look-up body. A well-formed body (the usual case) is checked by hand, which
 * costs a fraction of the schema's walk over 50 feature names; anything else goes through the
 * schema, so a bad field is named as on every other route. INVALID_PARAMETER_VALUE naming the
 * field.
 */
export function lookupInput(data: unknown): LookupBody {
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const b = data as Record<string, unknown>;
    let ok = true;
    for (const k in b) {
      if (k !== 'features' && k !== 'feature_service' && k !== 'entities' && k !== 'full_feature_names') ok = false;
    }
    const { features, feature_service: service, entities, full_feature_names: full } = b;
    if (features !== undefined) {
      if (!Array.isArray(features)) ok = false;
      else for (const f of features) if (typeof f !== 'string') ok = false;
    }
    if (service !== undefined && (typeof service !== 'string' || service === '')) ok = false;
    if (full !== undefined && typeof full !== 'boolean') ok = false;
    if (entities === null || typeof entities !== 'object' || Array.isArray(entities)) ok = false;
    else for (const k in entities) if (!Array.isArray((entities as Record<string, unknown>)[k])) ok = false;
    if (ok) return b as LookupBody;
  }
  return parseInput(lookupSchema, data);
}

/**
 * Parse and validate the raw request body: an empty body is `{}` (and then fails naming
 * `entities`), malformed JSON fails naming `(body)`.
 */
export function parseLookupBody(raw: Buffer | undefined): LookupBody {
  if (raw === undefined || raw.length === 0) return lookupInput({});
  let data: unknown;
  try {
    data = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Malformed JSON in request body: ${(e as Error).message}`, { field: '(body)' });
  }
  return lookupInput(data);
}

/** The look-up request a validated body asks for. */
export function lookupRequest(body: LookupBody): OnlineFeaturesRequest {
  return { features: body.features, featureService: body.feature_service, entities: body.entities, fullFeatureNames: body.full_feature_names };
}
