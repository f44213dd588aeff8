import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3ArtifactOptions } from '../s3-store.js';

/** A running in-process fake S3 server with one bucket, for tests. */
export interface FakeS3 {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** The bucket created at start. */
  bucket: string;
  /** Options for the S3 adapter that reach this server. */
  options: S3ArtifactOptions;
  /**
   * The directory of a staged multipart upload (s3rver keeps its key in `key` there); the front
   * dates the upload's `Initiated` by that file's mtime, which tests may move back.
   */
  uploadDir(uploadId: string): string;
  /** Stop the server and remove its directory. */
  close(): Promise<void>;
}

/**
 * Start s3rver on a free port over a fresh temp directory, with `bucket` created. s3rver 3 has
 * no AbortMultipartUpload and accepts parts for uploads it never started (or started for another
 * key), so a thin front does what S3 does there: a request naming an unknown upload, or an upload
 * of another key, gets 404 NoSuchUpload, and DELETE ?uploadId removes the staged parts (204).
 * Its ListObjectsV2 misses common prefixes deeper than one level and cannot page on Node 20
 * (its continuation tokens use a cipher OpenSSL 3 dropped), so the front answers ListObjectsV2
 * itself from s3rver's flat key list. s3rver has no ListMultipartUploads either; the front
 * answers it from the staged uploads (one page, `Initiated` from the mtime of each upload's
 * `key` file). s3rver also writes objects in place, so writes of one key are queued to end as
 * S3's atomic replacement does. Everything else goes to s3rver untouched.
 */
export async function startFakeS3(bucket = 'hangar-test'): Promise<FakeS3> {
  const directory = mkdtempSync(join(tmpdir(), 'hangar-s3rver-'));
  const s3rver = new S3rver({ silent: true, directory, configureBuckets: [{ name: bucket }] });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const noSuchUpload = (res: ServerResponse) => {
    res.writeHead(404, { 'content-type': 'application/xml' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code>' +
        '<Message>The specified upload does not exist.</Message></Error>',
    );
  };
  const writing = new Map<string, Promise<void>>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const uploadId = url.searchParams.get('uploadId');
    if (uploadId !== null) {
      // s3rver keeps each upload in <dir>/<bucket>/._S3rver_uploads/<id>/ with its key in `key`.
      const [, bucketName = '', ...keyParts] = url.pathname.split('/');
      const staged = join(directory, decodeURIComponent(bucketName), '._S3rver_uploads', uploadId);
      const key = keyParts.map(decodeURIComponent).join('/');
      const known = /^[0-9a-f]+$/.test(uploadId) && existsSync(join(staged, 'key')) && readFileSync(join(staged, 'key'), 'utf8') === key;
      if (!known) return noSuchUpload(res);
      if (req.method === 'DELETE') {
        rmSync(staged, { recursive: true, force: true });
        res.writeHead(204).end();
        return;
      }
    }
    if (req.method === 'GET' && url.searchParams.has('uploads') && /^\/[^/]+\/?$/.test(url.pathname)) {
      const name = decodeURIComponent(url.pathname.split('/')[1]!);
      res.writeHead(200, { 'content-type': 'application/xml' }).end(listMultipartUploads(join(directory, name, '._S3rver_uploads'), name, url.searchParams.get('prefix') ?? ''));
      return;
    }
    if (req.method === 'GET' && url.searchParams.get('list-type') === '2' && /^\/[^/]+\/?$/.test(url.pathname)) {
      listObjectsV2(s3rver, decodeURIComponent(url.pathname.split('/')[1]!), url.searchParams).then(
        (xml) => res.writeHead(200, { 'content-type': 'application/xml' }).end(xml),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
      return;
    }
    const objectKey = /^\/[^/]+\/.+/.test(url.pathname) ? url.pathname : null;
    const writesObject = (req.method === 'PUT' && uploadId === null) || (req.method === 'POST' && uploadId !== null);
    if (objectKey !== null && writesObject) {
      // s3rver writes objects in place; S3 replaces them atomically. One write per key at a time
      // gives the same outcome for concurrent writers: the last one wins whole.
      const previous = writing.get(objectKey) ?? Promise.resolve();
      const mine = previous.then(
        () =>
          new Promise<void>((resolve) => {
            res.once('close', () => resolve());
            handle(req, res);
          }),
      );
      writing.set(objectKey, mine);
      void mine.then(() => {
        if (writing.get(objectKey) === mine) writing.delete(objectKey);
      });
      return;
    }
    handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    options: {
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
    uploadDir: (uploadId) => join(directory, bucket, '._S3rver_uploads', uploadId),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

const PAGE = 1000;

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * ListObjectsV2 as S3 documents it: keys in UTF-8 byte order, keys sharing a prefix up to the
 * delimiter rolled into one CommonPrefixes entry, keys and prefixes together counting towards
 * the 1000-entry page, and an opaque continuation token (here the last entry, base64).
 */
async function listObjectsV2(s3rver: S3rver, bucket: string, q: URLSearchParams): Promise<string> {
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = Math.min(PAGE, Number(q.get('max-keys') ?? PAGE));
  const token = q.get('continuation-token');
  const after = token === null ? (q.get('start-after') ?? '') : Buffer.from(token, 'base64').toString('utf8');
  const { objects } = await s3rver.store.listObjects(bucket, { prefix, maxKeys: Infinity });
  objects.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  const contents: string[] = [];
  const prefixes: string[] = [];
  let last = '';
  let truncated = false;
  for (const o of objects) {
    if (after !== '' && (Buffer.compare(Buffer.from(o.key), Buffer.from(after)) <= 0 || (after.endsWith(delimiter) && delimiter !== '' && o.key.startsWith(after)))) continue;
    const idx = delimiter === '' ? -1 : o.key.indexOf(delimiter, prefix.length);
    const entry = idx < 0 ? o.key : o.key.slice(0, idx + delimiter.length);
    if (entry === last) continue;
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    last = entry;
    if (idx < 0) {
      contents.push(
        `<Contents><Key>${xmlEscape(o.key)}</Key><LastModified>${o.lastModifiedDate.toISOString()}</LastModified>` +
          `<ETag>${xmlEscape(o.metadata.etag ?? '')}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
    } else {
      prefixes.push(`<CommonPrefixes><Prefix>${xmlEscape(entry)}</Prefix></CommonPrefixes>`);
    }
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${contents.length + prefixes.length}</KeyCount>` +
    `<MaxKeys>${maxKeys}</MaxKeys>${delimiter === '' ? '' : `<Delimiter>${xmlEscape(delimiter)}</Delimiter>`}` +
    `<IsTruncated>${truncated}</IsTruncated>` +
    (truncated ? `<NextContinuationToken>${Buffer.from(last).toString('base64')}</NextContinuationToken>` : '') +
    contents.join('') +
    prefixes.join('') +
    '</ListBucketResult>'
  );
}

/** ListMultipartUploads as S3 documents it, in one page: uploads by key, then by initiation. */
function listMultipartUploads(staging: string, bucket: string, prefix: string): string {
  const uploads: Array<{ key: string; id: string; initiated: Date }> = [];
  for (const id of existsSync(staging) ? readdirSync(staging) : []) {
    const keyFile = join(staging, id, 'key');
    if (!existsSync(keyFile)) continue;
    const key = readFileSync(keyFile, 'utf8');
    if (key.startsWith(prefix)) uploads.push({ key, id, initiated: statSync(keyFile).mtime });
  }
  uploads.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || a.initiated.getTime() - b.initiated.getTime());
  return (
    '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Bucket>${xmlEscape(bucket)}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
    uploads
      .map(
        (u) =>
          `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.id}</UploadId><StorageClass>STANDARD</StorageClass>` +
          `<Initiated>${u.initiated.toISOString()}</Initiated></Upload>`,
      )
      .join('') +
    '</ListMultipartUploadsResult>'
  );
}
