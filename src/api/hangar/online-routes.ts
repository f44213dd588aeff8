/**
 * Online feature look-up over REST (docs/online-store.md): `POST /api/2.0/hangar/features/online/get`
 * and Feast's path `POST /get-online-features`, same body and columnar answer; and
 * `GET /api/2.0/hangar/features/online/tables`, what the online store holds. A look-up may
 * name a `feature_service` registered in the metadata store instead of listing features.
 *
 * The online store opens on the first request that needs it (so a server that never serves
 * features never opens it) and closes with the server. Look-ups read only, so they are not
 * written to the audit trail: one audit row per read would cost more than the read.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HangarError } from '../../core/errors.js';
import {
  featureServiceResolver,
  featureTableNames,
  getFeatureTable,
  incrementalWindow,
  loadFeatureTable,
  materializeFiles,
  materializeFilesIncremental,
  FEAST_ONLINE_PATH,
  HANGAR_ONLINE_GET_PATH,
  lookupRequest,
  OnlineFeatures,
  openOnlineStore,
  parseLookupBody,
  type DataContext,
  type MaterializeResult,
} from '../../data/index.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../input.js';
import { governanceOf, principalOf } from './auth.js';
import { hangarRoute } from './routes.js';

/** A time as epoch milliseconds or an ISO-8601 string. */
const time = z.union([
  z.number().int(),
  z.string().transform((v, c) => {
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) {
      c.addIssue({ code: 'custom', message: 'expected an ISO-8601 time or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  }),
]);

const materializeSchema = z.object({
  /** Window start; absent with `incremental`. */
  start: time.optional(),
  end: time,
  /** Tables to materialise; default every registered feature table. */
  tables: z.array(z.string().min(1)).optional(),
  /** Start each table at its previous end (or end − ttl, or the beginning, the first time). */
  incremental: z.boolean().optional(),
  /** Only say which tables and windows a run would cover. */
  dry_run: z.boolean().optional(),
});

export function registerOnlineRoutes(ctx: ApiContext): void {
  // `feature_service` in a look-up resolves against the services in this server's metadata
  // store, cached for the look-up's metadata TTL (1 s), so a service applied here or by another
  // process shows within a second.
  const resolveFeatureService = featureServiceResolver(() => ctx.store);
  let opening: Promise<OnlineFeatures> | undefined;
  const online = (): Promise<OnlineFeatures> => {
    opening ??= openOnlineStore(ctx.config.onlineStore, { home: ctx.config.home, backendStoreUri: ctx.config.backendStoreUri }).then(
      (store) => new OnlineFeatures(store, { resolveFeatureService }),
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
    // The same body rules as the feature server's (src/data/online/lookup-input.ts).
    const request = lookupRequest(parseLookupBody(Buffer.isBuffer(req.body) ? req.body : undefined));
    const service = await online();
    const json = await service.getJson(request);
    return reply.type('application/json').send(json);
  };
  // `audit: false`: the server's audit hook skips read-only POSTs that say so.
  for (const url of [HANGAR_ONLINE_GET_PATH, FEAST_ONLINE_PATH]) ctx.app.route({ method: 'POST', url, config: { audit: false }, handler: lookup });

  // Materialisation runs on the server, so it uses the server's online-store configuration.
  hangarRoute(ctx, 'POST', '/features/online/materialize', async (req) => {
    const body = parseInput(materializeSchema, req.json);
    if (body.incremental !== true && body.start === undefined) throw new HangarError('INVALID_PARAMETER_VALUE', "Missing value for required parameter 'start' (or set incremental).", { field: 'start' });
    if (body.incremental === true && body.start !== undefined) throw new HangarError('INVALID_PARAMETER_VALUE', "An incremental materialisation starts at each table's previous end; leave out 'start'.", { field: 'start' });
    if (body.dry_run !== true) governanceOf(ctx.store).requireWriter(principalOf(req), 'materialize feature tables');
    const data: DataContext = { store: ctx.store, artifacts: ctx.artifacts };
    const names = body.tables ?? (await featureTableNames(data));
    const service = await online();
    if (body.dry_run !== true) req.audit = { entityType: 'feature_table', entityId: names.join(',') };
    const results: MaterializeResult[] = [];
    for (const [i, name] of names.entries()) {
      if (body.dry_run === true) {
        const { spec } = await getFeatureTable(data, name).catch((e: unknown) => rethrowAt(e, `tables[${i}]`));
        const window = body.incremental === true ? await incrementalWindow(service.store, spec, body.end) : { start: body.start!, end: body.end };
        results.push({ table: name, start: window === undefined ? body.end : window.start, end: body.end, rows: 0, stored: 0 });
        continue;
      }
      const { spec, files } = await loadFeatureTable(data, name).catch((e: unknown) => rethrowAt(e, `tables[${i}]`));
      results.push(
        body.incremental === true
          ? await materializeFilesIncremental(service.store, spec, files, body.end)
          : await materializeFiles(service.store, spec, files, { start: body.start!, end: body.end }),
      );
      service.invalidate();
    }
    if (req.audit !== null) req.audit.after = results;
    return { results: results.map((r) => ({ table: r.table, ...(r.start === null ? {} : { start: r.start }), end: r.end, rows: r.rows, stored: r.stored })) };
  });

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

/** A feature-table error about one of the requested tables names its position in the request. */
function rethrowAt(e: unknown, field: string): never {
  if (e instanceof HangarError && e.code === 'RESOURCE_DOES_NOT_EXIST') throw new HangarError('RESOURCE_DOES_NOT_EXIST', `${e.message} (${field})`, { field });
  throw e;
}
