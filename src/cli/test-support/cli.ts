import type { CliIo } from '../program.js';

/** A CliIo that records output and lets a test decide when a long-running command stops. */
export interface TestIo {
  io: CliIo;
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
  /** Stop a running `server` or `demo` as a signal would. */
  shutdown(signal?: string): void;
  /** Resolve once stdout contains `text` (fails after `timeoutMs`). */
  waitForOutput(text: string, timeoutMs?: number): Promise<string>;
}

export function testIo(env: Record<string, string | undefined> = {}): TestIo {
  let out = '';
  let err = '';
  let stop: ((signal: string) => void) | undefined;
  let pendingSignal: string | undefined;
  const io: CliIo = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    env,
    untilShutdown: () =>
      new Promise((resolve) => {
        if (pendingSignal !== undefined) resolve(pendingSignal);
        else stop = resolve;
      }),
  };
  return {
    io,
    out: () => out,
    err: () => err,
    shutdown(signal = 'SIGTERM') {
      if (stop === undefined) pendingSignal = signal;
      else stop(signal);
    },
    async waitForOutput(text, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for '${text}'; stdout: ${out}; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return out;
    },
  };
}

/** Run `hangar ARGS --tracking-uri URL` in-process and collect its exit code and output. */
export async function runCliAgainst(url: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { runCli } = await import('../program.js');
  const t = testIo();
  const code = await runCli([...args, '--tracking-uri', url], t.io);
  return { code, out: t.out(), err: t.err() };
}
