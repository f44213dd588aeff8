import { existsSync } from 'node:fs';
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
    expect(none).toEqual({ runs: [], experiments: [], skippedArtifacts: [] });

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

describe('hangar gc', () => {
  it('purges through the CLI with --older-than and reports what went', async () => {
    const exp = await client.createExperiment('cli-gc');
    const run = await runWithFile(exp);
    await client.deleteRun(run.info.runId);

    const young = testIo();
    expect(await runCli(['gc', '--home', live.home], young.io)).toBe(0);
    expect(young.out()).toMatch(/^Purged 0 runs and 0 experiments deleted before/);

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
