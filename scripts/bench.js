#!/usr/bin/env node
// `npm run bench -- NAME`: runs bench/NAME.js, which prints one JSON line per figure.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../bench/', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.js') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (NAME is one of: ${available.join(', ')})`);
  process.exit(name ? 1 : 0);
}
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const r = spawnSync(process.execPath, [`${dir}${name}.js`, ...process.argv.slice(3)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
