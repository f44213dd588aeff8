#!/usr/bin/env node
// Runs the built CLI. `npm ci` builds it through the `prepare` script.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(entry)) {
  console.error('hangar: the build is missing (dist/cli/main.js). Run `npm run build` first.');
  process.exit(1);
}
await import(entry);
