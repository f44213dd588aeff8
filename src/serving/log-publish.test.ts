/**
 * Uploading the inference log to S3 (s3rver in process) when the store fails: acknowledged rows
 * stay on local disk until they are uploaded and indexed, failures are counted, a later flush
 * or a restarted process finishes the job, and a lost index answer does not block the spool.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openS3ArtifactStore, type ArtifactStore } from '../artifacts/index.js';
import { startFakeS3, type FakeS3 } from '../artifacts/test-support/fake-s3.js';
import { openStore, type Store } from '../store/index.js';
import { listInferenceLogFiles, localLogPaths, storeIndex } from './inference-files.js';
import { InferenceLog, type InferenceIndex, type LoggedModel } from './inference-log.js';
import { UploadingIndex, artifactPublisher, type LogPublisher } from './log-publish.js';
import { parquetFiles } from './test-support/files.js';

const model: LoggedModel = { name: 'flaky', version: '1', columns: [{ kind: 'column', name: 'x', type: 'double', required: true }], predictionType: 'DOUBLE' };

/** A publisher that fails while `down` is set, counting its attempts. */
function flaky(inner: LogPublisher): LogPublisher & { down: boolean; attempts: number } {
  const p = {
    down: true,
    attempts: 0,
    uri: inner.uri,
    async publish(local: string, rel: string): Promise<string> {
      p.attempts++;
      if (p.down) throw new Error('connect ECONNREFUSED (the store is down)');
      return inner.publish(local, rel);
    },
  };
  return p;
}

function rowsOf(log: InferenceLog, n: number, t0: number): void {
  for (let i = 0; i < n; i++) log.append(model, `r-${t0}-${i}`, t0 + i, 1, { rows: 1, logged: [i], proba: undefined, inputs: new Map([['x', [i]]]) });
}

describe('UploadingIndex on S3', () => {
  let fake: FakeS3;
  let s3: ArtifactStore;
  let store: Store;
  let dir: string;

  beforeAll(async () => {
    fake = await startFakeS3();
    s3 = await openS3ArtifactStore(`s3://${fake.bucket}/publish-${process.pid}-${Date.now()}`, fake.options);
    dir = mkdtempSync(join(tmpdir(), 'hangar-publish-'));
    store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
  });
  afterAll(async () => {
    await store?.close();
    await s3?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps rows on disk while uploads fail, counts the failures, and uploads them on a later flush', async () => {
    const spool = join(dir, 'spool-a');
    const publisher = flaky(artifactPublisher(s3));
    const failures: number[] = [];
    const waiting: number[] = [];
    const index = new UploadingIndex({ root: spool, publisher, index: storeIndex(store), onUploadFailure: (n) => failures.push(n), onWaiting: (r) => waiting.push(r) });
    const log = new InferenceLog({ root: spool, index, flushIntervalMs: 3_600_000 });
    rowsOf(log, 30, Date.UTC(2026, 0, 5, 12));
    await log.flush();
    expect(publisher.attempts).toBe(1);
    expect(failures).toEqual([1]);
    expect(index.uploadFailures).toBe(1);
    expect(waiting.at(-1)).toBe(30);
    expect(log.written).toBe(0);
    expect(await listInferenceLogFiles(store, { model: 'flaky', kind: 'predictions' })).toEqual([]);
    expect(parquetFiles(spool)).toHaveLength(1);

    rowsOf(log, 20, Date.UTC(2026, 0, 6, 12));
    await log.flush();
    expect(failures).toEqual([1, 1]);
    expect(waiting.at(-1)).toBe(50);
    expect(parquetFiles(spool)).toHaveLength(2);

    publisher.down = false;
    await log.close();
    expect(waiting.at(-1)).toBe(0);
    expect(log.written).toBe(50);
    expect(parquetFiles(spool)).toEqual([]);
    const files = await listInferenceLogFiles(store, { model: 'flaky', kind: 'predictions' });
    expect(files.map((f) => [f.day, f.rows])).toEqual([
      ['2026-01-05', 30],
      ['2026-01-06', 20],
    ]);
    expect(files.every((f) => f.path.startsWith(`${s3.rootUri}/inference-log/flaky/date=`))).toBe(true);
    // Readers get cached local copies holding every row.
    const local = await localLogPaths(files.map((f) => f.path), { artifacts: s3, cacheDir: join(dir, 'cache') });
    expect(local).toHaveLength(2);
    const duck = await import('@duckdb/node-api');
    const inst = await duck.DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const n = (await con.runAndReadAll(`select count(*)::INTEGER as n from read_parquet([${local.map((p) => `'${p}'`).join(', ')}])`)).getRowObjectsJS()[0]!.n;
    con.closeSync();
    inst.closeSync();
    expect(n).toBe(50);
  });

  it('a restarted writer uploads and indexes what the previous process left in the spool', async () => {
    const spool = join(dir, 'spool-b');
    const down = flaky(artifactPublisher(s3));
    const first = new InferenceLog({ root: spool, index: new UploadingIndex({ root: spool, publisher: down, index: storeIndex(store), writerId: 3 }), writerId: 3, flushIntervalMs: 3_600_000 });
    first.append({ ...model, name: 'restart' }, 'only', Date.UTC(2026, 0, 7), 1, { rows: 1, logged: [1], proba: undefined, inputs: new Map([['x', [1]]]) });
    await first.close();
    expect(parquetFiles(spool)).toHaveLength(1);

    // Another writer id leaves the file alone; the same id picks it up with its first flush.
    const other = new UploadingIndex({ root: spool, publisher: artifactPublisher(s3), index: storeIndex(store), writerId: 4 });
    await other.addFiles([]);
    expect(parquetFiles(spool)).toHaveLength(1);
    const lines: string[] = [];
    const again = new UploadingIndex({ root: spool, publisher: artifactPublisher(s3), index: storeIndex(store), writerId: 3, log: (l) => lines.push(l) });
    await again.resume();
    expect(lines.join('\n')).toMatch(/1 files \(1 rows\) left in .* by an earlier process/);
    expect(parquetFiles(spool)).toEqual([]);
    const files = await listInferenceLogFiles(store, { model: 'restart', kind: 'predictions' });
    expect(files.map((f) => [f.day, f.rows])).toEqual([['2026-01-07', 1]]);
  });

  it('recovers a spooled file that lost its sidecar (a crash between writing and handing over) from the file itself', async () => {
    const spool = join(dir, 'spool-nosidecar');
    const down: InferenceIndex = {
      async addFiles() {
        throw new Error('the process died here');
      },
    };
    const t = Date.UTC(2026, 0, 10, 6);
    const first = new InferenceLog({ root: spool, index: down, writerId: 2, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 7; i++) first.append({ ...model, name: 'nosidecar' }, `n${i}`, t + i * 1000, 1, { rows: 1, logged: [i], proba: undefined, inputs: new Map([['x', [i]]]) });
    await first.close();
    const [orphan] = parquetFiles(spool);
    expect(orphan).toBeDefined();
    // Written by an earlier process: older than the one that recovers it.
    const past = new Date(Date.now() - 60_000);
    await utimes(orphan!, past, past);
    await new UploadingIndex({ root: spool, publisher: artifactPublisher(s3), index: storeIndex(store), writerId: 1 }).resume();
    expect(parquetFiles(spool)).toHaveLength(1);
    await new UploadingIndex({ root: spool, publisher: artifactPublisher(s3), index: storeIndex(store), writerId: 2 }).resume();
    expect(parquetFiles(spool)).toEqual([]);
    const files = await listInferenceLogFiles(store, { model: 'nosidecar', kind: 'predictions' });
    expect(files.map((f) => ({ day: f.day, rows: f.rows, minTs: f.minTs, maxTs: f.maxTs }))).toEqual([{ day: '2026-01-10', rows: 7, minTs: t, maxTs: t + 6000 }]);
  });

  it('keeps apart two machines\' files that share a name (same time, same sequence number)', async () => {
    const rel = ['twins', 'date=2026-01-09', '1767916800000-0.parquet'];
    const uris: string[] = [];
    for (const machine of ['m1', 'm2']) {
      const spool = join(dir, `spool-${machine}`);
      await mkdir(join(spool, ...rel.slice(0, -1)), { recursive: true });
      const local = join(spool, ...rel);
      await writeFile(local, `rows of ${machine}`);
      await new UploadingIndex({ root: spool, publisher: artifactPublisher(s3), index: storeIndex(store) }).addFiles([
        { modelName: 'twins', kind: 'predictions', day: '2026-01-09', minTs: 1, maxTs: 2, rows: 1, path: local },
      ]);
    }
    for (const f of await listInferenceLogFiles(store, { model: 'twins', kind: 'predictions' })) uris.push(f.path);
    expect(uris).toHaveLength(2);
    expect(new Set(uris).size).toBe(2);
    const bodies = await Promise.all(uris.map(async (u) => Buffer.concat(await (await s3.get(u.slice(s3.rootUri.length + 1))).toArray()).toString()));
    expect(bodies.sort()).toEqual(['rows of m1', 'rows of m2']);
  });

  it('counts a file whose index answer was lost as indexed instead of retrying it forever', async () => {
    const spool = join(dir, 'spool-c');
    const real = storeIndex(store);
    let loseAnswer = true;
    const lossy: InferenceIndex = {
      async addFiles(files) {
        await real.addFiles(files);
        if (loseAnswer) {
          loseAnswer = false;
          throw new Error('socket hang up');
        }
      },
    };
    const log = new InferenceLog({ root: spool, index: new UploadingIndex({ root: spool, publisher: artifactPublisher(s3), index: lossy }), flushIntervalMs: 3_600_000 });
    log.append({ ...model, name: 'lossy' }, 'one', Date.UTC(2026, 0, 8), 1, { rows: 1, logged: [1], proba: undefined, inputs: new Map([['x', [1]]]) });
    await log.flush();
    expect(parquetFiles(spool)).toHaveLength(1);
    await log.close();
    expect(parquetFiles(spool)).toEqual([]);
    expect(log.written).toBe(1);
    expect((await listInferenceLogFiles(store, { model: 'lossy', kind: 'predictions' })).map((f) => f.rows)).toEqual([1]);
  });
});
