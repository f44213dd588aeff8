import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../support/process.js';

/**
 * The npm package `mlflow` (a third-party JavaScript client of MLflow's REST API) drives a live
 * Hangar server for every call it has.
 */
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MLflow = require('mlflow') as new (opts: { endpoint: string }) => any;

describe('npm mlflow client against a live Hangar server', () => {
  let server: ServerProcess;
  let home: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let client: any;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'hangar-npm-mlflow-'));
    server = await startServerProcess(['--home', home]);
    client = new MLflow({ endpoint: server.url });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('manages experiments: create, get, list, update, delete, restore', async () => {
    const { Experiments } = client;
    const { experiment_id } = await Experiments.create({ name: 'npm-client-exp' });
    expect(experiment_id).toMatch(/^\d+$/);
    const { experiment } = await Experiments.get({ experiment_id });
    expect(experiment).toMatchObject({ experiment_id, name: 'npm-client-exp', lifecycle_stage: 'active' });
    expect(experiment.artifact_location).toBe(`mlflow-artifacts:/${experiment_id}`);

    const listed = await Experiments.list({ view_type: 'ACTIVE_ONLY' });
    expect(listed.experiments.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['Default', 'npm-client-exp']));

    await Experiments.update({ experiment_id, new_name: 'npm-client-exp-renamed' });
    expect((await Experiments.get({ experiment_id })).experiment.name).toBe('npm-client-exp-renamed');

    await Experiments.delete({ experiment_id });
    expect((await Experiments.get({ experiment_id })).experiment.lifecycle_stage).toBe('deleted');
    await Experiments.restore({ experiment_id });
    expect((await Experiments.get({ experiment_id })).experiment.lifecycle_stage).toBe('active');
  });

  it('logs a run: params, metrics, tags, batch, history, search, update, delete, restore', async () => {
    const { Experiments, Runs, Metrics } = client;
    const { experiment_id } = await Experiments.create({ name: 'npm-client-runs' });
    const { run } = await Runs.create({ experiment_id, user_id: 'npm', start_time: Date.now(), tags: [{ key: 'team', value: 'hangar' }] });
    const run_id: string = run.info.run_id;
    expect(run_id).toMatch(/^[0-9a-f]{32}$/);

    await Runs.logParameter({ run_id, key: 'lr', value: '0.01' });
    for (let step = 0; step < 3; step++) await Runs.logMetric({ run_id, key: 'loss', value: 1 / (step + 1), timestamp: Date.now(), step });
    await Runs.setTag({ run_id, key: 'stage', value: 'test' });
    await Runs.logBatch({
      run_id,
      metrics: [{ key: 'acc', value: 0.9, timestamp: Date.now(), step: 0 }],
      params: [{ key: 'epochs', value: '3' }],
      tags: [{ key: 'owner', value: 'npm' }],
    });
    await Runs.deleteTag({ run_id, key: 'owner' });

    const got = (await Runs.get({ run_id })).run;
    expect(got.data.params).toEqual(expect.arrayContaining([{ key: 'lr', value: '0.01' }, { key: 'epochs', value: '3' }]));
    expect(got.data.metrics).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'loss', value: 1 / 3, step: 2 })]));
    const tagKeys = got.data.tags.map((t: { key: string }) => t.key);
    expect(tagKeys).toEqual(expect.arrayContaining(['team', 'stage']));
    expect(tagKeys).not.toContain('owner');

    const history = await Metrics.getHistory({ run_id, metric_key: 'loss' });
    expect(history.metrics.map((m: { step: number }) => m.step)).toEqual([0, 1, 2]);

    const found = await Runs.search({ experiment_ids: [experiment_id], filter: 'metrics.loss < 0.5', run_view_type: 'ACTIVE_ONLY', max_results: 10, order_by: ['metrics.loss ASC'] });
    expect(found.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([run_id]);

    const ended = await Runs.update({ run_id, status: 'FINISHED', end_time: Date.now() });
    expect(ended.run_info.status).toBe('FINISHED');

    await Runs.delete({ run_id });
    expect((await Runs.get({ run_id })).run.info.lifecycle_stage).toBe('deleted');
    await Runs.restore({ run_id });
    expect((await Runs.get({ run_id })).run.info.lifecycle_stage).toBe('active');
  });

  it('lists artifacts of a run', async () => {
    const { Experiments, Runs, Artifacts } = client;
    const { experiment_id } = await Experiments.create({ name: 'npm-client-artifacts' });
    const { run } = await Runs.create({ experiment_id, user_id: 'npm', start_time: Date.now() });
    const prefix = run.info.artifact_uri.replace('mlflow-artifacts:/', '');
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${prefix}/notes.txt`, { method: 'PUT', body: 'hello' });
    expect(put.status).toBe(200);
    const listed = await Artifacts.list({ run_id: run.info.run_id });
    expect(listed.files).toEqual([{ path: 'notes.txt', is_dir: false, file_size: 5 }]);
  });

  it("reports the client's own broken set-experiment-tag path as an unknown endpoint", async () => {
    // The client builds `/experimentsset-experiment-tag` (a missing slash); Hangar answers 404
    // ENDPOINT_NOT_FOUND rather than anything misleading.
    const { Experiments } = client;
    const { experiment_id } = await Experiments.create({ name: 'npm-client-tags' });
    await expect(Experiments.setExperimentTag({ experiment_id, key: 'k', value: 'v' })).rejects.toThrow(/ENDPOINT_NOT_FOUND/);
  });
});
