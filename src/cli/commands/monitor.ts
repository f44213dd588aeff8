import { CommanderError, Option, type Command } from 'commander';
import { invalidParam } from '../../core/errors.js';
import { idList, intOption, repeatable } from '../options.js';
import { formatTable } from '../table.js';
import type { CommandContext } from './context.js';

/**
 * `hangar monitor …`: `drift` here (two files compared column by column); the monitors over
 * inference logs and tables register their subcommands on the same group (`monitorGroup`).
 */

// The drift report (DuckDB, the statistics) loads inside the command; only its part of the
// monitoring module, so the command does not start the monitors' dependencies.
const monitoring = () => import('../../monitoring/drift/index.js');

/**
 * The `hangar monitor` group of `program`, created on first use, so that every module adding
 * monitor subcommands gets the same group whatever the registration order.
 */
export function monitorGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'monitor');
  if (existing) return existing;
  return program
    .command('monitor')
    .description('data drift between files, and monitors over inference logs and tables')
    .addHelpText('after', '\nExample:\n  hangar monitor drift --baseline train.parquet --current june.csv --html drift.html');
}

const METHODS = ['ks', 'wasserstein', 'psi', 'chisquare', 'jensenshannon', 'tvd', 'linf', 'ztest'] as const;
type Method = (typeof METHODS)[number];

interface DriftFlags {
  baseline: string;
  current: string;
  columns?: string[];
  method?: string[];
  threshold?: string[];
  driftShare: string;
  bins: number;
  threads?: number;
  html?: string;
  json?: boolean;
  failOnDrift?: boolean;
}

/** `a=psi`, `psi` → [column | undefined, value]. */
function splitAssignment(raw: string): [string | undefined, string] {
  const eq = raw.lastIndexOf('=');
  return eq < 0 ? [undefined, raw.trim()] : [raw.slice(0, eq).trim(), raw.slice(eq + 1).trim()];
}

/** Parses the repeated --method and --threshold flags into a default and per-column overrides. */
export function parseOverrides(flags: { method?: string[]; threshold?: string[] }): {
  method?: Method;
  methods: Record<string, Method>;
  threshold?: number;
  thresholds: Record<string, number>;
} {
  const out: { method?: Method; methods: Record<string, Method>; threshold?: number; thresholds: Record<string, number> } = { methods: {}, thresholds: {} };
  for (const raw of flags.method ?? []) {
    const [col, value] = splitAssignment(raw);
    if (!(METHODS as readonly string[]).includes(value)) {
      throw invalidParam(`--method '${raw}': unknown method '${value}'; methods: ${METHODS.join(', ')}`, 'method');
    }
    if (col === undefined) out.method = value as Method;
    else if (col === '') throw invalidParam(`--method '${raw}': the column name before '=' is empty`, 'method');
    else out.methods[col] = value as Method;
  }
  for (const raw of flags.threshold ?? []) {
    const [col, value] = splitAssignment(raw);
    const t = value === '' ? NaN : Number(value);
    if (!Number.isFinite(t) || t < 0) throw invalidParam(`--threshold '${raw}': '${value}' is not a number ≥ 0`, 'threshold');
    if (col === undefined) out.threshold = t;
    else if (col === '') throw invalidParam(`--threshold '${raw}': the column name before '=' is empty`, 'threshold');
    else out.thresholds[col] = t;
  }
  return out;
}

export function registerMonitorCommands({ program, io }: CommandContext): Command {
  const group = monitorGroup(program);
  group
    .command('drift')
    .description('compare a current data file with a baseline, column by column, and give the dataset verdict')
    .requiredOption('--baseline <path>', 'the reference data: .parquet or .csv (or a SQL query over files)')
    .requiredOption('--current <path>', 'the data to check, in the same forms')
    .option('--columns <names>', 'only these columns (comma-separated, repeatable; default: every column in both files)', idList)
    .option('--method <[column=]method>', `force a method, for one column or all (repeatable): ${METHODS.join(', ')}`, repeatable)
    .option('--threshold <[column=]value>', "a threshold, for one column or all (repeatable; default: the method's)", repeatable)
    .option('--drift-share <share>', 'the dataset drifts when at least this share of columns drift', '0.5')
    .option('--bins <n>', 'bins for PSI, and for binning numbers in χ², Jensen–Shannon, TV and L∞', intOption(2, 10_000), 10)
    .option('--threads <n>', 'worker threads (default: one per core)', intOption(1, 1024))
    .option('--html <path>', 'also write an HTML report with a chart per column')
    .option('--json', 'print JSON instead of a table')
    .addOption(new Option('--fail-on-drift', 'exit 1 when the dataset verdict is drift (default: exit 0 either way)'))
    .addHelpText(
      'after',
      `
Methods by default (Evidently's choice), by column type, baseline size and distinct values:
  baseline ≤ 1000 rows: numbers with > 5 values ks (p ≤ 0.05); 3–5 values chisquare (p < 0.05);
                        ≤ 2 values ztest (p < 0.05); categories chisquare, or ztest with ≤ 2 values
  baseline > 1000 rows: numbers with > 5 values wasserstein, normed by the baseline std (≥ 0.1);
                        everything else jensenshannon, base 2 (≥ 0.1)
  psi, tvd, linf: distances, drift at ≥ 0.1. p-value methods drift below their threshold.
Definitions: docs/drift.md. Progress goes to stderr.

Examples:
  hangar monitor drift --baseline train.parquet --current june.csv
  hangar monitor drift --baseline a.csv --current b.csv --method psi --threshold amount=0.25 --html drift.html
  hangar monitor drift --baseline a.parquet --current b.parquet --columns age,city --json --fail-on-drift`,
    )
    .action(async (o: DriftFlags) => {
      const overrides = parseOverrides(o);
      const driftShare = Number(o.driftShare);
      if (!(driftShare > 0 && driftShare <= 1)) throw invalidParam(`--drift-share '${o.driftShare}' must be a number in (0, 1]`, 'drift-share');
      const m = await monitoring();
      let lastPct = 0;
      const report = await m.runDrift({
        baseline: o.baseline,
        current: o.current,
        columns: o.columns,
        ...overrides,
        driftShare,
        bins: o.bins,
        threads: o.threads,
        onProgress: (p) => {
          if ('phase' in p) io.err(`${p.phase}\n`);
          else {
            // A simple percentage line at every quarter, readable in logs as on a terminal.
            const pct = Math.floor((p.done / p.total) * 4) * 25;
            if (pct > lastPct) {
              lastPct = pct;
              io.err(`columns ${pct}% (${p.done}/${p.total})\n`);
            }
          }
        },
      });
      if (o.html !== undefined) await m.writeReportHtml(o.html, report);
      if (o.json === true) io.out(`${JSON.stringify({ ...(m.reportJson(report) as object), html: o.html ?? null }, null, 2)}\n`);
      else {
        io.out(formatTable(m.REPORT_HEADERS, m.reportRows(report)));
        if (report.skipped.length > 0) io.out(`Not compared (in one file only): ${report.skipped.join(', ')}\n`);
        io.out(`${m.datasetLine(report)}\n`);
        if (o.html !== undefined) io.out(`HTML report: ${o.html}\n`);
      }
      if (o.failOnDrift === true && report.drifted) throw new CommanderError(1, 'hangar.driftDetected', '');
    });
  return group;
}
