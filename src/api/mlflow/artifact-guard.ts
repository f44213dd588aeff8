/**
 * Artifact paths that the inference log and the monitors own, and who may write them through
 * the artifact proxy. Monitors trust what they read there, so a caller who may write ordinary
 * artifacts must not be able to replace a log file or a monitor's tables through the same route:
 *
 * - `inference-log/<model>/…` (predictions and labels): the principals who may index that
 *   model's log, that is `CAN_EDIT` on the registered model (admins, its creator, grants; the
 *   same rule as `POST …/inference/files/register`).
 * - Anything else under `inference-log/`, everything under `monitors/` (metric tables, recent
 *   files, reports; only the server writes them), deletes anywhere under either, and deleting
 *   the root: admins only.
 * - A file that the inference-log index holds is never replaced, by anyone: an upload of the
 *   same bytes answers as a success (a writer's retry after a lost answer), other bytes are
 *   RESOURCE_ALREADY_EXISTS.
 *
 * Without `--auth` every caller is an admin-equivalent anonymous user, so only the last rule
 * changes anything there.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyRequest } from 'fastify';
import { alreadyExists, HangarError } from '../../core/errors.js';
import { monitorDir } from '../../monitoring/index.js';
import { INFERENCE_LOG_PREFIX, inferenceLogUri, isLocalArtifactStore } from '../../serving/index.js';
import { ServingStore } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { optionalGovernanceOf, principalOf } from '../hangar/auth.js';

/** The folder of every monitor's files (`monitors/<name>/…`, see `monitorDir`). */
const MONITORS_PREFIX = monitorDir('m').split('/')[0]!;

/** Who may write a path through the artifact proxy. */
export type PathOwner =
  /** Anyone who may write artifacts. */
  | { kind: 'open' }
  /** Principals with CAN_EDIT on the registered model `model` (its inference log). */
  | { kind: 'log'; model: string }
  /** Admins only. */
  | { kind: 'admin'; what: string };

/** The owner of a checked artifact path (`''` is the root) for a write (`put`) or a delete. */
export function ownerOf(path: string, op: 'put' | 'delete'): PathOwner {
  const segments = path === '' ? [] : path.split('/');
  const top = segments[0];
  if (top === undefined) return op === 'delete' ? { kind: 'admin', what: 'the whole artifact store' } : { kind: 'open' };
  if (top === INFERENCE_LOG_PREFIX) {
    if (op === 'put' && segments.length >= 3) return { kind: 'log', model: segments[1]! };
    return { kind: 'admin', what: 'the inference log' };
  }
  if (top === MONITORS_PREFIX) return { kind: 'admin', what: "the monitors' files" };
  return { kind: 'open' };
}

function verb(op: 'put' | 'delete'): string {
  return op === 'put' ? 'write' : 'delete';
}

/**
 * Throw PERMISSION_DENIED (UNAUTHENTICATED for a caller without a token on an `--auth` server)
 * naming `path` when the request's principal may not write or delete it. No-op for a store that
 * has no governance (test doubles), as the rest of the server.
 */
export async function requirePathWriter(ctx: ApiContext, req: FastifyRequest, path: string, op: 'put' | 'delete'): Promise<void> {
  const owner = ownerOf(path, op);
  if (owner.kind === 'open') return;
  const governance = optionalGovernanceOf(ctx.store);
  if (governance === undefined) return;
  const principal = principalOf(req);
  const shown = path === '' ? 'the artifact root' : `'${path}'`;
  if (owner.kind === 'admin') {
    governance.requireAdmin(principal, `${verb(op)} ${shown}, part of ${owner.what}`);
    return;
  }
  // The preHandler (installGovernance) has already required a writer for every artifact write.
  await governance.require(principal, owner.model, 'CAN_EDIT', `${verb(op)} ${shown} in the inference log of '${owner.model}'`);
}

/**
 * Whether the inference-log index holds the file at artifact path `path`: by its artifact URI
 * (a remote log) or by its absolute path (a log on the server's disk). False for paths outside
 * the log and for stores without the index.
 */
export async function isIndexed(ctx: ApiContext, path: string): Promise<boolean> {
  if (!path.startsWith(`${INFERENCE_LOG_PREFIX}/`)) return false;
  let index: ServingStore;
  try {
    index = ServingStore.for(ctx.store);
  } catch (e) {
    if (e instanceof HangarError && e.code === 'NOT_IMPLEMENTED') return false;
    throw e;
  }
  const rel = path.slice(INFERENCE_LOG_PREFIX.length + 1);
  const indexed = isLocalArtifactStore(ctx.artifacts)
    ? join(fileURLToPath(ctx.artifacts.rootUri), ...path.split('/'))
    : `${inferenceLogUri(ctx.artifacts.rootUri)}/${rel}`;
  return (await index.fileByPath(indexed)) !== undefined;
}

export function indexedError(path: string): HangarError {
  return alreadyExists(`'${path}' is an indexed inference-log file; indexed files are never replaced (only an upload of the same bytes succeeds).`);
}

async function sha256(source: AsyncIterable<unknown> | Iterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * For an upload to an indexed log file: read the body and compare it with the stored file.
 * The same bytes return (the caller answers success and writes nothing); other bytes, or a
 * stored file that is gone, are RESOURCE_ALREADY_EXISTS naming the path.
 */
export async function requireSameContent(ctx: ApiContext, path: string, body: Readable | Buffer): Promise<void> {
  const incoming = await sha256(Buffer.isBuffer(body) ? [body] : body);
  let stored: string;
  try {
    stored = await sha256(await ctx.artifacts.get(path));
  } catch (e) {
    if (e instanceof HangarError && e.code === 'RESOURCE_DOES_NOT_EXIST') throw indexedError(path);
    throw e;
  }
  if (stored !== incoming) throw indexedError(path);
}
