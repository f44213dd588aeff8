import cluster from 'node:cluster';
import { InvalidArgumentError, Option } from 'commander';
import { HangarError } from '../../core/errors.js';
import { InferenceClient, type LabelRecord } from '../../client/index.js';
import { parseDuration } from '../duration.js';
import { clientFor, configFrom, intOption, serverSide, storeOptions, type CliIo, type StoreFlags } from '../options.js';
import { formatNumber, formatTable } from '../table.js';
import type { CommandContext } from './context.js';

/**
 * `hangar serve` (the scoring server), `hangar predict` (batch scoring to Parquet) and
 * `hangar inference-log list|labels|prune`. Serving code loads inside the commands.
 */
const serving = () => import('../../serving/index.js');

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The env var a cluster primary hands its workers the tracking server in. */
const WORKER_TRACKING_ENV = 'HANGAR_SERVE_TRACKING_URI';

/** `--tracking-uri`, else $HANGAR_TRACKING_URI, else $MLFLOW_TRACKING_URI; undefined means a local store. */
function trackingUriOf(io: CliIo, flag: string | undefined): string | undefined {
  return flag ?? io.env[WORKER_TRACKING_ENV] ?? io.env.HANGAR_TRACKING_URI ?? io.env.MLFLOW_TRACKING_URI;
}

/**
 * The tracking server to use: the one named, or one started in this process on the local
 * store (`--home`, `--backend-store-uri`) on a free loopback port. `close` stops what was started.
 */
async function trackingServer(io: CliIo, flag: string | undefined, store: StoreFlags): Promise<{ url: string; local: boolean; close(): Promise<void> }> {
  const named = trackingUriOf(io, flag);
  if (named !== undefined) return { url: named, local: false, close: async () => {} };
  const config = configFrom(io, { ...store, host: '127.0.0.1', port: 0, logLevel: 'silent' });
  const { startServer, s3OptionsFromEnv } = await serverSide();
  const running = await startServer(config, { logger: false, artifactOptions: { s3: s3OptionsFromEnv(io.env) } });
  return { url: running.url, local: true, close: () => running.close() };
}

function splitOption(value: string): { target: string; percent: number } {
  const m = /^(.+)=(\d+(?:\.\d+)?)%?$/.exec(value.trim());
  if (m === null) throw new InvalidArgumentError('Expected TARGET=PERCENT, e.g. challenger=10.');
  const percent = Number(m[2]);
  if (percent <= 0 || percent >= 100) throw new InvalidArgumentError('The percentage must be above 0 and below 100.');
  return { target: m[1]!, percent };
}

function durationOption(field: string) {
  return (value: string): number => {
    try {
      return parseDuration(value, field);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

interface ServeFlags extends StoreFlags {
  host: string;
  port: number;
  trackingUri?: string;
  pollInterval: number;
  split?: { target: string; percent: number };
  shadow?: string;
  workers: number;
  modelName?: string;
  inferenceLog: boolean;
  logRoot?: string;
  logCapacity: number;
  logFlushRows: number;
  logFlushInterval: number;
  retentionDays?: number;
  maxRows: number;
  eventTimeColumn?: string;
}

export function registerServingCommands(ctx: CommandContext): void {
  const { program, io } = ctx;

  // --- hangar serve --------------------------------------------------------------------------
  const serve = program
    .command('serve')
    .argument('<model-uri>', 'models:/NAME@ALIAS, models:/NAME/STAGE, models:/NAME/VERSION, runs:/RUN/PATH, or a model package directory')
    .description("serve a model over MLflow's scoring protocol (/invocations, /ping, /health, /version), following its alias or stage, with an inference log and /metrics")
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', intOption(0, 65535), 5001)
    .option('--tracking-uri <uri>', 'tracking server with the registry (default $HANGAR_TRACKING_URI, $MLFLOW_TRACKING_URI, else a local store started in-process)')
    .addOption(new Option('--poll-interval <duration>', 'how often to ask the registry whether the alias or stage moved (0 = never)').argParser(durationOption('poll-interval')).default(10_000, '10s'))
    .option('--split <target=percent>', 'send this share of requests to another alias or stage of the model, e.g. challenger=10', splitOption)
    .option('--shadow <target>', 'also score every request with this alias or stage (logged, not returned), e.g. challenger')
    .option('--workers <n>', "processes serving the same port through Node's cluster", intOption(1, 256), 1)
    .option('--model-name <name>', 'name to log under when serving a package directory (default: the directory name)')
    .option('--no-inference-log', 'do not log scored rows')
    .option('--log-root <dir>', "where the inference log's Parquet files go (default: the tracking server's, <artifact root>/inference-log; when that is on S3, ./.hangar/inference-spool, where files wait until uploaded and indexed)")
    .option('--log-capacity <rows>', 'rows the log buffers in memory; beyond that rows are dropped and counted', intOption(1, 100_000_000), 200_000)
    .option('--log-flush-rows <rows>', 'flush the log once this many rows are buffered', intOption(1, 100_000_000), 20_000)
    .addOption(new Option('--log-flush-interval <duration>', 'flush the log at least this often').argParser(durationOption('log-flush-interval')).default(5_000, '5s'))
    .option('--retention-days <days>', 'delete inference-log files whose newest row is older than this (checked hourly)', intOption(0, 100_000))
    .option('--max-rows <n>', 'most rows one request may carry', intOption(1, 100_000_000), 100_000)
    .option('--event-time-column <name>', "a request column holding each row's event time (epoch ms or ISO-8601), logged as the row's timestamp; default: the Hangar-Event-Time header, else the arrival time");
  storeOptions(serve, true)
    .addHelpText(
      'after',
      `
The server answers GET /ping and /health (200 once the model is loaded), GET /version,
POST /invocations (application/json with one of dataframe_split, dataframe_records, instances,
inputs, plus optional params; or text/csv), GET /metrics (Prometheus) and POST /hangar/refresh
(check the registry now: point a registry webhook here). A moved alias is loaded and warmed
aside, then swapped in without dropping a request. Every scored row is logged (docs/serving.md).

Examples:
  hangar serve models:/flights@champion
  hangar serve models:/flights/Production --port 8080 --workers 2
  hangar serve models:/flights@champion --split challenger=10 --shadow challenger
  hangar serve ./model --model-name local-test --no-inference-log`,
    )
    .action(async (modelUri: string, o: ServeFlags) => {
      if (o.workers > 1 && cluster.isPrimary) {
        await servePrimary(io, o);
        return;
      }
      const tracking = await trackingServer(io, o.trackingUri, o);
      try {
        const { startServe } = await serving();
        const running = await startServe({
          modelUri,
          trackingUri: tracking.url,
          token: io.env.MLFLOW_TRACKING_TOKEN,
          host: o.host,
          port: o.port,
          pollMs: o.pollInterval,
          ...(o.split === undefined ? {} : { split: o.split }),
          ...(o.shadow === undefined ? {} : { shadow: o.shadow }),
          ...(o.modelName === undefined ? {} : { modelName: o.modelName }),
          inferenceLog: o.inferenceLog
            ? {
                ...(o.logRoot === undefined ? {} : { root: o.logRoot }),
                capacity: o.logCapacity,
                flushRows: o.logFlushRows,
                flushIntervalMs: Math.max(100, o.logFlushInterval),
                ...(o.retentionDays === undefined ? {} : { retentionDays: o.retentionDays }),
              }
            : false,
          writerId: cluster.isWorker ? (cluster.worker?.id ?? 0) : 0,
          maxRows: o.maxRows,
          ...(o.eventTimeColumn === undefined ? {} : { eventTimeColumn: o.eventTimeColumn }),
          log: (line) => io.err(`${line}\n`),
        });
        try {
          const m = running.primary.current!;
          const who = cluster.isWorker ? `worker ${cluster.worker?.id} (pid ${process.pid}): ` : '';
          io.out(`${who}serving ${m.name} version ${m.version} (${m.flavor}) from ${modelUri} on ${running.url}\n`);
          if (!cluster.isWorker) {
            io.out(`  registry       ${tracking.local ? `local store (in-process server ${tracking.url})` : tracking.url}\n`);
            io.out(`  inference log  ${running.inferenceLog === undefined ? 'off' : (o.logRoot ?? 'the tracking server’s log root')}\n`);
            io.out(`  try: curl -s ${running.url}/invocations -H 'content-type: application/json' -d '{"dataframe_records": [{…}]}'\n`);
          }
          const signal = await io.untilShutdown();
          io.out(`${signal}: shutting down\n`);
        } finally {
          await running.close();
        }
      } finally {
        await tracking.close();
      }
    });

  // --- hangar predict ------------------------------------------------------------------------
  const predict = program
    .command('predict')
    .argument('<model-uri>', 'models:/NAME@ALIAS, models:/NAME/STAGE, models:/NAME/VERSION, runs:/RUN/PATH, or a model package directory')
    .description('score a Parquet or CSV file (or a query over files) and write Parquet: the input columns, then prediction (and probability)')
    .requiredOption('--data <path|sql>', ".parquet or .csv file, or a query: \"select … from 'june.parquet'\"")
    .requiredOption('--out <path>', 'the Parquet file to write (replaced atomically)')
    .option('--tracking-uri <uri>', 'tracking server with the registry (default $HANGAR_TRACKING_URI, $MLFLOW_TRACKING_URI, else a local store)')
    .option('--batch-rows <n>', 'rows per scoring batch', intOption(1, 100_000_000), 100_000)
    .option('--json', 'print the result as JSON');
  storeOptions(predict, true)
    .addHelpText(
      'after',
      `
Progress goes to stderr (a live line on a terminal, a line per 10 % otherwise).

Examples:
  hangar predict models:/flights@champion --data june.parquet --out june-scored.parquet
  hangar predict models:/flights/3 --data "select * from 'flights.parquet' where month(date) = 6" --out june.parquet --json`,
    )
    .action(async (modelUri: string, o: StoreFlags & { data: string; out: string; trackingUri?: string; batchRows: number; json?: boolean }) => {
      const tracking = await trackingServer(io, o.trackingUri, o);
      try {
        const { localModel, ModelFollower, predictFile } = await serving();
        const remote = /^(models|runs):\//.test(modelUri);
        const follower = remote ? new ModelFollower(clientFor(io, tracking.url), modelUri, { pollMs: 0, warmup: 0 }) : undefined;
        const model = follower !== undefined ? await follower.start() : await localModel(modelUri, modelUri.split('/').filter(Boolean).pop() ?? 'model', 0);
        try {
          // A live progress line only on a real terminal (the process's own I/O, whose env is process.env).
          const tty = process.stderr.isTTY === true && io.env === process.env;
          let lastDecile = -1;
          const started = performance.now();
          const result = await predictFile(model, o.data, o.out, {
            batchRows: o.batchRows,
            onProgress: ({ done, total }) => {
              const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
              const rate = done / Math.max(1e-3, (performance.now() - started) / 1000);
              if (tty) io.err(`\rscoring ${pct}% (${formatNumber(done)}/${formatNumber(total)} rows, ${formatNumber(Math.round(rate))} rows/s)`);
              else if (Math.floor(pct / 10) > lastDecile) {
                lastDecile = Math.floor(pct / 10);
                io.err(`scoring ${pct}%\n`);
              }
            },
          });
          if (tty) io.err('\n');
          const seconds = result.seconds.read + result.seconds.score + result.seconds.write;
          const throughput = result.rows / Math.max(1e-6, result.seconds.score);
          if (o.json) {
            io.out(json({ model: model.name, version: model.version, rows: result.rows, out: result.out, columns_added: result.added, seconds: result.seconds, rows_per_second: Math.round(throughput) }));
          } else {
            io.out(
              `Scored ${formatNumber(result.rows)} rows with ${model.name} version ${model.version} → ${result.out}\n` +
                `  read ${result.seconds.read.toFixed(2)} s, score ${result.seconds.score.toFixed(2)} s (${formatNumber(Math.round(throughput))} rows/s), write ${result.seconds.write.toFixed(2)} s, total ${seconds.toFixed(2)} s\n`,
            );
          }
        } finally {
          if (follower !== undefined) await follower.stop();
          else await model.close();
        }
      } finally {
        await tracking.close();
      }
    });

  // --- hangar inference-log ------------------------------------------------------------------
  const logCmd = program.command('inference-log').description('the inference log of served models: files, ground-truth labels, retention');
  const withServer = (cmd: ReturnType<typeof program.command>) =>
    cmd
      .option('--tracking-uri <uri>', 'tracking server (default $HANGAR_TRACKING_URI, $MLFLOW_TRACKING_URI, else a local store)')
      .option('--home <dir>', 'local store home when no tracking server is named (default $HANGAR_HOME or ./.hangar)')
      .option('--backend-store-uri <uri>', 'local store when no tracking server is named')
      .option('--json', 'print JSON');
  const inferenceClient = (url: string) => new InferenceClient({ trackingUri: url, token: io.env.MLFLOW_TRACKING_TOKEN, maxRetries: 2, backoffMs: 250 });

  withServer(logCmd.command('list').argument('<model>', 'registered model name').description('list the indexed files of a model’s inference log'))
    .option('--kind <kind>', 'predictions or labels', 'predictions')
    .action(async (model: string, o: StoreFlags & { trackingUri?: string; json?: boolean; kind: string }) => {
      if (o.kind !== 'predictions' && o.kind !== 'labels') throw new HangarError('INVALID_PARAMETER_VALUE', `--kind must be predictions or labels, got '${o.kind}'.`, { field: 'kind' });
      const tracking = await trackingServer(io, o.trackingUri, o);
      try {
        const files = await inferenceClient(tracking.url).listFiles(model, { kind: o.kind });
        if (o.json) io.out(json({ files }));
        else
          io.out(
            formatTable(
              ['day', 'rows', 'from', 'to', 'path'],
              files.map((f) => [f.day, formatNumber(f.rows), new Date(f.minTs).toISOString(), new Date(f.maxTs).toISOString(), f.path]),
            ),
          );
      } finally {
        await tracking.close();
      }
    });

  withServer(
    logCmd
      .command('labels')
      .argument('<model>', 'registered model name')
      .description('send ground-truth labels, joined to predictions by request id')
      .requiredOption('--file <path>', 'a CSV or Parquet file with columns request_id, label and optionally timestamp'),
  )
    .addHelpText('after', '\nExample:\n  hangar inference-log labels flights --file june-outcomes.csv')
    .action(async (model: string, o: StoreFlags & { trackingUri?: string; json?: boolean; file: string }) => {
      const { readTable } = await import('../../data/index.js');
      const table = await readTable(o.file);
      const col = (name: string) => table.columns.find((c) => c.name === name);
      const id = col('request_id');
      const label = col('label');
      if (id === undefined || label === undefined) {
        throw new HangarError('INVALID_PARAMETER_VALUE', `${o.file} needs columns request_id and label; it has ${table.columns.map((c) => c.name).join(', ')}.`, { field: id === undefined ? 'request_id' : 'label' });
      }
      const ts = col('timestamp');
      const text = (c: typeof id, i: number): string | undefined => (c.type === 'string' ? (c.codes[i]! < 0 ? undefined : c.categories[c.codes[i]!]) : Number.isNaN(c.values[i]!) ? undefined : String(c.values[i]));
      const labels: LabelRecord[] = [];
      for (let i = 0; i < table.rows; i++) {
        const requestId = text(id, i);
        if (requestId === undefined) throw new HangarError('INVALID_PARAMETER_VALUE', `Row ${i + 1} of ${o.file} has no request_id.`, { field: 'request_id' });
        const value = label.type === 'string' ? text(label, i) : label.values[i]!;
        if (value === undefined || (typeof value === 'number' && Number.isNaN(value))) {
          throw new HangarError('INVALID_PARAMETER_VALUE', `Row ${i + 1} of ${o.file} has no label.`, { field: 'label' });
        }
        const t = ts !== undefined && ts.type !== 'string' ? ts.values[i]! : NaN;
        labels.push({ requestId, label: value, ...(Number.isNaN(t) ? {} : { timestamp: t }) });
      }
      const tracking = await trackingServer(io, o.trackingUri, o);
      try {
        const client = inferenceClient(tracking.url);
        let files = 0;
        for (let off = 0; off < labels.length; off += 100_000) files += (await client.logLabels(model, labels.slice(off, off + 100_000))).files.length;
        if (o.json) io.out(json({ model, labels: labels.length, files }));
        else io.out(`Sent ${formatNumber(labels.length)} labels for ${model} (${files} file${files === 1 ? '' : 's'}).\n`);
      } finally {
        await tracking.close();
      }
    });

  withServer(logCmd.command('prune').description('apply the retention policy: delete inference-log files whose newest row is older than --older-than'))
    .requiredOption('--older-than <duration>', 'e.g. 30d, 12h, or 0 for everything')
    .option('--model <name>', 'only this model (default: every model; admins only)')
    .action(async (o: StoreFlags & { trackingUri?: string; json?: boolean; olderThan: string; model?: string }) => {
      const ms = parseDuration(o.olderThan);
      const tracking = await trackingServer(io, o.trackingUri, o);
      try {
        const r = await inferenceClient(tracking.url).prune({ olderThanMs: ms, ...(o.model === undefined ? {} : { model: o.model }) });
        if (o.json) io.out(json(r));
        else io.out(`Removed ${r.files} file${r.files === 1 ? '' : 's'} (${formatNumber(r.rows)} rows) older than ${o.olderThan}.\n`);
      } finally {
        await tracking.close();
      }
    });
}

/**
 * `--workers N`: this process starts the local tracking server when none is named, forks N
 * workers running the same command (each a full scoring process on the shared port), and
 * stops them on Ctrl+C. A worker that dies is replaced.
 */
async function servePrimary(io: CliIo, o: ServeFlags): Promise<void> {
  const tracking = await trackingServer(io, o.trackingUri, o);
  let stopping = false;
  const env = { [WORKER_TRACKING_ENV]: tracking.url };
  const fork = (): void => {
    const w = cluster.fork(env);
    w.on('exit', (code, signal) => {
      if (stopping) return;
      io.err(`serve: worker ${w.id} exited (${signal ?? code}); starting another\n`);
      fork();
    });
  };
  try {
    for (let i = 0; i < o.workers; i++) fork();
    io.out(`serve: ${o.workers} workers on ${o.host}:${o.port} (primary pid ${process.pid})\n`);
    const signal = await io.untilShutdown();
    stopping = true;
    io.out(`${signal}: stopping workers\n`);
    await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w === undefined || w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
  } finally {
    await tracking.close();
  }
}
