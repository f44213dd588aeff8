import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { HangarClient } from '../../client/index.js';
import { startServer, type RunningServer } from '../serve.js';

/** A Hangar server on a free port with its own temp home, for tests that talk HTTP. */
export interface LiveServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The temp home (SQLite file and artifacts). */
  home: string;
  /** The running server, for direct store access in assertions. */
  server: RunningServer;
  /** A client for `url` that does not wait between retries. */
  client: HangarClient;
  /** Stop the server and delete the home. */
  close(): Promise<void>;
}

export async function startLiveServer(prefix = 'hangar-live-'): Promise<LiveServer> {
  const home = await mkdtemp(join(tmpdir(), prefix));
  const config = loadConfig({ home, port: 0, logLevel: 'silent' });
  const server = await startServer(config);
  const client = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
  return {
    url: server.url,
    home,
    server,
    client,
    async close() {
      await server.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
