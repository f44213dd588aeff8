import { HangarError, isHangarError } from '../core/errors.js';
import type { DatasetInput, HangarClient, ModelVersion } from '../client/index.js';
import type { GateSettings, ValidationMode } from './config.js';
import { DESCRIPTION_SEPARATOR } from './compliance.js';
import { metricThreshold, thresholdToInput, validateMetrics, type MetricThreshold, type ValidationResult } from './thresholds.js';

/**
 * The champion/challenger gate, as MLOps Stacks' ModelValidation task: evaluate the candidate
 * and the current champion on the same data in one validation run, apply the thresholds, record
 * the verdict on the candidate version, and on success mark it `challenger`. `deployVersion`
 * (deploy.ts) is the next task: it makes the validated version `champion`.
 */

/** Where an evaluation happens: the validation run, and which side of the comparison it scores. */
export interface EvaluationContext {
  /** The validation run (open), for evaluators that log plots or metrics themselves. */
  runId: string;
  /** `candidate` or `baseline`. */
  role: 'candidate' | 'baseline';
  /** The prefix the role's metrics carry in the run: `` for the candidate, `baseline_` for the baseline. */
  prefix: '' | 'baseline_';
}

/** What an evaluator returns when it also logged the metrics (under the context's prefix) itself. */
export interface Evaluation {
  /** Metric name → value, without the prefix. */
  metrics: Record<string, number>;
  /** True when the metrics are already in the run, so the gate does not log them again. */
  logged: boolean;
}

/**
 * Scores one model on the gate's data: metric name → value (or an `Evaluation`). Bound to the
 * data by the caller; both models go through the same evaluator, so the comparison is like for like.
 */
export type Evaluator = (modelUri: string, context: EvaluationContext) => Promise<Record<string, number> | Evaluation>;

function asEvaluation(r: Record<string, number> | Evaluation): Evaluation {
  const m = (r as Evaluation).metrics;
  return typeof m === 'object' && m !== null ? (r as Evaluation) : { metrics: r as Record<string, number>, logged: false };
}

/** What the gate reports when it has finished (also the `validation.completed` event's payload). */
export interface ValidationCompletedEvent {
  /** Registered model name. */
  name: string;
  /** Candidate version. */
  version: number;
  /** The gate's mode. */
  mode: ValidationMode;
  /** The `validation_status` tag written: `approved`, `failed` or `dry_run_failed`. */
  status: GateStatus;
  /** The baseline version compared with, or null. */
  baselineVersion: number | null;
  /** The validation run. */
  runId: string;
  /** Link to the validation run. */
  runLink: string;
  /** Failure messages, newline-joined; empty on success. */
  message: string;
}

export type GateStatus = 'approved' | 'failed' | 'dry_run_failed';

export interface GateOptions {
  /** The candidate: a URI naming a registered version (`models:/NAME/VERSION`, `@alias`, `/Stage`). */
  modelUri: string;
  /** Scores a model URI on the gate's data. */
  evaluate: Evaluator;
  /** Mode, thresholds, baseline comparison, MLflow compatibility. */
  settings: GateSettings;
  /** Experiment for the validation run. Default `hangar-validation`. */
  experimentName?: string;
  /** A description of the data, recorded as a run param (e.g. the file path). */
  dataLabel?: string;
  /**
   * Dataset versions the evaluation reads (`gateData` gives them for `dataset:NAME[@VERSION]`),
   * recorded as the validation run's inputs (`runs/log-inputs`) before anything is evaluated.
   */
  inputs?: DatasetInput[];
  /**
   * Called once the verdict is recorded; the CLI and the demo pass the governance module's
   * emitter here to fire the `validation.completed` webhook event. Errors are reported in
   * the result's `hookError`, never thrown: the verdict is already recorded.
   */
  onCompleted?: (event: ValidationCompletedEvent) => Promise<void> | void;
  /** Progress lines. Default: nowhere. */
  log?: (line: string) => void;
}

/** The gate's result. */
export interface GateResult {
  /** The mode it ran in. */
  mode: ValidationMode;
  /** True when every threshold passed (also true when `disabled`). */
  passed: boolean;
  /** True when the failure must stop deployment (`enabled` mode and a failure). */
  blocking: boolean;
  /** What was written on the version; null when `disabled`. */
  status: GateStatus | null;
  /** The candidate version, null when `disabled` (nothing is read). */
  candidate: { name: string; version: number; metrics: Record<string, number> } | null;
  /** The baseline compared with, or null when there is no champion (change bounds are then skipped). */
  baseline: { version: number; uri: string; metrics: Record<string, number> } | null;
  /** The threshold verdicts, null when `disabled`. */
  validation: ValidationResult | null;
  /** The validation run, null when `disabled`. */
  runId: string | null;
  /** Link to the validation run (MLflow UI form), null when `disabled`. */
  runLink: string | null;
  /** Metrics whose change bounds were dropped because there is no baseline model. */
  skippedComparisons: string[];
  /** What `onCompleted` threw, if it did. */
  hookError?: string;
}

/** The validation run's artifact holding the gate's whole `GateResult` as JSON. */
export const GATE_RESULT_ARTIFACT = 'validation_result.json';

/** The MLflow UI's link to a run. */
export function runLinkFor(client: HangarClient, experimentId: string, runId: string): string {
  return `${client.trackingUri}/#/experiments/${experimentId}/runs/${runId}`;
}

/**
 * The version to compare with: `@champion`, else the newest version in Production (the
 * workspace registry's convention); null when there is none or it is the candidate itself.
 */
export async function findBaseline(client: HangarClient, name: string, candidateVersion: number): Promise<{ version: number; uri: string } | null> {
  try {
    const champion = await client.getModelVersionByAlias(name, 'champion');
    if (champion.version !== candidateVersion) return { version: champion.version, uri: `models:/${name}@champion` };
    return null;
  } catch (e) {
    // A missing alias is INVALID_PARAMETER_VALUE on the MLflow wire, not 404.
    if (!(isHangarError(e) && (e.code === 'INVALID_PARAMETER_VALUE' || e.code === 'RESOURCE_DOES_NOT_EXIST'))) throw e;
  }
  const production = await client.getLatestVersions(name, ['Production']);
  const prod = production.find((v) => v.version !== candidateVersion);
  return prod === undefined ? null : { version: prod.version, uri: `models:/${name}/${prod.version}` };
}

/** `validation_thresholds.txt`: one line per metric, in MLflow's snake_case. */
export function formatThresholds(thresholds: Readonly<Record<string, MetricThreshold>>): string {
  return `${Object.entries(thresholds)
    .map(([metric, t]) => `${metric}: ${Object.entries(thresholdToInput(t)).map(([k, v]) => `${k}=${v}`).join(', ')}`)
    .join('\n')}\n`;
}

/** `metrics.txt`: candidate vs baseline, one metric per line. */
export function formatMetricsComparison(candidate: Record<string, number>, baseline: Record<string, number> | null): string {
  const keys = [...new Set([...Object.keys(candidate), ...Object.keys(baseline ?? {})])].sort();
  const w = Math.max(6, ...keys.map((k) => k.length));
  const fmt = (v: number | undefined): string => (v === undefined ? '-' : String(Number(v.toPrecision(8))));
  const lines = [`${'metric'.padEnd(w)}  ${'candidate'.padStart(14)}  ${'baseline'.padStart(14)}`];
  for (const k of keys) lines.push(`${k.padEnd(w)}  ${fmt(candidate[k]).padStart(14)}  ${fmt(baseline?.[k]).padStart(14)}`);
  return `${lines.join('\n')}\n`;
}

/** Thresholds without their change bounds (no baseline to compare with); metrics left without any bound are dropped. */
function withoutChangeBounds(thresholds: Readonly<Record<string, MetricThreshold>>): { kept: Record<string, MetricThreshold>; skipped: string[] } {
  const kept: Record<string, MetricThreshold> = {};
  const skipped: string[] = [];
  for (const [metric, t] of Object.entries(thresholds)) {
    if (t.minAbsoluteChange !== undefined || t.minRelativeChange !== undefined) skipped.push(metric);
    if (t.threshold !== undefined) kept[metric] = metricThreshold({ threshold: t.threshold, greaterIsBetter: t.greaterIsBetter }, metric);
  }
  return { kept, skipped };
}

async function resolveCandidate(client: HangarClient, modelUri: string): Promise<ModelVersion> {
  const resolved = await client.resolveModelUri(modelUri);
  if (resolved.modelVersion === undefined) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `${modelUri} is not a registered model version; the gate validates versions (models:/NAME/VERSION).`, {
      field: 'modelUri',
    });
  }
  return resolved.modelVersion;
}

/**
 * Run the gate. `disabled` returns at once and writes nothing (MLOps Stacks). Otherwise the
 * verdict is recorded whatever it is: metrics (candidate's under their names, the baseline's as
 * `baseline_<metric>`), the artifacts `validation_thresholds.txt`, `metrics.txt` and on failure
 * `error.txt`, the version tag `validation_status`, a block appended to the version description,
 * and on success the alias `challenger`. Never throws on a failed threshold: read `blocking`, or
 * call `assertGatePassed`.
 */
export async function runGate(client: HangarClient, opts: GateOptions): Promise<GateResult> {
  const { settings } = opts;
  const log = opts.log ?? (() => undefined);
  const empty: GateResult = {
    mode: settings.mode,
    passed: true,
    blocking: false,
    status: null,
    candidate: null,
    baseline: null,
    validation: null,
    runId: null,
    runLink: null,
    skippedComparisons: [],
  };
  if (settings.mode === 'disabled') {
    log('validation gate disabled: nothing evaluated or recorded');
    return empty;
  }
  if (Object.keys(settings.thresholds).length === 0) {
    throw new HangarError('INVALID_PARAMETER_VALUE', 'The validation gate has no thresholds; set validation.thresholds in the project file.', {
      field: 'validation.thresholds',
    });
  }
  const candidate = await resolveCandidate(client, opts.modelUri);
  const { name, version } = candidate;
  const candidateUri = `models:/${name}/${version}`;
  const baselineRef = settings.baseline ? await findBaseline(client, name, version) : null;

  const { experiment } = await client.getOrCreateExperiment(opts.experimentName ?? 'hangar-validation', { tags: { purpose: 'model validation gate' } });
  const started = await client.createRun(experiment.experimentId, {
    runName: `validate-${name}-v${version}`,
    tags: {
      'hangar.validation.candidate': candidateUri,
      'hangar.validation.baseline': baselineRef === null ? 'none' : `models:/${name}/${baselineRef.version}`,
      'hangar.validation.mode': settings.mode,
      'mlflow.source.name': 'hangar gate',
    },
  });
  const runId = started.info.runId;
  const runLink = runLinkFor(client, experiment.experimentId, runId);
  let result: GateResult;
  try {
    if (opts.inputs !== undefined && opts.inputs.length > 0) await client.logInputs(runId, opts.inputs);
    // Same data, same evaluator, one run: the comparison is like for like.
    const cand = asEvaluation(await opts.evaluate(candidateUri, { runId, role: 'candidate', prefix: '' }));
    const base = baselineRef === null ? null : asEvaluation(await opts.evaluate(`models:/${name}/${baselineRef.version}`, { runId, role: 'baseline', prefix: 'baseline_' }));
    const candMetrics = cand.metrics;
    const baseMetrics = base?.metrics ?? null;
    log(`evaluated   ${candidateUri}${baselineRef === null ? ' (no champion to compare with)' : ` and baseline v${baselineRef.version}`}`);

    const { kept, skipped } = baselineRef === null ? withoutChangeBounds(settings.thresholds) : { kept: { ...settings.thresholds }, skipped: [] };
    const validation = validateMetrics(candMetrics, baseMetrics ?? undefined, kept, { mlflowCompat: settings.mlflowCompat });
    const now = Date.now();
    await client.logBatch(runId, {
      params: {
        candidate_model_uri: candidateUri,
        baseline_model_uri: baselineRef === null ? 'none' : `models:/${name}/${baselineRef.version}`,
        validation_mode: settings.mode,
        ...(opts.dataLabel === undefined ? {} : { validation_data: opts.dataLabel.slice(0, 6000) }),
      },
      metrics: [
        ...(cand.logged ? [] : Object.entries(candMetrics).map(([key, value]) => ({ key, value, timestamp: now }))),
        ...(base === null || base.logged ? [] : Object.entries(base.metrics).map(([key, value]) => ({ key: `baseline_${key}`, value, timestamp: now }))),
      ],
    });
    await client.putArtifact({ runId }, 'validation_thresholds.txt', formatThresholds(settings.thresholds));
    await client.putArtifact({ runId }, 'metrics.txt', formatMetricsComparison(candMetrics, baseMetrics));
    if (!validation.passed) await client.putArtifact({ runId }, 'error.txt', `${validation.message}\n`);

    const status: GateStatus = validation.passed ? 'approved' : settings.mode === 'enabled' ? 'failed' : 'dry_run_failed';
    await recordOnVersion(client, candidate, status, validation.passed, runId, runLink);
    if (validation.passed) await client.setRegisteredModelAlias(name, 'challenger', version);
    result = {
      mode: settings.mode,
      passed: validation.passed,
      blocking: !validation.passed && settings.mode === 'enabled',
      status,
      candidate: { name, version, metrics: candMetrics },
      baseline: baselineRef === null ? null : { ...baselineRef, metrics: baseMetrics! },
      validation,
      runId,
      runLink,
      skippedComparisons: skipped,
    };
    // The whole verdict, so `readValidationResults` (and GET …/validation/results/get) can show it later.
    await client.putArtifact({ runId }, GATE_RESULT_ARTIFACT, `${JSON.stringify(result, null, 2)}\n`);
    await client.endRun(runId, result.blocking ? 'FAILED' : 'FINISHED');
  } catch (e) {
    // The run shows that validation itself broke (not a failed threshold), then the error goes on.
    await client.putArtifact({ runId }, 'error.txt', `${e instanceof Error ? e.message : String(e)}\n`).catch(() => undefined);
    await client.endRun(runId, 'FAILED').catch(() => undefined);
    throw e;
  }
  log(`validation  ${name} v${version}: ${result.status}${result.baseline === null ? '' : ` (vs champion v${result.baseline.version})`}; run ${runLink}`);

  if (opts.onCompleted !== undefined) {
    try {
      await opts.onCompleted({
        name,
        version,
        mode: settings.mode,
        status: result.status!,
        baselineVersion: result.baseline?.version ?? null,
        runId,
        runLink,
        message: result.validation!.message,
      });
    } catch (e) {
      result.hookError = e instanceof Error ? e.message : String(e);
    }
  }
  return result;
}

/** Tag and description, as MLOps Stacks' `log_to_model_description` plus Hangar's `validation_status`. */
async function recordOnVersion(client: HangarClient, mv: ModelVersion, status: GateStatus, passed: boolean, runId: string, runLink: string): Promise<void> {
  const current = await client.getModelVersion(mv.name, mv.version);
  const block = `Model Validation Status: ${passed ? 'SUCCESS' : 'FAILURE'}\nValidation Details: ${runLink}`;
  const description = current.description === '' ? block : `${current.description}${DESCRIPTION_SEPARATOR}${block}`;
  await client.updateModelVersion(mv.name, mv.version, description);
  await client.setModelVersionTag(mv.name, mv.version, 'validation_run_id', runId);
  await client.setModelVersionTag(mv.name, mv.version, 'validation_status', status);
}

/** Throws BAD_REQUEST with the failures when the gate blocks deployment (`enabled` mode). */
export function assertGatePassed(result: GateResult): void {
  if (result.blocking) throw new HangarError('BAD_REQUEST', result.validation!.message);
}
