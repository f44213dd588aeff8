import type http from 'node:http';

/**
 * Read a request body of at most `limit` bytes for Hangar's node:http servers (the scoring
 * server and the feature server), then call `done` with it (`undefined` when empty) or
 * `tooLarge` instead. A Content-Length over the limit is refused before anything is read, and the
 * connection closes after that answer rather than read the body to keep it. A request that
 * breaks off mid-body destroys its response.
 */
export function readBody(req: http.IncomingMessage, res: http.ServerResponse, limit: number, done: (body: Buffer | undefined) => void, tooLarge: () => void): void {
  if (Number(req.headers['content-length']) > limit) {
    res.shouldKeepAlive = false;
    tooLarge();
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= limit) chunks.push(c);
  });
  req.on('end', () => {
    if (size > limit) tooLarge();
    else done(chunks.length === 1 ? chunks[0] : chunks.length === 0 ? undefined : Buffer.concat(chunks));
  });
  req.on('error', () => res.destroy());
}
