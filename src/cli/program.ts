import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { HangarError, isHangarError } from '../core/errors.js';
import { HangarClient } from '../client/index.js';
import type { CopyReport } from '../store/index.js';
import { parseDuration } from './duration.js';
import { experimentsList, modelsList, modelsResolve, modelsShow, runsSearch } from './read-commands.js';
import { redact } from './redact.js';
import { registerCommandModules } from './commands/index.js';
import {
  CLI_VERSION,
  clientFor,
  clientOptions,
  configFrom,
  idList,
  intOption,
  repeatable,
  serverSide,
  storeOptions,
  DEFAULT_TRACKING_URI,
  type CliIo,
  type StoreFlags,
} from './options.js';
export { CLI_VERSION, type CliIo } from './options.js';

/** Build the `hangar` command tree. A new program per invocation: commander keeps state on it. */
export function createProgram(io: CliIo): Command {
  const program = new Command('hangar')
    .description("Hangar: an open-source MLOps platform. Its tracking and model-registry server speaks MLflow's REST API.")
    .version(CLI_VERSION, '-V, --version')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  hangar demo                          the main job: train, check, gate and promote models on flight delays, keep serving
  hangar server --port 5000            run the server on ./.hangar (SQLite + local artifacts)
  hangar runs search --filter "metrics.val_rmse < 1" --order-by "metrics.val_rmse ASC"
  hangar models resolve models:/hangar-demo-model/Staging

Read commands ask the server at --tracking-uri (default $MLFLOW_TRACKING_URI or ${DEFAULT_TRACKING_URI}).`,
  );

  // --- server ------------------------------------------------------------------------
  const server = program
    .command('server')
    .description('run the tracking and model-registry server')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', intOption(0, 65535), 5000)
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .option('--online-store <uri>', 'online feature store: a SQLite path, redis://host:port or postgresql://… (default: online.db beside the SQLite database)');
  storeOptions(server, true)
    .addHelpText(
      'after',
      `
A fresh database is created and migrated; a database at an older schema version is refused until
you run \`hangar db upgrade\`. Stops cleanly on Ctrl+C (SIGINT) or SIGTERM.

Examples:
  hangar server
  hangar server --host 0.0.0.0 --port 8080 --home /srv/hangar
  hangar server --backend-store-uri postgresql://hangar@db:5432/hangar --artifacts-destination s3://bucket/hangar
  hangar server --online-store redis://127.0.0.1:6379`,
    )
    .action(async (o: StoreFlags & { host: string; port: number; logLevel: string; onlineStore?: string }) => {
      const config = configFrom(io, o);
      const { startServer, s3OptionsFromEnv } = await serverSide();
      const running = await startServer(config, {
        logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
        artifactOptions: { s3: s3OptionsFromEnv(io.env) },
      });
      io.out(
        `Hangar ${CLI_VERSION} listening on ${running.url}\n` +
          `  web UI         ${running.url}/\n` +
          `  backend store  ${redact(config.backendStoreUri)}\n` +
          `  artifacts      ${config.artifactsDestination}\n`,
      );
      const signal = await io.untilShutdown();
      io.out(`${signal}: shutting down\n`);
      await running.close();
    });

  // --- db ----------------------------------------------------------------------------
  const db = program.command('db').description('manage the metadata database');
  storeOptions(db.command('upgrade').description('apply pending schema migrations'), false)
    .addHelpText('after', '\nBack up the database first. Example:\n  hangar db upgrade --backend-store-uri postgresql://hangar@db:5432/hangar')
    .action(async (o: StoreFlags) => {
      const config = configFrom(io, o);
      const { openStore, PROXIED_ARTIFACT_ROOT } = await serverSide();
      const store = await openStore(config.backendStoreUri, { defaultArtifactRoot: PROXIED_ARTIFACT_ROOT, migrate: false });
      try {
        const before = await store.schemaStatus();
        if (before.current === before.latest) {
          io.out(`Schema already at version ${before.latest}; nothing to do.\n`);
          return;
        }
        if (before.current > before.latest) {
          throw new HangarError('SCHEMA_OUT_OF_DATE', `The database schema (version ${before.current}) is newer than this Hangar (${before.latest}); upgrade Hangar.`);
        }
        const now = await store.migrate();
        io.out(`Schema upgraded from version ${before.current} to ${now} (${redact(config.backendStoreUri)}).\n`);
      } finally {
        await store.close();
      }
    });
  db.command('copy')
    .description('copy every entity from one metadata database to another (e.g. SQLite to PostgreSQL)')
    .requiredOption('--from <uri>', 'source database URI')
    .requiredOption('--to <uri>', 'destination database URI (migrated if fresh)')
    .addHelpText('after', '\nExample:\n  hangar db copy --from sqlite:///$PWD/.hangar/hangar.db --to postgresql://hangar@db:5432/hangar')
    .action(async (o: { from: string; to: string }) => {
      // copyStore checks both schema versions itself and migrates a fresh destination.
      const { openStore, copyStore, PROXIED_ARTIFACT_ROOT } = await serverSide();
      const from = await openStore(o.from, { defaultArtifactRoot: PROXIED_ARTIFACT_ROOT, migrate: false });
      try {
        const to = await openStore(o.to, { defaultArtifactRoot: PROXIED_ARTIFACT_ROOT, migrate: false });
        try {
          const report = await copyStore(from, to);
          io.out(`Copied ${redact(o.from)} → ${redact(o.to)}: ${describeCopy(report)}\n`);
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });

  // --- gc ----------------------------------------------------------------------------
  const gc = program
    .command('gc')
    .description('permanently remove deleted runs and experiments, with their artifacts')
    .option('--older-than <age>', 'only what was deleted at least this long ago: 30d, 12h, 1d2h30m, 0 for all', '30d')
    .option('--run-ids <ids>', 'only these deleted runs (comma-separated)', idList)
    .option('--experiment-ids <ids>', 'only these deleted experiments (comma-separated)', idList)
    .option('--uploads-older-than <age>', 'also remove abandoned multipart uploads and temp files untouched this long', '24h')
    .option('--dry-run', 'list what would go, remove nothing')
    .option('--json', 'print the result as JSON');
  storeOptions(gc, true)
    .addHelpText(
      'after',
      '\nExamples:\n  hangar gc                      purge what was deleted over 30 days ago, and uploads abandoned over a day ago\n  hangar gc --older-than 0       purge everything deleted\n  hangar gc --dry-run --json     list what would go\n  hangar gc --run-ids 3f2a…,9bc1…  (only these; uploads are not swept)',
    )
    .action(async (o: StoreFlags & { olderThan: string; uploadsOlderThan: string; dryRun?: boolean; json?: boolean; runIds?: string[]; experimentIds?: string[] }) => {
      const olderThanMs = parseDuration(o.olderThan);
      const uploadsOlderThanMs = parseDuration(o.uploadsOlderThan, 'uploads-older-than');
      const config = configFrom(io, o);
      const { openCheckedStore, openArtifactStore, s3OptionsFromEnv, collectGarbage, gcReport } = await serverSide();
      const store = await openCheckedStore(config.backendStoreUri);
      try {
        const artifacts = await openArtifactStore(config.artifactsDestination, { s3: s3OptionsFromEnv(io.env) });
        try {
          const now = Date.now();
          const dryRun = o.dryRun === true;
          const r = await collectGarbage(store, artifacts, { olderThanMs, uploadsOlderThanMs, dryRun, runIds: o.runIds, experimentIds: o.experimentIds, now });
          io.out(gcReport(r, { now, olderThanMs, uploadsOlderThanMs, dryRun, json: o.json === true }));
        } finally {
          await artifacts.close();
        }
      } finally {
        await store.close();
      }
    });

  // --- read commands -----------------------------------------------------------------
  const experiments = program.command('experiments').description('experiments on a tracking server');
  clientOptions(experiments.command('list').description('list experiments'), io)
    .option('--view <view>', 'active, deleted or all', 'active')
    .option('--filter <filter>', "e.g. \"name LIKE 'churn%'\"")
    .option('--max-results <n>', 'at most this many', intOption(1, 1_000_000), 1000)
    .addHelpText('after', '\nExample:\n  hangar experiments list --view all --json')
    .action(async (o: { trackingUri: string; json?: boolean; view: string; filter?: string; maxResults: number }) => {
      io.out(await experimentsList(clientFor(io, o.trackingUri), o));
    });

  const runs = program.command('runs').description('runs on a tracking server');
  clientOptions(runs.command('search').description('search runs (all active experiments unless --experiment-ids)'), io)
    .option('--experiment-ids <ids>', 'comma-separated experiment ids', idList)
    .option('--filter <filter>', "MLflow filter, e.g. \"metrics.rmse < 1 and params.model = 'linear'\"")
    .option('--order-by <clause>', 'e.g. "metrics.rmse ASC" (repeatable)', repeatable)
    .option('--max-results <n>', 'at most this many runs', intOption(1, 1_000_000), 100)
    .option('--view <view>', 'active, deleted or all', 'active')
    .addHelpText(
      'after',
      `
Examples:
  hangar runs search --experiment-ids 1 --filter "metrics.val_rmse < 1.2" --order-by "metrics.val_rmse ASC"
  hangar runs search --filter "params.model_type = 'linear-regression'" --max-results 5 --json`,
    )
    .action(async (o: { trackingUri: string; json?: boolean; experimentIds?: string[]; filter?: string; orderBy?: string[]; maxResults: number; view: string }) => {
      io.out(await runsSearch(clientFor(io, o.trackingUri), o));
    });

  const models = program.command('models').description('registered models on a tracking server');
  clientOptions(models.command('list').description('list registered models with their latest version per stage'), io)
    .option('--filter <filter>', "e.g. \"name LIKE 'churn%'\"")
    .option('--max-results <n>', 'at most this many', intOption(1, 1_000_000), 1000)
    .action(async (o: { trackingUri: string; json?: boolean; filter?: string; maxResults: number }) => {
      io.out(await modelsList(clientFor(io, o.trackingUri), o));
    });
  clientOptions(models.command('show').argument('<name>', 'registered model name').description('show a registered model and its versions'), io)
    .addHelpText('after', '\nExample:\n  hangar models show hangar-demo-model')
    .action(async (name: string, o: { trackingUri: string; json?: boolean }) => {
      io.out(await modelsShow(clientFor(io, o.trackingUri), name, o));
    });
  clientOptions(
    models
      .command('resolve')
      .argument('<uri>', 'models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME/latest, models:/NAME@ALIAS, models:/m-<id> or runs:/RUN/PATH')
      .description('resolve a model URI to its version and artifact location'),
    io,
  )
    .addHelpText('after', '\nExamples:\n  hangar models resolve models:/hangar-demo-model/Staging\n  hangar models resolve models:/hangar-demo-model@champion --json')
    .action(async (uri: string, o: { trackingUri: string; json?: boolean }) => {
      io.out(await modelsResolve(clientFor(io, o.trackingUri), uri, o));
    });

  // --- demo --------------------------------------------------------------------------
  program
    .command('demo')
    .description(
      'the main job: start Hangar locally, ingest US flight delays as a dataset, compute feature tables, train and register models from a point-in-time training set, run the compliance checks and the gate, approve the promotion, serve the champion, replay May–June as traffic with a daily monitor, retrain when its rule fires, then keep serving',
    )
    .option('--no-serve', 'exit after the scenario instead of serving')
    .option('--port <port>', 'TCP port (default 5000; a free one with --no-serve)', intOption(0, 65535))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--home <dir>', 'where the demo keeps its files (default: $HANGAR_HOME or ./.hangar)')
    .option('--sample-every <n>', 'keep one training row in N (Jan 1–Apr 15 2001; the April 16–30 holdout likewise)', intOption(1, 1_000_000), 20)
    .option('--no-replay', 'stop after the promotion: no serving, replay, monitor or retraining')
    .option('--traffic-every <n>', 'replay one May–June flight in N as traffic (default 5 × --sample-every)', intOption(1, 1_000_000))
    .option('--auc-threshold <x>', 'the retraining rule fires when the daily AUC is below this in 2 of the last 5 days (default: the champion\'s holdout AUC minus one standard error of a day\'s AUC)', parseFloat)
    .addHelpText('after', '\nThis is what `npm start` runs. Running it again reuses the experiments and the model and adds versions.')
    .action(async (o: { serve: boolean; port?: number; host: string; home?: string; sampleEvery: number; replay: boolean; trafficEvery?: number; aucThreshold?: number }) => {
      const config = configFrom(io, { home: o.home, host: o.host, port: o.port ?? (o.serve ? 5000 : 0), logLevel: 'warn' });
      const { startServer, s3OptionsFromEnv } = await serverSide();
      const running = await startServer(config, { logger: false, artifactOptions: { s3: s3OptionsFromEnv(io.env) } });
      try {
        io.out(`Hangar ${CLI_VERSION} demo: server ${running.url}, home ${config.home}\n`);
        const client = new HangarClient({ trackingUri: running.url, maxRetries: 2, backoffMs: 100 });
        const started = Date.now();
        const { runMainJob, DEMO_PROJECT_YAML } = await import('../demo/main-job.js');
        const job = await runMainJob(client, {
          sampleEvery: o.sampleEvery,
          replay: o.replay,
          trafficEvery: o.trafficEvery,
          aucThreshold: o.aucThreshold,
          log: (line) => io.out(`  ${line}\n`),
        });
        // The rules the job applied, for running the checks again by hand.
        const projectFile = join(config.home, 'hangar.yaml');
        await writeFile(projectFile, DEMO_PROJECT_YAML);
        io.out(`Main job done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${job.modelName} champion v${job.champion ?? '-'}; its rules are in ${projectFile}.\n`);
        if (!o.serve) {
          io.out('Done (--no-serve): server stopped.\n');
          return;
        }
        io.out(
          `\nServing on ${running.url}; press Ctrl+C to stop.\n` +
            `Open ${running.url}/ in a browser: the web UI shows the runs, the models and their governance, the monitors and the data.\n` +
            `Or try:\n` +
            `  MLFLOW_TRACKING_URI=${running.url} npx hangar models show ${job.modelName}\n` +
            `  MLFLOW_TRACKING_URI=${running.url} npx hangar models history ${job.modelName}\n` +
            `  MLFLOW_TRACKING_URI=${running.url} npx hangar validate models:/${job.modelName}@champion --config ${projectFile}\n` +
            `  MLFLOW_TRACKING_URI=${running.url} npx hangar runs search\n`,
        );
        const signal = await io.untilShutdown();
        io.out(`${signal}: shutting down\n`);
      } finally {
        await running.close();
      }
    });

  registerCommandModules({ program, io, models });
  return program;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `1234 rows (experiments 2, runs 10, metrics 1200, …)`, leaving out empty tables. */
function describeCopy(report: CopyReport): string {
  const entries = Object.entries(report).filter(([, n]) => n > 0);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  return `${plural(total, 'row')}${entries.length > 0 ? ` (${entries.map(([t, n]) => `${t} ${n}`).join(', ')})` : ''}.`;
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** The process's own streams, environment and signals. */
export function processIo(): CliIo {
  return {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    env: process.env,
    untilShutdown: waitForSignal,
  };
}

/**
 * Run the CLI on `args` (without `node` and the script) and return the exit code. Errors are
 * printed as `ERROR_CODE: message`, without a stack trace.
 */
export async function runCli(args: string[], io: CliIo = processIo()): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version "exit" with 0; usage errors were already printed by commander.
      return e.exitCode;
    }
    if (isHangarError(e)) {
      io.err(`${e.code}: ${e.message}\n`);
      return 1;
    }
    io.err(`INTERNAL_ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
