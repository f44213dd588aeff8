import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { HangarError, invalidParam, notFound } from '../core/errors.js';
import { RESERVED_PREFIX, checkArtifactPath, compareBytes } from './paths.js';
import { checkPartNumber, sortParts } from './multipart.js';
import type { ArtifactEntry, ArtifactStore, MultipartUploads, UploadedPart } from './port.js';

/** Staged multipart uploads live here, under the root, hidden by the reserved prefix. */
const UPLOADS_DIR = `${RESERVED_PREFIX}uploads`;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/**
 * Artifacts in a directory on local disk. Writes go to a temp file in the target's own
 * directory and are renamed into place, so a reader never sees half a file and a crash leaves
 * at most a hidden temp file behind.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly rootUri: string;
  readonly multipart: MultipartUploads;

  private constructor(private readonly root: string) {
    this.rootUri = pathToFileURL(root).href;
    this.multipart = new LocalMultipart(root, (path, body) => this.writeAtomically(path, body));
  }

  /** Open (and create if needed) a store rooted at `root`, an absolute or relative directory path. */
  static async open(root: string): Promise<LocalArtifactStore> {
    const abs = resolve(root);
    try {
      await mkdir(abs, { recursive: true });
    } catch (e) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `Cannot use '${abs}' as the artifact root: ${(e as Error).message}`, { cause: e });
    }
    return new LocalArtifactStore(abs);
  }

  private abs(path: string): string {
    return path === '' ? this.root : join(this.root, ...path.split('/'));
  }

  async put(path: string, body: Buffer | Readable): Promise<void> {
    checkArtifactPath(path);
    await this.writeAtomically(path, Buffer.isBuffer(body) ? Readable.from([body]) : body);
  }

  /**
   * Stream `body` into a temp file beside the target, then rename it over the target. The
   * parent directory is created first; a concurrent delete may prune it between mkdir and
   * open, so that step is retried once.
   */
  private async writeAtomically(path: string, body: Readable | Readable[]): Promise<void> {
    const target = this.abs(path);
    const dir = dirname(target);
    const tmp = join(dir, `${RESERVED_PREFIX}tmp-${randomBytes(8).toString('hex')}`);
    const sources = Array.isArray(body) ? body : [body];
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await mkdir(dir, { recursive: true });
          const out = createWriteStream(tmp, { flags: 'wx' });
          await new Promise<void>((res, rej) => {
            out.once('open', () => res());
            out.once('error', rej);
          });
          for (let i = 0; i < sources.length; i++) {
            await pipeline(sources[i]!, out, { end: i === sources.length - 1 });
          }
          if (sources.length === 0) await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
          break;
        } catch (e) {
          if (errnoCode(e) === 'ENOENT' && attempt === 0) continue;
          throw e;
        }
      }
      await rename(tmp, target);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      // Drain what the client still sends rather than destroying the request, so the error
      // response reaches it instead of a reset connection.
      for (const s of sources) s.resume();
      throw this.translate(e, path);
    }
  }

  /** Filesystem errors that are the caller's doing become INVALID_PARAMETER_VALUE. */
  private translate(e: unknown, path: string): unknown {
    switch (errnoCode(e)) {
      case 'EISDIR':
      case 'ENOTEMPTY':
        return invalidParam(`Cannot write artifact '${path}': a directory is in the way.`, 'path');
      // mkdir -p answers EEXIST when a file stands where a parent directory should be.
      case 'EEXIST':
      case 'ENOTDIR':
        return invalidParam(`Cannot write artifact '${path}': a parent of it is a file.`, 'path');
      case 'ENAMETOOLONG':
        return invalidParam(`Cannot write artifact '${path}': the name is too long for this filesystem.`, 'path');
      default:
        return e;
    }
  }

  async get(path: string): Promise<Readable> {
    checkArtifactPath(path);
    let handle;
    try {
      handle = await open(this.abs(path), 'r');
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw notFound(`Artifact '${path}' not found.`);
      throw e;
    }
    // Opened first and checked after, so a file swapped or deleted in between cannot turn a
    // directory into a half-read stream.
    const info = await handle.stat().catch(async (e: unknown) => {
      await handle.close();
      throw e;
    });
    if (!info.isFile()) {
      await handle.close();
      throw notFound(`Artifact '${path}' not found.`);
    }
    return handle.createReadStream();
  }

  async stat(path: string): Promise<{ isDir: boolean; size?: number } | null> {
    checkArtifactPath(path, { allowRoot: true });
    try {
      const info = await stat(this.abs(path));
      if (info.isDirectory()) return { isDir: true };
      if (info.isFile()) return { isDir: false, size: info.size };
      return null;
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw e;
    }
  }

  async list(path: string): Promise<ArtifactEntry[] | null> {
    checkArtifactPath(path, { allowRoot: true });
    const dir = this.abs(path);
    let names;
    try {
      names = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw e;
    }
    const entries: ArtifactEntry[] = [];
    for (const d of names) {
      if (d.name.startsWith(RESERVED_PREFIX)) continue;
      // stat (not the dirent type) so that symlinks report what they point to.
      const info = await stat(join(dir, d.name)).catch(() => null);
      if (info === null) continue;
      if (info.isDirectory()) entries.push({ path: d.name, isDir: true });
      else if (info.isFile()) entries.push({ path: d.name, isDir: false, fileSize: info.size });
    }
    return entries.sort((a, b) => compareBytes(a.path, b.path));
  }

  async delete(path: string): Promise<void> {
    checkArtifactPath(path, { allowRoot: true });
    if (path === '') throw invalidParam('Refusing to delete the artifact root.', 'path');
    const target = this.abs(path);
    await rm(target, { recursive: true, force: true });
    // Prune parents that are now empty, as S3 forgets a prefix with no keys under it.
    let dir = dirname(target);
    while (dir !== this.root && dir.startsWith(this.root)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
      dir = dirname(dir);
    }
  }

  async close(): Promise<void> {}
}

/**
 * Multipart uploads on local disk: each upload is a directory under `<root>/.hangar-uploads/`
 * holding the target path, the parts and their ETags (MD5, as S3 reports for plain parts).
 */
class LocalMultipart implements MultipartUploads {
  constructor(
    private readonly root: string,
    private readonly write: (path: string, body: Readable[]) => Promise<void>,
  ) {}

  private dir(uploadId: string): string {
    // The id becomes a directory name, so only ids this store could have made are accepted.
    if (!UPLOAD_ID.test(uploadId)) throw notFound(`Multipart upload '${uploadId}' not found.`);
    return join(this.root, UPLOADS_DIR, uploadId);
  }

  private async checkTarget(dir: string, path: string, uploadId: string): Promise<void> {
    let target: string;
    try {
      target = await readFile(join(dir, 'target'), 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`Multipart upload '${uploadId}' not found.`);
      throw e;
    }
    // S3 ties an upload id to its key and answers NoSuchUpload for any other key; so do we.
    if (target !== path) throw notFound(`Multipart upload '${uploadId}' not found for '${path}'.`);
  }

  async create(path: string): Promise<string> {
    checkArtifactPath(path);
    const uploadId = randomBytes(16).toString('hex');
    const dir = this.dir(uploadId);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'target'), path);
    return uploadId;
  }

  async uploadPart(path: string, uploadId: string, partNumber: number, body: Buffer | Readable): Promise<string> {
    checkArtifactPath(path);
    checkPartNumber(partNumber);
    const dir = this.dir(uploadId);
    await this.checkTarget(dir, path, uploadId);
    const hash = createHash('md5');
    const tmp = join(dir, `${partNumber}.${randomBytes(6).toString('hex')}.tmp`);
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    try {
      await pipeline(
        source,
        new Transform({
          transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            cb(null, chunk);
          },
        }),
        createWriteStream(tmp, { flags: 'wx' }),
      );
      const etag = `"${hash.digest('hex')}"`;
      // ETag first: a part file without its ETag would be unusable, the reverse is harmless.
      await writeFile(join(dir, `${partNumber}.etag`), etag);
      await rename(tmp, join(dir, String(partNumber)));
      return etag;
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      if (errnoCode(e) === 'ENOENT') throw notFound(`Multipart upload '${uploadId}' not found.`);
      throw e;
    }
  }

  async complete(path: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    checkArtifactPath(path);
    const dir = this.dir(uploadId);
    await this.checkTarget(dir, path, uploadId);
    const ordered = sortParts(parts);
    for (const part of ordered) {
      let staged: string;
      try {
        staged = await readFile(join(dir, `${part.partNumber}.etag`), 'utf8');
        await stat(join(dir, String(part.partNumber)));
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') throw invalidParam(`Part ${part.partNumber} of upload '${uploadId}' was not uploaded.`, 'parts');
        throw e;
      }
      if (unquote(staged) !== unquote(part.etag)) {
        throw invalidParam(`Part ${part.partNumber} of upload '${uploadId}' has ETag ${staged}, not ${JSON.stringify(part.etag)}.`, 'parts');
      }
    }
    await this.write(
      path,
      ordered.map((p) => createReadStream(join(dir, String(p.partNumber)))),
    );
    await rm(dir, { recursive: true, force: true });
  }

  async abort(_path: string, uploadId: string): Promise<void> {
    if (!UPLOAD_ID.test(uploadId)) return;
    await rm(this.dir(uploadId), { recursive: true, force: true });
  }
}

function unquote(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/"/g, '');
}

/** Open a local-disk artifact store at a directory path. */
export function openLocalArtifactStore(root: string): Promise<LocalArtifactStore> {
  return LocalArtifactStore.open(root);
}
