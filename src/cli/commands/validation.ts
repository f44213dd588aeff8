import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CommanderError, Option } from 'commander';
import { HangarError } from '../../core/errors.js';
import { HangarClient, isApiError, type ComplianceReportInfo, type GateRunInput, type GateRunResult, type MetricThresholdInfo } from '../../client/index.js';
import type { ComplianceReport, ComplianceRules, Evaluator, GateData, ValidationCompletedEvent } from '../../validation/index.js';
import { clientOptions, clientFor, type CliIo } from '../options.js';
import type { CommandContext } from './context.js';

/**
 * `hangar validate` (compliance checks), `hangar gate` (champion/challenger validation) and
 * `hangar deploy` (make the validated version champion): the continuous-deployment steps of the
 * reference architecture. `validate` and `gate` ask the server to run them
 * (`/api/2.0/hangar/validation/…`) and fall back to running over the SDK where the server cannot
 * (an MLflow server, or data only this machine can read), so they work against any server.
 * Each exits 1 when its check fails, after printing why, so a pipeline stops there.
 */

// The validation module (and the evaluation engine behind the gate) load inside the commands.
const validation = () => import('../../validation/index.js');

/** Exit 1 without printing anything more: the command has already said why. */
function failed(): never {
  throw new CommanderError(1, 'hangar.checkFailed', '');
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/**
 * What a client-side gate evaluates with: an evaluator scoring a model URI on `data`, or the
 * whole `GateData` (evaluator, label, dataset inputs to record). Replaced in tests.
 */
export type EvaluatorFactory = (client: HangarClient, data: string, target: string) => Promise<Evaluator | GateData>;

async function defaultEvaluator(client: HangarClient, data: string, target: string): Promise<GateData> {
  const { gateData } = await validation();
  // dataset:NAME[@VERSION] is resolved through the server and downloaded once to the temp cache.
  return gateData(client, data, target);
}

export function registerValidationCommands(ctx: CommandContext, evaluatorFactory: EvaluatorFactory = defaultEvaluator): void {
  const { program, io } = ctx;

  clientOptions(
    program
      .command('validate')
      .argument('<model-uri>', 'models:/NAME/VERSION (or /STAGE, /latest, @ALIAS)')
      .description('run the compliance checks on a registered model version and record the verdict on it'),
    io,
  )
    .option('--config <path>', 'project file with the rules (default: ./hangar.yaml, hangar.yml or hangar.json; built-in defaults without one)')
    .option('--no-record', 'only print; do not write the compliance tags on the version')
    .addHelpText(
      'after',
      `
Rules (project file, section compliance): required_tags, description, signature, input_example,
required_metrics, dataset_lineage, environment, sensitive_features. Every boolean rule is on unless
set to false; sensitive_features is off unless set (docs/validation.md).
The verdict is recorded as version tags compliance_status and compliance.<rule>; a failure blocks
promotion to Staging and Production. Exits 1 when a rule fails. The server runs the checks
(POST /api/2.0/hangar/validation/compliance/run); against a server without that route (MLflow's
own) they run here over the API, with the same result.

Examples:
  hangar validate models:/churn/3
  hangar validate models:/churn@challenger --config ci/hangar.yaml --json`,
    )
    .action(async (uri: string, o: { trackingUri: string; json?: boolean; config?: string; record: boolean }) => {
      const v = await validation();
      const config = await v.loadProjectConfig(o.config, process.cwd());
      const client = clientFor(io, o.trackingUri);
      let report: ComplianceReportInfo;
      const onServer = await serverCompliance(client, uri, config.compliance, o.record);
      if (onServer !== undefined) {
        report = onServer;
      } else {
        // A server without Hangar's validation routes (MLflow's own): check over the SDK.
        report = v.runComplianceChecks(await v.loadComplianceSubject(client, uri), config.compliance);
        if (o.record) await v.recordComplianceReport(client, report as ComplianceReport);
      }
      io.out(o.json === true ? json({ ...report, recorded: o.record, config: config.path }) : v.formatComplianceReport(report as ComplianceReport));
      if (!report.passed) failed();
    });

  clientOptions(
    program
      .command('gate')
      .argument('<model-uri>', 'the candidate: models:/NAME/VERSION (or @challenger, /Staging, …)')
      .description('validate a candidate against the champion on the same data (MetricThreshold gate)'),
    io,
  )
    .requiredOption('--data <path>', 'evaluation data (.parquet, .csv, a SQL query over files, or a registered dataset: dataset:NAME[@VERSION]), the same for both models')
    .requiredOption('--target <column>', 'label column in --data')
    .option('--config <path>', 'project file with validation.thresholds (default: ./hangar.yaml, hangar.yml or hangar.json)')
    .addOption(new Option('--mode <mode>', 'override validation.mode').choices(['disabled', 'dry_run', 'enabled']))
    .option('--experiment <name>', 'experiment for the validation run', 'hangar-validation')
    .addOption(
      new Option('--evaluate-on <where>', 'who reads --data and scores the models: the server, this client, or auto (see below)').choices(['auto', 'server', 'client']).default('auto'),
    )
    .addHelpText(
      'after',
      `
Modes (as MLOps Stacks): disabled = do nothing; dry_run = evaluate and record, never fail;
enabled = evaluate and record, exit 1 on failure so deployment does not run.
The baseline is models:/NAME@champion, else the Production version; without one, only absolute
thresholds apply. Records baseline_<metric> metrics, validation_thresholds.txt, metrics.txt,
validation_result.json and error.txt on the run; tag validation_status and a description block on
the version; alias challenger on success.

Where it runs (--evaluate-on): "server" sends the data path to the server
(POST /api/2.0/hangar/validation/gate/run), which must be able to read it; "client" loads both
models and the data here and records through the API. "auto" (default) picks the client for a
SQL query, or for a local file when the server is not on this machine (the server could not read
it); otherwise the server, falling back to the client when the server has no such route.
A registered dataset (--data dataset:NAME@VERSION, or dataset:NAME for the latest version) is
read by the server from its artifact store by default, or downloaded here with --evaluate-on
client; either way the validation run records the version (name and digest) as its evaluation
input and validation_data names the version read.

Examples:
  hangar gate models:/churn/4 --data holdout.parquet --target churned --mode enabled
  hangar gate models:/flights/2 --data dataset:flights-june@3 --target late`,
    )
    .action(
      async (uri: string, o: { trackingUri: string; json?: boolean; data: string; target: string; config?: string; mode?: string; experiment: string; evaluateOn: string }) => {
        const v = await validation();
        const config = await v.loadProjectConfig(o.config, process.cwd());
        const settings = { ...config.validation, mode: (o.mode ?? config.validation.mode) as (typeof v.VALIDATION_MODES)[number] };
        const client = clientFor(io, o.trackingUri);
        const where = o.evaluateOn === 'auto' ? autoPlace(o.data, client.trackingUri) : (o.evaluateOn as 'server' | 'client');
        let result: GateRunResult | undefined;
        if (where === 'server') {
          const candidate = await client.resolveModelUri(uri);
          if (candidate.modelVersion === undefined) {
            throw new HangarError('INVALID_PARAMETER_VALUE', `${uri} is not a registered model version; the gate validates versions (models:/NAME/VERSION).`, { field: 'modelUri' });
          }
          result = await serverGate(io, o.trackingUri, o.evaluateOn === 'auto', {
            name: candidate.modelVersion.name,
            version: candidate.modelVersion.version,
            data: isAbsolute(o.data) || !existsSync(o.data) ? o.data : resolve(o.data),
            target: o.target,
            mode: settings.mode,
            thresholds: Object.fromEntries(Object.entries(settings.thresholds).map(([m, t]) => [m, v.thresholdToInput(t) as MetricThresholdInfo])),
            baseline: settings.baseline,
            mlflowCompat: settings.mlflowCompat,
            experimentName: o.experiment,
          });
        }
        if (result === undefined) {
          // A disabled gate reads nothing, so its data is not looked up.
          const bound = settings.mode === 'disabled' ? async () => ({}) : await evaluatorFactory(client, o.data, o.target);
          const data: GateData = typeof bound === 'function' ? { evaluate: bound, dataLabel: o.data, inputs: [] } : bound;
          result = await v.runGate(client, {
            modelUri: uri,
            evaluate: data.evaluate,
            settings,
            experimentName: o.experiment,
            dataLabel: data.dataLabel,
            inputs: data.inputs,
            onCompleted: completedHook(client),
          });
        }
        io.out(o.json === true ? json(result) : formatGate(result));
        if (result.blocking) failed();
      },
    );

  clientOptions(
    program
      .command('deploy')
      .argument('<name>', 'registered model name')
      .argument('<version>', 'the validated version')
      .description('make a validated version the champion (and Production), removing its challenger alias'),
    io,
  )
    .addHelpText(
      'after',
      `
Refused when the version's recorded compliance checks or enabled validation gate failed.

Example:
  hangar deploy churn 4`,
    )
    .action(async (name: string, version: string, o: { trackingUri: string; json?: boolean }) => {
      if (!/^\d+$/.test(version)) throw new HangarError('INVALID_PARAMETER_VALUE', `VERSION must be a version number, got '${version}'.`, { field: 'version' });
      const v = await validation();
      const r = await v.deployVersion(clientFor(io, o.trackingUri), name, version);
      if (o.json === true) {
        io.out(json(r));
        return;
      }
      const was = r.previousChampion === null ? '' : ` (was v${r.previousChampion})`;
      io.out(
        `${r.championSet ? `champion → ${name} v${r.version}${was}` : `${name} v${r.version} is already champion`}` +
          `${r.challengerRemoved ? '; challenger alias removed' : ''}; stage ${r.stage}\n`,
      );
    });
}

/**
 * The `validation.completed` event goes to the server's webhooks. A server without Hangar's
 * governance routes (an MLflow server) answers 404: the verdict is recorded all the same, and
 * the gate reports the event as not sent.
 */
function completedHook(client: HangarClient): (e: ValidationCompletedEvent) => Promise<void> {
  return async (e) => {
    await client.emitEvent('validation.completed', { ...e });
  };
}

/** The compliance section back in the project file's snake_case, as the route takes it. */
function rulesToInput(r: ComplianceRules): Record<string, unknown> {
  return {
    required_tags: r.requiredTags,
    required_metrics: r.requiredMetrics,
    description: r.description,
    signature: r.signature,
    input_example: r.inputExample,
    dataset_lineage: r.datasetLineage,
    environment: r.environment,
    sensitive_features: r.sensitiveFeatures === null ? false : { allow: r.sensitiveFeatures.allow, ...(r.sensitiveFeatures.requireTag === null ? {} : { require_tag: r.sensitiveFeatures.requireTag }) },
  };
}

/** True when the server answered that it has no such route (an MLflow server, an older Hangar). */
const noRoute = (e: unknown): boolean => isApiError(e) && e.code === 'ENDPOINT_NOT_FOUND';

/** The compliance report as the server computed it, or undefined when the server has no route for it. */
async function serverCompliance(client: HangarClient, uri: string, rules: ComplianceRules, record: boolean): Promise<ComplianceReportInfo | undefined> {
  let name: string;
  let version: number;
  try {
    const resolved = await client.resolveModelUri(uri);
    if (resolved.modelVersion === undefined) return undefined;
    ({ name, version } = resolved.modelVersion);
    return (await client.validation.runCompliance(name, version, { rules: rulesToInput(rules), record })).report;
  } catch (e) {
    if (noRoute(e)) return undefined;
    throw e;
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * Where `auto` evaluates: SQL runs here (the server refuses it); a local file goes to the server
 * only when the server is on this machine (so it reads the same path); a path that does not exist
 * here can only be meant for the server.
 */
export function autoPlace(data: string, trackingUri: string): 'server' | 'client' {
  if (/^\s*(select|with|from)\s/i.test(data)) return 'client';
  if (data.startsWith('dataset:') || !existsSync(data)) return 'server';
  return LOOPBACK.has(new URL(trackingUri).hostname) ? 'server' : 'client';
}

/**
 * Run the gate on the server. Evaluation can take minutes on large data, so this call gets its
 * own client without the CLI's 30 s request timeout. Undefined when the server has no route and
 * `fallback` allows running client-side instead.
 */
async function serverGate(io: CliIo, trackingUri: string, fallback: boolean, input: GateRunInput): Promise<GateRunResult | undefined> {
  const client = new HangarClient({ trackingUri, token: io.env.MLFLOW_TRACKING_TOKEN, maxRetries: 2, backoffMs: 250, timeoutMs: 6 * 3600 * 1000 });
  try {
    return await client.validation.runGate(input);
  } catch (e) {
    if (fallback && noRoute(e)) return undefined;
    throw e;
  }
}

function formatGate(r: GateRunResult): string {
  if (r.mode === 'disabled') return 'Validation gate disabled: nothing evaluated or recorded.\n';
  const lines: string[] = [];
  const c = r.candidate!;
  lines.push(`candidate  ${c.name} v${c.version}`);
  lines.push(`baseline   ${r.baseline === null ? 'none (no champion): change bounds skipped' : `v${r.baseline.version} (${r.baseline.uri})`}`);
  for (const m of r.validation!.metrics) {
    const base = m.baseline === undefined ? '' : `  baseline ${fmt(m.baseline)}`;
    lines.push(`${m.passed ? 'PASS' : 'FAIL'}  ${m.metric} = ${m.candidate === undefined ? 'missing' : fmt(m.candidate)}${base}`);
    for (const f of m.failures) lines.push(`      ${f}`);
  }
  if (r.skippedComparisons.length > 0) lines.push(`(no baseline: change bounds skipped for ${r.skippedComparisons.join(', ')})`);
  const verdict = r.passed ? 'PASSED: alias challenger set' : r.blocking ? 'FAILED: deployment blocked' : 'FAILED (dry run: recorded, deployment not blocked)';
  lines.push(`Validation ${verdict}; validation_status=${r.status}; run ${r.runLink}`);
  if (r.hookError !== undefined) lines.push(`(validation.completed event not sent: ${r.hookError})`);
  return `${lines.join('\n')}\n`;
}

const fmt = (v: number): string => String(Number(v.toPrecision(6)));
