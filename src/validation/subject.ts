import { HangarError, isHangarError } from '../core/errors.js';
import type { HangarClient, ModelVersion, Run } from '../client/index.js';
import { FEATURE_SPEC_FILE, parseFeatureSpec } from '../data/index.js';
import { mlmodelToObject, parseMLmodel } from '../models/index.js';
import type { ComplianceReport, ComplianceSubject, EnvironmentFacts, FeatureLineageFacts, PackageFacts } from './compliance.js';

/**
 * Gathering what the compliance rules look at, through the SDK only (so `hangar validate` works
 * against any Hangar server): the registered version, its run, and its package's MLmodel.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/** Names of the signature's inputs (column names, or tensor dtypes and shapes). */
function signatureInputs(signature: unknown): string[] | null {
  if (!isObj(signature)) return null;
  let inputs: unknown = signature.inputs;
  if (typeof inputs === 'string') {
    try {
      inputs = JSON.parse(inputs);
    } catch {
      return null;
    }
  }
  if (!Array.isArray(inputs)) return null;
  return inputs.map((spec, i) => {
    if (!isObj(spec)) return `#${i}`;
    const name = str(spec.name);
    if (name !== undefined) return `${name}:${str(spec.type) ?? '?'}`;
    const tensor = isObj(spec['tensor-spec']) ? spec['tensor-spec'] : undefined;
    return tensor === undefined ? `#${i}:${str(spec.type) ?? '?'}` : `tensor ${str(tensor.dtype) ?? '?'}${JSON.stringify(tensor.shape ?? [])}`;
  });
}

/**
 * The execution environment, from Hangar's own record (an `environment` or `hangar_env` block,
 * or the same facts as top-level fields) or from what MLflow writes (`python_version` in the
 * python_function flavor, and a pinned requirements file beside the MLmodel).
 */
function environmentFacts(mlmodel: Obj, files: string[]): EnvironmentFacts {
  const env: EnvironmentFacts = {};
  const blocks = [mlmodel.environment, mlmodel.hangar_env, mlmodel.execution_environment, mlmodel].filter(isObj);
  for (const b of blocks) {
    const node = str(b.node_version) ?? str(b.nodeVersion) ?? (isObj(b.runtime) ? str(b.runtime.version) : undefined);
    const runtime = str(b.runtime) ?? (node === undefined ? undefined : `node ${node.replace(/^v/, '')}`);
    env.runtime ??= runtime;
    env.dependencies ??= str(b.lockfile_digest) ?? str(b.lockfileDigest) ?? (isObj(b.lockfile) ? str(b.lockfile.sha256) ?? str(b.lockfile.digest) : undefined);
    env.codeCommit ??= str(b.git_commit) ?? str(b.gitCommit) ?? (isObj(b.git) ? str(b.git.commit) : undefined);
  }
  const flavors = isObj(mlmodel.flavors) ? mlmodel.flavors : {};
  const pyfunc = isObj(flavors.python_function) ? flavors.python_function : undefined;
  if (env.runtime === undefined && pyfunc !== undefined && str(pyfunc.python_version) !== undefined) env.runtime = `python ${str(pyfunc.python_version)}`;
  if (env.dependencies === undefined) {
    const pinned = ['requirements.txt', 'python_env.yaml', 'conda.yaml', 'package-lock.json'].find((f) => files.includes(f));
    if (pinned !== undefined) env.dependencies = pinned;
  }
  return env;
}

/** What a parsed MLmodel (and the list of files beside it) says about the package. */
export function packageFactsFromMLmodel(mlmodel: unknown, files: string[] = []): PackageFacts {
  if (!isObj(mlmodel)) throw new HangarError('INVALID_PARAMETER_VALUE', 'The MLmodel file is not a YAML mapping.');
  const example = isObj(mlmodel.saved_input_example_info) ? str(mlmodel.saved_input_example_info.artifact_path) : undefined;
  return {
    flavors: isObj(mlmodel.flavors) ? Object.keys(mlmodel.flavors) : [],
    signatureInputs: signatureInputs(mlmodel.signature),
    inputExample: example ?? null,
    environment: environmentFacts(mlmodel, files),
  };
}

/** The feature lineage `feature_spec.yaml` records (what `hangar train --training-set` puts in the package). */
export function featureLineageFromSpec(text: string): FeatureLineageFacts {
  const spec = parseFeatureSpec(text);
  return {
    trainingSetId: spec.trainingSetId ?? null,
    tables: (spec.lineage ?? []).map((l) => ({ table: String(l.table), version: Number(l.version), ...(Array.isArray(l.sensitive) ? { sensitive: l.sensitive } : {}) })),
  };
}

/**
 * Resolve `modelUri` to a registered version and collect its run and package facts (with the
 * feature lineage of `feature_spec.yaml`, when the package has one). The URI
 * must name a registered version (`models:/NAME/VERSION`, `/STAGE`, `/latest` or `@ALIAS`).
 */
export async function loadComplianceSubject(client: HangarClient, modelUri: string): Promise<ComplianceSubject> {
  const resolved = await client.resolveModelUri(modelUri);
  if (resolved.modelVersion === undefined) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `${modelUri} is not a registered model version; compliance checks apply to versions (models:/NAME/VERSION).`, {
      field: 'modelUri',
    });
  }
  // Read the version itself: resolution answers may leave out tags or aliases.
  const version: ModelVersion = await client.getModelVersion(resolved.modelVersion.name, resolved.modelVersion.version);
  let run: Run | null = null;
  if (version.runId !== null && version.runId !== '') {
    run = await client.getRun(version.runId).catch((e: unknown) => {
      if (isHangarError(e) && e.code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw e;
    });
  }
  let pkg: PackageFacts | null = null;
  let pkgError: string | undefined;
  let featureLineage: FeatureLineageFacts | null = null;
  let featureLineageError: string | undefined;
  try {
    const files = (await client.listArtifacts(resolved.artifactUri)).map((f) => f.path.split('/').pop()!);
    if (!files.includes('MLmodel')) {
      pkgError = `no MLmodel file at ${resolved.artifactUri}`;
    } else {
      // The package reader parses it (as MLflow's PyYAML does) and refuses a file without flavors.
      const mlmodel = parseMLmodel((await client.readArtifact(resolved.artifactUri, 'MLmodel')).toString('utf8'));
      pkg = packageFactsFromMLmodel(mlmodelToObject(mlmodel), files);
      if (files.includes(FEATURE_SPEC_FILE)) {
        try {
          featureLineage = featureLineageFromSpec((await client.readArtifact(resolved.artifactUri, FEATURE_SPEC_FILE)).toString('utf8'));
        } catch (e) {
          featureLineageError = e instanceof Error ? e.message : String(e);
        }
      }
    }
  } catch (e) {
    pkgError = e instanceof Error ? e.message : String(e);
  }
  // The commit MLflow clients record on the run counts when the package leaves it out.
  const commit = run?.data.tags.find((t) => t.key === 'mlflow.source.git.commit')?.value;
  if (pkg !== null && pkg.environment.codeCommit === undefined && commit !== undefined && commit !== '') {
    pkg = { ...pkg, environment: { ...pkg.environment, codeCommit: commit } };
  }
  return { version, run, pkg, featureLineage, ...(pkgError === undefined ? {} : { pkgError }), ...(featureLineageError === undefined ? {} : { featureLineageError }) };
}

/** Longest tag value MLflow accepts on a model version. */
const TAG_VALUE_MAX = 5000;

/**
 * Record a report on its version: `compliance_status` = `passed` | `failed`, and one
 * `compliance.<rule>` tag per checked rule = `PASS|FAIL: <reason>` (a rule switched off has its
 * tag removed, so an old verdict does not linger). These tags are what `promotionBlockers` and
 * the governance service's promotion check read, so a failed check blocks promotion.
 */
export async function recordComplianceReport(client: HangarClient, report: ComplianceReport): Promise<void> {
  const existing = new Set((await client.getModelVersion(report.name, report.version)).tags.map((t) => t.key));
  for (const c of report.checks) {
    const key = `compliance.${c.rule}`;
    if (c.status === 'SKIP') {
      if (existing.has(key)) await client.deleteModelVersionTag(report.name, report.version, key);
      continue;
    }
    await client.setModelVersionTag(report.name, report.version, key, `${c.status}: ${c.reason}`.slice(0, TAG_VALUE_MAX));
  }
  // The status goes last, so a reader that sees it also sees the per-rule tags it summarises.
  await client.setModelVersionTag(report.name, report.version, 'compliance_status', report.passed ? 'passed' : 'failed');
}
