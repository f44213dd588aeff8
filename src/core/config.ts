import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { HangarError } from './errors.js';

/**
 * Server configuration. Parsed once at start-up from CLI flags and the environment (only the
 * CLI and server entry points read `process.env`), then frozen.
 */
export const ConfigSchema = z.object({
  /** Where the embedded default keeps its files. Default `./.hangar`, or `$HANGAR_HOME`. */
  home: z.string().min(1),
  /** Interface to listen on. MLflow's default. */
  host: z.string().min(1).default('127.0.0.1'),
  /** TCP port; 0 picks a free one. */
  port: z.coerce.number().int().min(0).max(65535).default(5000),
  /** `sqlite:///path/to/file.db` or `postgresql://user@host:port/db`. Default: SQLite under `home`. */
  backendStoreUri: z.string().min(1),
  /** Where proxied artifacts live: a local path, `file://…` or `s3://bucket/prefix`. */
  artifactsDestination: z.string().min(1),
  /** Largest request body the server accepts, in bytes; larger answers 413. */
  bodyLimitBytes: z.coerce.number().int().positive().default(64 * 1024 * 1024),
  /** Log level for the server's structured log. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Require API tokens (`--auth`): callers without one get `defaultPermission`, read-only unless set. */
  auth: z.boolean().default(false),
  /**
   * Permission level of callers without a token, on every registered model. Default: CAN_MANAGE
   * without `auth` (the single-user embedded default), CAN_READ with it.
   */
  defaultPermission: z
    .enum(['NO_PERMISSIONS', 'CAN_READ', 'CAN_EDIT', 'CAN_MANAGE_STAGING_VERSIONS', 'CAN_MANAGE_PRODUCTION_VERSIONS', 'CAN_MANAGE'])
    .optional(),
  /** Let webhooks deliver to loopback and private addresses (off by default: SSRF guard). */
  webhookAllowPrivateHosts: z.boolean().default(false),
  /** The online feature store (docs/online-store.md): `sqlite` (default, `online.db` next to the metadata database), `redis` or `postgres` with `url`; `keyPrefix` namespaces Redis keys / PostgreSQL tables. */
  onlineStore: z.object({ type: z.enum(['sqlite', 'redis', 'postgres']).default('sqlite'), url: z.string().min(1).optional(), keyPrefix: z.string().min(1).optional() }).default({ type: 'sqlite' }),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

export interface ConfigInput {
  home?: string | undefined;
  host?: string | undefined;
  port?: number | string | undefined;
  backendStoreUri?: string | undefined;
  artifactsDestination?: string | undefined;
  bodyLimitBytes?: number | string | undefined;
  logLevel?: string | undefined;
  auth?: boolean | undefined;
  defaultPermission?: string | undefined;
  webhookAllowPrivateHosts?: boolean | undefined;
  onlineStore?: { type?: string | undefined; url?: string | undefined; keyPrefix?: string | undefined } | undefined;
}

/** Default SQLite URI for a Hangar home directory. */
export function defaultBackendStoreUri(home: string): string {
  return `sqlite:///${join(resolve(home), 'hangar.db')}`;
}

export function defaultArtifactsDestination(home: string): string {
  return pathToFileURL(join(resolve(home), 'artifacts')).href;
}

/** Parse and freeze the configuration; a bad value fails with the field it concerns. */
export function loadConfig(input: ConfigInput): Config {
  const home = resolve(input.home ?? './.hangar');
  const raw = {
    ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
    home,
    backendStoreUri: input.backendStoreUri ?? defaultBackendStoreUri(home),
    artifactsDestination: input.artifactsDestination ?? defaultArtifactsDestination(home),
  };
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new HangarError('INVALID_PARAMETER_VALUE', `Invalid configuration value for '${field}': ${issue.message}`, { field });
  }
  return Object.freeze(parsed.data);
}
