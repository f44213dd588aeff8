/**
 * The contract replay, shared by the engine variants: every fixture against a live Hangar
 * server over real HTTP, one fresh store per fixture, steps in order, each step its own test
 * so that a failing step reads as a bug report and later steps still run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, type TestServerOptions } from '../support/server.js';
import { checkResponse, expectationsOf, loadFixtures, sendStep } from './fixture.js';
import { MissingVariable, type Mismatch, type Vars } from './match.js';

/** Where the replay's servers keep their metadata. */
export interface ReplayEngine {
  /** Shown in the suite's title, e.g. `on SQLite`. */
  title: string;
  /** Why the engine is skipped, or null when it runs. */
  skipReason: string | null;
  /** Once before the first fixture (e.g. create a database). */
  setUp?(): Promise<void>;
  /** Once after the last fixture, even when set-up failed. */
  tearDown?(): Promise<void>;
  /** Server options for one fixture: a store nothing else has used. */
  serverOptions(): Promise<TestServerOptions>;
}

/** Declare the replay of every fixture on `engine`; call at the top level of a test file. */
export function replayContract(engine: ReplayEngine): void {
  const fixtures = loadFixtures();
  const title = engine.skipReason === null ? `contract ${engine.title}` : `contract ${engine.title} (skipped: ${engine.skipReason})`;
  describe.skipIf(engine.skipReason !== null)(title, () => {
    beforeAll(async () => {
      await engine.setUp?.();
    });
    afterAll(async () => {
      await engine.tearDown?.();
    });
    describe.each(fixtures.map((f) => [f.file.replace(/\.json$/, ''), f.fixture] as const))('%s', (_name, fixture) => {
      let server: TestServer | undefined;
      const vars: Vars = new Map();

      beforeAll(async () => {
        server = await startTestServer(await engine.serverOptions());
      });
      afterAll(async () => {
        await server?.close();
      });

      fixture.steps.forEach((step, i) => {
        const label = `${String(i + 1).padStart(2, '0')} ${step.name}`;
        it(label, async (ctx) => {
          const missing = (step.requires ?? []).filter((v) => !vars.has(v));
          if (missing.length > 0) {
            ctx.skip(`needs ${missing.join(', ')}, which an earlier step did not capture`);
            return;
          }
          let result;
          try {
            result = await sendStep(server!.url, step, vars);
          } catch (e) {
            if (e instanceof MissingVariable) throw new Error(`${e.message} (an earlier step failed)`);
            throw e;
          }
          // Alternatives are tried on a copy of the variables, so a rejected one captures nothing.
          const tried: Mismatch[][] = [];
          for (const expectation of expectationsOf(step)) {
            const scratch: Vars = new Map(vars);
            const mismatches = checkResponse(expectation, result, scratch);
            if (mismatches.length === 0 || result.status === expectation.status) {
              for (const [k, v] of scratch) vars.set(k, v);
            }
            if (mismatches.length === 0) return;
            tried.push(mismatches);
          }
          const report = tried
            .map((ms, n) => (tried.length > 1 ? `alternative ${n + 1}:\n` : '') + ms.map((m) => `  ${m.path}: ${m.message}`).join('\n'))
            .join('\n');
          expect.fail(`${step.request.method} ${step.request.path} did not answer as the contract says${step.note ? ` (${step.note})` : ''}:\n${report}`);
        });
      });
    });
  });
}
