import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { HangarError, invalidParam, notFound } from '../core/errors.js';
import { RESERVED_PREFIX, checkArtifactPath, compareBytes } from './paths.js';
import { checkPartNumber, sortParts } from './multipart.js';
import type { ArtifactEntry, ArtifactStore, Leftover, MultipartUploads, UploadedPart } from './port.js';

/** Staged multipart uploads live here, under the root, hidden by the reserved prefix. */
const UPLOADS_DIR = `${RESERVED_PREFIX}uploads`;
const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** Temp files of `writeAtomically`; nothing else has this name (callers may not use the prefix). */
const TEMP_FILE = new RegExp(`^${RESERVED_PREFIX.replace(/[.-]/g, '\\$&')}tmp-[0-9a-f]{16}$`);

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
    await this.pruneEmptyParents(target);
  }

  /**
   * Staged uploads under `.hangar-uploads/` whose last change (the directory or any file in it)
   * is before `before`, and temp files of atomic writes (`.hangar-tmp-*`, anywhere under the
   * root) last written before it. Each is checked again just before it goes, so an upload that
   * took a part in the meantime stays. Symbolic links are never followed.
   */
  async sweepLeftovers(options: { before: number; dryRun?: boolean }): Promise<Leftover[]> {
    const { before, dryRun = false } = options;
    const found: Leftover[] = [];
    const uploadsRoot = join(this.root, UPLOADS_DIR);
    for (const id of await namesIn(uploadsRoot)) {
      if (!UPLOAD_ID.test(id)) continue;
      const upload = await uploadActivity(join(uploadsRoot, id));
      if (upload === null || upload.lastModified >= before) continue;
      const target = await readFile(join(uploadsRoot, id, 'target'), 'utf8').catch(() => '');
      found.push({ kind: 'upload', path: target, uploadId: id, lastModified: upload.lastModified, bytes: upload.bytes });
    }
    await this.findTempFiles('', before, found);
    found.sort((a, b) => a.lastModified - b.lastModified);
    if (dryRun) return found;
    const removed: Leftover[] = [];
    for (const item of found) {
      if (item.kind === 'upload') {
        const dir = join(uploadsRoot, item.uploadId!);
        const upload = await uploadActivity(dir);
        if (upload === null || upload.lastModified >= before) continue;
        await rm(dir, { recursive: true, force: true });
      } else {
        const file = this.abs(item.path);
        const info = await lstat(file).catch(() => null);
        if (info === null || !info.isFile() || info.mtimeMs >= before) continue;
        await unlink(file).catch((e: unknown) => {
          if (errnoCode(e) !== 'ENOENT') throw e;
        });
        await this.pruneEmptyParents(file);
      }
      removed.push(item);
    }
    return removed;
  }

  /** Collect `.hangar-tmp-*` files under the directory `path` (`''` is the root) older than `before`. */
  private async findTempFiles(path: string, before: number, found: Leftover[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(this.abs(path), { withFileTypes: true });
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw e;
    }
    for (const d of entries) {
      const child = path === '' ? d.name : `${path}/${d.name}`;
      if (d.isDirectory()) {
        if (path === '' && d.name === UPLOADS_DIR) continue;
        await this.findTempFiles(child, before, found);
      } else if (d.isFile() && TEMP_FILE.test(d.name)) {
        const info = await lstat(this.abs(child)).catch(() => null);
        if (info !== null && info.isFile() && info.mtimeMs < before) {
          found.push({ kind: 'temp', path: child, lastModified: Math.floor(info.mtimeMs), bytes: info.size });
        }
      }
    }
  }

  /** Remove the directories above `file` that are now empty, up to (not including) the root. */
  private async pruneEmptyParents(file: string): Promise<void> {
    let dir = dirname(file);
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

/** Names in a directory; none when it does not exist. */
async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
}

/**
 * When a staged upload last changed (its directory or any file in it: `create` writes the
 * target, each part its ETag and data) and how many bytes it holds; null when it is gone.
 */
async function uploadActivity(dir: string): Promise<{ lastModified: number; bytes: number } | null> {
  const info = await lstat(dir).catch(() => null);
  if (info === null || !info.isDirectory()) return null;
  let last = info.mtimeMs;
  let bytes = 0;
  for (const name of await namesIn(dir)) {
    const f = await lstat(join(dir, name)).catch(() => null);
    if (f === null) continue;
    last = Math.max(last, f.mtimeMs);
    if (f.isFile()) bytes += f.size;
  }
  return { lastModified: Math.floor(last), bytes };
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
