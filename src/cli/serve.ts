import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import { HangarError } from '../core/errors.js';
import { createServer } from '../api/server.js';
import { openStore, type Store } from '../store/index.js';
import { openArtifactStore, type OpenArtifactStoreOptions } from '../artifacts/index.js';
import type { ArtifactStore } from '../artifacts/index.js';
import { redact } from './redact.js';

/** Runs and experiments get proxied artifact URIs, so remote clients upload through the server. */
export const PROXIED_ARTIFACT_ROOT = 'mlflow-artifacts:';

export interface StartServerOptions {
  /** pino options for the request log, or false for none. Default false. */
  logger?: boolean | object;
  /** Options for the artifact store, e.g. S3 credentials the CLI read from the environment. */
  artifactOptions?: OpenArtifactStoreOptions;
}

/** A listening Hangar server and what it holds open. */
export interface RunningServer {
  /** Base URL clients use, e.g. `http://127.0.0.1:5000`. */
  url: string;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** The frozen configuration it runs with. */
  config: Config;
  /** The fastify instance. */
  app: FastifyInstance;
  /** The metadata store. */
  store: Store;
  /** The artifact store. */
  artifacts: ArtifactStore;
  /** Stop listening, then close the stores. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Open the metadata store and bring its schema to the expected version (see `checkSchema`).
 * The store is closed again when the check fails.
 */
export async function openCheckedStore(backendStoreUri: string): Promise<Store> {
  const store = await openStore(backendStoreUri, { defaultArtifactRoot: PROXIED_ARTIFACT_ROOT, migrate: false });
  try {
    await checkSchema(store, backendStoreUri);
    return store;
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

/**
 * A fresh database (schema version 0) is migrated; one at an older version is refused with
 * SCHEMA_OUT_OF_DATE naming `hangar db upgrade`, because upgrading in place is a decision the
 * operator makes (after a backup), not something a restart should do silently. A database
 * newer than this code is refused too.
 */
export async function checkSchema(store: Pick<Store, 'schemaStatus' | 'migrate'>, backendStoreUri: string): Promise<void> {
  const { current, latest } = await store.schemaStatus();
  if (current === 0) {
    await store.migrate();
  } else if (current < latest) {
    throw new HangarError(
      'SCHEMA_OUT_OF_DATE',
      `The database schema is at version ${current} and this Hangar needs version ${latest}. ` +
        `Back up the database, then run \`hangar db upgrade --backend-store-uri ${redact(backendStoreUri)}\`.`,
    );
  } else if (current > latest) {
    throw new HangarError(
      'SCHEMA_OUT_OF_DATE',
      `The database schema is at version ${current}, newer than this Hangar understands (${latest}). Upgrade Hangar.`,
    );
  }
}

/**
 * The server bootstrap shared by `hangar server`, `hangar demo` and tests:
 * config → store (schema checked) → artifact store → HTTP server → listen.
 */
export async function startServer(config: Config, opts: StartServerOptions = {}): Promise<RunningServer> {
  const store = await openCheckedStore(config.backendStoreUri);
  let artifacts: ArtifactStore | undefined;
  let app: FastifyInstance | undefined;
  try {
    artifacts = await openArtifactStore(config.artifactsDestination, opts.artifactOptions);
    app = await createServer({ config, store, artifacts, logger: opts.logger ?? false });
    await listen(app, config);
  } catch (e) {
    await app?.close().catch(() => undefined);
    await artifacts?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw e;
  }
  const port = (app.server.address() as AddressInfo).port;
  const url = `http://${urlHost(config.host)}:${port}`;
  let closing: Promise<void> | undefined;
  const running = app;
  const artifactStore = artifacts;
  return {
    url,
    port,
    config,
    app: running,
    store,
    artifacts: artifactStore,
    close() {
      closing ??= (async () => {
        // Stop taking requests and let in-flight ones finish before the stores go away.
        await running.close();
        await artifactStore.close();
        await store.close();
      })();
      return closing;
    },
  };
}

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE') {
      throw new HangarError('INVALID_PARAMETER_VALUE', `Port ${config.port} on ${config.host} is already in use; choose another with --port.`, { field: 'port' });
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new HangarError('INVALID_PARAMETER_VALUE', `Cannot listen on host '${config.host}' (${code}); check --host.`, { field: 'host' });
    }
    if (code === 'EACCES') {
      throw new HangarError('PERMISSION_DENIED', `Not allowed to listen on port ${config.port}; choose a port above 1023 with --port.`);
    }
    throw e;
  }
}

/** The host to put in URLs: a wildcard address is reachable locally as localhost. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
