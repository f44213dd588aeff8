/**
 * Static checks of the contract fixtures, which run without a server: the files are well
 * formed, no endpoint of endpoints.ts lacks a fixture, every step targets a listed endpoint,
 * every variable is captured before it is used, and every matcher is spelt right.
 */
import { describe, expect, it } from 'vitest';
import { ENDPOINTS, endpointName, findEndpoint } from './endpoints.js';
import { expectationsOf, loadFixtures } from './fixture.js';
import { capturedVariables, referencedVariables, unknownMatchers } from './match.js';

const fixtures = loadFixtures();
const allSteps = fixtures.flatMap(({ file, fixture }) => fixture.steps.map((step, i) => ({ file, i, step })));

/** Paths the harness cannot check statically: a captured URL (multipart part URLs). */
const isDynamic = (path: string): boolean => /^\$\{[^}]+\}/.test(path) || /^https?:/.test(path);

describe('contract fixtures', () => {
  it('exist and parse', () => {
    expect(fixtures.length).toBeGreaterThan(5);
  });

  it('exercise every endpoint of the contract', () => {
    const covered = new Set(
      allSteps.map(({ step }) => findEndpoint(step.request.method, step.request.path)).filter((e) => e !== undefined),
    );
    const missing = ENDPOINTS.filter((ep) => !covered.has(ep)).map(endpointName);
    expect(missing, 'endpoints without a fixture step').toEqual([]);
  });

  it('list every endpoint once', () => {
    const names = ENDPOINTS.map(endpointName);
    expect(names.length).toBe(new Set(names).size);
  });

  it('target only listed endpoints, except steps about unknown routes', () => {
    const stray = allSteps
      .filter(({ step }) => !isDynamic(step.request.path))
      .filter(({ step }) => findEndpoint(step.request.method, step.request.path) === undefined)
      .filter(({ step }) => !expectationsOf(step).some((e) => JSON.stringify(e.response ?? '').includes('ENDPOINT_NOT_FOUND')))
      .map(({ file, i, step }) => `${file} step ${i + 1}: ${step.request.method} ${step.request.path}`);
    expect(stray).toEqual([]);
  });

  it.each(fixtures.map((f) => [f.file, f.fixture] as const))('%s captures every variable before using it', (_file, fixture) => {
    const captured = new Set<string>();
    const problems: string[] = [];
    fixture.steps.forEach((step, i) => {
      for (const v of referencedVariables(step.request)) {
        if (!captured.has(v)) problems.push(`step ${i + 1} (${step.name}) sends \${${v}} before a capture`);
      }
      // An expectation may use what it captures itself, earlier in the same response.
      for (const e of expectationsOf(step)) {
        const own = capturedVariables(e);
        for (const v of referencedVariables(e)) {
          if (!captured.has(v) && !own.has(v)) problems.push(`step ${i + 1} (${step.name}) expects \${${v}} before a capture`);
        }
      }
      for (const e of expectationsOf(step)) for (const v of capturedVariables(e)) captured.add(v);
    });
    expect(problems).toEqual([]);
  });

  it.each(fixtures.map((f) => [f.file, f.fixture] as const))('%s uses only known matchers', (_file, fixture) => {
    expect(fixture.steps.flatMap((s) => expectationsOf(s).flatMap((e) => unknownMatchers(e)))).toEqual([]);
  });

  it('name steps uniquely within a fixture', () => {
    for (const { file, fixture } of fixtures) {
      const names = fixture.steps.map((s) => s.name);
      expect(names.filter((n, i) => names.indexOf(n) !== i), file).toEqual([]);
    }
  });
});
