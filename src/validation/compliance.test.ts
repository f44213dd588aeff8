import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { ModelVersion, Run } from '../client/index.js';
import { authoredDescription, formatComplianceReport, runComplianceChecks, type ComplianceSubject, type PackageFacts } from './compliance.js';
import { defaultProjectConfig, parseProjectConfig } from './config.js';
import { packageFactsFromMLmodel } from './subject.js';
import { assertPromotable, isGuardedPromotion, promotionBlockers } from './promotion.js';

/** The compliance rules, pass and fail, each with its message; the MLmodel reader; promotion blockers. */

function version(over: Partial<ModelVersion> = {}): ModelVersion {
  return {
    name: 'churn',
    version: 3,
    creationTimestamp: 1,
    lastUpdatedTimestamp: 1,
    userId: null,
    currentStage: 'None',
    description: 'Gradient-boosted trees on flights.',
    source: 'mlflow-artifacts:/1/abc/artifacts/model',
    runId: 'r1',
    runLink: '',
    status: 'READY',
    statusMessage: null,
    tags: [
      { key: 'owner', value: 'ml-team' },
      { key: 'use_case', value: 'delays' },
    ],
    aliases: [],
    modelId: null,
    ...over,
  } as ModelVersion;
}

function run(over: { metrics?: Array<[string, number]>; datasets?: Array<[string, string]> } = {}): Run {
  return {
    info: { runId: 'r1', experimentId: '1', runName: 'x', userId: 'u', status: 'FINISHED', startTime: 1, endTime: 2, artifactUri: 'mlflow-artifacts:/1/r1/artifacts', lifecycleStage: 'active' },
    data: {
      metrics: (over.metrics ?? [['roc_auc', 0.71]]).map(([key, value]) => ({ key, value, timestamp: 1, step: 0 })),
      params: [],
      tags: [],
    },
    inputs: { datasetInputs: (over.datasets ?? [['flights', 'd1g35t']]).map(([name, digest]) => ({ tags: [], dataset: { name, digest, sourceType: 'local', source: '{}' } })) },
    outputs: { modelOutputs: [] },
  } as Run;
}

const goodPkg: PackageFacts = {
  flavors: ['hangar.tabular'],
  signatureInputs: ['distance:double', 'origin:string'],
  inputExample: 'input_example.json',
  environment: { runtime: 'node 20.19.0', dependencies: 'sha256:abcd', codeCommit: '0123abc' },
};

const rules = parseProjectConfig('compliance: { required_tags: [owner, use_case], required_metrics: [roc_auc] }').compliance;
const subject = (over: Partial<ComplianceSubject> = {}): ComplianceSubject => ({ version: version(), run: run(), pkg: goodPkg, ...over });
const byRule = (s: ComplianceSubject, r = rules) => Object.fromEntries(runComplianceChecks(s, r).checks.map((c) => [c.rule, c]));

describe('compliance rules', () => {
  it('all pass on a complete version, each with its evidence', () => {
    const report = runComplianceChecks(subject(), rules);
    expect(report.passed).toBe(true);
    expect(report.modelUri).toBe('models:/churn/3');
    expect(report.checks.map((c) => [c.rule, c.status])).toEqual([
      ['required_tags', 'PASS'],
      ['description', 'PASS'],
      ['signature', 'PASS'],
      ['input_example', 'PASS'],
      ['required_metrics', 'PASS'],
      ['dataset_lineage', 'PASS'],
      ['environment', 'PASS'],
    ]);
    const c = byRule(subject());
    expect(c.required_metrics!.reason).toBe('roc_auc = 0.71');
    expect(c.dataset_lineage!.reason).toBe('flights@d1g35t');
    expect(c.environment!.reason).toBe('node 20.19.0, dependencies sha256:abcd, commit 0123abc');
    expect(c.signature!.reason).toBe('input signature: distance:double, origin:string');
  });

  it('required_tags fails naming the missing and empty tags', () => {
    const c = byRule(subject({ version: version({ tags: [{ key: 'use_case', value: ' ' }] }) }));
    expect(c.required_tags).toEqual({ rule: 'required_tags', status: 'FAIL', reason: 'missing version tags: owner, use_case' });
  });

  it('description fails when empty, and the gate’s appended block does not count', () => {
    expect(byRule(subject({ version: version({ description: '' }) })).description!.reason).toBe('the version has no description');
    const onlyGate = 'Model Validation Status: SUCCESS\nValidation Details: http://h/#/experiments/1/runs/r';
    expect(byRule(subject({ version: version({ description: onlyGate }) })).description!.status).toBe('FAIL');
    expect(authoredDescription(`Trees.\n\n---\n\n${onlyGate}`)).toBe('Trees.');
    expect(byRule(subject({ version: version({ description: `Trees.\n\n---\n\n${onlyGate}` }) })).description!.status).toBe('PASS');
  });

  it('signature and input_example fail with reasons; an unreadable package fails all package rules with its cause', () => {
    const c = byRule(subject({ pkg: { ...goodPkg, signatureInputs: null, inputExample: null } }));
    expect(c.signature).toMatchObject({ status: 'FAIL', reason: 'the MLmodel has no input signature' });
    expect(c.input_example).toMatchObject({ status: 'FAIL', reason: 'the MLmodel references no saved input example' });
    const none = byRule(subject({ pkg: null, pkgError: 'no MLmodel file at mlflow-artifacts:/1/x' }));
    for (const rule of ['signature', 'input_example', 'environment'] as const) {
      expect(none[rule]).toMatchObject({ status: 'FAIL', reason: 'the model package could not be read (no MLmodel file at mlflow-artifacts:/1/x)' });
    }
  });

  it('required_metrics fails naming missing and non-finite metrics, or the missing run', () => {
    expect(byRule(subject({ run: run({ metrics: [['log_loss', 0.6]] }) })).required_metrics!.reason).toBe('metrics not logged by run r1: roc_auc');
    expect(byRule(subject({ run: run({ metrics: [['roc_auc', Number.NaN]] }) })).required_metrics!.reason).toBe('metrics logged without a finite value: roc_auc');
    expect(byRule(subject({ run: null })).required_metrics!.reason).toBe('its run r1 could not be read, so its metrics are unknown');
    expect(byRule(subject({ run: null, version: version({ runId: null }) })).required_metrics!.reason).toBe('the version names no run, so its metrics are unknown');
  });

  it('dataset_lineage fails without dataset inputs, or with nameless ones', () => {
    expect(byRule(subject({ run: run({ datasets: [] }) })).dataset_lineage!.reason).toBe('run r1 records no dataset input');
    expect(byRule(subject({ run: run({ datasets: [['', '']] }) })).dataset_lineage!.reason).toBe('run r1 records datasets without a name and digest');
  });

  it('environment fails naming what is not captured', () => {
    const c = byRule(subject({ pkg: { ...goodPkg, environment: {} } }));
    expect(c.environment!.reason).toBe('the package does not capture its execution environment: no runtime version, dependency lockfile');
    expect(byRule(subject({ pkg: { ...goodPkg, environment: { runtime: 'node 20' } } })).environment!.reason).toContain('no dependency lockfile');
  });

  it('rules switched off are SKIP and never fail; the report prints one line per rule', () => {
    const off = parseProjectConfig('compliance: { description: false, signature: false, input_example: false, dataset_lineage: false, environment: false }').compliance;
    const report = runComplianceChecks(subject({ pkg: null, run: null, version: version({ description: '' }) }), off);
    expect(report.passed).toBe(true);
    expect(report.checks.filter((c) => c.status === 'SKIP').map((c) => c.rule)).toEqual(['description', 'signature', 'input_example', 'dataset_lineage', 'environment']);
    const failing = runComplianceChecks(subject({ version: version({ description: '' }) }), defaultProjectConfig().compliance);
    const text = formatComplianceReport(failing);
    expect(text.split('\n')).toContain('FAIL  description       the version has no description');
    expect(text).toContain('Compliance checks FAILED for models:/churn/3: 1 rule failed; promotion to Staging and Production is blocked.');
  });
});

describe('packageFactsFromMLmodel', () => {
  it('reads an MLflow-written sklearn MLmodel (semantics.md §d)', () => {
    const mlmodel = parseYaml(`
artifact_path: model
flavors:
  python_function: {env: {conda: conda.yaml, virtualenv: python_env.yaml}, loader_module: mlflow.sklearn,
                    model_path: model.pkl, predict_fn: predict, python_version: 3.11.2}
  sklearn: {code: null, pickled_model: model.pkl, serialization_format: cloudpickle, sklearn_version: 1.2.1}
mlflow_version: 2.12.2
model_uuid: 64ac70de3877489fad0df886c1295a7f
run_id: 4c9ea22a81744d14914fc3fa3fa2c912
saved_input_example_info: {artifact_path: input_example.json, format: tf-serving, type: ndarray}
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
`);
    expect(packageFactsFromMLmodel(mlmodel, ['MLmodel', 'model.pkl', 'python_env.yaml', 'requirements.txt'])).toEqual({
      flavors: ['python_function', 'sklearn'],
      signatureInputs: ['tensor float64[-1,4]'],
      inputExample: 'input_example.json',
      environment: { runtime: 'python 3.11.2', dependencies: 'requirements.txt' },
    });
  });

  it('reads column signatures and a Hangar environment block; no signature is null', () => {
    const facts = packageFactsFromMLmodel({
      flavors: { 'hangar.tabular': {} },
      signature: { inputs: '[{"type": "double", "name": "distance", "required": true}]' },
      environment: { node_version: 'v20.19.0', lockfile_digest: 'sha256:ff', git_commit: 'abc123' },
    });
    expect(facts.signatureInputs).toEqual(['distance:double']);
    expect(facts.environment).toEqual({ runtime: 'node 20.19.0', dependencies: 'sha256:ff', codeCommit: 'abc123' });
    expect(packageFactsFromMLmodel({ flavors: {} }).signatureInputs).toBeNull();
    expect(() => packageFactsFromMLmodel('text')).toThrow('not a YAML mapping');
  });
});

describe('promotion blockers', () => {
  it('a failed compliance check blocks, one message per failed rule', () => {
    const tags = {
      compliance_status: 'failed',
      'compliance.description': 'FAIL: the version has no description',
      'compliance.signature': 'PASS: input signature: x:double',
      'compliance.required_tags': 'FAIL: missing version tags: owner',
    };
    expect(promotionBlockers(tags)).toEqual([
      'compliance check required_tags failed: missing version tags: owner',
      'compliance check description failed: the version has no description',
    ]);
    expect(() => assertPromotable('churn', 3, { allowed: false, blockers: promotionBlockers(tags) })).toThrow(
      /cannot be promoted to Production:\n {2}- compliance check required_tags failed: missing version tags: owner\n/,
    );
  });

  it('compliance failures block Staging and Production, not None or Archived', () => {
    const tags = { compliance_status: 'failed', 'compliance.signature': 'FAIL: the MLmodel has no input signature' };
    expect(promotionBlockers(tags, { toStage: 'Staging' })).toEqual(['compliance check signature failed: the MLmodel has no input signature']);
    expect(promotionBlockers(tags, { toStage: 'Archived' })).toEqual([]);
    expect(promotionBlockers({ compliance_status: 'failed' })).toEqual(['compliance checks failed']);
  });

  it('passed checks and dry-run failures do not block; an enabled gate failure blocks Production only; unchecked versions only with requireChecks', () => {
    expect(promotionBlockers([{ key: 'compliance_status', value: 'passed' }, { key: 'validation_status', value: 'dry_run_failed' }])).toEqual([]);
    expect(promotionBlockers({ validation_status: 'failed' })[0]).toContain('the validation gate failed');
    expect(promotionBlockers({ validation_status: 'failed' }, { toStage: 'staging' })).toEqual([]);
    expect(promotionBlockers({})).toEqual([]);
    expect(promotionBlockers({}, { requireChecks: true })).toEqual(['compliance checks have not been run (hangar validate MODEL_URI)']);
  });

  it('guards moves to Staging, Production and onto champion only', () => {
    expect(isGuardedPromotion({ stage: 'production' })).toBe(true);
    expect(isGuardedPromotion({ stage: 'Staging' })).toBe(true);
    expect(isGuardedPromotion({ stage: 'None' })).toBe(false);
    expect(isGuardedPromotion({ alias: 'champion' })).toBe(true);
    expect(isGuardedPromotion({ alias: 'challenger' })).toBe(false);
  });
});
