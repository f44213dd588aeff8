import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { ModelVersion, Run } from '../client/index.js';
import { authoredDescription, formatComplianceReport, runComplianceChecks, sensitiveUses, type ComplianceSubject, type FeatureLineageFacts, type PackageFacts } from './compliance.js';
import { defaultProjectConfig, parseProjectConfig } from './config.js';
import { featureLineageFromSpec, packageFactsFromMLmodel } from './subject.js';
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
      ['sensitive_features', 'SKIP'],
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
    expect(report.checks.filter((c) => c.status === 'SKIP').map((c) => c.rule)).toEqual(['description', 'signature', 'input_example', 'dataset_lineage', 'environment', 'sensitive_features']);
    const failing = runComplianceChecks(subject({ version: version({ description: '' }) }), defaultProjectConfig().compliance);
    const text = formatComplianceReport(failing);
    expect(text.split('\n')).toContain('FAIL  description         the version has no description');
    expect(text).toContain('Compliance checks FAILED for models:/churn/3: 1 rule failed; promotion to Staging and Production is blocked.');
  });
});

describe('the sensitive_features rule', () => {
  const lineage = (sensitive?: Array<{ column: string; feature: string; tag: string; value: string; on: 'feature' | 'table' }>): FeatureLineageFacts => ({
    trainingSetId: 'ts_1',
    tables: [{ table: 'customers', version: 2, ...(sensitive === undefined ? {} : { sensitive }) }, { table: 'orders', version: 1, sensitive: [] }],
  });
  const email = { column: 'buyer_email', feature: 'customers:email', tag: 'pii', value: 'true', on: 'feature' as const };
  const age = { column: 'age', feature: 'customers:age', tag: 'gdpr', value: 'yes', on: 'table' as const };
  const check = (s: ComplianceSubject, yaml: string) => byRule(s, parseProjectConfig(`compliance: { sensitive_features: ${yaml} }`).compliance).sensitive_features!;

  it('passes with no sensitive features, naming the training set it read', () => {
    expect(check(subject({ featureLineage: lineage([]) }), 'true')).toEqual({ rule: 'sensitive_features', status: 'PASS', reason: 'no sensitive features in training set ts_1 (customers v2, orders v1)' });
    expect(check(subject({ featureLineage: null }), 'true').reason).toBe('no sensitive features: the version records no feature-table lineage');
  });

  it('fails naming each feature not allowed, why it is sensitive and where the version records it', () => {
    const c = check(subject({ featureLineage: lineage([email, age]) }), '{ allow: [customers:age] }');
    expect(c.status).toBe('FAIL');
    expect(c.reason).toBe(
      'trained on sensitive features not allowed: customers:email (tag pii=true on the feature; column buyer_email of training set ts_1 (customers v2)). To allow them, add them to sensitive_features.allow',
    );
    const none = check(subject({ featureLineage: lineage([email, age]) }), 'true');
    expect(none.reason).toContain('customers:email (tag pii=true on the feature; column buyer_email of training set ts_1 (customers v2)); customers:age (tag gdpr=yes on the table; column age of');
  });

  it('passes when allow names each feature or its table, or the version carries require_tag', () => {
    expect(check(subject({ featureLineage: lineage([email, age]) }), '{ allow: ["customers:*"] }')).toMatchObject({ status: 'PASS', reason: 'sensitive features allowed: customers:email (allowed), customers:age (allowed)' });
    const rule = '{ allow: [customers:age], require_tag: privacy_review }';
    const unreviewed = check(subject({ featureLineage: lineage([email, age]) }), rule);
    expect(unreviewed.status).toBe('FAIL');
    expect(unreviewed.reason).toContain('not allowed: customers:email (');
    expect(unreviewed.reason).toContain('add them to sensitive_features.allow, or set the version tag privacy_review after a privacy review');
    const reviewed = version({ tags: [...version().tags, { key: 'privacy_review', value: 'DPO-142' }] });
    expect(check(subject({ version: reviewed, featureLineage: lineage([email, age]) }), rule)).toMatchObject({
      status: 'PASS',
      reason: 'sensitive features allowed: customers:email (reviewed: privacy_review=DPO-142), customers:age (allowed)',
    });
  });

  it('reads the hangar.sensitive_features tag of the version and of its run too', () => {
    const tagged = version({ tags: [...version().tags, { key: 'hangar.sensitive_features', value: 'customers:email, customers:phone' }] });
    const r = run();
    r.data.tags.push({ key: 'hangar.sensitive_features', value: 'orders:address' });
    const c = check(subject({ version: tagged, run: r, featureLineage: null }), '{ allow: [customers:phone] }');
    expect(c.reason).toBe(
      'trained on sensitive features not allowed: customers:email (version tag hangar.sensitive_features); orders:address (tag hangar.sensitive_features of run r1). To allow them, add them to sensitive_features.allow',
    );
    // The lineage's record of a feature comes first, with its reason.
    expect(sensitiveUses(subject({ version: tagged, featureLineage: lineage([email]) })).uses.map((u) => [u.feature, u.reason ?? null])).toEqual([
      ['customers:email', 'tag pii=true on the feature'],
      ['customers:phone', null],
    ]);
  });

  it('fails when it cannot tell: lineage recorded before sensitive features, an unreadable feature_spec.yaml or package', () => {
    expect(check(subject({ featureLineage: lineage(undefined) }), 'true').reason).toBe(
      'its training-set lineage predates sensitive-feature records for customers v2; rebuild the training set and retrain, so the lineage says which features are sensitive',
    );
    expect(check(subject({ featureLineageError: 'feature_spec.yaml is not valid YAML' }), 'true')).toMatchObject({ status: 'FAIL', reason: 'its feature lineage could not be read: feature_spec.yaml is not valid YAML' });
    expect(check(subject({ pkg: null, pkgError: 'no MLmodel' }), 'true').reason).toBe('the model package could not be read (no MLmodel), so its feature lineage is unknown');
  });

  it('feature_spec.yaml gives the lineage, with or without sensitive records', () => {
    const text = 'version: 1\ntraining_set_id: ts_9\nlookups: [{ table: customers }]\nexclude: []\nlineage:\n  - { table: customers, version: 3, digest: d, features: [email], sensitive: [{ column: email, feature: customers:email, tag: pii, value: "true", on: feature }] }\n  - { table: old, version: 1, digest: e, features: [x] }\n';
    expect(featureLineageFromSpec(text)).toEqual({
      trainingSetId: 'ts_9',
      tables: [
        { table: 'customers', version: 3, sensitive: [{ column: 'email', feature: 'customers:email', tag: 'pii', value: 'true', on: 'feature' }] },
        { table: 'old', version: 1 },
      ],
    });
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
