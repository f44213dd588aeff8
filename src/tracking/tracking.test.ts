import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import {
  appendLogModelHistory,
  parseModelJson,
  resolveMaxResults,
  resolveRunName,
  sampleBulkHistory,
  sampleSteps,
  validateBatch,
  validateMetric,
  validateParam,
  validateRunTag,
} from './index.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof HangarError ? e.code : 'not a HangarError';
  }
}

describe('names', () => {
  it.each(['loss', 'val/loss', 'a b', 'x-y_z.1', 'über', 'a_b'])('accepts %j', (key) => {
    expect(codeOf(() => validateMetric({ key, value: 1, timestamp: 0, step: 0 }))).toBeUndefined();
  });

  it.each(['', '.', '/abs', 'a//b', 'a/./b', 'a/../b', '../up', 'trailing/', 'bad*char', 'tab\there'])('rejects %j', (key) => {
    expect(codeOf(() => validateParam({ key, value: 'v' }))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('says what a path-like name resolves to', () => {
    expect(() => validateRunTag({ key: 'a/../b', value: '' })).toThrow("This name would resolve to 'b'");
  });
});

describe('metric points', () => {
  it('rejects negative or fractional timestamps and fractional steps', () => {
    expect(codeOf(() => validateMetric({ key: 'm', value: 1, timestamp: -1, step: 0 }))).toBe('INVALID_PARAMETER_VALUE');
    expect(codeOf(() => validateMetric({ key: 'm', value: 1, timestamp: 1.5, step: 0 }))).toBe('INVALID_PARAMETER_VALUE');
    expect(codeOf(() => validateMetric({ key: 'm', value: 1, timestamp: 1, step: 0.5 }))).toBe('INVALID_PARAMETER_VALUE');
    expect(codeOf(() => validateMetric({ key: 'm', value: NaN, timestamp: 0, step: -3 }))).toBeUndefined();
  });

  it('names the failing batch entry in the error field', () => {
    try {
      validateBatch({ metrics: [{ key: 'ok', value: 1, timestamp: 1, step: 0 }, { key: 'ok', value: 1, timestamp: -1, step: 0 }], params: [], tags: [] });
      expect.unreachable();
    } catch (e) {
      expect((e as HangarError).field).toBe('metrics.1.timestamp');
    }
  });
});

describe('run names', () => {
  it('prefers run_name, then the tag, then a generated name', () => {
    expect(resolveRunName('given', [])).toBe('given');
    expect(resolveRunName(undefined, [{ key: 'mlflow.runName', value: 'tagged' }])).toBe('tagged');
    expect(resolveRunName('', [])).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    expect(codeOf(() => resolveRunName('a', [{ key: 'mlflow.runName', value: 'b' }]))).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('log-model history', () => {
  it('requires the four MLmodel fields', () => {
    expect(() => parseModelJson('{"run_id": "r", "flavors": {}}')).toThrow("{'artifact_path', 'utc_time_created'}");
    expect(codeOf(() => parseModelJson('[]'))).toBe('INVALID_PARAMETER_VALUE');
    expect(codeOf(() => parseModelJson('nope'))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('appends to an existing array and starts over on a hand-written non-array value', () => {
    const first = appendLogModelHistory([], { a: 1 });
    const second = appendLogModelHistory([first], { b: 2 });
    expect(JSON.parse(second.value)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(JSON.parse(appendLogModelHistory([{ key: first.key, value: 'garbage' }], { c: 3 }).value)).toEqual([{ c: 3 }]);
  });
});

describe('max_results', () => {
  it('defaults, accepts the cap and rejects beyond it or below 1', () => {
    expect(resolveMaxResults(undefined, 1000, 50000)).toBe(1000);
    expect(resolveMaxResults(50000, 1000, 50000)).toBe(50000);
    expect(codeOf(() => resolveMaxResults(50001, 1000, 50000))).toBe('INVALID_PARAMETER_VALUE');
    expect(codeOf(() => resolveMaxResults(0, 1000, 50000))).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('step sampling', () => {
  it('keeps every step when there are few enough', () => {
    expect([...sampleSteps([1, 2, 3], 5)].sort()).toEqual([1, 2, 3]);
  });

  it('never returns more than max+1 steps, always includes the last in range, and only steps in range', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        (raw, max) => {
          const steps = [...raw].sort((a, b) => a - b);
          const out = sampleSteps(steps, max);
          expect(out.size).toBeLessThanOrEqual(max + 1);
          expect(out.has(steps[steps.length - 1]!)).toBe(true);
          expect(out.has(steps[0]!)).toBe(true);
          for (const s of out) expect(steps).toContain(s);
        },
      ),
    );
  });

  it('samples several runs at common steps and keeps each run’s own ends', () => {
    const pts = (runId: string, steps: number[]) => steps.map((step) => ({ runId, key: 'm', value: step, timestamp: 0, step }));
    const points = [...pts('a', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), ...pts('b', [4, 7])];
    const out = sampleBulkHistory(points, ['b', 'a'], 2);
    expect(out.filter((p) => p.runId === 'b').map((p) => p.step)).toEqual([4, 7]);
    const aSteps = out.filter((p) => p.runId === 'a').map((p) => p.step);
    expect(aSteps[0]).toBe(0);
    expect(aSteps[aSteps.length - 1]).toBe(9);
    // Request order decides the run order.
    expect(out[0]!.runId).toBe('b');
  });
});
