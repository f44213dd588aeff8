import type { ModelVersion, Run } from '../client/index.js';
import { SENSITIVE_FEATURES_TAG } from '../data/index.js';
import type { ComplianceRules, SensitiveFeaturesRule } from './config.js';

/**
 * Compliance checks (the first step of the Big Book's continuous deployment to prod): load the
 * model from the registry and check its tags, documentation, signature, lineage and execution
 * environment against the project's rules. The rules are pure functions of a `ComplianceSubject`,
 * so they are tested without a server; `loadComplianceSubject` (subject.ts) gathers the facts.
 */

/** What the package (MLmodel and its sibling files) says about itself. */
export interface PackageFacts {
  /** Flavor names in the MLmodel. */
  flavors: string[];
  /** Names (or, for tensors, dtypes) of the input signature's entries; null when there is no signature. */
  signatureInputs: string[] | null;
  /** Path of the saved input example inside the package, or null. */
  inputExample: string | null;
  /** The execution environment the package records (empty when none). */
  environment: EnvironmentFacts;
}

/** Execution environment facts; a missing one is undefined. */
export interface EnvironmentFacts {
  /** Runtime and version, e.g. `node 20.19.0` or `python 3.11.2`. */
  runtime?: string;
  /** Digest of the dependency lockfile, or the path of a pinned requirements file. */
  dependencies?: string;
  /** The code commit the model was built from. */
  codeCommit?: string;
}

/** What the package's `feature_spec.yaml` says about the training set the model was trained on. */
export interface FeatureLineageFacts {
  /** The training set's id, when recorded. */
  trainingSetId: string | null;
  /** One entry per feature-table version that fed it. */
  tables: Array<{
    table: string;
    version: number;
    /** Result columns from sensitive features; undefined when the training set predates this record. */
    sensitive?: Array<{ column: string; feature: string; tag: string; value: string; on: 'feature' | 'table' }>;
  }>;
}

/** Everything the rules look at. */
export interface ComplianceSubject {
  /** The registered model version under check. */
  version: ModelVersion;
  /** The run that produced it, when the version names one that still exists. */
  run: Run | null;
  /** What the package says, or null when the package or its MLmodel cannot be read. */
  pkg: PackageFacts | null;
  /** Why `pkg` is null, for the messages. */
  pkgError?: string;
  /** The package's feature lineage (`feature_spec.yaml`), or null when the package has none. */
  featureLineage?: FeatureLineageFacts | null;
  /** Why `feature_spec.yaml` could not be read, when it is there but malformed. */
  featureLineageError?: string;
}

export const COMPLIANCE_RULES = ['required_tags', 'description', 'signature', 'input_example', 'required_metrics', 'dataset_lineage', 'environment', 'sensitive_features'] as const;
export type ComplianceRule = (typeof COMPLIANCE_RULES)[number];

/** The outcome of one rule. */
export interface ComplianceCheck {
  /** The rule, as named in the project file. */
  rule: ComplianceRule;
  /** PASS, FAIL, or SKIP when the project switched the rule off. */
  status: 'PASS' | 'FAIL' | 'SKIP';
  /** Why, in one sentence. */
  reason: string;
}

/** All rules' outcomes. */
export interface ComplianceReport {
  /** `models:/NAME/VERSION` of the version checked. */
  modelUri: string;
  /** Registered model name. */
  name: string;
  /** Version number. */
  version: number;
  /** No rule failed. */
  passed: boolean;
  /** One entry per rule, in `COMPLIANCE_RULES` order. */
  checks: ComplianceCheck[];
}

/** The separator the validation gate uses before the block it appends to a description. */
export const DESCRIPTION_SEPARATOR = '\n\n---\n\n';

/** A description without the blocks Hangar's validation gate appended, so they do not count as documentation. */
export function authoredDescription(description: string): string {
  const parts = description.split(DESCRIPTION_SEPARATOR);
  return parts
    .filter((p, i) => !(i > 0 && p.startsWith('Model Validation Status:')))
    .join(DESCRIPTION_SEPARATOR)
    .replace(/^Model Validation Status:[\s\S]*$/, '')
    .trim();
}

const list = (items: string[]): string => items.join(', ');

/** Run every rule on `subject`. Never throws; a rule that cannot tell fails with the reason. */
export function runComplianceChecks(subject: ComplianceSubject, rules: ComplianceRules): ComplianceReport {
  const { version, run, pkg } = subject;
  const noPackage = `the model package could not be read${subject.pkgError === undefined ? '' : ` (${subject.pkgError})`}`;
  const noRun = version.runId === null ? 'the version names no run' : `its run ${version.runId} could not be read`;
  const checks: ComplianceCheck[] = [];
  const add = (rule: ComplianceRule, enabled: boolean, check: () => [boolean, string]): void => {
    if (!enabled) {
      checks.push({ rule, status: 'SKIP', reason: 'switched off in the project file' });
      return;
    }
    const [ok, reason] = check();
    checks.push({ rule, status: ok ? 'PASS' : 'FAIL', reason });
  };

  add('required_tags', true, () => {
    if (rules.requiredTags.length === 0) return [true, 'no tags required'];
    const tags = new Map(version.tags.map((t) => [t.key, t.value]));
    const missing = rules.requiredTags.filter((k) => (tags.get(k) ?? '').trim() === '');
    return missing.length === 0 ? [true, `tags present: ${list(rules.requiredTags)}`] : [false, `missing version tags: ${list(missing)}`];
  });

  add('description', rules.description, () => {
    const text = authoredDescription(version.description ?? '');
    return text === '' ? [false, 'the version has no description'] : [true, `description of ${text.length} characters`];
  });

  add('signature', rules.signature, () => {
    if (pkg === null) return [false, noPackage];
    if (pkg.signatureInputs === null || pkg.signatureInputs.length === 0) return [false, 'the MLmodel has no input signature'];
    const shown = pkg.signatureInputs.slice(0, 8);
    return [true, `input signature: ${list(shown)}${pkg.signatureInputs.length > shown.length ? `, … (${pkg.signatureInputs.length})` : ''}`];
  });

  add('input_example', rules.inputExample, () => {
    if (pkg === null) return [false, noPackage];
    return pkg.inputExample === null ? [false, 'the MLmodel references no saved input example'] : [true, `input example at ${pkg.inputExample}`];
  });

  add('required_metrics', true, () => {
    if (rules.requiredMetrics.length === 0) return [true, 'no metrics required'];
    if (run === null) return [false, `${noRun}, so its metrics are unknown`];
    const logged = new Map(run.data.metrics.map((m) => [m.key, m.value]));
    const missing = rules.requiredMetrics.filter((k) => !logged.has(k));
    if (missing.length > 0) return [false, `metrics not logged by run ${run.info.runId}: ${list(missing)}`];
    const notFinite = rules.requiredMetrics.filter((k) => !Number.isFinite(logged.get(k)));
    if (notFinite.length > 0) return [false, `metrics logged without a finite value: ${list(notFinite)}`];
    return [true, list(rules.requiredMetrics.map((k) => `${k} = ${round(logged.get(k)!)}`))];
  });

  add('dataset_lineage', rules.datasetLineage, () => {
    if (run === null) return [false, `${noRun}, so the data it was trained on is unknown`];
    const inputs = run.inputs.datasetInputs;
    if (inputs.length === 0) return [false, `run ${run.info.runId} records no dataset input`];
    const described = inputs.filter((i) => i.dataset.digest !== '' && i.dataset.name !== '');
    if (described.length === 0) return [false, `run ${run.info.runId} records datasets without a name and digest`];
    return [true, list(described.map((i) => `${i.dataset.name}@${i.dataset.digest}`))];
  });

  add('environment', rules.environment, () => {
    if (pkg === null) return [false, noPackage];
    const env = pkg.environment;
    const missing = [env.runtime === undefined ? 'runtime version' : null, env.dependencies === undefined ? 'dependency lockfile' : null].filter(
      (m): m is string => m !== null,
    );
    if (missing.length > 0) return [false, `the package does not capture its execution environment: no ${list(missing)}`];
    return [true, [env.runtime, `dependencies ${env.dependencies}`, env.codeCommit === undefined ? 'no code commit' : `commit ${env.codeCommit}`].join(', ')];
  });

  const sensitive = rules.sensitiveFeatures ?? null;
  add('sensitive_features', sensitive !== null, () => sensitiveFeaturesCheck(subject, sensitive!, noPackage));

  const order = new Map(COMPLIANCE_RULES.map((r, i) => [r, i]));
  checks.sort((a, b) => order.get(a.rule)! - order.get(b.rule)!);
  return {
    modelUri: `models:/${version.name}/${version.version}`,
    name: version.name,
    version: version.version,
    passed: checks.every((c) => c.status !== 'FAIL'),
    checks,
  };
}

/** One sensitive feature a version was trained on, and where that is recorded. */
export interface SensitiveUse {
  /** `table:feature`. */
  feature: string;
  /** Why it is sensitive (`tag pii=true on the feature`), when the lineage says. */
  reason?: string;
  /** Where the version records it: its training-set lineage, or a `hangar.sensitive_features` tag. */
  source: string;
}

/**
 * The sensitive features a version was trained on, from every record of it: the package's
 * training-set lineage (`feature_spec.yaml`), and the `hangar.sensitive_features` tag on the
 * version and on its run. `unknown` lists the feature-table versions whose lineage was
 * recorded before sensitive features were.
 */
export function sensitiveUses(subject: ComplianceSubject): { uses: SensitiveUse[]; unknown: string[] } {
  const byFeature = new Map<string, SensitiveUse>();
  const unknown: string[] = [];
  const lineage = subject.featureLineage ?? null;
  if (lineage !== null) {
    const where = lineage.trainingSetId === null ? 'the training-set lineage in feature_spec.yaml' : `training set ${lineage.trainingSetId}`;
    for (const t of lineage.tables) {
      if (t.sensitive === undefined) {
        unknown.push(`${t.table} v${t.version}`);
        continue;
      }
      for (const s of t.sensitive) {
        if (byFeature.has(s.feature)) continue;
        byFeature.set(s.feature, { feature: s.feature, reason: `tag ${s.tag}=${s.value} on the ${s.on}`, source: `column ${s.column} of ${where} (${t.table} v${t.version})` });
      }
    }
  }
  const fromTag = (tags: Array<{ key: string; value: string }>, source: string): void => {
    const value = tags.find((t) => t.key === SENSITIVE_FEATURES_TAG)?.value ?? '';
    for (const ref of value.split(',').map((r) => r.trim()).filter((r) => r !== '')) {
      if (!byFeature.has(ref)) byFeature.set(ref, { feature: ref, source });
    }
  };
  fromTag(subject.version.tags, `version tag ${SENSITIVE_FEATURES_TAG}`);
  if (subject.run !== null) fromTag(subject.run.data.tags, `tag ${SENSITIVE_FEATURES_TAG} of run ${subject.run.info.runId}`);
  return { uses: [...byFeature.values()], unknown };
}

/** The `sensitive_features` rule: every sensitive feature the version was trained on is allowed by the project's rule. */
function sensitiveFeaturesCheck(subject: ComplianceSubject, rule: SensitiveFeaturesRule, noPackage: string): [boolean, string] {
  if (subject.pkg === null) return [false, `${noPackage}, so its feature lineage is unknown`];
  if (subject.featureLineageError !== undefined) return [false, `its feature lineage could not be read: ${subject.featureLineageError}`];
  const { uses, unknown } = sensitiveUses(subject);
  if (unknown.length > 0) {
    return [false, `its training-set lineage predates sensitive-feature records for ${list(unknown)}; rebuild the training set and retrain, so the lineage says which features are sensitive`];
  }
  if (uses.length === 0) {
    const lineage = subject.featureLineage ?? null;
    if (lineage === null) return [true, 'no sensitive features: the version records no feature-table lineage'];
    return [true, `no sensitive features in ${lineage.trainingSetId === null ? 'its training set' : `training set ${lineage.trainingSetId}`} (${list(lineage.tables.map((t) => `${t.table} v${t.version}`))})`];
  }
  const allowed = (ref: string): boolean => rule.allow.includes(ref) || rule.allow.includes(`${ref.split(':')[0]}:*`);
  const review = rule.requireTag === null ? '' : (subject.version.tags.find((t) => t.key === rule.requireTag)?.value ?? '').trim();
  const describe = (u: SensitiveUse): string => `${u.feature} (${u.reason === undefined ? '' : `${u.reason}; `}${u.source})`;
  const refused = uses.filter((u) => !allowed(u.feature) && review === '');
  if (refused.length === 0) {
    const how = (u: SensitiveUse): string => (allowed(u.feature) ? 'allowed' : `reviewed: ${rule.requireTag}=${review}`);
    return [true, `sensitive features allowed: ${list(uses.map((u) => `${u.feature} (${how(u)})`))}`];
  }
  const fix = rule.requireTag === null ? 'add them to sensitive_features.allow' : `add them to sensitive_features.allow, or set the version tag ${rule.requireTag} after a privacy review`;
  return [false, `trained on sensitive features not allowed: ${refused.map(describe).join('; ')}. To allow them, ${fix}`];
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** The lines `hangar validate` prints: one per rule, then the verdict. */
export function formatComplianceReport(report: ComplianceReport): string {
  const width = Math.max(...report.checks.map((c) => c.rule.length));
  const lines = report.checks.map((c) => `${c.status.padEnd(4)}  ${c.rule.padEnd(width)}  ${c.reason}`);
  const failed = report.checks.filter((c) => c.status === 'FAIL').length;
  lines.push(
    report.passed
      ? `Compliance checks passed for ${report.modelUri}.`
      : `Compliance checks FAILED for ${report.modelUri}: ${failed} rule${failed === 1 ? '' : 's'} failed; promotion to Staging and Production is blocked.`,
  );
  return `${lines.join('\n')}\n`;
}
