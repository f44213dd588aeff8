import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openArtifactStore } from './open.js';
import type { ArtifactStore } from './port.js';
import { startFakeS3, type FakeS3 } from './test-support/fake-s3.js';

/**
 * What each adapter's `sweepLeftovers` finds beyond the behaviour suite: temp files of atomic
 * writes and how an upload's age is measured on local disk; the prefix boundary on S3.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Set the access and modification times of paths to `ms`. */
function backdate(ms: number, ...paths: string[]): void {
  for (const p of paths) utimesSync(p, ms / 1000, ms / 1000);
}

describe('sweepLeftovers on local disk', () => {
  let dir: string;
  let root: string;
  let store: ArtifactStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-sweep-'));
    root = join(dir, 'root');
    store = await openArtifactStore(root);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes temp files an interrupted write left, prunes the folders they alone kept, and keeps the rest', async () => {
    await store.put('1/run/artifacts/model.bin', Buffer.from('committed'));
    const crashedDir = join(root, '1', 'other', 'artifacts', 'deep');
    mkdirSync(crashedDir, { recursive: true });
    const stale = join(crashedDir, '.hangar-tmp-0123456789abcdef');
    writeFileSync(stale, 'half a file');
    const besideCommitted = join(root, '1', 'run', 'artifacts', '.hangar-tmp-fedcba9876543210');
    writeFileSync(besideCommitted, 'half');
    const fresh = join(root, '1', 'run', 'artifacts', '.hangar-tmp-00000000000000ff');
    writeFileSync(fresh, 'being written');
    // Names that only look like temp files are not ours to remove.
    const lookalike = join(root, '1', 'run', 'artifacts', '.hangar-tmp-notours');
    writeFileSync(lookalike, 'x');
    const now = Date.now();
    backdate(now - 2 * DAY, stale, besideCommitted, lookalike, join(root, '1', 'run', 'artifacts', 'model.bin'));

    const swept = await store.sweepLeftovers!({ before: now - DAY });
    expect(swept.map((l) => [l.kind, l.path, l.bytes]).sort()).toEqual([
      ['temp', '1/other/artifacts/deep/.hangar-tmp-0123456789abcdef', 11],
      ['temp', '1/run/artifacts/.hangar-tmp-fedcba9876543210', 4],
    ]);
    expect(existsSync(stale) || existsSync(besideCommitted)).toBe(false);
    // The folders only the stale temp file kept are gone, as if the write had never started.
    expect(existsSync(join(root, '1', 'other'))).toBe(false);
    expect(existsSync(fresh) && existsSync(lookalike)).toBe(true);
    // A committed file older than the cutoff is never a leftover.
    expect((await store.stat('1/run/artifacts/model.bin'))?.size).toBe(9);
  });

  it('ages an upload by its last part, not by when it started', async () => {
    const mpu = store.multipart!;
    const id = await mpu.create('big.bin');
    await mpu.uploadPart('big.bin', id, 1, Buffer.from('part one'));
    const staged = join(root, '.hangar-uploads', id);
    const now = Date.now();
    backdate(now - 3 * DAY, staged, ...readdirSync(staged).map((f) => join(staged, f)));
    // A part arriving now makes the upload young again, although it started three days ago.
    const e2 = await mpu.uploadPart('big.bin', id, 2, Buffer.from('part two'));
    expect(await store.sweepLeftovers!({ before: now - DAY })).toEqual([]);

    backdate(now - 2 * DAY, staged, ...readdirSync(staged).map((f) => join(staged, f)));
    const listed = await store.sweepLeftovers!({ before: now - DAY, dryRun: true });
    expect(listed).toEqual([{ kind: 'upload', path: 'big.bin', uploadId: id, lastModified: expect.any(Number), bytes: expect.any(Number) }]);
    expect(listed[0]!.lastModified).toBeLessThanOrEqual(now - 2 * DAY + 1000);
    expect(existsSync(staged)).toBe(true);
    const swept = await store.sweepLeftovers!({ before: now - DAY });
    expect(swept.map((l) => l.uploadId)).toEqual([id]);
    expect(existsSync(staged)).toBe(false);
    await expect(mpu.complete('big.bin', id, [{ partNumber: 2, etag: e2 }])).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});

describe('sweepLeftovers on S3 (s3rver)', () => {
  let fake: FakeS3;
  beforeAll(async () => {
    fake = await startFakeS3();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('aborts old incomplete uploads under its own prefix only, by when they started', async () => {
    const base = `t-${randomBytes(6).toString('hex')}`;
    const mine = await openArtifactStore(`s3://${fake.bucket}/${base}/art`, { s3: fake.options });
    // A sibling whose prefix starts with the same characters: not under `<base>/art/`.
    const sibling = await openArtifactStore(`s3://${fake.bucket}/${base}/art2`, { s3: fake.options });
    try {
      const old = await mine.multipart!.create('1/run/artifacts/old.bin');
      await mine.multipart!.uploadPart('1/run/artifacts/old.bin', old, 1, Buffer.from('stale'));
      const young = await mine.multipart!.create('1/run/artifacts/young.bin');
      const theirs = await sibling.multipart!.create('x.bin');
      const now = Date.now();
      backdate(now - 2 * DAY, join(fake.uploadDir(old), 'key'));
      backdate(now - 2 * DAY, join(fake.uploadDir(theirs), 'key'));
      await mine.put('1/run/artifacts/kept.txt', Buffer.from('committed'));

      const listed = await mine.sweepLeftovers!({ before: now - DAY, dryRun: true });
      expect(listed).toEqual([{ kind: 'upload', path: '1/run/artifacts/old.bin', uploadId: old, lastModified: expect.any(Number) }]);
      expect(Math.abs(listed[0]!.lastModified - (now - 2 * DAY))).toBeLessThan(1000);
      expect(existsSync(fake.uploadDir(old))).toBe(true);

      expect((await mine.sweepLeftovers!({ before: now - DAY })).map((l) => l.uploadId)).toEqual([old]);
      expect(existsSync(fake.uploadDir(old))).toBe(false);
      expect(existsSync(fake.uploadDir(young))).toBe(true);
      expect(existsSync(fake.uploadDir(theirs))).toBe(true);
      expect((await mine.stat('1/run/artifacts/kept.txt'))?.size).toBe(9);
      expect(await mine.sweepLeftovers!({ before: now - DAY })).toEqual([]);
    } finally {
      await mine.close();
      await sibling.close();
    }
  });
});
