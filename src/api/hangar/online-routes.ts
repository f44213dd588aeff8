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
import {
  featureTableNames,
  getFeatureTable,
  incrementalWindow,
  loadFeatureTable,
  materializeFiles,
  materializeFilesIncremental,
  OnlineFeatures,
  openOnlineStore,
  type DataContext,
  type MaterializeResult,
} from '../../data/index.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../input.js';
import { governanceOf, principalOf } from './auth.js';
import { HANGAR_API, hangarRoute } from './routes.js';

/** Feast's `GetOnlineFeaturesRequest` in JSON. */
const lookupSchema = z.object({
  features: z.array(z.string()).optional(),
  feature_service: z.string().min(1).optional(),
  entities: z.record(z.string(), z.array(z.unknown())),
  full_feature_names: z.boolean().optional(),
});

type LookupBody = z.infer<typeof lookupSchema>;

/**
 * The look-up body. A well-formed body (the usual case) is checked by hand, which costs a
 * fraction of the schema's walk over 50 feature names; anything else goes through the schema,
 * so a bad field is named exactly as on every other route.
 */
function lookupInput(data: unknown): LookupBody {
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
    const body = lookupInput(bodyJson(req));
    const service = await online();
    const json = await service.getJson({
      features: body.features,
      featureService: body.feature_service,
      entities: body.entities,
      fullFeatureNames: body.full_feature_names,
    });
    return reply.type('application/json').send(json);
  };
  // `audit: false`: the server's audit hook skips read-only POSTs that say so.
  for (const url of [`${HANGAR_API}/features/online/get`, FEAST_ONLINE_PATH]) ctx.app.route({ method: 'POST', url, config: { audit: false }, handler: lookup });

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

function bodyJson(req: FastifyRequest): unknown {
  const raw = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Malformed JSON in request body: ${(e as Error).message}`, { field: '(body)' });
  }
}
