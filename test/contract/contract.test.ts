/**
 * Replays every contract fixture against a live Hangar server over real HTTP: one fresh server
 * (temp SQLite store, temp artifact directory) per fixture, steps in order, each step its own
 * test so that a failing step reads as a bug report and later steps still run. Static checks
 * of the fixtures are in fixtures.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { checkResponse, expectationsOf, loadFixtures, sendStep } from './fixture.js';
import { MissingVariable, type Mismatch, type Vars } from './match.js';

const fixtures = loadFixtures();

describe.each(fixtures.map((f) => [f.file.replace(/\.json$/, ''), f.fixture] as const))('contract %s', (_name, fixture) => {
  let server: TestServer | undefined;
  const vars: Vars = new Map();

  beforeAll(async () => {
    server = await startTestServer();
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
