import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { CommanderError, InvalidArgumentError } from 'commander';
import { invalidParam } from '../../core/errors.js';
import { HangarClient, type DatasetVersionInfo } from '../../client/index.js';
import { clientFor, clientOptions, type CliIo } from '../options.js';
import { formatFields, formatNumber, formatTable, formatTime } from '../table.js';
import type { CommandContext } from './context.js';

/**
 * `hangar datasets …`: versioned datasets over the SDK (docs/datasets.md). A local file is
 * uploaded through the artifact proxy and registered by the server; `--sql` runs on the server.
 */

type ClientFlags = { trackingUri: string; json?: boolean };

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** `NAME` or `NAME@VERSION`. */
function parseRef(value: string): { name: string; version?: number } {
  const m = /^([^@]+)(?:@(\d+))?$/.exec(value);
  if (m === null || (m[2] !== undefined && Number(m[2]) < 1)) throw invalidParam(`Expected NAME or NAME@VERSION, got '${value}'.`, 'name');
  return m[2] === undefined ? { name: m[1]! } : { name: m[1]!, version: Number(m[2]) };
}

function tagOption(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`Expected KEY=VALUE, got '${value}'.`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : String(v));

function versionSummary(v: DatasetVersionInfo): string {
  return formatFields([
    ['dataset', `${v.name}@${v.version}`],
    ['digest', v.digest],
    ['rows', v.rowCount],
    ['columns', v.schema.length],
    ['size', `${v.sizeBytes} bytes`],
    ['source', `${v.sourceType}: ${v.source}`],
    ['uri', v.uri],
    ['created', `${formatTime(v.creationTimestamp)}${v.createdBy ? ` by ${v.createdBy}` : ''}`],
    ['expectations', v.expectations === null ? 'none' : 'passed'],
  ]);
}

function profileTable(v: DatasetVersionInfo): string {
  return formatTable(
    ['COLUMN', 'TYPE', 'COUNT', 'NULLS', 'DISTINCT', 'MIN', 'MAX', 'MEAN', 'STDDEV', 'P5', 'P50', 'P95', 'TOP VALUES'],
    v.profile.columns.map((c) => [
      c.name,
      c.type,
      c.count,
      c.nulls,
      cell(c.distinct),
      cell(c.min),
      cell(c.max),
      cell(c.mean),
      cell(c.stddev),
      cell(c.quantiles?.['0.05']),
      cell(c.quantiles?.['0.5']),
      cell(c.quantiles?.['0.95']),
      (c.top ?? []).slice(0, 3).map((t) => `${String(t.value)} (${t.count})`).join(', '),
    ]),
  );
}

/** Upload progress on stderr: a line rewritten in place on a terminal, a percentage line every 25% otherwise. */
function uploadPrinter(io: CliIo): (sent: number, total: number) => void {
  const tty = process.stderr.isTTY === true && io.env === process.env;
  let shown = -1;
  return (sent, total) => {
    const pct = total === 0 ? 100 : Math.floor((sent / total) * 100);
    if (tty) {
      if (pct !== shown) io.err(`\r\x1b[K  upload ${pct}% (${sent}/${total} bytes)${sent >= total ? '\n' : ''}`);
    } else if (Math.floor(pct / 25) > Math.floor(shown / 25)) io.err(`  upload ${pct}%\n`);
    shown = pct;
  };
}

export function registerDatasetCommands(ctx: CommandContext): void {
  const { program, io } = ctx;
  const client = (o: ClientFlags): HangarClient => clientFor(io, o.trackingUri);
  const datasets = program.command('datasets').description('versioned datasets: register (with expectations), list, show profiles, export, record as run inputs');

  clientOptions(
    datasets
      .command('register <name>')
      .description('register a new version of a dataset from a local .parquet/.csv file or from SQL run by the server')
      .option('--from <path>', 'a local .parquet or .csv file (uploaded to the server)')
      .option('--sql <sql>', "SQL the server runs; dataset('name') or dataset('name', 3) reads a registered version")
      .option('--expectations <file>', 'YAML or JSON expectations checked before anything is published')
      .option('--description <text>', 'what the dataset is')
      .option('--tag <key=value>', 'a tag (repeatable)', tagOption),
    io,
  )
    .addHelpText(
      'after',
      `
Identical content returns the existing version; a failed expectation publishes nothing and lists
every failing column (error DATA_EXPECTATION_FAILED). Progress goes to stderr.

Examples:
  hangar datasets register flights --from flights.parquet --expectations flights.expect.yaml
  hangar datasets register late_flights --sql "select * from dataset('flights') where delay > 15"`,
    )
    .action(async (name: string, o: ClientFlags & { from?: string; sql?: string; expectations?: string; description?: string; tag?: Record<string, string> }) => {
      if ((o.from === undefined) === (o.sql === undefined)) throw invalidParam('Give exactly one of --from PATH or --sql SQL.', 'from');
      let expectations: Record<string, unknown> | undefined;
      if (o.expectations !== undefined) {
        // Parsed here too, so a malformed file fails before a large upload.
        const { loadExpectationsFile } = await import('../../data/datasets/index.js');
        expectations = (await loadExpectationsFile(o.expectations)) as Record<string, unknown>;
      }
      const started = Date.now();
      // The server reads, checks and profiles the whole table before it answers: allow minutes, not the CLI's usual 30 s.
      const long = new HangarClient({ trackingUri: o.trackingUri, token: io.env.MLFLOW_TRACKING_TOKEN, maxRetries: 2, backoffMs: 250, timeoutMs: 600_000 });
      const r = await long.datasets.register({
        name,
        ...(o.from === undefined ? {} : { file: o.from }),
        ...(o.sql === undefined ? {} : { sql: o.sql }),
        ...(expectations === undefined ? {} : { expectations }),
        ...(o.description === undefined ? {} : { description: o.description }),
        ...(o.tag === undefined ? {} : { tags: o.tag }),
        onProgress: o.json === true ? undefined : (m) => io.err(`${m}\n`),
        onUploadProgress: o.json === true ? undefined : uploadPrinter(io),
      });
      if (o.json === true) {
        io.out(json({ created: r.created, dataset_version: r.version }));
        return;
      }
      io.err(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      io.out(r.created ? `Registered ${name} version ${r.version.version} (${r.version.rowCount} rows, digest ${r.version.digest})\n` : `Unchanged: ${name} version ${r.version.version} has identical content (digest ${r.version.digest})\n`);
    });

  datasets
    .command('check')
    .description('check expectations on a local file or query without registering anything (exit code 1 when one fails)')
    .option('--from <path>', 'a local .parquet or .csv file')
    .option('--sql <sql>', "SQL over local files, e.g. \"select * from 'flights.parquet'\"")
    .requiredOption('--expectations <file>', 'YAML or JSON expectations')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  hangar datasets check --from flights.parquet --expectations flights.expect.yaml')
    .action(async (o: { from?: string; sql?: string; expectations: string; json?: boolean }) => {
      if ((o.from === undefined) === (o.sql === undefined)) throw invalidParam('Give exactly one of --from PATH or --sql SQL.', 'from');
      const [{ loadExpectationsFile, checkExpectations, withDuck }, { fileRelation }] = await Promise.all([import('../../data/datasets/index.js'), import('../../data/index.js')]);
      const expectations = await loadExpectationsFile(o.expectations);
      const relation = o.sql === undefined ? fileRelation(o.from!) : `(${o.sql}) as q`;
      const report = await withDuck(async (con) => {
        try {
          await con.run(`create temp table src as select * from ${relation}`);
        } catch (e) {
          throw invalidParam(`Cannot read ${o.from ?? 'the query'}: ${(e as Error).message}`, o.from === undefined ? 'sql' : 'from');
        }
        return checkExpectations(con, 'src', expectations);
      });
      if (o.json === true) io.out(json(report));
      else if (report.passed) io.out(`All expectations hold on ${report.rowCount} rows.\n`);
      else {
        io.out(formatTable(['COLUMN', 'CHECK', 'ROWS', 'PROBLEM'], report.violations.map((v) => [v.column, v.check, v.count, v.message])));
      }
      // Exit 1 after printing the report, so a pipeline stops here.
      if (!report.passed) throw new CommanderError(1, 'hangar.checkFailed', '');
    });

  clientOptions(datasets.command('list').description('list datasets').option('--name-contains <text>', 'only names containing this text'), io).action(
    async (o: ClientFlags & { nameContains?: string }) => {
      const c = client(o);
      const all = [];
      let token: string | undefined;
      do {
        const page = await c.datasets.list({ maxResults: 1000, ...(token === undefined ? {} : { pageToken: token }), ...(o.nameContains === undefined ? {} : { nameContains: o.nameContains }) });
        all.push(...page.datasets);
        token = page.nextPageToken;
      } while (token !== undefined);
      if (o.json === true) {
        io.out(json(all));
        return;
      }
      io.out(formatTable(['NAME', 'LATEST', 'UPDATED (UTC)', 'DESCRIPTION'], all.map((d) => [d.name, d.latestVersion, formatTime(d.lastUpdatedTimestamp), d.description]), { empty: '(no datasets)' }));
    },
  );

  clientOptions(datasets.command('show <name[@version]>').description('a version (default: the latest): schema and per-column profile'), io).action(async (ref: string, o: ClientFlags) => {
    const { name, version } = parseRef(ref);
    const v = await client(o).datasets.getVersion(name, { version });
    if (o.json === true) {
      io.out(json(v));
      return;
    }
    io.out(versionSummary(v));
    io.out('\n');
    io.out(profileTable(v));
  });

  clientOptions(datasets.command('versions <name>').description('every version of a dataset, newest first'), io).action(async (name: string, o: ClientFlags) => {
    const list = await client(o).datasets.listVersions(name);
    if (o.json === true) {
      io.out(json(list));
      return;
    }
    io.out(formatTable(['VERSION', 'DIGEST', 'ROWS', 'COLUMNS', 'SOURCE', 'CREATED (UTC)', 'BY'], list.map((v) => [v.version, v.digest, v.rowCount, v.schema.length, `${v.sourceType}: ${v.source}`, formatTime(v.creationTimestamp), v.createdBy])));
  });

  clientOptions(
    datasets
      .command('export <name[@version]>')
      .description('write a version to a local .parquet or .csv file')
      .requiredOption('--out <path>', 'the file to write (.parquet is copied as stored, .csv converted)'),
    io,
  ).action(async (ref: string, o: ClientFlags & { out: string }) => {
    const { name, version } = parseRef(ref);
    const target = resolve(o.out);
    const ext = extname(target).toLowerCase();
    if (ext !== '.parquet' && ext !== '.csv') throw invalidParam(`--out must end in .parquet or .csv, got '${o.out}'.`, 'out');
    const c = client(o);
    const v = await c.datasets.getVersion(name, { version });
    if (o.json !== true) io.err(`downloading ${name}@${v.version} (${v.sizeBytes} bytes)\n`);
    const scratch = join(tmpdir(), `hangar-export-${randomBytes(6).toString('hex')}`);
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const local = await c.datasets.download(v, scratch);
      await mkdir(dirname(target), { recursive: true });
      if (ext === '.parquet') await copyFile(local, tmp);
      else {
        const [{ withDuck }, { sqlString }] = await Promise.all([import('../../data/datasets/index.js'), import('../../data/index.js')]);
        await withDuck((con) => con.run(`copy (select * from read_parquet(${sqlString(local)})) to ${sqlString(tmp)} (format csv, header true)`));
      }
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
      await rm(scratch, { recursive: true, force: true });
    }
    if (o.json === true) io.out(json({ name, version: v.version, rows: v.rowCount, path: target }));
    else io.out(`Wrote ${name}@${v.version} (${v.rowCount} rows) to ${target}\n`);
  });

  clientOptions(
    datasets
      .command('log-input <name[@version]>')
      .description("record a dataset version as a run's input (MLflow's log-inputs, visible to MLflow clients)")
      .requiredOption('--run-id <id>', 'the run')
      .option('--context <context>', 'the mlflow.data.context tag: training, evaluation, …', 'training'),
    io,
  ).action(async (ref: string, o: ClientFlags & { runId: string; context: string }) => {
    const { name, version } = parseRef(ref);
    const r = await client(o).datasets.logInput(o.runId, name, { version, context: o.context });
    if (o.json === true) io.out(json({ run_id: o.runId, name, version: r.version.version, digest: r.version.digest, context: o.context }));
    else io.out(`Run ${o.runId} used ${name}@${r.version.version} (digest ${r.version.digest}) for ${o.context}\n`);
  });

  clientOptions(datasets.command('delete <name[@version]>').description('delete one version, or the dataset with every version'), io).action(async (ref: string, o: ClientFlags) => {
    const { name, version } = parseRef(ref);
    const deleted = await client(o).datasets.delete(name, version);
    if (o.json === true) io.out(json({ name, deleted_versions: deleted }));
    else io.out(`Deleted ${name} version${deleted.length === 1 ? '' : 's'} ${deleted.join(', ')}\n`);
  });

}
