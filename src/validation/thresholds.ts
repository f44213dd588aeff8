import { z } from 'zod';
import { HangarError } from '../core/errors.js';

/**
 * MetricThreshold and the pass/fail rule of MLflow's model validation (semantics.md §c), with one
 * deliberate difference: a relative change is measured against |baseline|, so that "better" means
 * better for negative baselines too. `mlflowCompat: true` divides by the signed baseline, as
 * MLflow 2.12 does, for teams that must reproduce MLflow's verdicts exactly.
 */

/** Bounds a candidate's metric must meet. Build one with `metricThreshold()` so it is checked. */
export interface MetricThreshold {
  /** The candidate's value must be ≥ this (greater is better) or ≤ it (lower is better). Bounds are inclusive. */
  readonly threshold?: number;
  /** The candidate must beat the baseline by at least this much (> 0), compared in exact decimal arithmetic. */
  readonly minAbsoluteChange?: number;
  /** The candidate must beat the baseline by at least this fraction of it, in [0, 1]. */
  readonly minRelativeChange?: number;
  /** Direction of the metric: true for AUC or accuracy, false for RMSE or log loss. */
  readonly greaterIsBetter: boolean;
}

/** What `metricThreshold()` accepts: MLflow's fields in camelCase. */
export interface MetricThresholdOptions {
  /** See `MetricThreshold.threshold`. */
  threshold?: number | undefined;
  /** See `MetricThreshold.minAbsoluteChange`. */
  minAbsoluteChange?: number | undefined;
  /** See `MetricThreshold.minRelativeChange`. */
  minRelativeChange?: number | undefined;
  /** Required (unless the deprecated `higherIsBetter` is given instead). */
  greaterIsBetter?: boolean | undefined;
  /** Deprecated alias of `greaterIsBetter`; giving both is an error. */
  higherIsBetter?: boolean | undefined;
}

const bad = (message: string, field: string): HangarError => new HangarError('INVALID_PARAMETER_VALUE', message, { field });

/**
 * Check and build a threshold. `field` prefixes the names in error messages (e.g.
 * `validation.thresholds.auc`). Throws INVALID_PARAMETER_VALUE naming the field and the rule.
 */
export function metricThreshold(opts: MetricThresholdOptions, field = 'threshold'): MetricThreshold {
  const { threshold, minAbsoluteChange, minRelativeChange, greaterIsBetter, higherIsBetter } = opts;
  if (threshold !== undefined && (typeof threshold !== 'number' || Number.isNaN(threshold))) {
    throw bad(`${field}.threshold must be a number.`, `${field}.threshold`);
  }
  if (minAbsoluteChange !== undefined && (typeof minAbsoluteChange !== 'number' || !(minAbsoluteChange > 0))) {
    throw bad(`${field}.min_absolute_change must be a number greater than 0.`, `${field}.min_absolute_change`);
  }
  if (minRelativeChange !== undefined && (typeof minRelativeChange !== 'number' || !(minRelativeChange >= 0 && minRelativeChange <= 1))) {
    throw bad(`${field}.min_relative_change must be a number between 0 and 1.`, `${field}.min_relative_change`);
  }
  if (greaterIsBetter !== undefined && higherIsBetter !== undefined) {
    throw bad(`${field}: give greater_is_better only; higher_is_better is its deprecated alias and both were set.`, `${field}.greater_is_better`);
  }
  const direction = greaterIsBetter ?? higherIsBetter;
  if (typeof direction !== 'boolean') {
    throw bad(`${field}.greater_is_better is required and must be true or false.`, `${field}.greater_is_better`);
  }
  if (threshold === undefined && minAbsoluteChange === undefined && minRelativeChange === undefined) {
    throw bad(`${field}: set at least one of threshold, min_absolute_change, min_relative_change.`, field);
  }
  return Object.freeze({
    ...(threshold === undefined ? {} : { threshold }),
    ...(minAbsoluteChange === undefined ? {} : { minAbsoluteChange }),
    ...(minRelativeChange === undefined ? {} : { minRelativeChange }),
    greaterIsBetter: direction,
  });
}

/**
 * A threshold as written in a project file or a JSON body, with MLflow's snake_case names.
 * Only the shapes are checked here; `metricThreshold()` applies the rules (so that the CLI and
 * the SDK give the same messages).
 */
export const MetricThresholdSchema = z
  .object({
    threshold: z.number().optional(),
    min_absolute_change: z.number().optional(),
    min_relative_change: z.number().optional(),
    greater_is_better: z.boolean().optional(),
    higher_is_better: z.boolean().optional(),
  })
  .strict();

export type MetricThresholdInput = z.infer<typeof MetricThresholdSchema>;

/** Snake_case (project file, MLflow) → a checked `MetricThreshold`. */
export function thresholdFromInput(input: MetricThresholdInput, field: string): MetricThreshold {
  return metricThreshold(
    {
      threshold: input.threshold,
      minAbsoluteChange: input.min_absolute_change,
      minRelativeChange: input.min_relative_change,
      greaterIsBetter: input.greater_is_better,
      higherIsBetter: input.higher_is_better,
    },
    field,
  );
}

/** A checked threshold back to MLflow's snake_case, e.g. for `validation_thresholds.txt`. */
export function thresholdToInput(t: MetricThreshold): MetricThresholdInput {
  return {
    ...(t.threshold === undefined ? {} : { threshold: t.threshold }),
    ...(t.minAbsoluteChange === undefined ? {} : { min_absolute_change: t.minAbsoluteChange }),
    ...(t.minRelativeChange === undefined ? {} : { min_relative_change: t.minRelativeChange }),
    greater_is_better: t.greaterIsBetter,
  };
}

/** The verdict on one metric. */
export interface MetricValidationResult {
  /** Metric name. */
  metric: string;
  /** The candidate's value, when it had one. */
  candidate?: number;
  /** The baseline's value, when it had one. */
  baseline?: number;
  /** The threshold applied. */
  threshold: MetricThreshold;
  /** The candidate did not report the metric. */
  missingCandidate: boolean;
  /** A comparison bound is set and the baseline did not report the metric. */
  missingBaseline: boolean;
  /** The candidate missed `threshold`. */
  thresholdFailed: boolean;
  /** The candidate missed `min_absolute_change`. */
  absoluteChangeFailed: boolean;
  /** The candidate missed `min_relative_change`. */
  relativeChangeFailed: boolean;
  /** The relative change computed, when the baseline was non-zero. */
  relativeChange?: number;
  /** None of the checks failed. */
  passed: boolean;
  /** One sentence per failed check (empty when passed), in MLflow's wording. */
  failures: string[];
  /** The failures joined by a space, as MLflow reports one metric; empty when passed. */
  message: string;
}

/** The verdict on all metrics. */
export interface ValidationResult {
  /** Every metric passed. */
  passed: boolean;
  /** Per metric, in the thresholds' order. */
  metrics: MetricValidationResult[];
  /** The failing metrics' messages joined by newline, as MLflow raises them; empty when passed. */
  message: string;
}

export interface ValidateOptions {
  /**
   * Reproduce MLflow 2.12's relative change on negative baselines, `(cand − base) / base`, under
   * which a better candidate fails and a worse one passes. Default false: divide by |base|.
   */
  mlflowCompat?: boolean;
}

/**
 * Apply `thresholds` to the candidate's metrics, comparing with the baseline's where a change
 * bound is set. Never throws on a failed check; `assertValid()` turns a failure into an error.
 *
 * Differences from MLflow, on purpose: a missing baseline is detected whenever a change bound is
 * *set* (MLflow tests truthiness, so `min_relative_change: 0` with no baseline crashes there);
 * relative change divides by |baseline| unless `mlflowCompat`.
 */
export function validateMetrics(
  candidate: Readonly<Record<string, number>>,
  baseline: Readonly<Record<string, number>> | undefined,
  thresholds: Readonly<Record<string, MetricThreshold>>,
  opts: ValidateOptions = {},
): ValidationResult {
  const results = Object.entries(thresholds).map(([metric, t]) => validateOne(metric, candidate, baseline ?? {}, t, opts));
  const failed = results.filter((r) => !r.passed);
  return { passed: failed.length === 0, metrics: results, message: failed.map((r) => r.message).join('\n') };
}

/** Throws BAD_REQUEST with every failure, newline-joined (MLflow's ModelValidationFailedException). */
export function assertValid(result: ValidationResult): void {
  if (!result.passed) throw new HangarError('BAD_REQUEST', result.message);
}

const has = (m: Readonly<Record<string, number>>, key: string): boolean => Object.prototype.hasOwnProperty.call(m, key) && typeof m[key] === 'number';

function validateOne(
  metric: string,
  candidate: Readonly<Record<string, number>>,
  baseline: Readonly<Record<string, number>>,
  t: MetricThreshold,
  opts: ValidateOptions,
): MetricValidationResult {
  const r: MetricValidationResult = {
    metric,
    threshold: t,
    missingCandidate: false,
    missingBaseline: false,
    thresholdFailed: false,
    absoluteChangeFailed: false,
    relativeChangeFailed: false,
    passed: false,
    failures: [],
    message: '',
  };
  if (has(baseline, metric)) r.baseline = baseline[metric]!;
  if (!has(candidate, metric)) {
    r.missingCandidate = true;
    r.failures.push(`Metric validation failed: metric ${metric} was missing from the evaluation result of the candidate model.`);
    r.message = r.failures[0]!;
    return r;
  }
  const cand = candidate[metric]!;
  r.candidate = cand;
  const gib = t.greaterIsBetter;
  const better = (a: number, b: number): boolean => (gib ? a >= b : a <= b);

  if (t.threshold !== undefined && !better(cand, t.threshold)) {
    r.thresholdFailed = true;
    r.failures.push(`Metric ${metric} value threshold check failed: candidate model ${metric} = ${cand}, ${metric} threshold = ${t.threshold}.`);
  }
  const comparing = t.minAbsoluteChange !== undefined || t.minRelativeChange !== undefined;
  if (comparing && r.baseline === undefined) {
    r.missingBaseline = true;
    r.failures.push(`Model comparison failed: metric ${metric} was missing from the evaluation result of the baseline model.`);
  } else if (comparing) {
    const base = r.baseline!;
    if (t.minAbsoluteChange !== undefined) {
      // Exact decimal sums, as MLflow's Decimal(str(x)): 0.1 + 0.2 must equal 0.3 here.
      const bound = gib ? decimalAdd(base, t.minAbsoluteChange) : decimalAdd(base, -t.minAbsoluteChange);
      if (!decimalBetterOrEqual(cand, bound, gib)) {
        r.absoluteChangeFailed = true;
        r.failures.push(
          `Metric ${metric} minimum absolute change check failed: candidate model ${metric} = ${cand}, baseline model ${metric} = ${base}, ` +
            `${metric} minimum absolute change threshold = ${t.minAbsoluteChange}.`,
        );
      }
    }
    if (t.minRelativeChange !== undefined) {
      let failed: boolean;
      if (base === 0) {
        // A relative change from zero is undefined; require the candidate to be strictly better.
        failed = !better(cand, gib ? 1e-10 : -1e-10);
      } else {
        const denominator = opts.mlflowCompat ? base : Math.abs(base);
        const rel = gib ? (cand - base) / denominator : (base - cand) / denominator;
        r.relativeChange = rel;
        failed = rel < t.minRelativeChange;
      }
      if (failed) {
        r.relativeChangeFailed = true;
        r.failures.push(
          `Metric ${metric} minimum relative change check failed: candidate model ${metric} = ${cand}, baseline model ${metric} = ${base}, ` +
            `${metric} minimum relative change threshold = ${t.minRelativeChange}.`,
        );
      }
    }
  }
  r.passed = r.failures.length === 0;
  r.message = r.failures.join(' ');
  return r;
}

// --- exact decimal arithmetic on the shortest decimal form of doubles ---------------------------

/** A decimal value `digits × 10^exp`, or a non-finite double kept as is. */
interface Dec {
  finite: boolean;
  digits: bigint;
  exp: number;
  value: number;
}

function toDec(x: number): Dec {
  if (!Number.isFinite(x)) return { finite: false, digits: 0n, exp: 0, value: x };
  // String(x) is the shortest text that round-trips, as Python's str(float) — what MLflow's Decimal sees.
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x))!;
  const frac = m[3] ?? '';
  const digits = BigInt(`${m[1]}${m[2]}${frac}`);
  return { finite: true, digits, exp: Number(m[4] ?? 0) - frac.length, value: x };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const exp = Math.min(a.exp, b.exp);
  return [a.digits * 10n ** BigInt(a.exp - exp), b.digits * 10n ** BigInt(b.exp - exp), exp];
}

function decimalAdd(x: number, y: number): Dec {
  const a = toDec(x);
  const b = toDec(y);
  if (!a.finite || !b.finite) return toDec(x + y);
  const [da, db, exp] = align(a, b);
  return { finite: true, digits: da + db, exp, value: x + y };
}

function decimalBetterOrEqual(cand: number, bound: Dec, gib: boolean): boolean {
  const c = toDec(cand);
  if (!c.finite || !bound.finite) return gib ? cand >= bound.value : cand <= bound.value;
  const [dc, db] = align(c, bound);
  return gib ? dc >= db : dc <= db;
}
