/**
 * Versioned datasets over REST, under `/api/2.0/hangar/datasets/…` (docs/datasets.md):
 * create (register a version), get, list, versions/list, versions/get, delete.
 *
 * A client registers a local file by uploading it through the artifact proxy under
 * `datasets/_uploads/` and naming it as `artifact_path`; the upload is removed once the version
 * is registered (or rejected). `path` and `sql` sources are read by the server itself, so with
 * `--auth` only admins may use them.
 */
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { checkArtifactPath } from '../../artifacts/index.js';
import { HangarError, invalidParam } from '../../core/errors.js';
import type { DataContext } from '../../data/index.js';
import {
  deleteDataset,
  getDataset,
  getDatasetVersion,
  listDatasets,
  listDatasetVersions,
  parseExpectations,
  registerDataset,
  type DatasetInfo,
  type DatasetVersion,
  type DatasetSource,
} from '../../data/datasets/index.js';
import type { ApiContext } from '../context.js';
import { intLike, parseInput, tagSchema } from '../input.js';
import { governanceOf, principalOf } from './auth.js';
import { hangarRoute } from './routes.js';

/** Uploads the SDK stages for registration live here; the route removes them afterwards. */
export const DATASET_UPLOADS_PREFIX = 'datasets/_uploads/';

/** A dataset as it goes over the wire. */
export function datasetToWire(d: DatasetInfo): Record<string, unknown> {
  return {
    name: d.name,
    description: d.description,
    tags: Object.entries(d.tags).map(([key, value]) => ({ key, value })),
    latest_version: d.latestVersion,
    created_by: d.createdBy,
    creation_timestamp: d.creationTimestamp,
    last_updated_timestamp: d.lastUpdatedTimestamp,
  };
}

/** A dataset version as it goes over the wire. */
export function datasetVersionToWire(v: DatasetVersion): Record<string, unknown> {
  return {
    name: v.name,
    version: v.version,
    digest: v.digest,
    row_count: v.rowCount,
    schema: v.schema,
    profile: v.profile,
    source_type: v.sourceType,
    source: v.source,
    uri: v.uri,
    artifact_path: v.artifactPath,
    size_bytes: v.sizeBytes,
    expectations: v.expectations,
    created_by: v.createdBy,
    creation_timestamp: v.creationTimestamp,
  };
}

const createInput = z.object({
  name: z.string().min(1),
  path: z.string().min(1).optional(),
  sql: z.string().min(1).optional(),
  artifact_path: z.string().min(1).optional(),
  file_name: z.string().min(1).optional(),
  expectations: z.unknown().optional(),
  description: z.string().nullish(),
  tags: z.array(tagSchema).optional(),
});

const versionNumber = intLike.pipe(z.number().int().min(1));

export function registerDatasetRoutes(ctx: ApiContext): void {
  const data: DataContext = { store: ctx.store, artifacts: ctx.artifacts, cacheDir: join(ctx.config.home, 'cache', 'data') };

  /** With `--auth`, changing the catalogue needs a token; reading files on the server needs an admin. */
  const requireWriter = (req: FastifyRequest, serverFiles: boolean): void => {
    const gov = governanceOf(ctx.store);
    const p = principalOf(req);
    if (serverFiles) gov.requireAdmin(p, 'register datasets from files or SQL on the server');
    else if (gov.auth && !p.authenticated) throw new HangarError('UNAUTHENTICATED', 'Registering or deleting datasets needs an API token.');
  };

  hangarRoute(ctx, 'POST', '/datasets/create', async (req) => {
    const body = parseInput(createInput, req.json);
    const given = (['path', 'sql', 'artifact_path'] as const).filter((k) => body[k] !== undefined);
    if (given.length !== 1) throw invalidParam(`Give exactly one of 'path', 'sql' or 'artifact_path' (got ${given.length === 0 ? 'none' : given.join(', ')}).`, 'path');
    let source: DatasetSource;
    if (body.path !== undefined) source = { path: body.path };
    else if (body.sql !== undefined) source = { sql: body.sql };
    else source = { artifactPath: checkArtifactPath(body.artifact_path, { field: 'artifact_path' }), fileName: body.file_name };
    // An SDK upload (`datasets/_uploads/<id>/<file>`) is removed with its folder once used.
    const staged = 'artifactPath' in source && source.artifactPath.startsWith(DATASET_UPLOADS_PREFIX) ? source.artifactPath.slice(DATASET_UPLOADS_PREFIX.length).split('/') : [];
    const upload = staged.length === 2 ? `${DATASET_UPLOADS_PREFIX}${staged[0]}` : undefined;
    try {
      requireWriter(req, !('artifactPath' in source));
      const expectations = body.expectations === undefined || body.expectations === null ? null : parseExpectations(body.expectations);
      req.audit = { entityType: 'dataset', entityId: body.name };
      const result = await registerDataset(data, {
        name: body.name,
        source,
        expectations,
        description: body.description,
        tags: body.tags === undefined ? undefined : Object.fromEntries(body.tags.map((t) => [t.key, t.value])),
        createdBy: principalOf(req).name,
      });
      req.audit.after = { version: result.version.version, digest: result.version.digest, created: result.created };
      return {
        dataset_version: datasetVersionToWire(result.version),
        created: result.created,
        expectations: result.expectations,
      };
    } finally {
      if (upload !== undefined) await ctx.artifacts.delete(upload).catch(() => undefined);
    }
  });

  hangarRoute(ctx, 'GET', '/datasets/get', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1) }), req.json);
    return { dataset: datasetToWire(await getDataset(data, q.name)) };
  });

  hangarRoute(ctx, 'GET', '/datasets/list', async (req) => {
    const q = parseInput(
      z.object({ max_results: intLike.pipe(z.number().int().min(1).max(1000)).optional(), page_token: z.string().optional(), name_contains: z.string().optional() }),
      req.json,
    );
    const page = await listDatasets(data, { maxResults: q.max_results ?? 100, pageToken: q.page_token, nameContains: q.name_contains });
    return { datasets: page.datasets.map(datasetToWire), ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }) };
  });

  hangarRoute(ctx, 'GET', '/datasets/versions/list', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1) }), req.json);
    return { dataset_versions: (await listDatasetVersions(data, q.name)).map(datasetVersionToWire) };
  });

  hangarRoute(ctx, 'GET', '/datasets/versions/get', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1), version: versionNumber.optional(), digest: z.string().min(1).optional() }), req.json);
    return { dataset_version: datasetVersionToWire(await getDatasetVersion(data, q.name, { version: q.version, digest: q.digest })) };
  });

  hangarRoute(ctx, 'DELETE', '/datasets/delete', async (req) => {
    const body = parseInput(z.object({ name: z.string().min(1), version: versionNumber.optional() }), req.json);
    requireWriter(req, false);
    req.audit = { entityType: 'dataset', entityId: body.version === undefined ? body.name : `${body.name}@${body.version}` };
    const deleted = await deleteDataset(data, body.name, body.version);
    req.audit.after = { deleted_versions: deleted.map((v) => v.version) };
    return { deleted_versions: deleted.map((v) => v.version) };
  });
}
