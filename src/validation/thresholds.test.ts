import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import { assertValid, metricThreshold, thresholdFromInput, validateMetrics, type MetricThreshold } from './thresholds.js';

/** Every row of semantics.md §c's MetricThreshold table, plus the constructor's rules. */

const one = (t: MetricThreshold, cand: number | undefined, base: number | undefined, mlflowCompat = false) =>
  validateMetrics(cand === undefined ? {} : { m: cand }, base === undefined ? {} : { m: base }, { m: t }, { mlflowCompat }).metrics[0]!;

function paramError(f: () => unknown): HangarError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(HangarError);
    expect((e as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
    return e as HangarError;
  }
  throw new Error('expected an error');
}

describe('metricThreshold()', () => {
  it('requires greater_is_better, naming the field', () => {
    const e = paramError(() => thresholdFromInput({ threshold: 0.8 }, 'validation.thresholds.f1'));
    expect(e.field).toBe('validation.thresholds.f1.greater_is_better');
    expect(e.message).toContain('greater_is_better is required');
  });
  it('accepts the deprecated higher_is_better alone, and refuses both', () => {
    expect(thresholdFromInput({ threshold: 0.8, higher_is_better: false }, 'f').greaterIsBetter).toBe(false);
    const e = paramError(() => thresholdFromInput({ threshold: 0.8, greater_is_better: true, higher_is_better: true }, 'f'));
    expect(e.message).toContain('both were set');
  });
  it('requires at least one bound', () => {
    expect(paramError(() => metricThreshold({ greaterIsBetter: true }, 'auc')).message).toContain('at least one of threshold, min_absolute_change, min_relative_change');
  });
  it('checks min_absolute_change > 0 and min_relative_change in [0, 1]', () => {
    expect(paramError(() => metricThreshold({ minAbsoluteChange: 0, greaterIsBetter: true })).field).toBe('threshold.min_absolute_change');
    expect(paramError(() => metricThreshold({ minAbsoluteChange: -1, greaterIsBetter: true })).field).toBe('threshold.min_absolute_change');
    expect(paramError(() => metricThreshold({ minRelativeChange: 1.5, greaterIsBetter: true })).field).toBe('threshold.min_relative_change');
    expect(paramError(() => metricThreshold({ minRelativeChange: -0.1, greaterIsBetter: true })).field).toBe('threshold.min_relative_change');
    expect(paramError(() => metricThreshold({ threshold: Number.NaN, greaterIsBetter: true })).field).toBe('threshold.threshold');
    expect(metricThreshold({ minRelativeChange: 0, greaterIsBetter: true }).minRelativeChange).toBe(0);
    expect(metricThreshold({ minRelativeChange: 1, greaterIsBetter: false }).minRelativeChange).toBe(1);
  });
});

describe('validateMetrics(): the rows of semantics.md §c', () => {
  it('gib, threshold 0.8, cand 0.8 → pass (bounds inclusive); 0.79 fails with MLflow-style message', () => {
    const t = metricThreshold({ threshold: 0.8, greaterIsBetter: true });
    expect(one(t, 0.8, undefined).passed).toBe(true);
    const r = one(t, 0.7, undefined);
    expect(r.thresholdFailed).toBe(true);
    expect(r.failures).toEqual(['Metric m value threshold check failed: candidate model m = 0.7, m threshold = 0.8.']);
    // Lower is better: inclusive the other way.
    const lower = metricThreshold({ threshold: 0.5, greaterIsBetter: false });
    expect(one(lower, 0.5, undefined).passed).toBe(true);
    expect(one(lower, 0.51, undefined).passed).toBe(false);
  });

  it('gib, min_rel 0.1, base 0.80, cand 0.87 → fail (rel 0.0875)', () => {
    const r = one(metricThreshold({ minRelativeChange: 0.1, greaterIsBetter: true }), 0.87, 0.8);
    expect(r.relativeChangeFailed).toBe(true);
    expect(r.relativeChange).toBeCloseTo(0.0875, 12);
    expect(r.failures[0]).toContain('minimum relative change check failed');
    expect(one(metricThreshold({ minRelativeChange: 0.1, greaterIsBetter: true }), 0.89, 0.8).passed).toBe(true);
  });

  it('lower is better, min_rel 0.1, base 10, cand 8.9 → pass (rel 0.11)', () => {
    const r = one(metricThreshold({ minRelativeChange: 0.1, greaterIsBetter: false }), 8.9, 10);
    expect(r.passed).toBe(true);
    expect(r.relativeChange).toBeCloseTo(0.11, 12);
    expect(one(metricThreshold({ minRelativeChange: 0.1, greaterIsBetter: false }), 9.5, 10).passed).toBe(false);
  });

  it('base = 0 → pass only if cand ≥ 1e-10 (gib) or ≤ −1e-10', () => {
    const gib = metricThreshold({ minRelativeChange: 0.5, greaterIsBetter: true });
    expect(one(gib, 1e-10, 0).passed).toBe(true);
    expect(one(gib, 0, 0).passed).toBe(false);
    expect(one(gib, 5e-11, 0).passed).toBe(false);
    const lib = metricThreshold({ minRelativeChange: 0.5, greaterIsBetter: false });
    expect(one(lib, -1e-10, 0).passed).toBe(true);
    expect(one(lib, 0, 0).passed).toBe(false);
    expect(one(lib, -5e-11, 0).failures[0]).toBe(
      'Metric m minimum relative change check failed: candidate model m = -5e-11, baseline model m = 0, m minimum relative change threshold = 0.5.',
    );
  });

  it('gib, min_rel 0.1, base −2: Hangar divides by |base| (cand −1 passes, −3 fails); mlflowCompat reproduces MLflow', () => {
    const t = metricThreshold({ minRelativeChange: 0.1, greaterIsBetter: true });
    const better = one(t, -1, -2);
    expect(better.passed).toBe(true);
    expect(better.relativeChange).toBe(0.5);
    const worse = one(t, -3, -2);
    expect(worse.passed).toBe(false);
    expect(worse.relativeChange).toBe(-0.5);
    // MLflow's rows: rel = 1 / −2 = −0.5 → fail for the better candidate; +0.5 → pass for the worse.
    const mlBetter = one(t, -1, -2, true);
    expect(mlBetter.passed).toBe(false);
    expect(mlBetter.relativeChange).toBe(-0.5);
    const mlWorse = one(t, -3, -2, true);
    expect(mlWorse.passed).toBe(true);
    expect(mlWorse.relativeChange).toBe(0.5);
  });

  it('no baseline value with min_abs or min_rel set → fail (missing baseline); the threshold result is still reported', () => {
    const t = metricThreshold({ threshold: 0.9, minAbsoluteChange: 0.01, greaterIsBetter: true });
    const r = one(t, 0.8, undefined);
    expect(r.missingBaseline).toBe(true);
    expect(r.thresholdFailed).toBe(true);
    expect(r.failures).toEqual([
      'Metric m value threshold check failed: candidate model m = 0.8, m threshold = 0.9.',
      'Model comparison failed: metric m was missing from the evaluation result of the baseline model.',
    ]);
    // One metric's failures are one line, joined by a space (MLflow's _MetricValidationResult).
    expect(r.message).toBe(r.failures.join(' '));
    expect(one(metricThreshold({ minRelativeChange: 0.2, greaterIsBetter: true }), 0.8, undefined).missingBaseline).toBe(true);
  });

  it('min_relative_change = 0 with no baseline fails cleanly as a missing baseline (MLflow crashes here)', () => {
    const r = one(metricThreshold({ minRelativeChange: 0, greaterIsBetter: true }), 0.8, undefined);
    expect(r.passed).toBe(false);
    expect(r.missingBaseline).toBe(true);
    // With a baseline, 0 means "not worse".
    expect(one(metricThreshold({ minRelativeChange: 0, greaterIsBetter: true }), 0.8, 0.8).passed).toBe(true);
    expect(one(metricThreshold({ minRelativeChange: 0, greaterIsBetter: true }), 0.79, 0.8).passed).toBe(false);
  });

  it('missing candidate → one failure, nothing else checked', () => {
    const r = one(metricThreshold({ threshold: 0.5, minAbsoluteChange: 0.1, greaterIsBetter: true }), undefined, 0.7);
    expect(r.missingCandidate).toBe(true);
    expect(r.failures).toEqual(['Metric validation failed: metric m was missing from the evaluation result of the candidate model.']);
  });

  it('min_absolute_change compares in exact decimals: base 0.1 + 0.2 accepts cand 0.3 (floats would not)', () => {
    expect(0.1 + 0.2 > 0.3).toBe(true);
    const t = metricThreshold({ minAbsoluteChange: 0.2, greaterIsBetter: true });
    expect(one(t, 0.3, 0.1).passed).toBe(true);
    const r = one(t, 0.29999, 0.1);
    expect(r.absoluteChangeFailed).toBe(true);
    expect(r.failures[0]).toBe(
      'Metric m minimum absolute change check failed: candidate model m = 0.29999, baseline model m = 0.1, m minimum absolute change threshold = 0.2.',
    );
    // Lower is better subtracts: base 1.3 − 0.2 = 1.1 exactly.
    const lower = metricThreshold({ minAbsoluteChange: 0.2, greaterIsBetter: false });
    expect(one(lower, 1.1, 1.3).passed).toBe(true);
    expect(one(lower, 1.1000001, 1.3).passed).toBe(false);
    // Exponent notation survives.
    expect(one(metricThreshold({ minAbsoluteChange: 1e-7, greaterIsBetter: true }), 3e-7, 2e-7).passed).toBe(true);
    expect(one(metricThreshold({ minAbsoluteChange: 1e-7, greaterIsBetter: true }), 2.9e-7, 2e-7).passed).toBe(false);
  });

  it('collects failures across metrics, one line per failing metric; assertValid raises BAD_REQUEST with all of them', () => {
    const thresholds = {
      auc: metricThreshold({ threshold: 0.7, minAbsoluteChange: 0.1, greaterIsBetter: true }),
      log_loss: metricThreshold({ threshold: 0.5, greaterIsBetter: false }),
      f1: metricThreshold({ threshold: 0.5, greaterIsBetter: true }),
    };
    const result = validateMetrics({ auc: 0.65, log_loss: 0.6, f1: 0.6 }, undefined, thresholds);
    expect(result.passed).toBe(false);
    expect(result.metrics.map((m) => m.passed)).toEqual([false, false, true]);
    expect(result.metrics[0]!.failures).toHaveLength(2);
    expect(result.message.split('\n')).toEqual([result.metrics[0]!.message, result.metrics[1]!.message]);
    expect(() => assertValid(result)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: result.message }));
    expect(() => assertValid(validateMetrics({ auc: 0.75, log_loss: 0.4, f1: 0.6 }, { auc: 0.6 }, thresholds))).not.toThrow();
  });

  it('property: on decimals of up to 6 places, base + min_abs passes exactly and one unit less fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 6 }), (a, b, k) => {
        const scale = 10 ** k;
        const base = a / scale;
        const minAbs = b / scale;
        const t = metricThreshold({ minAbsoluteChange: minAbs, greaterIsBetter: true });
        expect(one(t, (a + b) / scale, base).passed).toBe(true);
        expect(one(t, (a + b - 1) / scale, base).passed).toBe(false);
        const lower = metricThreshold({ minAbsoluteChange: minAbs, greaterIsBetter: false });
        expect(one(lower, (a - b) / scale, base).passed).toBe(true);
        expect(one(lower, (a - b + 1) / scale, base).passed).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
