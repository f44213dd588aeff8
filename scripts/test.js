#!/usr/bin/env node
// Runs the test suites. Service-backed suites (PostgreSQL, Redis, Chromium) run when their
// service answers; otherwise this prints which suites are skipped and why, and the suites
// themselves skip with the same reason.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

function probeTcp(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (err) => {
      socket.destroy();
      resolve(err);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    socket.once('connect', () => done(null));
    socket.once('error', (e) => done(`${host}:${port}: ${e.code ?? e.message}`));
  });
}

async function probePg(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (e) {
    return `${url}: ${e.message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

const env = { ...process.env };
const skipped = [];

const pgUrl = env.HANGAR_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const pgErr = await probePg(pgUrl);
if (pgErr) {
  env.HANGAR_TEST_PG_URL = '';
  env.HANGAR_TEST_PG_SKIP = pgErr;
  skipped.push(['PostgreSQL store suites', pgErr]);
} else {
  env.HANGAR_TEST_PG_URL = pgUrl;
}

const redisErr = await probeTcp('127.0.0.1', 6379);
if (redisErr) {
  env.HANGAR_TEST_REDIS_SKIP = redisErr;
  skipped.push(['Redis suites', redisErr]);
}

const chromium = env.HANGAR_TEST_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  env.HANGAR_TEST_CHROMIUM_SKIP = `${chromium} not found (apt-get install -y chromium)`;
  skipped.push(['browser suites (test/e2e/ui.browser.test.ts)', env.HANGAR_TEST_CHROMIUM_SKIP]);
}

if (skipped.length > 0) {
  console.log('hangar tests: some suites are skipped on this machine:');
  for (const [what, why] of skipped) console.log(`  - ${what}: ${why}`);
} else {
  console.log('hangar tests: PostgreSQL, Redis and Chromium found; every suite runs.');
}

const args = ['vitest', 'run', ...process.argv.slice(2)];
const child = spawn('npx', args, { stdio: 'inherit', env });
child.on('exit', (code) => {
  if (skipped.length > 0) {
    console.log('hangar tests: skipped suites (see above):');
    for (const [what, why] of skipped) console.log(`  - ${what}: ${why}`);
  }
  process.exit(code ?? 1);
});
