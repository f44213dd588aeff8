import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HangarClient, Run } from '../client/index.js';
import { collectGarbage } from './gc.js';
import { runCli } from './program.js';
import { testIo } from './test-support/cli.js';
import { startLiveServer, type LiveServer } from './test-support/live-server.js';

/** `hangar gc`: deleted runs and experiments go for good, with their files; nothing else does. */

const DAY = 86_400_000;
let live: LiveServer;
let client: HangarClient;

beforeEach(async () => {
  live = await startLiveServer('hangar-gc-');
  client = live.client;
});
afterEach(async () => {
  await live?.close();
});

/** Where the local artifact store keeps a path. */
const onDisk = (...parts: string[]): string => join(live.home, 'artifacts', ...parts);

async function runWithFile(experimentId: string): Promise<Run> {
  const run = await client.createRun(experimentId);
  await client.putArtifact({ runId: run.info.runId }, 'model/weights.bin', Buffer.alloc(10));
  await client.logMetric(run.info.runId, 'loss', 1);
  return run;
}

describe('collectGarbage', () => {
  it('purges deleted runs and experiments with their artifacts, and keeps active ones', async () => {
    const keepExp = await client.createExperiment('keep');
    const dropExp = await client.createExperiment('drop');
    const kept = await runWithFile(keepExp);
    const dropped = await runWithFile(keepExp);
    const inDroppedExp = await runWithFile(dropExp);
    const lm = await client.createLoggedModel({ experimentId: dropExp, name: 'm' });
    await client.putArtifact({ modelId: lm.modelId }, 'MLmodel', 'x');
    await client.deleteRun(dropped.info.runId);
    await client.deleteExperiment(dropExp);
    expect(existsSync(onDisk(keepExp, dropped.info.runId, 'artifacts', 'model', 'weights.bin'))).toBe(true);
    expect(existsSync(onDisk(dropExp, 'models', lm.modelId, 'artifacts', 'MLmodel'))).toBe(true);

    // Deleted just now: not old enough for a one-day minimum.
    const none = await collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: DAY });
    expect(none).toEqual({ runs: [], experiments: [], skippedArtifacts: [], leftovers: [] });

    const result = await collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: DAY, now: Date.now() + 2 * DAY });
    expect(result.runs).toEqual([dropped.info.runId]);
    expect(result.experiments).toEqual([dropExp]);

    await expect(client.getRun(dropped.info.runId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(client.getRun(inDroppedExp.info.runId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(client.getExperiment(dropExp)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(client.getLoggedModel(lm.modelId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(existsSync(onDisk(keepExp, dropped.info.runId))).toBe(false);
    expect(existsSync(onDisk(dropExp))).toBe(false);

    expect((await client.getRun(kept.info.runId)).info.lifecycleStage).toBe('active');
    expect((await client.readArtifact({ runId: kept.info.runId }, 'model/weights.bin')).length).toBe(10);
    // A name freed by a purge can be used again (a soft-deleted one cannot).
    await expect(client.createExperiment('drop')).resolves.toMatch(/^\d+$/);
  });

  it('purges only the runs and experiments named, and refuses ones that are active or too recent', async () => {
    const exp = await client.createExperiment('named');
    const a = await runWithFile(exp);
    const b = await runWithFile(exp);
    const active = await runWithFile(exp);
    await client.deleteRun(a.info.runId);
    await client.deleteRun(b.info.runId);

    const r = await collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: 0, runIds: [a.info.runId] });
    expect(r.runs).toEqual([a.info.runId]);
    expect((await client.getRun(b.info.runId)).info.lifecycleStage).toBe('deleted');

    await expect(collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: 0, runIds: [active.info.runId] })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('not in the deleted lifecycle stage'),
    });
    await expect(collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: DAY, runIds: [b.info.runId] })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('deleted more recently'),
    });
    await expect(collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: 0, experimentIds: ['424242'] })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    // A refused request removed nothing.
    expect((await client.getRun(b.info.runId)).info.lifecycleStage).toBe('deleted');
  });

  it('leaves artifacts outside the artifact store alone and says so', async () => {
    const exp = await client.createExperiment('elsewhere', { artifactLocation: 's3://another-bucket/somewhere' });
    await client.deleteExperiment(exp);
    const r = await collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: 0 });
    expect(r.experiments).toEqual([exp]);
    expect(r.skippedArtifacts).toEqual(['s3://another-bucket/somewhere']);
  });
});

/** Move a path's (and, for a folder, its files') times `ms` into the past. */
function backdate(path: string, ms: number): void {
  const t = (Date.now() - ms) / 1000;
  for (const f of existsSync(path) && !path.includes('.hangar-tmp-') ? readdirSync(path).map((n) => join(path, n)) : []) utimesSync(f, t, t);
  utimesSync(path, t, t);
}

/** An upload a client started and abandoned `age` ms ago, plus a temp file a crashed write left as old. */
async function abandoned(age: number): Promise<{ uploadId: string; upload: string; temp: string }> {
  const exp = await client.createExperiment(`abandoned-${Math.random().toString(36).slice(2)}`);
  const run = await client.createRun(exp);
  const path = `${exp}/${run.info.runId}/artifacts/big.bin`;
  const uploadId = await live.server.artifacts.multipart!.create(path);
  await live.server.artifacts.multipart!.uploadPart(path, uploadId, 1, Buffer.from('part'));
  const upload = onDisk('.hangar-uploads', uploadId);
  backdate(upload, age);
  const dir = onDisk(exp, run.info.runId, 'artifacts');
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, '.hangar-tmp-0123456789abcdef');
  writeFileSync(temp, 'half');
  backdate(temp, age);
  return { uploadId, upload, temp };
}

describe('collectGarbage and abandoned uploads', () => {
  it('removes uploads and temp files idle for a day by default, and keeps younger ones', async () => {
    const old = await abandoned(25 * 3_600_000);
    const young = await abandoned(23 * 3_600_000);
    const r = await collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: DAY });
    expect(r.leftovers.map((l) => l.kind).sort()).toEqual(['temp', 'upload']);
    expect(r.leftovers.find((l) => l.kind === 'upload')?.uploadId).toBe(old.uploadId);
    expect(existsSync(old.upload) || existsSync(old.temp)).toBe(false);
    expect(existsSync(young.upload) && existsSync(young.temp)).toBe(true);
  });

  it('takes another threshold, and sweeps nothing when runs or experiments are named', async () => {
    const a = await abandoned(2 * 3_600_000);
    const exp = await client.createExperiment('named-only');
    const run = await runWithFile(exp);
    await client.deleteRun(run.info.runId);
    const named = await collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: 0, runIds: [run.info.runId], uploadsOlderThanMs: 3_600_000 });
    expect(named.leftovers).toEqual([]);
    expect(existsSync(a.upload)).toBe(true);
    const r = await collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: DAY, uploadsOlderThanMs: 3_600_000 });
    expect(r.leftovers).toHaveLength(2);
    expect(existsSync(a.upload) || existsSync(a.temp)).toBe(false);
  });

  it('removes nothing on a dry run, runs included, and reports the same', async () => {
    const a = await abandoned(2 * DAY);
    const exp = await client.createExperiment('dry');
    const run = await runWithFile(exp);
    await client.deleteRun(run.info.runId);
    const dry = await collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: 0, dryRun: true });
    expect(dry.runs).toEqual([run.info.runId]);
    expect(dry.leftovers).toHaveLength(2);
    expect(existsSync(a.upload) && existsSync(a.temp)).toBe(true);
    expect((await client.getRun(run.info.runId)).info.lifecycleStage).toBe('deleted');
    expect(existsSync(onDisk(exp, run.info.runId, 'artifacts', 'model', 'weights.bin'))).toBe(true);
    const real = await collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: 0 });
    expect(real).toEqual(dry);
  });

  it('refuses a negative uploads age', async () => {
    await expect(collectGarbage(live.server.store, live.server.artifacts, { olderThanMs: 0, uploadsOlderThanMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
  });
});

describe('hangar gc', () => {
  it('prints what it removed, as JSON too, and --dry-run removes nothing', async () => {
    const a = await abandoned(2 * DAY);
    const dry = testIo();
    expect(await runCli(['gc', '--home', live.home, '--dry-run'], dry.io)).toBe(0);
    expect(dry.out()).toContain('Would remove 1 abandoned upload and 1 temp file untouched since');
    expect(dry.out()).toContain(`  upload ${a.uploadId} for `);
    expect(existsSync(a.upload) && existsSync(a.temp)).toBe(true);

    const t = testIo();
    expect(await runCli(['gc', '--home', live.home, '--json', '--uploads-older-than', '1d'], t.io)).toBe(0);
    const out = JSON.parse(t.out()) as { dry_run: boolean; leftovers: Array<{ kind: string; upload_id?: string; path: string }>; runs: string[] };
    expect(out.dry_run).toBe(false);
    expect(out.runs).toEqual([]);
    expect(out.leftovers.map((l) => l.kind).sort()).toEqual(['temp', 'upload']);
    expect(out.leftovers.find((l) => l.kind === 'upload')?.upload_id).toBe(a.uploadId);
    expect(existsSync(a.upload) || existsSync(a.temp)).toBe(false);
  });

  it('rejects a malformed --uploads-older-than before touching anything', async () => {
    const a = await abandoned(2 * DAY);
    const t = testIo();
    expect(await runCli(['gc', '--home', live.home, '--uploads-older-than', 'soon'], t.io)).toBe(1);
    expect(t.err()).toMatch(/^INVALID_PARAMETER_VALUE: Invalid duration 'soon' for --uploads-older-than/);
    expect(existsSync(a.upload)).toBe(true);
  });

  it('purges through the CLI with --older-than and reports what went', async () => {
    const exp = await client.createExperiment('cli-gc');
    const run = await runWithFile(exp);
    await client.deleteRun(run.info.runId);

    const young = testIo();
    expect(await runCli(['gc', '--home', live.home], young.io)).toBe(0);
    expect(young.out()).toMatch(/^Purged 0 runs and 0 experiments deleted before .*\nRemoved 0 abandoned uploads and 0 temp files untouched since /);

    const t = testIo();
    expect(await runCli(['gc', '--home', live.home, '--older-than', '0'], t.io)).toBe(0);
    expect(t.out()).toContain('Purged 1 run and 0 experiments');
    expect(t.out()).toContain(`  run ${run.info.runId}`);
    await expect(client.getRun(run.info.runId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(existsSync(onDisk(exp, run.info.runId))).toBe(false);
  });

  it('rejects a malformed --older-than before touching anything', async () => {
    const t = testIo();
    expect(await runCli(['gc', '--home', live.home, '--older-than', '30 days'], t.io)).toBe(1);
    expect(t.err()).toMatch(/^INVALID_PARAMETER_VALUE: Invalid duration '30 days'/);
  });
});
