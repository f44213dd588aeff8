// A constant-rate HTTP load generator for the latency benchmarks, run in a process of its own
// (`constantRate()` forks it), pinned to a core of its own where `taskset` can do it, so that
// the measuring side neither shares a core with the server nor has anything else to do.
//
// Open loop: request i is due at start + i / rate, whatever happened to earlier ones, and its
// latency is measured from that due time, so a slow answer also counts against the requests
// queued behind it (no coordinated omission), and a late send counts too.
// Cost: the generator's own share of each latency must stay small next to a look-up of tens of
// microseconds. It writes pre-built request bytes on raw keep-alive sockets and reads answers
// with a minimal HTTP/1.1 parser (status, content-length or chunked framing); node's HTTP
// client added about 0.35 ms to the median here. It keeps due times by spinning its event loop
// (setImmediate: I/O is polled without blocking between checks), which keeps its own core busy
// and sends within tens of microseconds of each due time; timers (1 ms resolution) and a worker
// waking the main thread added up to 1–4 ms of lateness at p99 on two shared cores.
// Each run starts with one unmeasured second of the same load (see `generate`).
import { execFileSync, fork } from 'node:child_process';
import net from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

/**
 * Pin process `pid` (all its threads) to the CPUs in `list` (e.g. "0" or "0-2"). Returns whether
 * it was pinned: `taskset` may be missing (not Linux) or refused.
 */
export function pin(pid, list) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * How the server and the generator share the machine: with two or more CPUs, the generator gets
 * the last one and the server the others (`server` and `generator` are taskset CPU lists);
 * `null` on one CPU, where both must share it.
 */
export function cpuSplit() {
  const n = cpus().length;
  if (n < 2) return null;
  return { server: n === 2 ? '0' : `0-${n - 2}`, generator: String(n - 1) };
}

/**
 * Send `rate` requests/s for `secs` s to POST `path` on 127.0.0.1:`port`, cycling through the
 * JSON `bodies` (strings). `cpu`: a taskset CPU list for the generator process (none: not
 * pinned). Resolves with `{ latencies (ms), lateness (ms: how late each request was sent, the
 * generator's own share of its latency), errors, rate, firstAnswer, pinned }`.
 */
export function constantRate(port, path, rate, secs, bodies, cpu) {
  return new Promise((resolve, reject) => {
    const child = fork(self, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const pinned = cpu !== undefined && pin(child.pid, cpu);
    child.once('message', (m) => {
      child.kill();
      if (m.error) reject(new Error(m.error));
      else resolve({ ...m, pinned });
    });
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    child.send({ port, path, rate, secs, bodies });
  });
}

/**
 * One keep-alive connection with at most one request in flight, and the parser of its answers.
 * `onAnswer(status, body | null)` is called once per complete answer; the body is kept only
 * when `keepBody` is set at send time.
 */
class Connection {
  constructor(port, onAnswer, onError) {
    this.inFlight = -1;
    this.keepBody = false;
    this.buf = Buffer.alloc(0);
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('data', (d) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.parse(onAnswer);
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => onError(this));
  }

  send(i, bytes, keepBody) {
    this.inFlight = i;
    this.keepBody = keepBody;
    this.socket.write(bytes);
  }

  parse(onAnswer) {
    const buf = this.buf;
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const status = Number(buf.toString('latin1', 9, 12));
    const head = buf.toString('latin1', 0, headEnd).toLowerCase();
    const at = head.indexOf('\r\ncontent-length:');
    let bodyStart = headEnd + 4;
    let body;
    let end;
    if (at >= 0) {
      const lineEnd = head.indexOf('\r\n', at + 2);
      const length = Number.parseInt(head.slice(at + 17, lineEnd < 0 ? undefined : lineEnd), 10);
      end = bodyStart + length;
      if (buf.length < end) return;
      if (this.keepBody) body = buf.subarray(bodyStart, end);
    } else if (head.includes('\r\ntransfer-encoding: chunked')) {
      // Chunks: size in hex, CRLF, data, CRLF; a chunk of size 0 (then CRLF) ends the answer.
      const parts = [];
      let p = bodyStart;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p);
        if (lineEnd < 0) return;
        const size = Number.parseInt(buf.toString('latin1', p, lineEnd), 16);
        if (size === 0) {
          if (buf.length < lineEnd + 4) return;
          end = lineEnd + 4;
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) return;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
      if (this.keepBody) body = Buffer.concat(parts);
    } else {
      throw new Error(`answer with neither content-length nor chunked framing: ${head.slice(0, 200)}`);
    }
    this.buf = buf.subarray(end);
    const i = this.inFlight;
    this.inFlight = -1;
    onAnswer(this, i, status, body === undefined ? null : body.toString('utf8'));
  }
}

/** One open-loop phase of `secs` seconds; latencies from each due time. */
function phase({ rate, secs }, requests, pool) {
  const total = Math.round(rate * secs);
  const interval = 1000 / rate;
  const latencies = new Float64Array(total);
  // How late each request left this process (send time − due time): the generator's own share.
  const lateness = new Float64Array(total);
  const now = () => performance.now();
  let errors = 0;
  let done = 0;
  let next = 0;
  let firstAnswer = null;
  const idle = pool.idle;
  const start = now() + 20;
  return new Promise((resolveAll) => {
    const finish = (i) => {
      latencies[i] = now() - (start + i * interval);
      done++;
    };
    pool.onAnswer = (conn, i, status, body) => {
      if (status !== 200) errors++;
      else if (i === 0) firstAnswer = body;
      finish(i);
      idle.push(conn);
    };
    pool.onError = (conn) => {
      const i = conn.inFlight;
      const k = idle.indexOf(conn);
      if (k >= 0) idle.splice(k, 1);
      if (i >= 0) {
        errors++;
        finish(i);
      }
    };
    const tick = () => {
      const t = now();
      while (next < total && t >= start + next * interval) {
        const conn = idle.length > 0 ? idle.pop() : pool.open();
        lateness[next] = now() - (start + next * interval);
        conn.send(next, requests[next % requests.length], next === 0);
        next++;
      }
      if (done === total) {
        const elapsed = (now() - start) / 1000;
        resolveAll({ latencies: Array.from(latencies), lateness: Array.from(lateness), errors, rate: total / elapsed, firstAnswer });
        return;
      }
      setImmediate(tick);
    };
    setImmediate(tick);
  });
}

/**
 * A second of the same load first, not measured: this process starts cold (no connection open,
 * its parser not yet optimised), which would otherwise show as the first requests' latency.
 */
async function generate(job) {
  const requests = job.bodies.map((b) => {
    const body = Buffer.from(b);
    const head = `POST ${job.path} HTTP/1.1\r\nhost: 127.0.0.1:${job.port}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
  });
  const all = [];
  const pool = {
    idle: [],
    onAnswer: () => {},
    onError: () => {},
    open() {
      const c = new Connection(
        job.port,
        (...a) => pool.onAnswer(...a),
        (conn) => pool.onError(conn),
      );
      all.push(c);
      return c;
    },
  };
  try {
    await phase({ ...job, secs: Math.min(1, job.secs) }, requests, pool);
    return await phase(job, requests, pool);
  } finally {
    for (const c of all) c.socket.destroy();
  }
}

if (process.send !== undefined && process.argv[1] === self) {
  process.once('message', (job) => {
    generate(job).then(
      (r) => process.send(r),
      (e) => process.send({ error: String(e?.stack ?? e) }),
    );
  });
}
