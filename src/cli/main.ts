/**
 * The `hangar` executable (run through `bin/hangar.js`). Everything lives in `program.ts`, so
 * tests can drive the same commands in-process; this file only binds them to the process.
 */
import { runCli } from './program.js';

// `hangar … | head` closes the pipe early: the reader has what it wanted, so that is a clean end,
// not a crash with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Handles a library forgot to close must not keep a finished command alive; the timer is
// unref'd, so a clean exit is not delayed by it.
setTimeout(() => process.exit(code), 2000).unref();
