import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import { openArtifactStore } from './open.js';
import type { ArtifactStore, MultipartUploads } from './port.js';
import { startFakeS3, type FakeS3 } from './test-support/fake-s3.js';

/**
 * One behaviour suite for the ArtifactStore port, run against every adapter: local disk and S3
 * (an in-process s3rver, so it needs no external service and always runs).
 */

const PART = 1024 * 1024;

interface Subject {
  name: string;
  beforeAll(): Promise<void>;
  afterAll(): Promise<void>;
  /** A fresh, empty store; tests never share one. */
  open(): Promise<{ store: ArtifactStore; cleanup(): Promise<void> }>;
}

function localSubject(): Subject {
  return {
    name: 'local disk',
    async beforeAll() {},
    async afterAll() {},
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'hangar-artifacts-'));
      const store = await openArtifactStore(pathToFileURL(join(dir, 'root')).href);
      return {
        store,
        async cleanup() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function s3Subject(): Subject {
  let fake: FakeS3 | undefined;
  return {
    name: 'S3 (s3rver)',
    async beforeAll() {
      fake = await startFakeS3();
    },
    async afterAll() {
      await fake?.close();
    },
    async open() {
      // A prefix per test keeps tests apart inside the one bucket; a small part size makes
      // streamed puts really go through multipart.
      const prefix = `t-${randomBytes(6).toString('hex')}/root`;
      const store = await openArtifactStore(`s3://${fake!.bucket}/${prefix}`, { s3: { ...fake!.options, partSizeBytes: PART } });
      return { store, cleanup: () => store.close() };
    },
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

/** A stream that yields `data` in uneven chunks, as a network body does. */
function chunkedStream(data: Buffer, chunk = 64 * 1024 + 7): Readable {
  async function* gen() {
    for (let i = 0; i < data.length; i += chunk) {
      yield data.subarray(i, Math.min(i + chunk, data.length));
      if (i % (chunk * 8) === 0) await new Promise((r) => setImmediate(r));
    }
  }
  return Readable.from(gen());
}

/** A stream that yields some bytes and then fails, like a client that disconnects. */
function failingStream(prefix: Buffer): Readable {
  async function* gen() {
    yield prefix;
    await new Promise((r) => setImmediate(r));
    throw new Error('client went away');
  }
  return Readable.from(gen());
}

async function expectCode(p: Promise<unknown>, code: string, messagePart?: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(HangarError);
  expect((err as HangarError).code).toBe(code);
  if (messagePart !== undefined) expect((err as HangarError).message).toContain(messagePart);
}

const BAD_PATHS = [
  '/abs/file.txt',
  '../escape.txt',
  'a/../../escape.txt',
  'a/..',
  '..',
  '.',
  './a',
  'a/./b',
  'a\\b',
  'a\0b',
  'a//b',
  'a/',
  'C:/windows',
  '.hangar-tmp-123',
  'x/.hangar-uploads/y',
  'n'.repeat(256),
  `${'d/'.repeat(520)}f`,
];

describe.each([localSubject(), s3Subject()])('artifact store on $name', (subject) => {
  let store: ArtifactStore;
  let cleanup: () => Promise<void>;

  beforeAll(() => subject.beforeAll());
  afterAll(() => subject.afterAll());
  beforeEach(async () => {
    ({ store, cleanup } = await subject.open());
  });
  afterEach(() => cleanup());

  describe('put and get', () => {
    it('round-trips every byte value', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => i % 256));
      await store.put('1/run/artifacts/model.pkl', bytes);
      expect(await readAll(await store.get('1/run/artifacts/model.pkl'))).toEqual(bytes);
      expect(await store.stat('1/run/artifacts/model.pkl')).toEqual({ isDir: false, size: bytes.length });
    });

    it('stores an empty file', async () => {
      await store.put('empty.txt', Buffer.alloc(0));
      expect((await readAll(await store.get('empty.txt'))).length).toBe(0);
      expect(await store.list('')).toEqual([{ path: 'empty.txt', isDir: false, fileSize: 0 }]);
    });

    it('replaces an existing file', async () => {
      await store.put('notes.txt', Buffer.from('first version, longer'));
      await store.put('notes.txt', Buffer.from('second'));
      expect((await readAll(await store.get('notes.txt'))).toString()).toBe('second');
    });

    it('streams a body of several parts', async () => {
      const data = randomBytes(3 * PART + 12345);
      await store.put('big/blob.bin', chunkedStream(data));
      const back = await readAll(await store.get('big/blob.bin'));
      expect(back.length).toBe(data.length);
      expect(back.equals(data)).toBe(true);
      expect(await store.list('big')).toEqual([{ path: 'blob.bin', isDir: false, fileSize: data.length }]);
    });

    it('streams a body shorter than one part, and an empty stream', async () => {
      await store.put('short.txt', chunkedStream(Buffer.from('short body'), 3));
      expect((await readAll(await store.get('short.txt'))).toString()).toBe('short body');
      await store.put('none.txt', Readable.from([]));
      expect(await store.stat('none.txt')).toEqual({ isDir: false, size: 0 });
    });

    it('writes nothing when the stream fails, and keeps the old file', async () => {
      await expect(store.put('fresh.bin', failingStream(randomBytes(PART + 10)))).rejects.toThrow();
      await expectCode(store.get('fresh.bin'), 'RESOURCE_DOES_NOT_EXIST');
      expect(await store.list('')).toEqual([]);

      await store.put('kept.txt', Buffer.from('old bytes'));
      await expect(store.put('kept.txt', failingStream(randomBytes(2 * PART + 10)))).rejects.toThrow();
      expect((await readAll(await store.get('kept.txt'))).toString()).toBe('old bytes');
      expect(await store.list('')).toEqual([{ path: 'kept.txt', isDir: false, fileSize: 9 }]);
    });

    it('ends concurrent writes of one path with one whole body, never a mix', async () => {
      const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(200 * 1024 + i, i + 1));
      await Promise.all(bodies.map((b) => store.put('race.bin', chunkedStream(b, 16 * 1024))));
      const back = await readAll(await store.get('race.bin'));
      expect(bodies.some((b) => b.equals(back))).toBe(true);
    });

    it('keeps names with spaces, unicode and URL-special characters', async () => {
      const names = ['with space.txt', 'café.json', '100%.txt', 'a+b=c&d.txt', 'q?x#y.txt', 'emoji 😀.txt'];
      for (const n of names) await store.put(`odd/${n}`, Buffer.from(n));
      for (const n of names) expect((await readAll(await store.get(`odd/${n}`))).toString()).toBe(n);
      expect((await store.list('odd'))!.map((e) => e.path).sort()).toEqual([...names].sort());
    });

    it('answers RESOURCE_DOES_NOT_EXIST for a missing file or a directory', async () => {
      await expectCode(store.get('nope.txt'), 'RESOURCE_DOES_NOT_EXIST', 'nope.txt');
      await store.put('dir/inner.txt', Buffer.from('x'));
      await expectCode(store.get('dir'), 'RESOURCE_DOES_NOT_EXIST');
      await expectCode(store.get('dir/inner.txt/deeper'), 'RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('list and stat', () => {
    it('lists the root of an empty store as empty', async () => {
      expect(await store.list('')).toEqual([]);
      expect(await store.stat('')).toEqual({ isDir: true });
    });

    it('lists direct children with bare names, sorted by bytes, sizes on files only', async () => {
      const files = ['model/MLmodel', 'model/conda.yaml', 'model/metadata/MLmodel', 'model/Zeta.txt', 'model/a.txt', 'model/é.txt', 'model/😀.txt', 'model/ｚ.txt'];
      for (const f of files) await store.put(f, Buffer.from(f));
      const listed = await store.list('model');
      expect(listed!.map((e) => e.path)).toEqual(['MLmodel', 'Zeta.txt', 'a.txt', 'conda.yaml', 'metadata', 'é.txt', 'ｚ.txt', '😀.txt']);
      expect(listed!.find((e) => e.path === 'metadata')).toEqual({ path: 'metadata', isDir: true });
      expect(listed!.find((e) => e.path === 'MLmodel')).toEqual({ path: 'MLmodel', isDir: false, fileSize: 'model/MLmodel'.length });
      expect(await store.list('')).toEqual([{ path: 'model', isDir: true }]);
    });

    it('lists a file or a missing path as null', async () => {
      await store.put('d/f.txt', Buffer.from('hello'));
      expect(await store.list('d/f.txt')).toBeNull();
      expect(await store.list('missing')).toBeNull();
      expect(await store.list('d/f.txt/below')).toBeNull();
    });

    it('stats files, directories and missing paths', async () => {
      await store.put('d/e/f.txt', Buffer.from('hello'));
      expect(await store.stat('d/e/f.txt')).toEqual({ isDir: false, size: 5 });
      expect(await store.stat('d')).toEqual({ isDir: true });
      expect(await store.stat('d/e')).toEqual({ isDir: true });
      expect(await store.stat('d/x')).toBeNull();
      expect(await store.stat('d/e/f.txt/g')).toBeNull();
    });

    it('does not take a sibling with a longer name for a directory', async () => {
      await store.put('ab/c.txt', Buffer.from('1'));
      await store.put('abc.txt', Buffer.from('2'));
      expect(await store.list('a')).toBeNull();
      expect(await store.stat('a')).toBeNull();
      expect(await store.list('ab')).toEqual([{ path: 'c.txt', isDir: false, fileSize: 1 }]);
    });

    it('pages through listings larger than one S3 page', async () => {
      const names = Array.from({ length: 1105 }, (_, i) => `f${String(i).padStart(5, '0')}`);
      for (let i = 0; i < names.length; i += 50) {
        await Promise.all(names.slice(i, i + 50).map((n) => store.put(`many/${n}`, Buffer.from('x'))));
      }
      const listed = await store.list('many');
      expect(listed!.length).toBe(names.length);
      expect(listed!.map((e) => e.path)).toEqual(names);
    }, 120_000);
  });

  describe('delete', () => {
    it('deletes a file, leaving its siblings', async () => {
      await store.put('d/a.txt', Buffer.from('a'));
      await store.put('d/b.txt', Buffer.from('b'));
      await store.delete('d/a.txt');
      expect(await store.list('d')).toEqual([{ path: 'b.txt', isDir: false, fileSize: 1 }]);
      await expectCode(store.get('d/a.txt'), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('deletes a directory tree and forgets directories left empty', async () => {
      await store.put('x/y/z/1.txt', Buffer.from('1'));
      await store.put('x/y/2.txt', Buffer.from('2'));
      await store.put('keep.txt', Buffer.from('k'));
      await store.delete('x/y');
      expect(await store.stat('x/y')).toBeNull();
      expect(await store.list('x')).toBeNull();
      expect(await store.list('')).toEqual([{ path: 'keep.txt', isDir: false, fileSize: 1 }]);
    });

    it('deletes a file that was its directory only content, and the directory goes too', async () => {
      await store.put('only/child.txt', Buffer.from('c'));
      await store.delete('only/child.txt');
      expect(await store.list('only')).toBeNull();
      expect(await store.list('')).toEqual([]);
    });

    it('deletes nothing without complaint, and refuses the root', async () => {
      await store.delete('never/was.txt');
      await expectCode(store.delete(''), 'INVALID_PARAMETER_VALUE', 'root');
    });
  });

  describe('path rules', () => {
    it.each(BAD_PATHS)('rejects %j in every operation', async (bad) => {
      const shown = bad.length > 200 ? bad.slice(0, 200) : bad;
      await expectCode(store.put(bad, Buffer.from('x')), 'INVALID_PARAMETER_VALUE', shown);
      await expectCode(store.get(bad), 'INVALID_PARAMETER_VALUE', shown);
      await expectCode(store.stat(bad), 'INVALID_PARAMETER_VALUE', shown);
      await expectCode(store.list(bad), 'INVALID_PARAMETER_VALUE', shown);
      await expectCode(store.delete(bad), 'INVALID_PARAMETER_VALUE', shown);
      await expectCode(store.multipart!.create(bad), 'INVALID_PARAMETER_VALUE', shown);
    });

    it('rejects the empty path where a file is meant', async () => {
      await expectCode(store.put('', Buffer.from('x')), 'INVALID_PARAMETER_VALUE');
      await expectCode(store.get(''), 'INVALID_PARAMETER_VALUE');
      await expectCode(store.multipart!.create(''), 'INVALID_PARAMETER_VALUE');
    });

    it('writes nothing when it rejects a path', async () => {
      for (const bad of BAD_PATHS) await store.put(bad, Buffer.from('x')).catch(() => undefined);
      expect(await store.list('')).toEqual([]);
    });
  });

  describe('multipart uploads', () => {
    let mpu: MultipartUploads;
    beforeEach(() => {
      mpu = store.multipart!;
    });

    it('assembles parts uploaded out of order, and the file appears only on completion', async () => {
      const parts = [randomBytes(PART), randomBytes(PART), randomBytes(1234)];
      const id = await mpu.create('1/run/artifacts/big.bin');
      expect(typeof id).toBe('string');
      const etags: string[] = [];
      for (const i of [2, 0, 1]) etags[i] = await mpu.uploadPart('1/run/artifacts/big.bin', id, i + 1, parts[i]!);
      expect(etags.every((e) => typeof e === 'string' && e.length > 0)).toBe(true);
      expect(await store.stat('1/run/artifacts/big.bin')).toBeNull();
      expect(await store.list('')).toEqual([]);

      await mpu.complete('1/run/artifacts/big.bin', id, [3, 1, 2].map((n) => ({ partNumber: n, etag: etags[n - 1]! })));
      const back = await readAll(await store.get('1/run/artifacts/big.bin'));
      expect(back.equals(Buffer.concat(parts))).toBe(true);
      expect(await store.list('1/run/artifacts')).toEqual([{ path: 'big.bin', isDir: false, fileSize: 2 * PART + 1234 }]);
      expect(await store.list('')).toEqual([{ path: '1', isDir: true }]);
    });

    it('takes parts as streams, and a re-uploaded part replaces the first', async () => {
      const id = await mpu.create('s.bin');
      await mpu.uploadPart('s.bin', id, 1, chunkedStream(Buffer.alloc(PART, 1)));
      const e1 = await mpu.uploadPart('s.bin', id, 1, chunkedStream(Buffer.alloc(PART, 7)));
      const e2 = await mpu.uploadPart('s.bin', id, 2, Buffer.from('tail'));
      await mpu.complete('s.bin', id, [
        { partNumber: 1, etag: e1 },
        { partNumber: 2, etag: e2 },
      ]);
      expect((await readAll(await store.get('s.bin'))).equals(Buffer.concat([Buffer.alloc(PART, 7), Buffer.from('tail')]))).toBe(true);
    });

    it('replaces an existing file on completion', async () => {
      await store.put('r.txt', Buffer.from('old'));
      const id = await mpu.create('r.txt');
      const etag = await mpu.uploadPart('r.txt', id, 1, Buffer.from('new body'));
      await mpu.complete('r.txt', id, [{ partNumber: 1, etag }]);
      expect((await readAll(await store.get('r.txt'))).toString()).toBe('new body');
    });

    it('forgets an aborted upload', async () => {
      const id = await mpu.create('gone.bin');
      const etag = await mpu.uploadPart('gone.bin', id, 1, Buffer.from('part'));
      await mpu.abort('gone.bin', id);
      await expectCode(mpu.complete('gone.bin', id, [{ partNumber: 1, etag }]), 'RESOURCE_DOES_NOT_EXIST');
      await expectCode(mpu.uploadPart('gone.bin', id, 2, Buffer.from('late')), 'RESOURCE_DOES_NOT_EXIST');
      expect(await store.stat('gone.bin')).toBeNull();
      expect(await store.list('')).toEqual([]);
      await mpu.abort('gone.bin', id);
    });

    it('forgets a completed upload', async () => {
      const id = await mpu.create('done.bin');
      const etag = await mpu.uploadPart('done.bin', id, 1, Buffer.from('part'));
      await mpu.complete('done.bin', id, [{ partNumber: 1, etag }]);
      await expectCode(mpu.uploadPart('done.bin', id, 2, Buffer.from('late')), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('refuses unknown uploads and uploads of another path', async () => {
      await expectCode(mpu.uploadPart('x.bin', 'deadbeef', 1, Buffer.from('p')), 'RESOURCE_DOES_NOT_EXIST');
      await expectCode(mpu.complete('x.bin', 'not-an-upload', [{ partNumber: 1, etag: '"x"' }]), 'RESOURCE_DOES_NOT_EXIST');
      const id = await mpu.create('mine.bin');
      await expectCode(mpu.uploadPart('theirs.bin', id, 1, Buffer.from('p')), 'RESOURCE_DOES_NOT_EXIST');
      await mpu.abort('mine.bin', id);
      await mpu.abort('x.bin', 'never-existed');
    });

    it('refuses bad part numbers and part lists', async () => {
      const id = await mpu.create('p.bin');
      await expectCode(mpu.uploadPart('p.bin', id, 0, Buffer.from('p')), 'INVALID_PARAMETER_VALUE', 'part number');
      await expectCode(mpu.uploadPart('p.bin', id, 10_001, Buffer.from('p')), 'INVALID_PARAMETER_VALUE', 'part number');
      await expectCode(mpu.uploadPart('p.bin', id, 1.5, Buffer.from('p')), 'INVALID_PARAMETER_VALUE', 'part number');
      const etag = await mpu.uploadPart('p.bin', id, 1, Buffer.from('p'));
      await expectCode(mpu.complete('p.bin', id, []), 'INVALID_PARAMETER_VALUE', 'at least one part');
      await expectCode(
        mpu.complete('p.bin', id, [
          { partNumber: 1, etag },
          { partNumber: 1, etag },
        ]),
        'INVALID_PARAMETER_VALUE',
        'twice',
      );
      await mpu.abort('p.bin', id);
    });
  });

  describe('sweeping abandoned uploads', () => {
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('aborts uploads idle since before the cutoff, keeps younger ones and every committed file', async () => {
      const mpu = store.multipart!;
      await store.put('1/run/artifacts/kept.txt', Buffer.from('committed'));
      const old = await mpu.create('1/run/artifacts/old.bin');
      await mpu.uploadPart('1/run/artifacts/old.bin', old, 1, Buffer.from('stale part'));
      // Timestamps come from the filesystem or the S3 server; leave a clear gap either side.
      await pause(60);
      const cutoff = Date.now();
      await pause(60);
      const young = await mpu.create('1/run/artifacts/young.bin');
      const youngEtag = await mpu.uploadPart('1/run/artifacts/young.bin', young, 1, Buffer.from('fresh part'));

      const listed = await store.sweepLeftovers!({ before: cutoff, dryRun: true });
      expect(listed.map((l) => [l.kind, l.path, l.uploadId])).toEqual([['upload', '1/run/artifacts/old.bin', old]]);
      expect(listed[0]!.lastModified).toBeLessThan(cutoff);

      // The dry run removed nothing, so the real sweep finds the same upload.
      const swept = await store.sweepLeftovers!({ before: cutoff });
      expect(swept.map((l) => [l.kind, l.path, l.uploadId])).toEqual([['upload', '1/run/artifacts/old.bin', old]]);
      await expectCode(mpu.uploadPart('1/run/artifacts/old.bin', old, 2, Buffer.from('late')), 'RESOURCE_DOES_NOT_EXIST');
      expect(await store.sweepLeftovers!({ before: cutoff })).toEqual([]);

      await mpu.complete('1/run/artifacts/young.bin', young, [{ partNumber: 1, etag: youngEtag }]);
      expect((await readAll(await store.get('1/run/artifacts/young.bin'))).toString()).toBe('fresh part');
      expect((await readAll(await store.get('1/run/artifacts/kept.txt'))).toString()).toBe('committed');
      expect(await store.list('1/run/artifacts')).toEqual([
        { path: 'kept.txt', isDir: false, fileSize: 9 },
        { path: 'young.bin', isDir: false, fileSize: 10 },
      ]);
    });

    it('never touches an upload younger than the cutoff, which then completes', async () => {
      const mpu = store.multipart!;
      const id = await mpu.create('y.bin');
      const etag = await mpu.uploadPart('y.bin', id, 1, Buffer.from('young'));
      const cutoff = Date.now() - 60_000;
      expect(await store.sweepLeftovers!({ before: cutoff })).toEqual([]);
      await mpu.complete('y.bin', id, [{ partNumber: 1, etag }]);
      expect((await readAll(await store.get('y.bin'))).toString()).toBe('young');
      // A completed upload is no leftover, and sweeping everything leaves its file alone.
      expect(await store.sweepLeftovers!({ before: Date.now() + 60_000 })).toEqual([]);
      expect((await readAll(await store.get('y.bin'))).toString()).toBe('young');
    });
  });
});
