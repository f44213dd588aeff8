/**
 * The `hangar` executable (run through `bin/hangar.js`). Everything lives in `program.ts`, so
 * tests can drive the same commands in-process; this file only binds them to the process.
 */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Handles a library forgot to close must not keep a finished command alive; the timer is
// unref'd, so a clean exit is not delayed by it.
setTimeout(() => process.exit(code), 2000).unref();
