// A constant-rate HTTP load generator for the latency benchmarks, run in a process of its own
// (`constantRate()` forks it), so that the measuring side has a small heap and nothing else to do.
//
// Open loop: request i is due at start + i / rate, whatever happened to earlier ones, and its
// latency is measured from that due time, so a slow answer also counts against the requests
// queued behind it (no coordinated omission), and a late send counts too.
// Timing: libuv timers have a resolution of 1 ms, which at 500 requests/s would add up to a
// millisecond of the generator's own lateness to every latency. A worker thread sleeps until each
// due time with Atomics.wait (a futex with a timeout, precise to tens of µs, no spinning) and
// posts the request's number; the main thread, idle in its event loop, sends it at once.
// Each run starts with one unmeasured second of the same load (see `generate`).
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const self = fileURLToPath(import.meta.url);

/**
 * Send `rate` requests/s for `secs` s to POST `path` on 127.0.0.1:`port`, cycling through the
 * JSON `bodies` (strings). Resolves with `{ latencies (ms), lateness (ms: how late each request
 * was sent, the generator's own share of its latency), errors, rate, firstAnswer }`.
 */
export function constantRate(port, path, rate, secs, bodies) {
  return new Promise((resolve, reject) => {
    const child = fork(self, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => {
      child.kill();
      if (m.error) reject(new Error(m.error));
      else resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    child.send({ port, path, rate, secs, bodies });
  });
}

const TICKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { total, interval, start } = workerData;
const slot = new Int32Array(new SharedArrayBuffer(4));
const now = () => performance.timeOrigin + performance.now();
for (let i = 0; i < total; i++) {
  const wait = start + i * interval - now();
  if (wait > 0.02) Atomics.wait(slot, 0, 0, wait);
  parentPort.postMessage(i);
}
`;

/** One open-loop phase of `secs` seconds over the given agent; latencies from each due time. */
async function phase(agent, { port, path, rate, secs }, payloads) {
  const total = Math.round(rate * secs);
  const interval = 1000 / rate;
  const latencies = new Float64Array(total);
  // How late each request left this process (send time − due time): the generator's own share.
  const lateness = new Float64Array(total);
  const now = () => performance.timeOrigin + performance.now();
  let errors = 0;
  let done = 0;
  let firstAnswer = null;
  // Start a little ahead, so that the worker is running before the first request is due.
  const start = now() + 50;
  await new Promise((resolveAll) => {
    const finish = (i) => {
      latencies[i] = now() - (start + i * interval);
      if (++done === total) resolveAll();
    };
    const fire = (i) => {
      lateness[i] = now() - (start + i * interval);
      const data = payloads[i % payloads.length];
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path, agent, headers: { 'content-type': 'application/json', 'content-length': data.length } },
        (res) => {
          const chunks = [];
          if (i === 0) res.on('data', (c) => chunks.push(c));
          else res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) errors++;
            else if (i === 0) firstAnswer = Buffer.concat(chunks).toString('utf8');
            finish(i);
          });
        },
      );
      req.on('error', () => {
        errors++;
        finish(i);
      });
      req.end(data);
    };
    const ticker = new Worker(TICKER, { eval: true, workerData: { total, interval, start } });
    ticker.on('message', fire);
  });
  const elapsed = (now() - start) / 1000;
  return { latencies: Array.from(latencies), lateness: Array.from(lateness), errors, rate: total / elapsed, firstAnswer };
}

/**
 * A second of the same load first, not measured: this process starts cold (its HTTP client not yet
 * optimised, no connection open), which would otherwise show as the first requests' latency.
 */
async function generate(job) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const payloads = job.bodies.map((b) => Buffer.from(b));
  try {
    await phase(agent, { ...job, secs: Math.min(1, job.secs) }, payloads);
    return await phase(agent, job, payloads);
  } finally {
    agent.destroy();
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
