/**
 * A live Hangar server for tests: the real `createServer` on a free port of 127.0.0.1, with a
 * fresh home directory (SQLite store and local artifact store inside it unless overridden).
 * Tests talk to it over real HTTP, as MLflow clients do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ConfigInput } from '../../src/core/config.js';
import { createServer } from '../../src/api/server.js';
import { openStore } from '../../src/store/open.js';
import { openArtifactStore } from '../../src/artifacts/open.js';
import type { S3ArtifactOptions } from '../../src/artifacts/s3-store.js';

export interface TestServerOptions {
  /** Store URI; default SQLite in the temp home. */
  backendStoreUri?: string;
  /** Artifact destination; default a directory in the temp home. */
  artifactsDestination?: string;
  /** Body size cap in bytes; default the server's. */
  bodyLimitBytes?: number;
  /** Options of the S3 adapter, for an `s3://` artifact destination (e.g. a fake S3's). */
  s3?: S3ArtifactOptions;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  /** The temp home directory; removed by `close()`. */
  home: string;
  /** Stop the server, close the stores and remove the home directory. */
  close(): Promise<void>;
}

/** Start a server; always `close()` it (in `afterAll`). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const home = await mkdtemp(join(tmpdir(), 'hangar-test-'));
  const { s3, ...rest } = options;
  const input: ConfigInput = { home, host: '127.0.0.1', port: 0, logLevel: 'silent', ...rest };
  const config = loadConfig(input);
  const opened: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const close of opened.reverse()) await close().catch(() => {});
    await rm(home, { recursive: true, force: true });
  };
  try {
    // Proxied artifact URIs (`mlflow-artifacts:/<exp>/…`), as a server apart from its clients hands out.
    const store = await openStore(config.backendStoreUri, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    opened.push(() => store.close());
    const artifacts = await openArtifactStore(config.artifactsDestination, s3 === undefined ? {} : { s3 });
    opened.push(() => artifacts.close());
    const app = await createServer({ config, store, artifacts, logger: false });
    opened.push(() => app.close());
    await app.listen({ host: config.host, port: config.port });
    const { port } = app.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, home, close: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
