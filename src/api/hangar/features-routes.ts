/**
 * Feature tables, feature services and training sets over REST, under
 * `/api/2.0/hangar/features/…` (docs/features.md): tables/apply (tables and services),
 * tables/get, tables/list, tables/compute, services/list, services/get, services/delete,
 * training-sets/create, training-sets/get.
 *
 * Applying, computing and building training sets run SQL (and transform modules) on the server
 * over its files, so with `--auth` only admins may call them; reading the catalogue is open.
 */
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalidParam } from '../../core/errors.js';
import {
  applyFeatureDefinitions,
  deleteFeatureService,
  featureServiceToWire,
  getFeatureService,
  listFeatureServices,
  toFeatureServiceSpecs,
  computeFeatureTable,
  createTrainingSet,
  featureStoreOf,
  formatTtl,
  getFeatureTable,
  getTrainingSet,
  listFeatureTables,
  sensitiveFeatureToWire,
  sensitiveFeatures,
  toFeatureTableSpecs,
  trainingSetRequestSchema,
  type DataContext,
  type FeatureTableInfo,
  type FeatureTableVersionRecord,
  type TrainingSet,
} from '../../data/index.js';
import type { ApiContext } from '../context.js';
import { parseInput } from '../input.js';
import { governanceOf, principalOf } from './auth.js';
import { hangarRoute } from './routes.js';

/**
 * A registered feature table as it goes over the wire, with the features its sensitive-data
 * tags mark (`sensitive_features`: `{feature, tag, value, on, reason}`), so clients need no rule of their own.
 */
export function featureTableToWire(t: FeatureTableInfo): Record<string, unknown> {
  return {
    name: t.spec.name,
    spec: t.spec,
    ttl: formatTtl(t.spec.ttlMs),
    description: t.record.description,
    owner: t.record.owner,
    latest_version: t.record.latestVersion,
    last_end: t.record.lastEnd,
    spec_digest: t.record.specDigest,
    sensitive_features: sensitiveFeatures(t.spec).map(sensitiveFeatureToWire),
    creation_timestamp: t.record.creationTimestamp,
    last_updated_timestamp: t.record.lastUpdatedTimestamp,
  };
}

/**
 * Services as they go over the wire, each with the sensitive features among its references
 * (`sensitive_features`, as on tables), from the registered tables' current tags.
 */
async function servicesToWire(data: DataContext, services: Parameters<typeof featureServiceToWire>[0][]): Promise<Array<Record<string, unknown>>> {
  const marks = new Map((await listFeatureTables(data)).flatMap((t) => sensitiveFeatures(t.spec).map((s) => [s.ref, sensitiveFeatureToWire(s)] as const)));
  return services.map((s) => ({ ...featureServiceToWire(s), sensitive_features: s.spec.features.flatMap((ref) => marks.get(ref) ?? []) }));
}

/** A computed version as it goes over the wire. */
export function featureVersionToWire(v: FeatureTableVersionRecord): Record<string, unknown> {
  return {
    name: v.name,
    version: v.version,
    mode: v.mode,
    start: v.startTs,
    end: v.endTs,
    row_count: v.rowCount,
    total_rows: v.totalRows,
    path: v.path,
    files: v.files,
    digest: v.digest,
    schema: v.schema,
    spec_digest: v.specDigest,
    creation_timestamp: v.creationTimestamp,
  };
}

/** A training set as it goes over the wire. */
export function trainingSetToWire(t: TrainingSet): Record<string, unknown> {
  return {
    training_set_id: t.id,
    request: t.spec,
    uri: t.uri,
    path: t.path,
    output: t.output,
    row_count: t.rowCount,
    digest: t.digest,
    schema: t.schema,
    lineage: t.lineage,
    run_id: t.runId,
    creation_timestamp: t.creationTimestamp,
  };
}

/** Epoch ms or an ISO 8601 date/time. */
const instant = z.union([z.number().int(), z.string().min(1)]).transform((v, c) => {
  const ms = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) {
    c.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 date/time' });
    return z.NEVER;
  }
  return ms;
});

export function registerFeatureRoutes(ctx: ApiContext): void {
  const data: DataContext = { store: ctx.store, artifacts: ctx.artifacts, cacheDir: join(ctx.config.home, 'cache', 'data') };
  const requireServerSql = (req: FastifyRequest, what: string): void => governanceOf(ctx.store).requireAdmin(principalOf(req), what);

  hangarRoute(ctx, 'POST', '/features/tables/apply', async (req) => {
    const body = parseInput(z.object({ tables: z.array(z.unknown()).optional(), services: z.array(z.unknown()).optional(), dry_run: z.boolean().optional() }), req.json);
    if ((body.tables?.length ?? 0) + (body.services?.length ?? 0) === 0) throw invalidParam('tables (or services) must list at least one definition', 'tables');
    requireServerSql(req, 'apply feature tables (their SQL runs on the server)');
    const specs = toFeatureTableSpecs(body.tables ?? []);
    const services = toFeatureServiceSpecs(body.services ?? []);
    const dryRun = body.dry_run === true;
    const { tables: results, services: serviceResults } = await applyFeatureDefinitions(data, specs, services, { dryRun });
    if (!dryRun) req.audit = { entityType: 'feature_table', entityId: [...specs, ...services].map((s) => s.name).join(','), after: { results, services: serviceResults } };
    return { results, services: serviceResults, dry_run: dryRun };
  });

  hangarRoute(ctx, 'GET', '/features/services/list', async () => ({ feature_services: await servicesToWire(data, await listFeatureServices(data)) }));

  hangarRoute(ctx, 'GET', '/features/services/get', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1) }), req.json);
    return { feature_service: (await servicesToWire(data, [await getFeatureService(data, q.name)]))[0] };
  });

  hangarRoute(ctx, 'POST', '/features/services/delete', async (req) => {
    const body = parseInput(z.object({ name: z.string().min(1) }), req.json);
    requireServerSql(req, 'delete feature services (they are registered with the tables)');
    req.audit = { entityType: 'feature_service', entityId: body.name };
    await deleteFeatureService(data, body.name);
    return {};
  });

  hangarRoute(ctx, 'GET', '/features/tables/get', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1) }), req.json);
    const table = await getFeatureTable(data, q.name);
    const versions = await featureStoreOf(data).listVersions(q.name);
    return { feature_table: featureTableToWire(table), versions: versions.map(featureVersionToWire) };
  });

  hangarRoute(ctx, 'GET', '/features/tables/list', async () => ({ feature_tables: (await listFeatureTables(data)).map(featureTableToWire) }));

  hangarRoute(ctx, 'POST', '/features/tables/compute', async (req) => {
    const body = parseInput(z.object({ name: z.string().min(1), start: instant.optional(), end: instant.optional(), full: z.boolean().optional() }), req.json);
    requireServerSql(req, 'compute feature tables (their SQL runs on the server)');
    req.audit = { entityType: 'feature_table', entityId: body.name };
    const r = await computeFeatureTable(data, body.name, {
      ...(body.start === undefined ? {} : { start: body.start }),
      ...(body.end === undefined ? {} : { end: body.end }),
      ...(body.full === undefined ? {} : { full: body.full }),
    });
    req.audit.after = featureVersionToWire(r.version);
    return { version: featureVersionToWire(r.version), ...(r.reason === undefined ? {} : { reason: r.reason }) };
  });

  hangarRoute(ctx, 'POST', '/features/training-sets/create', async (req) => {
    const body = parseInput(trainingSetRequestSchema.extend({ run_id: z.string().min(1).optional() }), req.json);
    requireServerSql(req, 'build training sets on the server');
    const { run_id: runId, ...request } = body;
    if (runId !== undefined) await ctx.store.getRun(runId).catch(() => {
      throw invalidParam(`run_id: no run ${runId}`, 'run_id');
    });
    const ts = await createTrainingSet(data, request, runId === undefined ? {} : { runId });
    req.audit = { entityType: 'training_set', entityId: ts.id, after: { lineage: ts.lineage, row_count: ts.rowCount } };
    return { training_set: trainingSetToWire(ts) };
  });

  hangarRoute(ctx, 'GET', '/features/training-sets/get', async (req) => {
    const q = parseInput(z.object({ training_set_id: z.string().min(1) }), req.json);
    return { training_set: trainingSetToWire(await getTrainingSet(data, q.training_set_id)) };
  });
}
