import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  artifactUriToStorePath,
  baseName,
  checkArtifactPath,
  guessContentType,
  joinArtifactPath,
  MAX_PART_NUMBER,
  type ArtifactEntry,
  type MultipartUploads,
} from '../../artifacts/index.js';
import { HangarError, invalidParam } from '../../core/errors.js';
import type { ApiContext } from '../context.js';
import { intLike, parseInput, readJsonBody } from '../input.js';
import { indexedError, isIndexed, requirePathWriter, requireSameContent } from './artifact-guard.js';

/**
 * MLflow's artifact proxy (`mlflow-artifacts`): upload, list, download and delete files in the
 * server's artifact store, plus multipart uploads whose part URLs point back at this server, so
 * they work on every adapter without presigned URLs. Also `GET mlflow/artifacts/list`, which
 * lists a run's artifacts by run id.
 */

const PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'] as const;

/** MLflow clients fall back to a single PUT only when the message starts with exactly this. */
const MPU_UNSUPPORTED = 'Multipart upload is not supported for the current artifact repository';

interface WireFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

function toWire(e: ArtifactEntry, dir: string): WireFile {
  const f: WireFile = { path: joinArtifactPath(dir, e.path), is_dir: e.isDir };
  if (!e.isDir && e.fileSize !== undefined) f.file_size = e.fileSize;
  return f;
}

/** The path after the route's prefix, already percent-decoded by the router. */
function wildcard(req: FastifyRequest): string {
  return (req.params as { '*'?: string })['*'] ?? '';
}

/** The prefix (`/api/2.0/mlflow-artifacts` or the ajax one) the request came in on. */
function prefixOf(req: FastifyRequest): string {
  return req.url.startsWith('/ajax-api/') ? PREFIXES[1] : PREFIXES[0];
}

/** A directory path from a query or URL: a trailing `/` is tolerated, everything else must pass the path rules. */
function dirPath(raw: string, field: string): string {
  return checkArtifactPath(raw.replace(/\/+$/, ''), { allowRoot: true, field });
}


const partNumber = intLike.pipe(z.number().int().min(1).max(MAX_PART_NUMBER));

const createSchema = z.object({
  path: z.string().min(1),
  num_parts: intLike.pipe(z.number().int().min(1).max(MAX_PART_NUMBER)),
});
const completeSchema = z.object({
  path: z.string().min(1),
  upload_id: z.string().min(1),
  parts: z.array(z.object({ part_number: partNumber, etag: z.string(), url: z.string().nullish() })),
});
const abortSchema = z.object({ path: z.string().min(1), upload_id: z.string().min(1) });
const partQuery = z.object({ upload_id: z.string().min(1), part_number: partNumber });

/**
 * Where a multipart upload writes: MLflow's client puts the destination directory in the URL
 * and its local file path in `path`; the file keeps its base name (either separator, since the
 * client may run on Windows).
 */
function uploadTarget(req: FastifyRequest, localPath: string): string {
  const dir = dirPath(wildcard(req), 'path');
  const name = localPath.slice(Math.max(localPath.lastIndexOf('/'), localPath.lastIndexOf('\\')) + 1);
  return joinArtifactPath(dir, checkArtifactPath(name, { field: 'path' }));
}

function multipartOf(ctx: ApiContext): MultipartUploads {
  const mpu = ctx.artifacts.multipart;
  if (mpu === undefined) throw new HangarError('NOT_IMPLEMENTED', MPU_UNSUPPORTED);
  return mpu;
}

function sendJson(reply: FastifyReply, body: object): FastifyReply {
  return reply.type('application/json').send(body);
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987). */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function registerArtifactRoutes(ctx: ApiContext): void {
  const { app } = ctx;

  for (const prefix of PREFIXES) {
    app.route({
      method: 'GET',
      url: `${prefix}/artifacts`,
      handler: async (req, reply) => {
        const q = parseInput(z.object({ path: z.string().optional() }), req.query);
        const dir = dirPath(q.path ?? '', 'path');
        const entries = await ctx.artifacts.list(dir);
        // A file, an empty directory and a missing path all answer `{}`: MLflow's client takes
        // an empty listing to mean "a file" and downloads it next.
        return sendJson(reply, entries === null || entries.length === 0 ? {} : { files: entries.map((e) => toWire(e, '')) });
      },
    });

    app.route({
      method: 'GET',
      url: `${prefix}/artifacts/*`,
      handler: async (req, reply) => {
        const path = checkArtifactPath(wildcard(req));
        // A missing file is 404, never 5xx: MLflow clients retry 5xx for minutes.
        const stream = await ctx.artifacts.get(path);
        return reply
          .header('content-type', guessContentType(path))
          .header('x-content-type-options', 'nosniff')
          .header('content-disposition', contentDisposition(baseName(path)))
          .send(stream);
      },
    });

    for (const url of [`${prefix}/artifacts`, `${prefix}/artifacts/*`]) {
      app.route({
        method: 'DELETE',
        url,
        handler: async (req, reply) => {
          const path = dirPath(wildcard(req), 'path');
          req.audit = { entityType: 'artifact', entityId: path };
          await requirePathWriter(ctx, req, path, 'delete');
          await ctx.artifacts.delete(path);
          return sendJson(reply, {});
        },
      });
    }

    // Multipart: the URL names the destination directory, possibly the root.
    for (const tail of ['', '/*']) {
      app.route({
        method: 'POST',
        url: `${prefix}/mpu/create${tail}`,
        handler: async (req, reply) => {
          const body = parseInput(createSchema, readJsonBody(req));
          const target = uploadTarget(req, body.path);
          req.audit = { entityType: 'artifact', entityId: target };
          await requirePathWriter(ctx, req, target, 'put');
          // Parts cannot be compared before they are all there: an indexed file takes no multipart upload at all.
          if (await isIndexed(ctx, target)) throw indexedError(target);
          const uploadId = await multipartOf(ctx).create(target);
          // Part URLs lead back here, on the host and scheme the client used to reach us.
          const base = `${req.protocol}://${req.host}${prefixOf(req)}/mpu/part/${target.split('/').map(encodeURIComponent).join('/')}`;
          const credentials = Array.from({ length: body.num_parts }, (_, i) => ({
            url: `${base}?upload_id=${encodeURIComponent(uploadId)}&part_number=${i + 1}`,
            part_number: i + 1,
          }));
          return sendJson(reply, { upload_id: uploadId, credentials });
        },
      });
      app.route({
        method: 'POST',
        url: `${prefix}/mpu/complete${tail}`,
        handler: async (req, reply) => {
          const body = parseInput(completeSchema, readJsonBody(req));
          const target = uploadTarget(req, body.path);
          req.audit = { entityType: 'artifact', entityId: target };
          await requirePathWriter(ctx, req, target, 'put');
          // The file may have been indexed since the upload was created.
          if (await isIndexed(ctx, target)) throw indexedError(target);
          await multipartOf(ctx).complete(
            target,
            body.upload_id,
            body.parts.map((p) => ({ partNumber: p.part_number, etag: p.etag })),
          );
          return sendJson(reply, {});
        },
      });
      app.route({
        method: 'POST',
        url: `${prefix}/mpu/abort${tail}`,
        handler: async (req, reply) => {
          const body = parseInput(abortSchema, readJsonBody(req));
          const target = uploadTarget(req, body.path);
          req.audit = { entityType: 'artifact', entityId: target };
          await requirePathWriter(ctx, req, target, 'put');
          await multipartOf(ctx).abort(target, body.upload_id);
          return sendJson(reply, {});
        },
      });
    }
  }

  // Uploads stream straight into the store: in this scope the body parser hands over the
  // request stream instead of buffering it, so the size of an artifact is not bounded by
  // memory or by the JSON body limit.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    for (const prefix of PREFIXES) {
      scope.route({
        method: 'PUT',
        url: `${prefix}/artifacts/*`,
        handler: async (req, reply) => {
          const path = checkArtifactPath(wildcard(req));
          req.audit = { entityType: 'artifact', entityId: path };
          await requirePathWriter(ctx, req, path, 'put');
          // No body at all (an empty file) skips the parser.
          const body = (req.body as Readable | undefined) ?? Buffer.alloc(0);
          if (await isIndexed(ctx, path)) {
            // A writer retrying an upload whose answer was lost sends the same bytes: nothing to do.
            await requireSameContent(ctx, path, body);
            return sendJson(reply, {});
          }
          await ctx.artifacts.put(path, body);
          return sendJson(reply, {});
        },
      });

      scope.route({
        method: 'PUT',
        url: `${prefix}/mpu/part/*`,
        handler: async (req, reply) => {
          const path = checkArtifactPath(wildcard(req));
          const q = parseInput(partQuery, req.query);
          req.audit = { entityType: 'artifact', entityId: path };
          await requirePathWriter(ctx, req, path, 'put');
          const etag = await multipartOf(ctx).uploadPart(path, q.upload_id, q.part_number, (req.body as Readable | undefined) ?? Buffer.alloc(0));
          // MLflow's client reads the ETag header and hands it back on completion.
          return sendJson(reply.header('etag', etag), {});
        },
      });
    }
  });

  ctx.mlflow('GET', '/artifacts/list', async (req) => {
    const q = parseInput(
      z.object({ run_id: z.string().optional(), run_uuid: z.string().optional(), path: z.string().optional(), page_token: z.string().optional() }),
      req.json,
    );
    const runId = q.run_id ?? q.run_uuid;
    if (runId === undefined || runId === '') {
      throw invalidParam("Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.", 'run_id');
    }
    const rel = dirPath((q.path ?? '').replace(/^\/+/, ''), 'path');
    const run = await ctx.store.getRun(runId);
    const rootUri = run.info.artifactUri;
    const root = artifactUriToStorePath(rootUri, ctx.artifacts.rootUri);
    if (root === null) {
      throw new HangarError('NOT_IMPLEMENTED', `The artifacts of run '${runId}' are at ${rootUri}, outside this server's artifact store.`);
    }
    const entries = await ctx.artifacts.list(joinArtifactPath(root, rel));
    // Entry paths are relative to the run's artifact root, as MLflow's tracking API has them.
    const out: { root_uri: string; files?: WireFile[] } = { root_uri: rootUri };
    if (entries !== null && entries.length > 0) out.files = entries.map((e) => toWire(e, rel));
    return out;
  });
}
