// The online half of `npm run bench -- features` (bench/features.js imports it and calls
// `run(emit)`); also runnable alone: `npm run build && node bench/_features-online.js`.
//
// A Hangar server (the real createServer, in its own process) serves look-ups from its online
// store; a load generator in a third process (bench/_constant-rate.js: raw keep-alive sockets,
// pre-built requests, due times kept by spinning its event loop) drives it over HTTP at a
// constant rate and measures each request from the moment it was due to be sent, so a slow
// answer also counts against the requests queued behind it (no coordinated omission). With two
// or more CPUs the server is pinned to all but the last and the generator to the last
// (`taskset`), as if the client ran on another host; the `cpus` field of each p99 line says so.
//   materialize_s_3m_rows            materialising 3M offline rows (500k entity keys × 6 versions, 5 features) into SQLite
//   online_p50_ms / online_p99_ms_1_entity     1 entity × 50 features at 500 requests/s (target p99 ≤ 2 ms)
//   online_p50_ms / online_p99_ms_100_entities 100 entities × 50 features at 100 requests/s (target p99 ≤ 10 ms)
//   online_send_lateness_p99_ms_*             how late the generator sent its requests (p99): its own share of the latency
//   online_server_cpu_us_per_request_*        the server's CPU time per look-up (robust to a busy machine)
//   the same with a `_feature_server` infix: the same look-ups against `hangar online serve`'s
//     server (src/data/online/feature-server.ts, node:http, no auth/audit/metrics hooks) on the same store
//   all of it with a `_redis` suffix when Redis answers at $HANGAR_BENCH_REDIS_URL (default redis://127.0.0.1:6379)
// Feast's published p99 (50 features, Go server on Redis): 4.32 ms at 1 entity, 22.18 ms at 100
// (semantics.md §g); not run here, so no ratio.
// BENCH_SECONDS sets the seconds per load phase (default 10); HANGAR_BENCH_SERVER_NODE_ARGS passes
// node flags to the server process (`--cpu-prof --cpu-prof-dir=/tmp/prof`, `--trace-gc`).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { constantRate, cpuSplit, pin } from './_constant-rate.js';
import { emit as libEmit, freePort, percentile } from './_lib.js';

const dist = new URL('../dist/', import.meta.url);
const FEATURES = 50;
const ENTITIES = 100_000;
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const redisUrl = process.env.HANGAR_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The feature table the look-ups read: one string key, 50 double features, TTL 0. */
const spec = {
  name: 'bench_entity',
  keys: [{ name: 'entity_id', type: 'string' }],
  timestampKey: 'ts',
  features: Array.from({ length: FEATURES }, (_, i) => ({ name: `f${i}`, type: 'double' })),
  source: { kind: 'sql', sql: 'select 1' },
  ttlMs: 0,
};

async function writeParquet(path, select) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    await con.run(`copy (${select}) to '${path}' (format parquet)`);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
  return path;
}

/** Start a Hangar server in a child process with the given online store; resolves with its URL. */
function startServer(home, onlineStore) {
  return startChild(
    (port) => `
    const { loadConfig } = await import(${JSON.stringify(new URL('core/config.js', dist).href)});
    const { startServer } = await import(${JSON.stringify(new URL('cli/serve.js', dist).href)});
    const server = await startServer(loadConfig(${JSON.stringify({ home, port, logLevel: 'silent', onlineStore })}));`,
  );
}

/** Start the feature server of `hangar online serve` in a child process on the same store. */
function startFeatureServerChild(home, onlineStore) {
  return startChild(
    (port) => `
    const { openOnlineStore, OnlineFeatures, startFeatureServer } = await import(${JSON.stringify(new URL('data/online/index.js', dist).href)});
    const store = await openOnlineStore(${JSON.stringify(onlineStore)}, { home: ${JSON.stringify(home)} });
    const running = await startFeatureServer({ online: new OnlineFeatures(store), host: '127.0.0.1', port: ${port} });
    const server = { close: () => running.close().then(() => store.close()) };`,
  );
}

/** Run `setup(port)` (which defines `server` with `close()`) in a child process; resolves once it listens. */
async function startChild(setup) {
  const port = await freePort();
  const script = `${setup(port)}
    process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
    process.on('message', () => process.send(process.cpuUsage()));
    console.log('ready');
  `;
  const nodeArgs = (process.env.HANGAR_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  // The server on its own core(s), the load generator on the last one (see constantRate).
  const split = cpuSplit();
  const pinned = split !== null && pin(child.pid, split.server);
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.stdout.on('data', (d) => {
      if (String(d).includes('ready')) resolve();
    });
  });
  return {
    port,
    /** The generator's CPU list when the server was pinned away from it, else undefined. */
    generatorCpu: pinned ? split.generator : undefined,
    /** The server process's CPU time so far (user + system), µs. */
    cpu() {
      return new Promise((resolve) => {
        child.once('message', (u) => resolve(u.user + u.system));
        child.send('cpu');
      });
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function checkAnswer(text) {
  const body = JSON.parse(text);
  if (body.results?.length !== FEATURES + 1 || body.results[1].statuses[0] !== 'PRESENT') throw new Error(`unexpected answer: ${text.slice(0, 300)}`);
}

/**
 * Redis is part of the serving side: when it runs on this machine, keep it on the server's cores
 * for the Redis phases, away from the spinning load generator, and give its old CPU list back
 * after. Returns a function that restores it (a no-op when nothing was changed).
 */
async function pinLocalRedis(split) {
  if (split === null || !['127.0.0.1', 'localhost'].includes(new URL(redisUrl).hostname)) return () => {};
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let pid;
  try {
    await client.connect();
    pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  } catch {
    return () => {};
  } finally {
    client.disconnect();
  }
  if (!Number.isInteger(pid)) return () => {};
  let before;
  try {
    before = execFileSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' }).split(':').pop().trim();
  } catch {
    return () => {};
  }
  if (!pin(pid, split.server)) return () => {};
  return () => pin(pid, before);
}

async function redisUp() {
  const u = new URL(redisUrl);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    s.setTimeout(500);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

export async function run(emit) {
  // bench/features.js passes _lib's emit (bench name first); the contract is emit(metric, value, unit, extra).
  const out = emit === libEmit ? (m, v, u, x) => libEmit('features', m, v, u, x) : emit;
  const { openOnlineStore, materializeFiles } = await import(new URL('data/index.js', dist).href);
  const home = mkdtempSync(join(tmpdir(), 'hangar-bench-online-'));
  try {
    // Offline rows: ENTITIES keys with 50 features each, for the look-ups.
    const offline = await writeParquet(
      join(home, 'entities.parquet'),
      `select 'e' || i as entity_id, timestamp '2024-01-01' + to_seconds(i) as ts, ${spec.features.map((f, k) => `(i * ${k + 1} % 1000) / 7.0 as ${f.name}`).join(', ')} from range(${ENTITIES}) r(i)`,
    );
    // A flights-sized table: 3M offline rows, 500k keys with 6 versions each, 5 features.
    const big = await writeParquet(
      join(home, 'big.parquet'),
      `select 'k' || (i % 500000) as entity_id, timestamp '2024-01-01' + to_seconds(i) as ts, i / 3.0 as a, i % 17 as b, i % 2 = 0 as c, 'v' || (i % 100) as d, i * 1.5 as e from range(3000000) r(i)`,
    );
    const bigSpec = {
      name: 'bench_big',
      keys: [{ name: 'entity_id', type: 'string' }],
      timestampKey: 'ts',
      features: [
        { name: 'a', type: 'double' },
        { name: 'b', type: 'long' },
        { name: 'c', type: 'boolean' },
        { name: 'd', type: 'string' },
        { name: 'e', type: 'double' },
      ],
      source: { kind: 'sql', sql: 'select 1' },
      ttlMs: 0,
    };

    const stores = [{ suffix: '', config: { type: 'sqlite' } }];
    if (await redisUp()) stores.push({ suffix: '_redis', config: { type: 'redis', url: redisUrl, keyPrefix: `hangar-bench:${process.pid}:` } });
    else console.error(`online bench: Redis not answering at ${redisUrl}; Redis figures skipped`);

    for (const { suffix, config } of stores) {
      const unpinRedis = config.type === 'redis' ? await pinLocalRedis(cpuSplit()) : () => {};
      try {
        const storeHome = join(home, `home${suffix || '_sqlite'}`);
        const store = await openOnlineStore(config, { home: storeHome });
        try {
          const t0 = performance.now();
          const r = await materializeFiles(store, bigSpec, [big], { start: null, end: Date.parse('2030-01-01T00:00:00Z') });
          out(`materialize_s_3m_rows${suffix}`, (performance.now() - t0) / 1000, 's', { rows: r.rows, offline_rows: 3_000_000, load_1m: round(loadavg()[0]) });
          await materializeFiles(store, spec, [offline], { start: null, end: Date.parse('2030-01-01T00:00:00Z') });
        } finally {
          await store.close();
        }

        const features = spec.features.map((f) => `${spec.name}:${f.name}`);
        // Request bodies, made before the clock starts (the generator cycles through them).
        const bodies = (n, entities) => Array.from({ length: n }, (_, i) => JSON.stringify({ features, entities: { entity_id: Array.from({ length: entities }, (_, k) => `e${(i * 7919 + k * 101) % ENTITIES}`) } }));
        const one = bodies(5000, 1);
        const hundred = bodies(1000, 100);
        // The tracking server first, then the feature server, each alone on the machine.
        for (const [infix, start] of [
          ['', startServer],
          ['_feature_server', startFeatureServerChild],
        ]) {
          const server = await start(storeHome, config);
          try {
            const path = '/api/2.0/hangar/features/online/get';
            // Warm-up: JIT, statement caches, connections.
            await constantRate(server.port, path, 200, 2, one, server.generatorCpu);
            await constantRate(server.port, path, 50, 2, hundred, server.generatorCpu);

            for (const [label, rate, bodyFor, target] of [
              ['1_entity', 500, one, 2],
              ['100_entities', 100, hundred, 10],
            ]) {
              const cpu0 = await server.cpu();
              const res = await constantRate(server.port, path, rate, seconds, bodyFor, server.generatorCpu);
              if (res.firstAnswer !== null) checkAnswer(res.firstAnswer);
              // The generator sends one unmeasured second of the same load first (bench/_constant-rate.js):
              // the server's CPU time covers those requests too.
              const served = res.latencies.length + Math.round(Math.min(1, seconds) * rate);
              const cpuPerRequest = ((await server.cpu()) - cpu0) / served;
              const load = round(loadavg()[0]);
              const name = `${label}${infix}${suffix}`;
              // CPU time per request barely depends on how busy the machine is, unlike latency.
              out(`online_server_cpu_us_per_request_${name}`, cpuPerRequest, 'µs', { rate });
              out(`online_p50_ms_${name}`, percentile(res.latencies, 50), 'ms', { rate, features: FEATURES });
              out(`online_p99_ms_${name}`, percentile(res.latencies, 99), 'ms', {
                target,
                rate: round(res.rate),
                errors: res.errors,
                requests: res.latencies.length,
                load_1m: load,
                // Where each side ran: pinned to separate cores, or sharing all of them.
                cpus: res.pinned ? `server ${cpuSplit().server}, generator ${server.generatorCpu}` : 'shared',
              });
              // The load generator's own share: how late its requests left (p99), on the same cores.
              out(`online_send_lateness_p99_ms_${name}`, percentile(res.lateness, 99), 'ms');
            }
          } finally {
            await server.stop();
          }
        }
        if (config.type === 'redis') {
          const cleanup = await openOnlineStore(config, { home: storeHome });
          await cleanup.deleteTable(spec.name);
          await cleanup.deleteTable(bigSpec.name);
          await cleanup.close();
        }
      } finally {
        unpinRedis();
      }
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function round(v) {
  return Math.round(v * 100) / 100;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run(libEmit);
}

