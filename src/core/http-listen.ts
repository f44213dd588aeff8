/**
 * Listening with a node:http server the way Hangar's own servers do (the scoring server and the
 * feature server): errors that name `--port` or `--host`, a URL a client can call, and a close
 * that does not wait for idle keep-alive connections to time out.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HangarError } from './errors.js';

/** A node:http server listening. */
export interface ListeningServer {
  /** `http://host:port`. */
  url: string;
  port: number;
  server: http.Server;
  /** Stop taking connections and wait for requests in flight. */
  close(): Promise<void>;
}

/** Listen on `host:port` (port 0: any free one). INVALID_PARAMETER_VALUE naming --port or --host when that fails. */
export async function listen(server: http.Server, host: string, port: number): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new HangarError('INVALID_PARAMETER_VALUE', `Port ${port} on ${host} is already in use; choose another with --port.`, { field: 'port' }));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new HangarError('INVALID_PARAMETER_VALUE', `Cannot listen on host '${host}' (${e.code}); check --host.`, { field: 'host' }));
      else reject(e);
    });
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${bound}`,
    port: bound,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open until they time out.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
