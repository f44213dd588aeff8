/**
 * `hangar monitor create|list|show|run|runs|metrics|alerts|report|pause|resume|delete`: monitors
 * over inference logs and tables, through the SDK (`MonitorsClient`) against a running server,
 * which keeps their schedules. Registered on the `hangar monitor` group of `monitor.ts`.
 */
import { readFile } from 'node:fs/promises';
import { CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { HangarError } from '../../core/errors.js';
import { MonitorsClient, type MetricsRow, type MonitorDefinitionInput, type MonitorInfo, type MonitorRunInfo } from '../../client/index.js';
import { clientOptions, intOption, type CliIo } from '../options.js';
import { formatFields, formatNumber, formatTable, formatTime } from '../table.js';
import type { CommandContext } from './context.js';
import { monitorGroup } from './monitor.js';

type Flags = { trackingUri: string; json?: boolean };

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

function client(io: CliIo, o: Flags): MonitorsClient {
  return new MonitorsClient({ trackingUri: o.trackingUri, token: io.env.MLFLOW_TRACKING_TOKEN, maxRetries: 2, backoffMs: 250 });
}

function describeSource(m: MonitorInfo): string {
  const s = m.definition.source;
  return 'inference_log' in s ? `inference log of ${s.inference_log.model}` : `table ${s.table}`;
}

function runLine(r: MonitorRunInfo): Array<string | number | null> {
  const s = r.summary ?? {};
  const fired = Array.isArray(s.alerts_fired) ? s.alerts_fired.length : null;
  return [r.runId, r.status, r.trigger, formatTime(r.startTimestamp), r.endTimestamp === null ? '' : `${((r.endTimestamp - r.startTimestamp) / 1000).toFixed(1)} s`, (s.windows as number | undefined) ?? null, (s.rows as number | undefined) ?? null, fired, r.errorMessage];
}

/** The metric columns worth showing by default in a table of rows. */
const DEFAULT_PROFILE = ['count', 'num_nulls', 'avg', 'stddev', 'distinct_count', 'accuracy_score', 'f1_score', 'roc_auc', 'root_mean_squared_error', 'error_rate', 'latency_p99_ms'];
const DEFAULT_DRIFT = ['drift_method', 'drift_statistic', 'drift_detected', 'js_distance', 'population_stability_index', 'drifted_columns_share'];

function cell(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'object') {
    if ('statistic' in (v as object)) return formatNumber(Number((v as { statistic: number }).statistic));
    return JSON.stringify(v);
  }
  return String(v);
}

export function registerMonitorsCommands(ctx: CommandContext): void {
  const { program, io } = ctx;
  const group = monitorGroup(program);

  clientOptions(group.command('create').description('create a monitor from a JSON or YAML definition (see docs/monitoring.md)'), io)
    .requiredOption('--file <path>', 'the definition: name, source, profile, baseline, slicing_exprs, schedule, alert_rules')
    .option('--name <name>', 'override the name in the file')
    .addHelpText(
      'after',
      `
Example definition (YAML):
  name: flights-quality
  source: { inference_log: { model: flights } }
  profile: { type: InferenceLog, granularities: ["1 day"], problem_type: PROBLEM_TYPE_CLASSIFICATION }
  baseline: data/train.parquet
  schedule: "0 18 * * *"
  alert_rules:
    - { name: accuracy, metric: accuracy_score, direction: below, threshold: 0.6 }

Example:
  hangar monitor create --file monitor.yaml`,
    )
    .action(async (o: Flags & { file: string; name?: string }) => {
      let text: string;
      try {
        text = await readFile(o.file, 'utf8');
      } catch (e) {
        throw new HangarError('RESOURCE_DOES_NOT_EXIST', `Cannot read ${o.file}: ${(e as Error).message}`);
      }
      let def: unknown;
      try {
        def = /\.ya?ml$/i.test(o.file) ? parseYaml(text) : JSON.parse(text);
      } catch (e) {
        throw new HangarError('INVALID_PARAMETER_VALUE', `${o.file} is not valid ${/\.ya?ml$/i.test(o.file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`, { field: 'file' });
      }
      if (o.name !== undefined && def !== null && typeof def === 'object') def = { ...def, name: o.name };
      const m = await client(io, o).create(def as MonitorDefinitionInput);
      if (o.json === true) io.out(json(m));
      else io.out(`Created monitor '${m.name}' over the ${describeSource(m)}${m.definition.schedule ? `, scheduled '${String(m.definition.schedule)}'` : ', run on demand'}.\n`);
    });

  clientOptions(group.command('list').description('list monitors'), io).action(async (o: Flags) => {
    const list = await client(io, o).list();
    if (o.json === true) return io.out(json(list));
    io.out(
      formatTable(
        ['NAME', 'SOURCE', 'PROFILE', 'SCHEDULE', 'STATUS', 'NEXT RUN (UTC)', 'DATA UP TO (UTC)'],
        list.map((m) => [m.name, describeSource(m), m.definition.profile.type, (m.definition.schedule as string | undefined) ?? '', m.status, formatTime(m.nextRunTimestamp), formatTime(m.watermark)]),
        { empty: '(no monitors)' },
      ),
    );
  });

  clientOptions(group.command('show').argument('<name>').description('a monitor: definition, rules, recent runs'), io).action(async (name: string, o: Flags) => {
    const c = client(io, o);
    const m = await c.get(name);
    const runs = await c.runs(name, 5);
    if (o.json === true) return io.out(json({ monitor: m, runs }));
    io.out(
      formatFields([
        ['name', m.name],
        ['source', describeSource(m)],
        ['profile', JSON.stringify(m.definition.profile)],
        ['baseline', (m.definition.baseline as string | undefined) ?? ''],
        ['slices', (m.definition.slicing_exprs ?? []).join('; ')],
        ['schedule', (m.definition.schedule as string | undefined) ?? '(on demand)'],
        ['status', m.status],
        ['next run', formatTime(m.nextRunTimestamp)],
        ['data up to', formatTime(m.watermark)],
        ['version', m.monitorVersion],
      ]),
    );
    const rules = m.definition.alert_rules ?? [];
    io.out(`\nAlert rules\n${formatTable(['NAME', 'METRIC', 'RULE', 'RETRAIN'], rules.map((r) => [r.name, `${r.table ?? 'profile'}.${r.metric} (${r.column_name ?? ':table'})`, `${r.direction ?? 'above'} ${r.threshold} in ${r.num_violation_windows ?? 2} of ${r.num_evaluation_windows ?? 5}`, r.retrain ? r.retrain.command.join(' ') : '']), { empty: '(none)' })}`);
    io.out(`\nRecent runs\n${formatTable(['RUN', 'STATUS', 'TRIGGER', 'STARTED (UTC)', 'TOOK', 'WINDOWS', 'ROWS', 'ALERTS', 'ERROR'], runs.map(runLine), { empty: '(no runs yet)' })}`);
  });

  clientOptions(group.command('run').argument('<name>').description('run a monitor now and wait for it (exit code 1 when the run fails)'), io)
    .addHelpText('after', '\nExample:\n  hangar monitor run flights-quality')
    .action(async (name: string, o: Flags) => {
      io.err(`Running monitor '${name}'…\n`);
      const run = await client(io, o).run(name);
      if (o.json === true) io.out(json(run));
      else {
        io.out(formatTable(['RUN', 'STATUS', 'TRIGGER', 'STARTED (UTC)', 'TOOK', 'WINDOWS', 'ROWS', 'ALERTS', 'ERROR'], [runLine(run)]));
        const evals = (run.summary?.evaluations as Array<{ rule: string; violated: boolean; violations: number; evaluated: number }> | undefined) ?? [];
        for (const e of evals) io.out(`rule ${e.rule}: ${e.violated ? 'VIOLATED' : 'ok'} (${e.violations} of the last ${e.evaluated} windows)\n`);
      }
      if (run.status === 'FAILED') throw new CommanderError(1, 'hangar.monitorRunFailed', '');
    });

  clientOptions(group.command('runs').argument('<name>').description("a monitor's runs, newest first"), io)
    .option('--max-results <n>', 'at most this many', intOption(1, 10_000), 20)
    .action(async (name: string, o: Flags & { maxResults: number }) => {
      const runs = await client(io, o).runs(name, o.maxResults);
      if (o.json === true) return io.out(json(runs));
      io.out(formatTable(['RUN', 'STATUS', 'TRIGGER', 'STARTED (UTC)', 'TOOK', 'WINDOWS', 'ROWS', 'ALERTS', 'ERROR'], runs.map(runLine), { empty: '(no runs yet)' }));
    });

  clientOptions(group.command('metrics').argument('<name>').description('rows of the profile-metrics table (or --drift: the drift-metrics table), windows ascending'), io)
    .option('--drift', 'the drift-metrics table')
    .option('--column <name>', 'one column, or :table for table-level metrics')
    .option('--granularity <g>', "one granularity, e.g. '1 day'")
    .option('--model <id>', "one model version, or '*' for all models together")
    .option('--slice-key <expr>', 'one slicing expression')
    .option('--slice-value <value>', 'one value of it')
    .option('--whole-table', 'only rows over the whole table (no slice)')
    .addOption(new Option('--log-type <type>', 'profile rows of the data or of the baseline').choices(['INPUT', 'BASELINE']))
    .addOption(new Option('--drift-type <type>', 'drift against the previous window or the baseline').choices(['CONSECUTIVE', 'BASELINE']))
    .option('--metrics <list>', 'comma-separated metric columns to show (table output)')
    .option('--max-results <n>', 'at most this many rows (the newest windows)', intOption(1, 100_000), 1000)
    .addHelpText('after', `\nExamples:\n  hangar monitor metrics flights-quality --column :table --whole-table --model '*'\n  hangar monitor metrics flights-quality --drift --column distance --drift-type BASELINE`)
    .action(
      async (
        name: string,
        o: Flags & { drift?: boolean; column?: string; granularity?: string; model?: string; sliceKey?: string; sliceValue?: string; wholeTable?: boolean; logType?: 'INPUT' | 'BASELINE'; driftType?: 'CONSECUTIVE' | 'BASELINE'; metrics?: string; maxResults: number },
      ) => {
        const c = client(io, o);
        const filter = {
          ...(o.column === undefined ? {} : { columnName: o.column }),
          ...(o.granularity === undefined ? {} : { granularity: o.granularity }),
          ...(o.model === undefined ? {} : { modelId: o.model }),
          ...(o.sliceKey === undefined ? {} : { sliceKey: o.sliceKey }),
          ...(o.sliceValue === undefined ? {} : { sliceValue: o.sliceValue }),
          ...(o.wholeTable === true ? { wholeTable: true } : {}),
          ...(o.logType === undefined ? {} : { logType: o.logType }),
          ...(o.driftType === undefined ? {} : { driftType: o.driftType }),
          maxResults: o.maxResults,
        };
        const rows: MetricsRow[] = o.drift === true ? await c.driftMetrics(name, filter) : await c.profileMetrics(name, filter);
        if (o.json === true) return io.out(json(rows));
        const wanted = o.metrics !== undefined ? o.metrics.split(',').map((s) => s.trim()).filter((s) => s !== '') : (o.drift === true ? DEFAULT_DRIFT : DEFAULT_PROFILE).filter((m) => rows.some((r) => r[m] !== null && r[m] !== undefined));
        const headers = ['WINDOW (UTC)', ...(o.drift === true ? ['TYPE'] : []), 'SLICE', 'COLUMN', 'MODEL', ...wanted.map((m) => m.toUpperCase())];
        io.out(
          formatTable(
            headers,
            rows.map((r) => [
              r.window === null ? (r.log_type === 'BASELINE' ? 'baseline' : '') : formatTime(r.window.start),
              ...(o.drift === true ? [String(r.drift_type)] : []),
              r.slice_key === null || r.slice_key === undefined ? '' : `${String(r.slice_key)} = ${String(r.slice_value)}`,
              r.column_name,
              r.model_id,
              ...wanted.map((m) => cell(r[m])),
            ]),
            { empty: '(no rows: has the monitor run?)' },
          ),
        );
      },
    );

  clientOptions(group.command('alerts').argument('[name]').description("alerts, newest first: a monitor's, or every monitor's (admins)"), io)
    .addOption(new Option('--status <status>', 'only fired or only resolved alerts').choices(['FIRED', 'RESOLVED']))
    .action(async (name: string | undefined, o: Flags & { status?: 'FIRED' | 'RESOLVED' }) => {
      const alerts = await client(io, o).alerts({ ...(name === undefined ? {} : { name }), ...(o.status === undefined ? {} : { status: o.status }) });
      if (o.json === true) return io.out(json(alerts));
      io.out(
        formatTable(
          ['ALERT', 'MONITOR', 'RULE', 'STATUS', 'FIRED (UTC)', 'RESOLVED (UTC)', 'RETRAINING RUN'],
          alerts.map((a) => [a.alertId, a.monitorName, a.ruleName, a.status, formatTime(a.firedTimestamp), formatTime(a.resolvedTimestamp), a.retrainRunId]),
          { empty: '(no alerts)' },
        ),
      );
    });

  clientOptions(group.command('report').argument('<run-id>').description("a monitor run's HTML report"), io)
    .option('--out <path>', 'write it to a file (default: stdout)')
    .action(async (runId: string, o: Flags & { out?: string }) => {
      const html = await client(io, o).report(runId);
      if (o.out === undefined) return io.out(html);
      const { writeFile } = await import('node:fs/promises');
      await writeFile(o.out, html);
      io.err(`Wrote ${o.out}\n`);
    });

  for (const [verb, what] of [
    ['pause', 'stop scheduled runs of a monitor'],
    ['resume', 'resume scheduled runs (the next one is due at once)'],
    ['delete', 'delete a monitor with its runs, alerts and result files'],
  ] as const) {
    clientOptions(group.command(verb).argument('<name>').description(what), io).action(async (name: string, o: Flags) => {
      const c = client(io, o);
      if (verb === 'delete') {
        await c.delete(name);
        if (o.json === true) io.out(json({ deleted: name }));
        else io.out(`Deleted monitor '${name}'.\n`);
        return;
      }
      const m = verb === 'pause' ? await c.pause(name) : await c.resume(name);
      if (o.json === true) io.out(json(m));
      else io.out(`Monitor '${m.name}' is ${m.status}.\n`);
    });
  }
}

