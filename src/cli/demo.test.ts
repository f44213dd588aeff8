import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { HangarClient } from '../client/index.js';
import { runCli } from './program.js';
import { startServer } from './serve.js';
import { testIo } from './test-support/cli.js';

/** `hangar demo`, the main job, end to end on a temp home. */

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'hangar-demo-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('hangar demo', () => {
  it('--no-serve runs the scenario, prints what it did, and works twice in the same home', async () => {
    const first = testIo();
    expect(await runCli(['demo', '--no-serve', '--home', home], first.io)).toBe(0);
    expect(first.err()).toBe('');
    const out1 = first.out();
    expect(out1).toMatch(/demo: server http:\/\/127\.0\.0\.1:\d+, home /);
    expect(out1).toMatch(/experiment\s+hangar-demo \(id \d+, created\)/);
    expect(out1).toMatch(/run\s+[a-z]+-[a-z]+-\d+ \([0-9a-f]{32}\)/);
    expect(out1).toMatch(/train_loss [\d.]+ → [\d.]+ over 30 steps, val_rmse [\d.]+/);
    expect(out1).toMatch(/artifact\s+model\/model\.json \(\d+ bytes\)/);
    expect(out1).toMatch(/model\s+hangar-demo-model v1 → Staging, model created/);
    expect(out1).toMatch(/resolves\s+models:\/hangar-demo-model\/Staging → mlflow-artifacts:\/\d+\/[0-9a-f]{32}\/artifacts\/model/);
    expect(out1).toContain('Done (--no-serve): server stopped.');

    const second = testIo();
    expect(await runCli(['demo', '--no-serve', '--home', home], second.io)).toBe(0);
    expect(second.out()).toMatch(/experiment\s+hangar-demo \(id \d+, reused\)/);
    expect(second.out()).toMatch(/model\s+hangar-demo-model v2 → Staging \(archived v1\)\n/);

    // What the two runs left behind, read back through a fresh server on the same home.
    const server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent' }));
    try {
      const client = new HangarClient(server.url);
      const exp = await client.getExperimentByName('hangar-demo');
      const runs = await client.searchAllRuns({ experimentIds: [exp!.experimentId] });
      expect(runs).toHaveLength(2);
      for (const run of runs) {
        expect(run.info.status).toBe('FINISHED');
        expect(run.data.params).toContainEqual({ key: 'model_type', value: 'linear-regression' });
        expect(run.inputs.datasetInputs[0]?.dataset.name).toBe('synthetic-linear');
        const history = await client.getMetricHistory(run.info.runId, 'train_loss');
        expect(history.map((m) => m.step)).toEqual([...Array(30).keys()]);
        expect(history[29]!.value).toBeLessThan(history[0]!.value);
      }
      const model = JSON.parse((await client.readArtifact({ runId: runs[0]!.info.runId }, 'model/model.json')).toString()) as {
        coefficients: { slope: number; intercept: number };
      };
      // The data is y = 3x + 2 + noise; gradient descent gets the slope close in 30 epochs.
      expect(model.coefficients.slope).toBeGreaterThan(2.5);
      expect(model.coefficients.slope).toBeLessThan(3.5);
      const versions = await client.searchAllModelVersions({ filter: "name = 'hangar-demo-model'" });
      expect(versions.map((v) => [v.version, v.currentStage]).sort()).toEqual([
        [1, 'Archived'],
        [2, 'Staging'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('keeps serving until interrupted, then stops cleanly', async () => {
    const t = testIo();
    const done = runCli(['demo', '--home', home, '--port', '0'], t.io);
    const out = await t.waitForOutput('press Ctrl+C to stop');
    const url = /Serving on (http:\/\/\S+);/.exec(out)![1]!;
    const client = new HangarClient(url);
    expect((await client.getRegisteredModel('hangar-demo-model')).latestVersions[0]?.currentStage).toBe('Staging');
    expect(out).toContain(`MLFLOW_TRACKING_URI=${url} npx hangar runs search`);
    t.shutdown('SIGINT');
    expect(await done).toBe(0);
    expect(await client.health()).toBe(false);
  });
});
