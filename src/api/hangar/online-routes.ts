/**
 * Online feature look-up over REST (docs/online-store.md): `POST /api/2.0/hangar/features/online/get`
 * and Feast's path `POST /get-online-features`, same body and columnar answer; and
 * `GET /api/2.0/hangar/features/online/tables`, what the online store holds.
 *
 * The online store opens on the first request that needs it (so a server that never serves
 * features never opens it) and closes with the server. Look-ups read only, so they are not
 * written to the audit trail: one audit row per read would cost more than the read.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HangarError } from '../../core/errors.js';
import { OnlineFeatures, openOnlineStore } from '../../data/index.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../input.js';
import { HANGAR_API, hangarRoute } from './routes.js';

/** Feast's `GetOnlineFeaturesRequest` in JSON. */
const lookupSchema = z.object({
  features: z.array(z.string()).optional(),
  feature_service: z.string().min(1).optional(),
  entities: z.record(z.string(), z.array(z.unknown())),
  full_feature_names: z.boolean().optional(),
});

/** The Feast-compatible path, outside `/api/2.0/hangar`. */
export const FEAST_ONLINE_PATH = '/get-online-features';

export function registerOnlineRoutes(ctx: ApiContext): void {
  let opening: Promise<OnlineFeatures> | undefined;
  const online = (): Promise<OnlineFeatures> => {
    opening ??= openOnlineStore(ctx.config.onlineStore, { home: ctx.config.home, backendStoreUri: ctx.config.backendStoreUri }).then(
      (store) => new OnlineFeatures(store),
      (e: unknown) => {
        // A store that could not open (Redis down) is retried by the next request.
        opening = undefined;
        throw e;
      },
    );
    return opening;
  };
  ctx.app.addHook('onClose', async () => {
    const o = await opening?.catch(() => undefined);
    await o?.store.close();
  });

  const lookup = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const body = parseInput(lookupSchema, bodyJson(req));
    const service = await online();
    const response = await service.get({
      features: body.features,
      featureService: body.feature_service,
      entities: body.entities,
      fullFeatureNames: body.full_feature_names,
    });
    return reply.type('application/json').send(JSON.stringify(response));
  };
  // `audit: false`: the server's audit hook skips read-only POSTs that say so.
  for (const url of [`${HANGAR_API}/features/online/get`, FEAST_ONLINE_PATH]) ctx.app.route({ method: 'POST', url, config: { audit: false }, handler: lookup });

  hangarRoute(ctx, 'GET', '/features/online/tables', async () => {
    const service = await online();
    const tables = await service.store.listTables();
    return {
      store_type: service.store.type,
      tables: tables.map((t) => ({
        name: t.spec.name,
        keys: t.spec.keys.map((k) => ({ name: k.name, type: k.type })),
        features: t.spec.features.map((f) => ({ name: f.name, type: f.type })),
        ttl_ms: t.spec.ttlMs,
        ...(t.materializedEnd === null ? {} : { materialized_end: t.materializedEnd }),
        updated_at: t.updatedAt,
      })),
    };
  });
}

function bodyJson(req: FastifyRequest): unknown {
  const raw = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Malformed JSON in request body: ${(e as Error).message}`, { field: '(body)' });
  }
}
