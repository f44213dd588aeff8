/**
 * The inference log on the tracking server (`/api/2.0/hangar/inference/…`): where the log
 * lives, indexing the files a serving process wrote, listing them for monitors, ground-truth
 * labels, and the retention policy. docs/serving.md describes each route.
 */
import { join, relative, resolve, isAbsolute } from 'node:path';
import { z } from 'zod';
import { HangarError } from '../../core/errors.js';
import {
  MAX_LABELS_PER_CALL,
  artifactPublisher,
  checkModelName,
  inferenceLogRoot,
  inferenceLogUri,
  isLocalArtifactStore,
  pruneInferenceLog,
  writeLabels,
} from '../../serving/index.js';
import { checkArtifactPath } from '../../artifacts/index.js';
import { ServingStore } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { intLike, parseInput } from '../input.js';
import { governanceOf, principalOf } from './auth.js';
import { hangarRoute } from './routes.js';

const kind = z.enum(['predictions', 'labels']);
const DAY_MS = 86_400_000;

export function registerInferenceRoutes(ctx: ApiContext): void {
  const gov = () => governanceOf(ctx.store);
  const root = inferenceLogRoot(ctx.config);
  // With a remote artifact root the log lives there: writers upload under this URI and index
  // files by their artifact URI; `root` is then only where the server stages label files.
  const logUri = isLocalArtifactStore(ctx.artifacts) ? null : inferenceLogUri(ctx.artifacts.rootUri);
  const insideRoot = (path: string, model: string): boolean => {
    if (logUri !== null && path.startsWith(`${logUri}/`)) {
      // A remote file must sit in its own model's folder: retention of one model never reaches another's.
      if (!path.startsWith(`${logUri}/${model}/`)) return false;
      try {
        checkArtifactPath(path.slice(logUri.length + 1));
        return true;
      } catch {
        return false;
      }
    }
    if (!isAbsolute(path)) return false;
    const rel = relative(root, resolve(path));
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };

  hangarRoute(ctx, 'GET', '/inference/config', async () => ({ log_root: root, ...(logUri === null ? {} : { log_uri: logUri }) }));

  hangarRoute(ctx, 'POST', '/inference/files/register', async (req) => {
    const body = parseInput(
      z.object({
        files: z
          .array(
            z.object({
              model: z.string().min(1),
              kind,
              day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day YYYY-MM-DD'),
              min_ts: z.number().int(),
              max_ts: z.number().int(),
              rows: z.number().int().min(0),
              path: z.string().min(1),
            }),
          )
          .min(1)
          .max(10_000),
      }),
      req.json,
    );
    for (const [i, f] of body.files.entries()) {
      checkModelName(f.model, `files[${i}].model`);
      // The index decides what retention deletes: only files under the log root may enter it.
      if (!insideRoot(f.path, f.model)) {
        const where = logUri === null ? `an absolute path under the inference log root ${root}` : `an artifact URI under the model's folder of the inference log, ${logUri}/${f.model}/`;
        throw new HangarError('INVALID_PARAMETER_VALUE', `files[${i}].path must be ${where}.`, { field: `files[${i}].path` });
      }
      if (f.max_ts < f.min_ts) throw new HangarError('INVALID_PARAMETER_VALUE', `files[${i}].max_ts is before min_ts.`, { field: `files[${i}].max_ts` });
    }
    for (const model of new Set(body.files.map((f) => f.model))) await gov().require(principalOf(req), model, 'CAN_EDIT', 'write an inference log');
    req.audit = { entityType: 'inference_log', entityId: body.files[0]!.model };
    const files = await ServingStore.for(ctx.store).addFiles(
      body.files.map((f) => ({ modelName: f.model, kind: f.kind, day: f.day, minTs: f.min_ts, maxTs: f.max_ts, rows: f.rows, path: isAbsolute(f.path) ? resolve(f.path) : f.path })),
    );
    return { file_ids: files.map((f) => f.fileId) };
  });

  hangarRoute(ctx, 'GET', '/inference/files/list', async (req) => {
    const q = parseInput(z.object({ model: z.string().min(1), kind: kind.optional(), from: intLike.optional(), to: intLike.optional() }), req.json);
    await gov().require(principalOf(req), q.model, 'CAN_READ', 'read an inference log');
    const files = await ServingStore.for(ctx.store).listFiles({ modelName: q.model, kind: q.kind ?? 'predictions', from: q.from, to: q.to });
    return {
      files: files.map((f) => ({ file_id: f.fileId, model: f.modelName, kind: f.kind, day: f.day, min_ts: f.minTs, max_ts: f.maxTs, rows: f.rows, path: f.path, created: f.created })),
    };
  });

  hangarRoute(ctx, 'POST', '/inference/labels', async (req) => {
    const body = parseInput(
      z.object({
        model: z.string().min(1),
        labels: z
          .array(z.object({ request_id: z.string().min(1), label: z.union([z.number(), z.string(), z.boolean()]), timestamp: z.number().int().min(0).optional() }))
          .min(1)
          .max(MAX_LABELS_PER_CALL),
      }),
      req.json,
    );
    checkModelName(body.model);
    await gov().require(principalOf(req), body.model, 'CAN_EDIT', 'add labels to an inference log');
    req.audit = { entityType: 'inference_log', entityId: body.model };
    const files = await writeLabels(
      ctx.store,
      root,
      body.model,
      body.labels.map((l) => ({ requestId: l.request_id, label: l.label, ...(l.timestamp === undefined ? {} : { timestamp: l.timestamp }) })),
      undefined,
      logUri === null ? undefined : artifactPublisher(ctx.artifacts),
    );
    return { labels: body.labels.length, files: files.map((f) => ({ file_id: f.fileId, day: f.day, rows: f.rows, path: f.path })) };
  });

  hangarRoute(ctx, 'POST', '/inference/prune', async (req) => {
    const body = parseInput(z.object({ older_than_days: z.number().min(0).optional(), older_than_ms: z.number().int().min(0).optional(), model: z.string().min(1).optional() }), req.json);
    if ((body.older_than_days === undefined) === (body.older_than_ms === undefined)) {
      throw new HangarError('INVALID_PARAMETER_VALUE', 'Give exactly one of older_than_days and older_than_ms.', { field: 'older_than_days' });
    }
    if (body.model === undefined) gov().requireAdmin(principalOf(req), 'prune every inference log');
    else await gov().require(principalOf(req), body.model, 'CAN_MANAGE', 'prune an inference log');
    req.audit = { entityType: 'inference_log', entityId: body.model ?? '*' };
    const report = await pruneInferenceLog(ctx.store, { olderThanMs: body.older_than_ms ?? body.older_than_days! * DAY_MS, ...(body.model === undefined ? {} : { model: body.model }), artifacts: ctx.artifacts, cacheDir: join(ctx.config.home, 'cache', 'data') });
    return { files: report.files, rows: report.rows };
  });
}
