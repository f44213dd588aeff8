/**
 * The metric tables in the artifact store, local disk and S3 (s3rver in process): written per
 * run, merged on read with the newest run's row per key, read in place on local disk and from a
 * cache of downloaded copies on S3.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalArtifactStore, openS3ArtifactStore, type ArtifactStore } from '../../artifacts/index.js';
import { startFakeS3, type FakeS3 } from '../../artifacts/test-support/fake-s3.js';
import { readTable, tablePath, writeTable } from './results.js';
import type { ProfileRow } from './tables.js';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 4, 1);

function row(day: number, runId: string, computedAt: number, count: number): ProfileRow {
  return {
    window_start: t0 + day * DAY,
    window_end: t0 + (day + 1) * DAY,
    granularity: '1 day',
    slice_key: null,
    slice_value: null,
    column_name: ':table',
    log_type: 'INPUT',
    model_id: '*',
    data_type: 'table',
    monitor_version: 1,
    monitor_run_id: runId,
    computed_at: computedAt,
    count,
  };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('monitor tables', () => {
  let fake: FakeS3;
  let dir: string;
  const stores: Array<{ name: string; open: () => Promise<ArtifactStore> }> = [
    { name: 'local disk', open: () => openLocalArtifactStore(join(dir, 'artifacts')) },
    { name: 'S3', open: () => openS3ArtifactStore(`s3://${fake.bucket}/tables-${process.pid}-${Date.now()}`, fake.options) },
  ];

  beforeAll(async () => {
    fake = await startFakeS3();
    dir = mkdtempSync(join(tmpdir(), 'hangar-tables-'));
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(stores)('on $name: the newest run wins per window, a removed run file is skipped, remote files are downloaded once', async ({ name, open }) => {
    const artifacts = await open();
    const cacheDir = join(dir, `cache-${name.replace(/\W/g, '')}`);
    try {
      const a = await writeTable(artifacts, 'm', 'profile', 'run-a', [row(0, 'run-a', 1, 10), row(1, 'run-a', 1, 11)]);
      const b = await writeTable(artifacts, 'm', 'profile', 'run-b', [row(1, 'run-b', 2, 21), row(2, 'run-b', 2, 22)]);
      expect(a).toBe(tablePath('m', 'profile', 'run-a'));
      const read = async () => (await readTable(artifacts, 'profile', [a, b], { column_name: ':table' }, cacheDir)).map((r) => [(r.window as { start: number }).start, r.count, r.monitor_run_id]);
      const expected = [
        [t0, 10, 'run-a'],
        [t0 + DAY, 21, 'run-b'],
        [t0 + 2 * DAY, 22, 'run-b'],
      ];
      expect(await read()).toEqual(expected);
      const remote = !artifacts.rootUri.startsWith('file:');
      // Local disk is read in place; S3 through two cached copies.
      expect(filesUnder(cacheDir)).toHaveLength(remote ? 2 : 0);

      if (remote) {
        // A run's file never changes: the second read takes the cached copies, not the store.
        await artifacts.delete(b);
        expect(await read()).toEqual(expected);
        rmSync(cacheDir, { recursive: true, force: true });
      } else {
        await artifacts.delete(b);
      }
      // A run file that is gone (and not cached) leaves the other runs readable.
      expect(await read()).toEqual([
        [t0, 10, 'run-a'],
        [t0 + DAY, 11, 'run-a'],
      ]);
    } finally {
      await artifacts.close();
    }
  });
});
