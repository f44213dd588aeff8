import { createRequire } from 'node:module';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadConfig, type Config } from '../core/config.js';
import { HangarClient } from '../client/index.js';
import { onlineStoreConfigFromUri } from '../data/online/open.js';

/**
 * What every command module shares: the CLI's I/O, option builders and the SDK client factory.
 * Kept apart from program.ts so command modules can use it without an import cycle.
 */

// Server-side modules (fastify, the stores, their drivers) load inside the commands that use
// them, so that `hangar --help` and the read commands, which only need the SDK, start fast.
export const serverSide = async () => {
  const [serve, store, artifacts, gc] = await Promise.all([
    import('./serve.js'),
    import('../store/index.js'),
    import('../artifacts/index.js'),
    import('./gc.js'),
  ]);
  return { ...serve, ...store, ...artifacts, ...gc };
};

/** The package version, from package.json (two levels up from both src/cli and dist/cli). */
export const CLI_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Where the CLI reads and writes; tests pass their own. */
export interface CliIo {
  /** Standard output (text is written as given; lines end in `\n`). */
  out(text: string): void;
  /** Standard error. */
  err(text: string): void;
  /** The environment; only the CLI reads it. */
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves with the signal name when a long-running command (server, demo) should stop. */
  untilShutdown(): Promise<string>;
}

export const DEFAULT_TRACKING_URI = 'http://127.0.0.1:5000';

export function intOption(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Not a whole number.');
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`Must be between ${min} and ${max}.`);
    return n;
  };
}

/** `--experiment-ids 1,2 --experiment-ids 3` → `['1', '2', '3']`. */
export function idList(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export interface StoreFlags {
  home?: string;
  backendStoreUri?: string;
  artifactsDestination?: string;
}

export function configFrom(
  io: CliIo,
  flags: StoreFlags & { host?: string; port?: number; logLevel?: string; auth?: boolean; defaultPermission?: string; webhookAllowPrivateHosts?: boolean; onlineStore?: string },
): Config {
  return loadConfig({
    home: flags.home ?? io.env.HANGAR_HOME,
    host: flags.host,
    port: flags.port,
    backendStoreUri: flags.backendStoreUri,
    artifactsDestination: flags.artifactsDestination,
    logLevel: flags.logLevel,
    auth: flags.auth,
    defaultPermission: flags.defaultPermission,
    webhookAllowPrivateHosts: flags.webhookAllowPrivateHosts,
    onlineStore: flags.onlineStore === undefined ? undefined : onlineStoreConfigFromUri(flags.onlineStore),
  });
}

export function storeOptions(cmd: Command, withArtifacts: boolean): Command {
  cmd
    .option('--backend-store-uri <uri>', 'sqlite:///path/to/hangar.db or postgresql://user@host:port/db (default: SQLite under the home)')
    .option('--home <dir>', 'where the embedded default keeps its files (default: $HANGAR_HOME or ./.hangar)');
  if (withArtifacts) cmd.option('--artifacts-destination <uri>', 'local path, file:// URI or s3://bucket/prefix (default: <home>/artifacts)');
  return cmd;
}

export function clientOptions(cmd: Command, io: CliIo): Command {
  return cmd
    .addOption(
      new Option('--tracking-uri <uri>', 'the Hangar or MLflow server to ask')
        .default(io.env.MLFLOW_TRACKING_URI ?? DEFAULT_TRACKING_URI, io.env.MLFLOW_TRACKING_URI === undefined ? DEFAULT_TRACKING_URI : '$MLFLOW_TRACKING_URI'),
    )
    .option('--json', 'print JSON instead of a table');
}

export function clientFor(io: CliIo, trackingUri: string): HangarClient {
  // A CLI user is waiting: retry a busy server a little, not for minutes.
  return new HangarClient({ trackingUri, token: io.env.MLFLOW_TRACKING_TOKEN, maxRetries: 2, backoffMs: 250, timeoutMs: 30_000 });
}

