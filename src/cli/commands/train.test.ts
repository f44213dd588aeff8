import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tabularModelFromJSON } from '../../models/learners/index.js';
import { runCliAgainst, testIo } from '../test-support/cli.js';
import { startLiveServer, type LiveServer } from '../test-support/live-server.js';

/** `hangar train` end to end against an in-process server with a temp home. */

let live: LiveServer;
let dir: string;
let trainFile: string;
let holdoutFile: string;

beforeAll(async () => {
  live = await startLiveServer('hangar-train-');
  dir = await mkdtemp(join(tmpdir(), 'hangar-train-data-'));
  trainFile = join(dir, 'train.parquet');
  holdoutFile = join(dir, 'holdout.csv');
  // The label depends on x, the category and the hour, with deterministic noise from hash().
  const rows = (from: number, to: number) => `
    select i, (i % 17)::DOUBLE / 4 as x, ['red', 'green', 'blue'][i % 3 + 1] as colour,
           timestamp '2001-01-01' + to_minutes(i * 7) as ts,
           ((i % 17) / 4 + case when i % 3 = 1 then 2 else 0 end + (hash(i) % 100) / 40.0) > 3.5 as late
    from range(${from}, ${to}) t(i)`;
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run(`copy (${rows(0, 3000)}) to '${trainFile}' (format parquet)`);
  await con.run(`copy (${rows(3000, 4000)}) to '${holdoutFile}' (header true)`);
  con.closeSync();
  db.closeSync();
});

afterAll(async () => {
  await live?.close();
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCliAgainst(live.url, args);

describe('hangar train', () => {
  it('trains, tracks params, per-iteration metrics, dataset inputs and the model, evaluates on the holdout and registers', async () => {
    const r = await cli(['train', '--data', trainFile, '--target', 'late', '--exclude', 'i', '--holdout', holdoutFile, '--learner', 'linear', '--param', 'alpha=0.001', '--experiment', 'train-e2e', '--register', 'late-linear', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as {
      run_id: string;
      model_uri: string;
      model_id: string;
      problem: string;
      metrics: Record<string, number>;
      evaluated_on: string;
      registered: { name: string; version: string };
      rows: { train: number; holdout: number };
    };
    expect(out.problem).toBe('binary');
    expect(out.evaluated_on).toBe('holdout');
    expect(out.rows).toEqual({ train: 3000, holdout: 1000 });
    expect(Object.keys(out.metrics).sort()).toEqual(['accuracy', 'auc', 'f1', 'log_loss', 'precision', 'recall']);
    expect(out.metrics.auc).toBeGreaterThan(0.8);

    const run = await live.client.getRun(out.run_id);
    expect(run.info.status).toBe('FINISHED');
    const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
    expect(params).toMatchObject({ learner: 'linear', problem: 'binary', alpha: '0.001', max_iter: '200' });
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ 'hangar.learner': 'linear', 'hangar.target': 'late', 'hangar.problem': 'binary' });
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    expect(metrics.auc).toBeCloseTo(out.metrics.auc!, 10);
    // With a holdout, the training rows are not scored again.
    expect(metrics.training_auc).toBeUndefined();
    const history = await live.client.getMetricHistory(out.run_id, 'train_loss');
    expect(history.length).toBeGreaterThan(2);
    expect(history.at(-1)!.value).toBeLessThan(history[0]!.value);

    const inputs = run.inputs?.datasetInputs ?? [];
    expect(inputs.map((d) => d.tags?.find((t) => t.key === 'mlflow.data.context')?.value).sort()).toEqual(['evaluation', 'training']);
    const training = inputs.find((d) => d.dataset.name === 'train')!;
    expect(training.dataset.digest).toMatch(/^[0-9a-f]{8}$/);
    expect(JSON.parse(training.dataset.profile!)).toMatchObject({ num_rows: 3000 });
    expect(JSON.parse(training.dataset.schema!).mlflow_colspec.map((c: { name: string }) => c.name)).toEqual(['i', 'x', 'colour', 'ts', 'late']);

    // MLflow 3's layout: a LoggedModel of the run, named model, holds the package.
    expect(out.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(out.model_uri).toBe(`runs:/${out.run_id}/model`);
    expect(run.outputs.modelOutputs.map((o) => o.modelId)).toEqual([out.model_id]);
    const logged = await live.client.getLoggedModel(out.model_id);
    expect(logged).toMatchObject({ name: 'model', sourceRunId: out.run_id, status: 'LOGGED_MODEL_READY' });
    // runs:/<run>/model still loads: nothing is under the run's model/, so it resolves to the LoggedModel.
    expect(await live.client.listArtifacts({ runId: out.run_id }, 'model')).toEqual([]);
    expect((await live.client.resolveModelUri(out.model_uri)).loggedModel?.modelId).toBe(out.model_id);
    const model = tabularModelFromJSON(JSON.parse((await live.client.readArtifact({ modelId: out.model_id }, 'model.json')).toString('utf8')) as Record<string, unknown>);
    expect(model.kind).toBe('logistic');
    expect(model.classLabels).toEqual(['false', 'true']);
    expect(model.schema.map((s) => s.name)).toEqual(['x', 'colour', 'ts_hour', 'ts_weekday', 'ts_month', 'ts_day']);
    // A model package: MLmodel with the tabular flavor, the signature over the raw columns, an input example.
    const mlmodel = (await live.client.readArtifact({ modelId: out.model_id }, 'MLmodel')).toString('utf8');
    expect(mlmodel).toContain('hangar.tabular');
    expect(mlmodel).toContain(`model_id: ${out.model_id}`);
    expect(mlmodel).toMatch(/"type":"datetime","name":"ts"/);
    expect(JSON.parse((await live.client.readArtifact({ modelId: out.model_id }, 'input_example.json')).toString('utf8'))).toMatchObject({ columns: ['i', 'x', 'colour', 'ts'].filter((c) => c !== 'i') });

    expect(out.registered).toEqual({ name: 'late-linear', version: '1' });
    const version = await live.client.getModelVersion('late-linear', 1);
    expect(version.runId).toBe(out.run_id);
    expect(version.source).toBe(`models:/${out.model_id}`);
  });

  it('prints a metric table, and progress on stderr', async () => {
    const r = await cli(['train', '--data', trainFile, '--target', 'late', '--learner', 'linear', '--experiment', 'train-e2e']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Run [0-9a-f]{32} \(experiment \d+\): linear, binary, 3000 training rows/);
    expect(r.out).toMatch(/metric\s+training rows \(no --holdout\)\nauc\s+0\.\d+/);
    const run = await live.client.getRun(/^Run ([0-9a-f]{32})/.exec(r.out)![1]!);
    expect(run.data.metrics.find((m) => m.key === 'training_auc')?.value).toBeGreaterThan(0.8);
    expect(r.err).toMatch(/loading .*train\.parquet/);
    expect(r.err).toMatch(/iteration 1\s+train_loss [\d.]+/);
  });

  it('grid search: one child run per combination under a parent that records the best and registers it', async () => {
    const r = await cli(['train', '--data', trainFile, '--target', 'late', '--exclude', 'i', '--holdout', holdoutFile, '--learner', 'linear', '--search', 'grid', '--param', 'alpha=0.0001,10', '--param', 'max_iter=3,50', '--experiment', 'train-search', '--register', 'late-search', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { parent_run_id: string; best: { run_id: string; params: Record<string, string>; metrics: Record<string, number> }; trials: Array<{ run_id: string; params: Record<string, string>; metrics: Record<string, number> }>; registered: { name: string; version: string } };
    expect(out.trials.map((t) => t.params)).toEqual([
      { alpha: '0.0001', max_iter: '3' },
      { alpha: '0.0001', max_iter: '50' },
      { alpha: '10', max_iter: '3' },
      { alpha: '10', max_iter: '50' },
    ]);
    const bestAuc = Math.max(...out.trials.map((t) => t.metrics.auc!));
    expect(out.best.metrics.auc).toBe(bestAuc);

    const parent = await live.client.getRun(out.parent_run_id);
    const children = await live.client.searchAllRuns({ experimentIds: [parent.info.experimentId], filter: `tags.mlflow.parentRunId = '${out.parent_run_id}'` });
    expect(children.map((c) => c.info.runId).sort()).toEqual(out.trials.map((t) => t.run_id).sort());
    const parentTags = Object.fromEntries(parent.data.tags.map((t) => [t.key, t.value]));
    expect(parentTags.best_run_id).toBe(out.best.run_id);
    expect(JSON.parse(parentTags.best_params!)).toEqual(out.best.params);
    expect(parent.data.metrics.find((m) => m.key === 'auc')?.value).toBe(bestAuc);
    expect(Object.fromEntries(parent.data.params.map((p) => [p.key, p.value]))).toMatchObject({ search: 'grid', trials: '4' });

    expect(out.registered).toEqual({ name: 'late-search', version: '1' });
    const best = await live.client.getModelVersion('late-search', 1);
    expect(best.runId).toBe(out.best.run_id);
    expect(best.source).toMatch(/^models:\/m-[0-9a-f]{32}$/);
  });

  it('random search draws --trials distinct combinations, the same ones for the same seed', async () => {
    const args = ['train', '--data', trainFile, '--target', 'late', '--learner', 'linear', '--search', 'random', '--param', 'alpha=0.0001,0.001,0.01,0.1,1', '--param', 'max_iter=5,20', '--trials', '3', '--seed', '7', '--experiment', 'train-random', '--json'];
    const a = JSON.parse((await cli(args)).out) as { trials: Array<{ params: Record<string, string> }> };
    const b = JSON.parse((await cli(args)).out) as { trials: Array<{ params: Record<string, string> }> };
    expect(a.trials).toHaveLength(3);
    expect(new Set(a.trials.map((t) => JSON.stringify(t.params))).size).toBe(3);
    expect(b.trials.map((t) => t.params)).toEqual(a.trials.map((t) => t.params));
  });

  it('trains the gbdt learner (the default) and logs its iterations', async () => {
    const r = await cli(['train', '--data', trainFile, '--target', 'late', '--exclude', 'i', '--holdout', holdoutFile, '--param', 'max_iter=10', '--param', 'early_stopping=false', '--experiment', 'train-gbdt', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { run_id: string; model_id: string; learner: string; metrics: Record<string, number> };
    expect(out.learner).toBe('gbdt');
    expect(out.metrics.auc).toBeGreaterThan(0.8);
    expect(await live.client.getMetricHistory(out.run_id, 'train_loss')).toHaveLength(10);
    const model = tabularModelFromJSON(JSON.parse((await live.client.readArtifact({ modelId: out.model_id }, 'model.json')).toString('utf8')) as Record<string, unknown>);
    expect(model.kind).toBe('gbdt');
    expect(model.classLabels).toEqual(['false', 'true']);
  });

  it('regression on a CSV with the problem inferred, and multiclass on a string target', async () => {
    const reg = await cli(['train', '--data', holdoutFile, '--target', 'x', '--exclude', 'i,late', '--learner', 'linear', '--experiment', 'train-kinds', '--json']);
    expect(reg.code).toBe(0);
    const regOut = JSON.parse(reg.out) as { problem: string; metrics: Record<string, number> };
    expect(regOut.problem).toBe('regression');
    expect(Object.keys(regOut.metrics).sort()).toEqual(['mae', 'mape', 'r2', 'rmse']);
    const multi = await cli(['train', '--data', trainFile, '--target', 'colour', '--exclude', 'late', '--learner', 'linear', '--experiment', 'train-kinds', '--json']);
    expect(multi.code).toBe(0);
    const multiOut = JSON.parse(multi.out) as { problem: string; metrics: Record<string, number> };
    expect(multiOut.problem).toBe('multiclass');
    // The colour is i mod 3, which the learner can read off nothing but noise: accuracy near chance, log loss finite.
    expect(Object.keys(multiOut.metrics).sort()).toEqual(['accuracy', 'log_loss', 'macro_f1']);
  });

  it('bad input: lists without --search, unknown params, a missing column, a missing file', async () => {
    const list = await cli(['train', '--data', trainFile, '--target', 'late', '--param', 'alpha=1,2', '--learner', 'linear']);
    expect(list.code).toBe(1);
    expect(list.err).toMatch(/INVALID_PARAMETER_VALUE: --param alpha=1,2 lists several values; add --search/);
    const unknown = await cli(['train', '--data', trainFile, '--target', 'late', '--param', 'depth=3', '--learner', 'linear', '--experiment', 'train-bad']);
    expect(unknown.err).toMatch(/Unknown linear parameter 'depth'/);
    // Parameters are checked before the run starts: no run is left behind.
    const bad = await live.client.getExperimentByName('train-bad');
    expect(bad === null ? [] : await live.client.searchAllRuns({ experimentIds: [bad.experimentId] })).toHaveLength(0);
    const column = await cli(['train', '--data', trainFile, '--target', 'nope']);
    expect(column.err).toMatch(/No column 'nope'.*columns: i, x, colour, ts, late/);
    const file = await cli(['train', '--data', join(dir, 'missing.parquet'), '--target', 'late']);
    expect(file.err).toMatch(/RESOURCE_DOES_NOT_EXIST: No such data file/);
  });
});

describe('hangar train --training-set with sensitive features', () => {
  const local = async (args: string[]) => {
    const { runCli } = await import('../program.js');
    const t = testIo();
    const code = await runCli([...args, '--home', live.home], t.io);
    return { code, out: t.out(), err: t.err() };
  };

  it('tags the run, the logged model and the version with them, and hangar validate checks them', async () => {
    const defs = join(dir, 'features.yaml');
    await writeFile(
      defs,
      `tables:
  - name: train_feats
    keys: [{name: i, type: long}]
    timestamp_key: ts
    features:
      - {name: score, type: double, tags: {pii: "true"}}
      - {name: shade, type: string, tags: {pii: "false"}}
    source: "select i, ts, x * 2 as score, colour as shade from '${trainFile}'"
    ttl: 0
`,
    );
    expect((await local(['features', 'apply', defs])).code).toBe(0);
    expect((await local(['features', 'compute', 'train_feats', '--end', '2001-02-01'])).code).toBe(0);
    expect((await local(['features', 'show', 'train_feats'])).out).toMatch(/^sensitive\s+train_feats:score \(tag pii=true on the feature\)$/m);
    const out = join(dir, 'sensitive-train.parquet');
    const built = await local(['features', 'training-set', '--labels', `select i, ts, late from '${trainFile}'`, '--lookup', 'train_feats', '--timestamp-column', 'ts', '--out', out, '--json']);
    expect(built.err).toBe('');
    const ts = JSON.parse(built.out) as { training_set_id: string; lineage: Array<{ sensitive: unknown }> };
    expect(ts.lineage[0]!.sensitive).toEqual([{ column: 'score', feature: 'train_feats:score', tag: 'pii', value: 'true', on: 'feature' }]);

    const r = await cli(['train', '--data', out, '--target', 'late', '--exclude', 'i,ts', '--learner', 'linear', '--training-set', ts.training_set_id, '--experiment', 'train-sensitive', '--register', 'late-sensitive', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const trained = JSON.parse(r.out) as { run_id: string; model_id: string };
    const expected = { 'hangar.training_set': ts.training_set_id, 'hangar.sensitive_features': 'train_feats:score' };
    const runTags = Object.fromEntries((await live.client.getRun(trained.run_id)).data.tags.map((t) => [t.key, t.value]));
    expect(runTags).toMatchObject(expected);
    const version = await live.client.getModelVersion('late-sensitive', 1);
    expect(Object.fromEntries(version.tags.map((t) => [t.key, t.value]))).toMatchObject(expected);
    const logged = await live.client.getLoggedModel(trained.model_id);
    expect(Object.fromEntries(logged.tags.map((t) => [t.key, t.value]))).toMatchObject(expected);

    // The compliance rule reads the lineage from the version: refused until allowed.
    const rules = 'description: false, required_tags: [], environment: false';
    const strict = join(dir, 'strict.yaml');
    await writeFile(strict, `compliance: { ${rules}, sensitive_features: { require_tag: privacy_review } }\n`);
    const refused = await cli(['validate', 'models:/late-sensitive/1', '--config', strict]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(
      new RegExp(`^FAIL {2}sensitive_features {2}trained on sensitive features not allowed: train_feats:score \\(tag pii=true on the feature; column score of training set ${ts.training_set_id} \\(train_feats v1\\)\\)\\. To allow them, add them to sensitive_features.allow, or set the version tag privacy_review after a privacy review$`, 'm'),
    );
    expect((await live.client.getModelVersion('late-sensitive', 1)).tags.find((t) => t.key === 'compliance.sensitive_features')?.value).toMatch(/^FAIL: trained on sensitive features not allowed: train_feats:score /);
    await live.client.setModelVersionTag('late-sensitive', 1, 'privacy_review', 'DPO-7');
    const reviewed = await cli(['validate', 'models:/late-sensitive/1', '--config', strict]);
    expect(reviewed.out).toMatch(/^PASS {2}sensitive_features {2}sensitive features allowed: train_feats:score \(reviewed: privacy_review=DPO-7\)$/m);
    expect(reviewed.code).toBe(0);
  }, 60_000);
});
