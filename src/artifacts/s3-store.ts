import type { Readable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { HangarError, invalidParam, notFound } from '../core/errors.js';
import { checkArtifactPath, compareBytes } from './paths.js';
import { checkPartNumber, sortParts } from './multipart.js';
import type { ArtifactEntry, ArtifactStore, Leftover, MultipartUploads, UploadedPart } from './port.js';

/**
 * Options of the S3 adapter. The adapter never reads the environment; the CLI builds these
 * with `s3OptionsFromEnv` (open.ts) and passes them in.
 */
export interface S3ArtifactOptions {
  /** A custom endpoint for S3-compatible servers (MinIO, Ceph, s3rver), e.g. `http://127.0.0.1:9000`. */
  endpoint?: string | undefined;
  /** AWS region. Default `us-east-1`. */
  region?: string | undefined;
  /** Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`; most S3-compatible servers need it. Default false. */
  forcePathStyle?: boolean | undefined;
  /** Static credentials. When absent, the AWS SDK's default provider chain finds them. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined } | undefined;
  /**
   * Size of the parts `put` splits a stream into; a stream shorter than one part is written with
   * a single PutObject. Default 8 MiB. S3 itself requires at least 5 MiB for all parts but the
   * last.
   */
  partSizeBytes?: number | undefined;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** Parts of a client-driven multipart upload are held in memory before UploadPart; MLflow sends 10 MiB. */
const MAX_BUFFERED_PART = 512 * 1024 * 1024;
/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;

type S3Module = typeof S3Sdk;

/** Parse `s3://bucket/prefix` into bucket and prefix (no leading or trailing `/`). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (m === null) throw invalidParam(`Invalid S3 URI '${uri}': expected s3://bucket[/prefix].`, 'artifacts_destination');
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '') checkArtifactPath(prefix, { field: 'artifacts_destination' });
  return { bucket: m[1]!, prefix };
}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function nameOf(e: unknown): string | undefined {
  return (e as { name?: string } | null)?.name;
}

/**
 * Artifacts in an S3 bucket (or any S3-compatible server) under an optional key prefix.
 * Directories are key prefixes: a directory exists while some key lies beneath it. Objects
 * appear whole (PutObject and CompleteMultipartUpload are atomic), so a reader never sees a
 * partial file.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly rootUri: string;
  readonly multipart: MultipartUploads;
  private readonly partSize: number;

  private constructor(
    private readonly sdk: S3Module,
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    options: S3ArtifactOptions,
  ) {
    this.rootUri = prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`;
    this.partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
    this.multipart = new S3Multipart(this, sdk, bucket);
  }

  /** Open a store at `s3://bucket/prefix`. The AWS SDK is imported here, on first use. */
  static async open(uri: string, options: S3ArtifactOptions = {}): Promise<S3ArtifactStore> {
    const { bucket, prefix } = parseS3Uri(uri);
    if (options.partSizeBytes !== undefined && !(Number.isInteger(options.partSizeBytes) && options.partSizeBytes > 0)) {
      throw invalidParam(`Invalid S3 part size ${options.partSizeBytes}: expected a positive integer.`, 'partSizeBytes');
    }
    const sdk = await import('@aws-sdk/client-s3');
    const client = new sdk.S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      // Newer SDKs add CRC checksums to every upload by default, which many S3-compatible
      // servers reject; send and check them only where S3 requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3ArtifactStore(sdk, client, bucket, prefix, options);
  }

  /** @internal The bucket key of a store path (`''` is the root prefix itself). */
  key(path: string): string {
    if (this.prefix === '') return path;
    return path === '' ? this.prefix : `${this.prefix}/${path}`;
  }

  /** The prefix under which a directory's children sit. */
  private dirPrefix(path: string): string {
    const key = this.key(path);
    return key === '' ? '' : `${key}/`;
  }

  /** @internal Run a call on the client, turning S3's failures about `what` into Hangar errors. */
  async send<T>(call: (client: S3Client) => Promise<T>, what: string): Promise<T> {
    try {
      return await call(this.client);
    } catch (e) {
      throw this.translate(e, what);
    }
  }

  private translate(e: unknown, what: string): unknown {
    const name = nameOf(e);
    if (name === 'NoSuchKey' || name === 'NotFound') return notFound(`Artifact '${what}' not found.`);
    if (name === 'NoSuchUpload') return notFound(`Multipart upload for '${what}' not found.`);
    if (name === 'NoSuchBucket') return new HangarError('INVALID_STATE', `The artifact bucket '${this.bucket}' does not exist.`, { cause: e });
    if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall' || name === 'KeyTooLongError') {
      return invalidParam(`S3 refused '${what}': ${(e as Error).message}`, 'parts');
    }
    if (name === 'AccessDenied' || statusOf(e) === 403) {
      return new HangarError('PERMISSION_DENIED', `The artifact store was denied access to '${what}'.`, { cause: e });
    }
    return e;
  }

  async put(path: string, body: Buffer | Readable): Promise<void> {
    checkArtifactPath(path);
    const Key = this.key(path);
    if (Buffer.isBuffer(body)) {
      await this.putObject(Key, body, path);
      return;
    }
    // Stream in parts: one part in hand and the next being read, so memory stays bounded
    // whatever the size, and a short stream costs a single PutObject.
    const chunks = chunked(body, this.partSize)[Symbol.asyncIterator]();
    const first = await chunks.next();
    if (first.done === true) return this.putObject(Key, Buffer.alloc(0), path);
    const second = await chunks.next();
    if (second.done === true) return this.putObject(Key, first.value, path);

    const { sdk, bucket: Bucket } = this;
    const created = await this.send((c) => c.send(new sdk.CreateMultipartUploadCommand({ Bucket, Key })), path);
    const UploadId = created.UploadId!;
    try {
      const Parts: { ETag: string; PartNumber: number }[] = [];
      const upload = async (chunk: Buffer) => {
        const PartNumber = Parts.length + 1;
        Parts.push({ ETag: await this.uploadPartBuffer(Key, UploadId, PartNumber, chunk, path), PartNumber });
      };
      await upload(first.value);
      await upload(second.value);
      for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) await upload(next.value);
      await this.send((c) => c.send(new sdk.CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } })), path);
    } catch (e) {
      // Drain rather than destroy, so the error response reaches the client.
      body.resume();
      await this.client.send(new sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
      throw e;
    }
  }

  private async putObject(Key: string, body: Buffer, path: string): Promise<void> {
    const { sdk, bucket: Bucket } = this;
    await this.send((c) => c.send(new sdk.PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.length })), path);
  }

  /** @internal Upload one part from memory and return its ETag. */
  async uploadPartBuffer(Key: string, UploadId: string, PartNumber: number, body: Buffer, path: string): Promise<string> {
    const { sdk, bucket: Bucket } = this;
    const out = await this.send(
      (c) => c.send(new sdk.UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.length })),
      path,
    );
    return out.ETag ?? '';
  }

  async get(path: string): Promise<Readable> {
    checkArtifactPath(path);
    const { sdk, bucket: Bucket } = this;
    const out = await this.send((c) => c.send(new sdk.GetObjectCommand({ Bucket, Key: this.key(path) })), path);
    // In Node the SDK's body is an http.IncomingMessage, a Readable.
    return out.Body as Readable;
  }

  async stat(path: string): Promise<{ isDir: boolean; size?: number } | null> {
    checkArtifactPath(path, { allowRoot: true });
    if (path === '') return { isDir: true };
    const { sdk, bucket: Bucket } = this;
    try {
      const head = await this.client.send(new sdk.HeadObjectCommand({ Bucket, Key: this.key(path) }));
      return { isDir: false, size: head.ContentLength ?? 0 };
    } catch (e) {
      if (statusOf(e) !== 404 && nameOf(e) !== 'NotFound') throw this.translate(e, path);
    }
    const page = await this.send((c) => c.send(new sdk.ListObjectsV2Command({ Bucket, Prefix: this.dirPrefix(path), MaxKeys: 1 })), path);
    return (page.KeyCount ?? page.Contents?.length ?? 0) > 0 ? { isDir: true } : null;
  }

  async list(path: string): Promise<ArtifactEntry[] | null> {
    checkArtifactPath(path, { allowRoot: true });
    const { sdk, bucket: Bucket } = this;
    const Prefix = this.dirPrefix(path);
    const entries: ArtifactEntry[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send(
        (c) => c.send(new sdk.ListObjectsV2Command({ Bucket, Prefix, Delimiter: '/', ContinuationToken })),
        path,
      );
      for (const p of page.CommonPrefixes ?? []) {
        const name = p.Prefix?.slice(Prefix.length).replace(/\/$/, '');
        if (name !== undefined && name !== '') entries.push({ path: name, isDir: true });
      }
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(Prefix.length);
        // A key equal to the prefix is a "folder marker" some tools create; it is not a child.
        if (name !== undefined && name !== '') entries.push({ path: name, isDir: false, fileSize: o.Size ?? 0 });
      }
      ContinuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
    if (entries.length === 0 && path !== '') return null;
    return entries.sort((a, b) => compareBytes(a.path, b.path));
  }

  async delete(path: string): Promise<void> {
    checkArtifactPath(path, { allowRoot: true });
    if (path === '') throw invalidParam('Refusing to delete the artifact root.', 'path');
    const { sdk, bucket: Bucket } = this;
    await this.send((c) => c.send(new sdk.DeleteObjectCommand({ Bucket, Key: this.key(path) })), path);
    const Prefix = this.dirPrefix(path);
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send((c) => c.send(new sdk.ListObjectsV2Command({ Bucket, Prefix, ContinuationToken })), path);
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const Objects = keys.slice(i, i + DELETE_BATCH);
        const out = await this.send((c) => c.send(new sdk.DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } })), path);
        const failed = out.Errors?.[0];
        if (failed !== undefined) {
          throw new HangarError('INTERNAL_ERROR', `Could not delete '${failed.Key}' from S3: ${failed.Code} ${failed.Message}`);
        }
      }
      ContinuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  /**
   * Incomplete multipart uploads under the store's prefix (never elsewhere in the bucket) that
   * were started before `before`, aborted unless `dryRun`; S3 then frees their parts. Objects
   * are written whole, so there are no temp files. Uploads are aged by their start, the only
   * time ListMultipartUploads gives (as S3's AbortIncompleteMultipartUpload lifecycle rule does).
   */
  async sweepLeftovers(options: { before: number; dryRun?: boolean }): Promise<Leftover[]> {
    const { before, dryRun = false } = options;
    const { sdk, bucket: Bucket } = this;
    const Prefix = this.dirPrefix('');
    const found: Leftover[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      const page = await this.send(
        (c) => c.send(new sdk.ListMultipartUploadsCommand({ Bucket, Prefix, KeyMarker, UploadIdMarker })),
        'multipart uploads',
      );
      for (const u of page.Uploads ?? []) {
        if (u.Key === undefined || u.UploadId === undefined || u.Initiated === undefined) continue;
        if (!u.Key.startsWith(Prefix)) continue;
        const started = u.Initiated.getTime();
        if (started >= before) continue;
        found.push({ kind: 'upload', path: u.Key.slice(Prefix.length), uploadId: u.UploadId, lastModified: started });
      }
      const more = page.IsTruncated === true;
      KeyMarker = more ? page.NextKeyMarker : undefined;
      UploadIdMarker = more ? page.NextUploadIdMarker : undefined;
    } while (KeyMarker !== undefined);
    found.sort((a, b) => a.lastModified - b.lastModified);
    if (dryRun) return found;
    const aborted: Leftover[] = [];
    for (const u of found) {
      try {
        await this.send((c) => c.send(new sdk.AbortMultipartUploadCommand({ Bucket, Key: Prefix + u.path, UploadId: u.uploadId })), u.path);
        aborted.push(u);
      } catch (e) {
        // Completed or aborted by someone else since the listing: nothing left to sweep.
        if (!(e instanceof HangarError && e.code === 'RESOURCE_DOES_NOT_EXIST')) throw e;
      }
    }
    return aborted;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** Multipart uploads through S3's own: parts are real UploadPart calls, completion is atomic. */
class S3Multipart implements MultipartUploads {
  constructor(
    private readonly store: S3ArtifactStore,
    private readonly sdk: S3Module,
    private readonly bucket: string,
  ) {}

  async create(path: string): Promise<string> {
    checkArtifactPath(path);
    const { sdk, bucket: Bucket } = this;
    const out = await this.store.send((c) => c.send(new sdk.CreateMultipartUploadCommand({ Bucket, Key: this.store.key(path) })), path);
    return out.UploadId!;
  }

  async uploadPart(path: string, uploadId: string, partNumber: number, body: Buffer | Readable): Promise<string> {
    checkArtifactPath(path);
    checkPartNumber(partNumber);
    const buf = Buffer.isBuffer(body) ? body : await readAll(body, MAX_BUFFERED_PART);
    return this.store.uploadPartBuffer(this.store.key(path), uploadId, partNumber, buf, path);
  }

  async complete(path: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    checkArtifactPath(path);
    const Parts = sortParts(parts).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag }));
    const { sdk, bucket: Bucket } = this;
    await this.store.send(
      (c) => c.send(new sdk.CompleteMultipartUploadCommand({ Bucket, Key: this.store.key(path), UploadId: uploadId, MultipartUpload: { Parts } })),
      path,
    );
  }

  async abort(path: string, uploadId: string): Promise<void> {
    checkArtifactPath(path);
    const { sdk, bucket: Bucket } = this;
    try {
      await this.store.send((c) => c.send(new sdk.AbortMultipartUploadCommand({ Bucket, Key: this.store.key(path), UploadId: uploadId })), path);
    } catch (e) {
      if (e instanceof HangarError && e.code === 'RESOURCE_DOES_NOT_EXIST') return;
      throw e;
    }
  }
}

/** Re-cut a stream into buffers of exactly `size` bytes (the last may be shorter, never empty). */
async function* chunked(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const raw of stream) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as string);
    while (pendingBytes + chunk.length >= size) {
      const take = size - pendingBytes;
      pending.push(chunk.subarray(0, take));
      yield Buffer.concat(pending, size);
      chunk = chunk.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (chunk.length > 0) {
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const raw of stream) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as string);
    total += chunk.length;
    if (total > limit) {
      stream.destroy();
      throw new HangarError('PAYLOAD_TOO_LARGE', `A multipart upload part may be at most ${limit} bytes on this artifact store.`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

/** Open an S3 artifact store at `s3://bucket/prefix`. */
export function openS3ArtifactStore(uri: string, options?: S3ArtifactOptions): Promise<S3ArtifactStore> {
  return S3ArtifactStore.open(uri, options);
}
