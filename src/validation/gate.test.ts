import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HangarClient } from '../client/index.js';
import { startLiveServer, type LiveServer } from '../cli/test-support/live-server.js';
import { parseProjectConfig } from './config.js';
import { deployVersion } from './deploy.js';
import { assertGatePassed, runGate, type Evaluator, type ValidationCompletedEvent } from './gate.js';
import { runComplianceChecks } from './compliance.js';
import { loadComplianceSubject, recordComplianceReport } from './subject.js';
import { checkPromotion } from './promotion.js';

/** The gate's modes, its records, and deployment, against a live in-process server. */

let live: LiveServer;
let client: HangarClient;
beforeAll(async () => {
  live = await startLiveServer('hangar-gate-');
  client = live.client;
});
afterAll(async () => {
  await live?.close();
});

let counter = 0;
/** A registered model with `n` versions, each from its own run; returns its name. */
async function model(n: number): Promise<string> {
  const name = `gate-model-${++counter}`;
  await client.createRegisteredModel(name);
  const { experiment } = await client.getOrCreateExperiment('gate-training');
  for (let i = 0; i < n; i++) {
    const run = await client.createRun(experiment.experimentId);
    await client.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId, description: i === 0 ? '' : `version ${i + 1}` });
  }
  return name;
}

/** Scores by version number: `models:/NAME/V` → scores[V]. */
function evaluator(scores: Record<number, Record<string, number>>, calls: string[] = []): Evaluator {
  return async (uri, ctx) => {
    expect(ctx.role).toBe(calls.length === 0 ? 'candidate' : 'baseline');
    expect(ctx.prefix).toBe(ctx.role === 'candidate' ? '' : 'baseline_');
    calls.push(uri);
    const v = Number(/\/(\d+)$/.exec(uri)![1]);
    return scores[v]!;
  };
}

const settings = (yaml: string) => parseProjectConfig(yaml).validation;
const aucGate = (mode: string) => settings(`validation: { mode: ${mode}, thresholds: { auc: { threshold: 0.6, min_relative_change: 0.05, greater_is_better: true } } }`);
const tag = async (name: string, v: number, key: string) => (await client.getModelVersion(name, v)).tags.find((t) => t.key === key)?.value;
const aliases = async (name: string) => Object.fromEntries((await client.getRegisteredModel(name)).aliases.map((a) => [a.alias, a.version]));

describe('validation gate', () => {
  it('disabled: evaluates nothing and writes nothing', async () => {
    const name = await model(1);
    const calls: string[] = [];
    const r = await runGate(client, { modelUri: `models:/${name}/1`, evaluate: evaluator({ 1: { auc: 0.1 } }, calls), settings: aucGate('disabled') });
    expect(r).toMatchObject({ mode: 'disabled', passed: true, blocking: false, status: null, runId: null });
    expect(calls).toEqual([]);
    const mv = await client.getModelVersion(name, 1);
    expect(mv.tags).toEqual([]);
    expect(mv.description).toBe('');
    expect(await aliases(name)).toEqual({});
  });

  it('enabled, first model (no champion): change bounds are skipped, the threshold decides; success sets challenger and records everything', async () => {
    const name = await model(1);
    const events: ValidationCompletedEvent[] = [];
    const r = await runGate(client, {
      modelUri: `models:/${name}/1`,
      evaluate: evaluator({ 1: { auc: 0.65, log_loss: 0.6 } }),
      settings: aucGate('enabled'),
      onCompleted: (e) => void events.push(e),
    });
    expect(r).toMatchObject({ passed: true, blocking: false, status: 'approved', baseline: null, skippedComparisons: ['auc'] });
    expect(await tag(name, 1, 'validation_status')).toBe('approved');
    expect(await tag(name, 1, 'validation_run_id')).toBe(r.runId);
    const mv = await client.getModelVersion(name, 1);
    expect(mv.description).toBe(`Model Validation Status: SUCCESS\nValidation Details: ${r.runLink}`);
    expect(r.runLink).toMatch(new RegExp(`^${live.url}/#/experiments/\\d+/runs/${r.runId}$`));
    expect(await aliases(name)).toEqual({ challenger: 1 });
    const run = await client.getRun(r.runId!);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.params).toContainEqual({ key: 'baseline_model_uri', value: 'none' });
    const files = (await client.listArtifacts({ runId: r.runId! })).map((f) => f.path).sort();
    expect(files).toEqual(['metrics.txt', 'validation_result.json', 'validation_thresholds.txt']);
    const written = JSON.parse((await client.readArtifact({ runId: r.runId! }, 'validation_result.json')).toString()) as Record<string, unknown>;
    expect(written).toEqual(JSON.parse(JSON.stringify(r)));
    expect((await client.readArtifact({ runId: r.runId! }, 'validation_thresholds.txt')).toString()).toBe(
      'auc: threshold=0.6, min_relative_change=0.05, greater_is_better=true\n',
    );
    expect(events).toEqual([{ name, version: 1, mode: 'enabled', status: 'approved', baselineVersion: null, runId: r.runId, runLink: r.runLink, message: '' }]);
  });

  it('compares with @champion on the same data in one run; logs baseline_<metric>; enabled failure blocks and records FAILURE', async () => {
    const name = await model(2);
    await client.setRegisteredModelAlias(name, 'champion', 1);
    const calls: string[] = [];
    // v2 improves AUC by 3%, below the 5% minimum relative change.
    const r = await runGate(client, { modelUri: `models:/${name}/2`, evaluate: evaluator({ 1: { auc: 0.7 }, 2: { auc: 0.721 } }, calls), settings: aucGate('enabled') });
    expect(calls).toEqual([`models:/${name}/2`, `models:/${name}/1`]);
    expect(r).toMatchObject({ passed: false, blocking: true, status: 'failed', baseline: { version: 1, uri: `models:/${name}@champion` } });
    expect(r.validation!.message).toContain('Metric auc minimum relative change check failed: candidate model auc = 0.721, baseline model auc = 0.7');
    expect(() => assertGatePassed(r)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    const run = await client.getRun(r.runId!);
    expect(run.info.status).toBe('FAILED');
    expect(Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]))).toEqual({ auc: 0.721, baseline_auc: 0.7 });
    expect((await client.readArtifact({ runId: r.runId! }, 'error.txt')).toString()).toBe(`${r.validation!.message}\n`);
    expect((await client.readArtifact({ runId: r.runId! }, 'metrics.txt')).toString()).toMatch(/^metric\s+candidate\s+baseline\nauc\s+0\.721\s+0\.7\n$/);
    expect(await tag(name, 2, 'validation_status')).toBe('failed');
    // An existing description keeps its text; the block follows the separator.
    expect((await client.getModelVersion(name, 2)).description).toBe(`version 2\n\n---\n\nModel Validation Status: FAILURE\nValidation Details: ${r.runLink}`);
    expect(await aliases(name)).toEqual({ champion: 1 });
    // A failed gate blocks deployment.
    expect((await checkPromotion(client, name, 2)).blockers[0]).toContain('the validation gate failed');
    await expect(deployVersion(client, name, 2)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('dry_run: a failure is recorded as dry_run_failed and does not block; falls back to the Production version', async () => {
    const name = await model(2);
    await client.transitionModelVersionStage(name, 1, 'Production');
    const r = await runGate(client, { modelUri: `models:/${name}/2`, evaluate: evaluator({ 1: { auc: 0.8 }, 2: { auc: 0.5 } }), settings: aucGate('dry_run') });
    expect(r).toMatchObject({ passed: false, blocking: false, status: 'dry_run_failed', baseline: { version: 1 } });
    // Through the Production stage, or through @champion where the server keeps stage and alias in step.
    expect([`models:/${name}/1`, `models:/${name}@champion`]).toContain(r.baseline!.uri);
    // Both of auc's checks failed: one line, MLflow's two sentences.
    expect(r.validation!.message).toMatch(/^Metric auc value threshold check failed: .*\. Metric auc minimum relative change check failed: .*\.$/);
    expect((await client.getRun(r.runId!)).info.status).toBe('FINISHED');
    expect(await tag(name, 2, 'validation_status')).toBe('dry_run_failed');
    expect((await aliases(name)).challenger).toBeUndefined();
    expect(() => assertGatePassed(r)).not.toThrow();
    expect((await checkPromotion(client, name, 2)).allowed).toBe(true);
  });

  it('an evaluator that logs into the validation run itself is not logged twice', async () => {
    const name = await model(2);
    await client.setRegisteredModelAlias(name, 'champion', 1);
    const selfLogging: Evaluator = async (uri, ctx) => {
      const metrics = { auc: uri.endsWith('/2') ? 0.8 : 0.7 };
      await client.logMetric(ctx.runId, `${ctx.prefix}auc`, metrics.auc);
      await client.putArtifact({ runId: ctx.runId }, `evaluation/${ctx.prefix}roc_curve_plot.svg`, '<svg/>');
      return { metrics, logged: true };
    };
    const r = await runGate(client, { modelUri: `models:/${name}/2`, evaluate: selfLogging, settings: aucGate('enabled') });
    expect(r.status).toBe('approved');
    expect((await client.getMetricHistory(r.runId!, 'auc')).map((m) => m.value)).toEqual([0.8]);
    expect((await client.getMetricHistory(r.runId!, 'baseline_auc')).map((m) => m.value)).toEqual([0.7]);
  });

  it('refuses an empty threshold set and a URI that is not a registered version', async () => {
    const name = await model(1);
    await expect(runGate(client, { modelUri: `models:/${name}/1`, evaluate: evaluator({}), settings: settings('validation: { mode: enabled }') })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      field: 'validation.thresholds',
    });
    await expect(runGate(client, { modelUri: `models:/${name}/9`, evaluate: evaluator({}), settings: aucGate('enabled') })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('a failing evaluator marks the validation run FAILED and the error propagates; a failing hook is reported, not thrown', async () => {
    const name = await model(1);
    const broken: Evaluator = async () => {
      throw new Error('scoring exploded');
    };
    await expect(runGate(client, { modelUri: `models:/${name}/1`, evaluate: broken, settings: aucGate('enabled') })).rejects.toThrow('scoring exploded');
    const exp = await client.getExperimentByName('hangar-validation');
    const runs = await client.searchAllRuns({ experimentIds: [exp!.experimentId], filter: `tags.\`hangar.validation.candidate\` = 'models:/${name}/1'` });
    expect(runs.map((x) => x.info.status)).toEqual(['FAILED']);
    expect(await tag(name, 1, 'validation_status')).toBeUndefined();

    const r = await runGate(client, {
      modelUri: `models:/${name}/1`,
      evaluate: evaluator({ 1: { auc: 0.9 } }),
      settings: aucGate('enabled'),
      onCompleted: () => {
        throw new Error('webhook down');
      },
    });
    expect(r.status).toBe('approved');
    expect(r.hookError).toBe('webhook down');
  });
});

describe('deploy', () => {
  it('makes the validated version champion, removes challenger, moves it to Production and archives the old one', async () => {
    const name = await model(2);
    await client.setRegisteredModelAlias(name, 'champion', 1);
    await client.transitionModelVersionStage(name, 1, 'Production');
    const gate = await runGate(client, { modelUri: `models:/${name}/2`, evaluate: evaluator({ 1: { auc: 0.7 }, 2: { auc: 0.8 } }), settings: aucGate('enabled') });
    expect(gate.status).toBe('approved');
    expect(await aliases(name)).toEqual({ champion: 1, challenger: 2 });
    const d = await deployVersion(client, name, 2);
    expect(d).toEqual({ name, version: 2, previousChampion: 1, championSet: true, challengerRemoved: true, stage: 'Production' });
    expect(await aliases(name)).toEqual({ champion: 2 });
    expect((await client.getModelVersion(name, 1)).currentStage).toBe('Archived');
    // Again: nothing left to do.
    expect(await deployVersion(client, name, 2)).toEqual({ name, version: 2, previousChampion: null, championSet: false, challengerRemoved: false, stage: 'Production' });
  });
});

describe('compliance against the registry', () => {
  it('reads the version, its run and its MLmodel, records the verdict as tags, and a failure blocks deployment', async () => {
    const name = `compliance-${++counter}`;
    await client.createRegisteredModel(name);
    const { experiment } = await client.getOrCreateExperiment('gate-training');
    const run = await client.createRun(experiment.experimentId, { tags: { 'mlflow.source.git.commit': 'feedbeef' } });
    await client.logMetric(run.info.runId, 'roc_auc', 0.7);
    await client.logInputs(run.info.runId, [{ dataset: { name: 'flights', digest: 'abc123', sourceType: 'local', source: '{}' } }]);
    await client.putArtifact(
      { runId: run.info.runId },
      'model/MLmodel',
      [
        'artifact_path: model',
        'flavors:',
        '  hangar.tabular: {model_path: model.json}',
        'signature:',
        `  inputs: '[{"type": "double", "name": "distance", "required": true}]'`,
        'saved_input_example_info: {artifact_path: input_example.json, type: dataframe, pandas_orient: split}',
        'environment: {node_version: 20.19.0, lockfile_digest: "sha256:00ff"}',
        '',
      ].join('\n'),
    );
    await client.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId, tags: { owner: 'ml' } });
    const rules = parseProjectConfig('compliance: { required_tags: [owner, use_case], required_metrics: [roc_auc] }').compliance;

    const subject = await loadComplianceSubject(client, `models:/${name}/1`);
    expect(subject.pkg).toEqual({
      flavors: ['hangar.tabular'],
      signatureInputs: ['distance:double'],
      inputExample: 'input_example.json',
      environment: { runtime: 'node 20.19.0', dependencies: 'sha256:00ff', codeCommit: 'feedbeef' },
    });
    const report = runComplianceChecks(subject, rules);
    expect(report.checks.filter((c) => c.status === 'FAIL').map((c) => [c.rule, c.reason])).toEqual([
      ['required_tags', 'missing version tags: use_case'],
      ['description', 'the version has no description'],
    ]);
    await recordComplianceReport(client, report);
    expect(await tag(name, 1, 'compliance_status')).toBe('failed');
    expect(await tag(name, 1, 'compliance.required_tags')).toBe('FAIL: missing version tags: use_case');
    expect(await tag(name, 1, 'compliance.signature')).toBe('PASS: input signature: distance:double');
    await expect(deployVersion(client, name, 1)).rejects.toThrow(/compliance check required_tags failed: missing version tags: use_case\n {2}- compliance check description failed/);

    // Fixed, checked again: passes and deployment goes ahead.
    await client.setModelVersionTag(name, 1, 'use_case', 'delays');
    await client.updateModelVersion(name, 1, 'Predicts delays over 15 minutes.');
    const again = runComplianceChecks(await loadComplianceSubject(client, `models:/${name}/1`), rules);
    expect(again.passed).toBe(true);
    await recordComplianceReport(client, again);
    expect((await deployVersion(client, name, 1)).stage).toBe('Production');

    // A rule switched off later loses its old verdict tag.
    const off = parseProjectConfig('compliance: { signature: false }').compliance;
    await recordComplianceReport(client, runComplianceChecks(await loadComplianceSubject(client, `models:/${name}/1`), off));
    expect(await tag(name, 1, 'compliance.signature')).toBeUndefined();
    expect(await tag(name, 1, 'compliance.description')).toMatch(/^PASS: /);
  });

  it('a version without a package fails the package rules with the cause', async () => {
    const name = await model(1);
    const report = runComplianceChecks(await loadComplianceSubject(client, `models:/${name}/1`), parseProjectConfig('').compliance);
    expect(report.checks.find((c) => c.rule === 'signature')!.reason).toMatch(/^the model package could not be read \(no MLmodel file at /);

    // An MLmodel the package reader refuses: the reason is the reader's.
    const other = await model(1);
    const v = await client.getModelVersion(other, 1);
    await client.putArtifact(v.source, 'MLmodel', 'artifact_path: model\n');
    const bad = runComplianceChecks(await loadComplianceSubject(client, `models:/${other}/1`), parseProjectConfig('').compliance);
    expect(bad.checks.find((c) => c.rule === 'environment')!.reason).toBe('the model package could not be read (The MLmodel file has no "flavors" mapping.)');
  });
});
