import { HangarError } from '../../../core/errors.js';

/**
 * Hyperparameters of the histogram gradient-boosted trees learner. Names and defaults follow
 * scikit-learn's HistGradientBoosting estimators, so settings carry over between the two.
 */
export interface GbdtParams {
  /** Shrinkage applied to every leaf value. Default 0.1; must be in (0, 1]. */
  learning_rate: number;
  /** Boosting iterations (trees per class for multiclass). Default 100; integer ≥ 1. */
  max_iter: number;
  /** Leaves per tree at most (leaf-wise, best-first growth). Default 31; integer in [2, 4096], or null to be bounded by `max_depth` (≤ 12) alone. */
  max_leaf_nodes: number | null;
  /** Depth limit in edges from the root. Default null (no limit); integer ≥ 1. */
  max_depth: number | null;
  /** Fewest training rows in a leaf. Default 20; integer ≥ 1. */
  min_samples_leaf: number;
  /** L2 penalty on leaf values (added to the hessian sum). Default 0; ≥ 0. */
  l2_regularization: number;
  /** Smallest gain a split must bring to be made. Default 0; ≥ 0. */
  min_gain_to_split: number;
  /** Value bins per numeric feature, and kept categories per categorical feature, besides the missing bin. Default 255; integer in [2, 255]. */
  max_bins: number;
  /** Rows sampled to compute the quantile bin edges. Default 200000; integer ≥ 1000. */
  binning_sample: number;
  /** Early stopping on validation loss: true, false, or 'auto' (on when there are more than 10000 training rows). Default 'auto'. */
  early_stopping: boolean | 'auto';
  /** Iterations without an improvement larger than `tol` after which training stops. Default 10; integer ≥ 1. */
  n_iter_no_change: number;
  /** Share of the training rows held out for early stopping when no validation set is given. Default 0.1; in (0, 1). */
  validation_fraction: number;
  /** Smallest decrease of the validation loss that counts as an improvement. Default 1e-7; ≥ 0. */
  tol: number;
  /** Seed for the binning sample and the early-stopping split; same data and seed give the same model. Default 0; integer. */
  random_state: number;
}

export const GBDT_DEFAULTS: Readonly<GbdtParams> = Object.freeze({
  learning_rate: 0.1,
  max_iter: 100,
  max_leaf_nodes: 31,
  max_depth: null,
  min_samples_leaf: 20,
  l2_regularization: 0,
  min_gain_to_split: 0,
  max_bins: 255,
  binning_sample: 200_000,
  early_stopping: 'auto',
  n_iter_no_change: 10,
  validation_fraction: 0.1,
  tol: 1e-7,
  random_state: 0,
});

/**
 * Leaf caps, so the histogram pool (one histogram per open leaf, about 37 KB for six features of
 * 255 bins) stays bounded: 4096 leaves, or depth 12 when `max_leaf_nodes` is null.
 */
const MAX_LEAVES = 4096;
const MAX_DEPTH_WITHOUT_LEAF_CAP = 12;

type Rule = (v: unknown) => string | null;

const num =
  (lo: number, hi: number, opts: { int?: boolean; loOpen?: boolean; nullable?: boolean } = {}): Rule =>
  (v) => {
    if (v === null && opts.nullable) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a finite number' + (opts.nullable ? ' or null' : '');
    if (opts.int && !Number.isInteger(v)) return 'must be an integer';
    if (opts.loOpen ? v <= lo : v < lo) return `must be ${opts.loOpen ? '>' : '≥'} ${lo}`;
    if (v > hi) return `must be ≤ ${hi}`;
    return null;
  };

const RULES: Record<keyof GbdtParams, Rule> = {
  learning_rate: num(0, 1, { loOpen: true }),
  max_iter: num(1, 100_000, { int: true }),
  max_leaf_nodes: num(2, MAX_LEAVES, { int: true, nullable: true }),
  max_depth: num(1, 64, { int: true, nullable: true }),
  min_samples_leaf: num(1, Number.MAX_SAFE_INTEGER, { int: true }),
  l2_regularization: num(0, Number.MAX_VALUE),
  min_gain_to_split: num(0, Number.MAX_VALUE),
  max_bins: num(2, 255, { int: true }),
  binning_sample: num(1000, Number.MAX_SAFE_INTEGER, { int: true }),
  early_stopping: (v) => (v === true || v === false || v === 'auto' ? null : "must be true, false or 'auto'"),
  n_iter_no_change: num(1, 100_000, { int: true }),
  validation_fraction: (v) => {
    const r = num(0, 1, { loOpen: true })(v);
    return r ?? (v === 1 ? 'must be < 1' : null);
  },
  tol: num(0, Number.MAX_VALUE),
  random_state: num(-(2 ** 31), 2 ** 32, { int: true }),
};

/**
 * Merges `params` over the defaults and checks every value. Strings that hold numbers or
 * booleans are accepted (they arrive that way from `--param KEY=VALUE`).
 *
 * @throws HangarError INVALID_PARAMETER_VALUE naming the parameter, for an unknown key or a value out of range.
 */
export function resolveGbdtParams(params: Partial<GbdtParams> | Record<string, unknown> | undefined): GbdtParams {
  const out: Record<string, unknown> = { ...GBDT_DEFAULTS };
  for (const [key, raw] of Object.entries(params ?? {})) {
    if (!Object.hasOwn(RULES, key)) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `Unknown gbdt parameter '${key}'; known: ${Object.keys(RULES).join(', ')}`, { field: key });
    }
    if (raw === undefined) continue;
    const value = coerce(raw);
    const problem = RULES[key as keyof GbdtParams](value);
    if (problem !== null) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `gbdt parameter '${key}' ${problem} (got ${JSON.stringify(raw)})`, { field: key });
    }
    out[key] = value;
  }
  const p = out as unknown as GbdtParams;
  if (p.max_leaf_nodes === null && (p.max_depth === null || p.max_depth > MAX_DEPTH_WITHOUT_LEAF_CAP)) {
    throw new HangarError(
      'INVALID_PARAMETER_VALUE',
      `gbdt parameter 'max_leaf_nodes' may be null only with max_depth ≤ ${MAX_DEPTH_WITHOUT_LEAF_CAP}`,
      { field: 'max_leaf_nodes' },
    );
  }
  return p;
}

function coerce(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const s = raw.trim();
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null' || s === 'none' || s === 'None') return null;
  if (s !== '' && Number.isFinite(Number(s))) return Number(s);
  return raw;
}

/** Leaves a tree may have under these params. */
export function leafCap(p: GbdtParams): number {
  const byDepth = p.max_depth === null ? Infinity : 2 ** Math.min(p.max_depth, 30);
  return Math.min(p.max_leaf_nodes ?? Infinity, byDepth);
}
