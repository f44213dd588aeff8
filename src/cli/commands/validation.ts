import { CommanderError, Option } from 'commander';
import { HangarError } from '../../core/errors.js';
import type { HangarClient } from '../../client/index.js';
import type { Evaluator, GateResult, ValidationCompletedEvent } from '../../validation/index.js';
import { clientFor, clientOptions } from '../options.js';
import type { CommandContext } from './context.js';

/**
 * `hangar validate` (compliance checks), `hangar gate` (champion/challenger validation) and
 * `hangar deploy` (make the validated version champion): the continuous-deployment steps of the
 * reference architecture, over the SDK, so they run against any Hangar server (CI included).
 * Each exits 1 when its check fails, after printing why, so a pipeline stops there.
 */

// The validation module (and the evaluation engine behind the gate) load inside the commands.
const validation = () => import('../../validation/index.js');

/** Exit 1 without printing anything more: the command has already said why. */
function failed(): never {
  throw new CommanderError(1, 'hangar.checkFailed', '');
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The evaluator the gate uses: scores a model URI on a data file. Replaced in tests. */
export type EvaluatorFactory = (client: HangarClient, data: string, target: string) => Promise<Evaluator>;

async function defaultEvaluator(client: HangarClient, data: string, target: string): Promise<Evaluator> {
  const { dataEvaluator } = await validation();
  return dataEvaluator(client, data, target);
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
required_metrics, dataset_lineage, environment. Every boolean rule is on unless set to false.
The verdict is recorded as version tags compliance_status and compliance.<rule>; a failure blocks
promotion to Staging and Production. Exits 1 when a rule fails.

Examples:
  hangar validate models:/churn/3
  hangar validate models:/churn@challenger --config ci/hangar.yaml --json`,
    )
    .action(async (uri: string, o: { trackingUri: string; json?: boolean; config?: string; record: boolean }) => {
      const v = await validation();
      const config = await v.loadProjectConfig(o.config, process.cwd());
      const client = clientFor(io, o.trackingUri);
      const report = v.runComplianceChecks(await v.loadComplianceSubject(client, uri), config.compliance);
      if (o.record) await v.recordComplianceReport(client, report);
      io.out(o.json === true ? json({ ...report, recorded: o.record, config: config.path }) : v.formatComplianceReport(report));
      if (!report.passed) failed();
    });

  clientOptions(
    program
      .command('gate')
      .argument('<model-uri>', 'the candidate: models:/NAME/VERSION (or @challenger, /Staging, …)')
      .description('validate a candidate against the champion on the same data (MetricThreshold gate)'),
    io,
  )
    .requiredOption('--data <path>', 'evaluation data (.parquet, .csv, or a SQL query over files), the same for both models')
    .requiredOption('--target <column>', 'label column in --data')
    .option('--config <path>', 'project file with validation.thresholds (default: ./hangar.yaml, hangar.yml or hangar.json)')
    .addOption(new Option('--mode <mode>', 'override validation.mode').choices(['disabled', 'dry_run', 'enabled']))
    .option('--experiment <name>', 'experiment for the validation run', 'hangar-validation')
    .addHelpText(
      'after',
      `
Modes (as MLOps Stacks): disabled = do nothing; dry_run = evaluate and record, never fail;
enabled = evaluate and record, exit 1 on failure so deployment does not run.
The baseline is models:/NAME@champion, else the Production version; without one, only absolute
thresholds apply. Records baseline_<metric> metrics, validation_thresholds.txt, metrics.txt and
error.txt on the run; tag validation_status and a description block on the version; alias
challenger on success.

Example:
  hangar gate models:/churn/4 --data holdout.parquet --target churned --mode enabled`,
    )
    .action(async (uri: string, o: { trackingUri: string; json?: boolean; data: string; target: string; config?: string; mode?: string; experiment: string }) => {
      const v = await validation();
      const config = await v.loadProjectConfig(o.config, process.cwd());
      const settings = { ...config.validation, mode: (o.mode ?? config.validation.mode) as (typeof v.VALIDATION_MODES)[number] };
      const client = clientFor(io, o.trackingUri);
      const evaluate = settings.mode === 'disabled' ? async () => ({}) : await evaluatorFactory(client, o.data, o.target);
      const result = await v.runGate(client, {
        modelUri: uri,
        evaluate,
        settings,
        experimentName: o.experiment,
        dataLabel: o.data,
        onCompleted: completedHook(client),
      });
      io.out(o.json === true ? json(result) : formatGate(result));
      if (result.blocking) failed();
    });

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

function formatGate(r: GateResult): string {
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
