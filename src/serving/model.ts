/**
 * A model loaded for serving: the package's flavor, its signature enforced on every request,
 * predictions as JSON records and as the values the inference log keeps, and a fast path for
 * the common case of one row sent to a tree model (no frame is built: the row's values go
 * straight into a preallocated buffer that `scoreRow` reads).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HangarError } from '../core/errors.js';
import { dateParts } from '../data/index.js';
import {
  TABULAR_FLAVOR,
  enforceSignature,
  isColumnSchema,
  loadedModel,
  pickFlavor,
  predictionRecords,
  readInputExample,
  readModelPackage,
  tabularLoaded,
  tabularModelFromJSON,
  type ColumnSpec,
  type InputTable,
  type LoadedFlavor,
  type LoadedModel,
  type Predictions,
  type Problem,
  type TabularModel,
} from '../models/index.js';
import type { ScoringTable } from './protocol.js';

/** What the inference log stores as `prediction`: numbers, or strings for string class labels. */
export type PredictionType = 'DOUBLE' | 'VARCHAR';

/** The outcome of scoring one request. */
export interface ScoreResult {
  /** Number of rows scored. */
  rows: number;
  /** What `/invocations` answers under `predictions`. */
  predictions: unknown[];
  /** Per row, what the log keeps as `prediction`. */
  logged: Array<number | string | null>;
  /** Per row, P(positive class) for binary models; undefined otherwise. */
  proba: ArrayLike<number> | undefined;
  /** The inputs after signature enforcement, by signature column name. */
  inputs: Map<string, ArrayLike<unknown>>;
}

/** A loaded model ready to serve. */
export interface ServingModel {
  /** Registered model name (or the package directory's name for a local package). */
  readonly name: string;
  /** Version served (`'local'` for a package directory). */
  readonly version: string;
  /** The flavor that runs it. */
  readonly flavor: string;
  /** The problem, when known. */
  readonly problem: Problem | undefined;
  /** The signature's named input columns, in order; undefined without a column signature. */
  readonly columns: readonly ColumnSpec[] | undefined;
  /** How the log types `prediction`. */
  readonly predictionType: PredictionType;
  /** Score a request: a value for the fast path, a promise otherwise. INVALID_PARAMETER_VALUE naming the column for bad input. */
  score(table: ScoringTable): ScoreResult | Promise<ScoreResult>;
  /** Release native resources. */
  close(): Promise<void>;
}

const DATE_PART = /^(.+)_(hour|weekday|month|day)$/;
const WARMUP_BUDGET_MS = 5_000;

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/** Epoch ms of a datetime value; zone-less strings are UTC wall-clock time, as training reads them. */
function toMillis(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const s = /[zZ]|[+-]\d\d:?\d\d$/.test(v) || !/\d[T ]\d/.test(v) ? v : `${v.replace(' ', 'T')}Z`;
    return Date.parse(s);
  }
  return NaN;
}

const DAY_MS = 86_400_000;

/**
 * One date part of one timestamp, as the data layer's `dateParts` computes it for training
 * (UTC; weekday 0 = Sunday; month 1–12), without its per-call typed arrays.
 */
function datePart(ms: number, part: 'hour' | 'weekday' | 'month' | 'day'): number {
  const days = Math.floor(ms / DAY_MS);
  switch (part) {
    case 'hour':
      return Math.floor((ms - days * DAY_MS) / 3_600_000);
    case 'weekday':
      return (((days + 4) % 7) + 7) % 7;
    default:
      return dateParts(Float64Array.of(ms))[part][0]!;
  }
}

function numeric(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (v instanceof Date) return v.getTime();
  return NaN;
}

/** How one model feature is read from a one-row input. */
type FeaturePlan =
  | { kind: 'numeric'; column: string }
  | { kind: 'categorical'; column: string; index: Map<string, number> }
  | { kind: 'date'; column: string; part: 'hour' | 'weekday' | 'month' | 'day' }
  | { kind: 'absent'; categorical: boolean };

/** A tree model's one-row scorer (models with `scoreRow`), or undefined. */
interface RowScorer {
  scoreRow(values: ArrayLike<number>, out?: Float64Array): number;
}

function rowScorerOf(model: TabularModel): RowScorer | undefined {
  const m = model as unknown as Partial<RowScorer>;
  return typeof m.scoreRow === 'function' ? (model as unknown as RowScorer) : undefined;
}

function planFeatures(model: TabularModel, available: ReadonlySet<string>): FeaturePlan[] {
  return model.schema.map((f): FeaturePlan => {
    if (available.has(f.name)) {
      return f.kind === 'numeric' ? { kind: 'numeric', column: f.name } : { kind: 'categorical', column: f.name, index: new Map(f.categories.map((c, i) => [c, i])) };
    }
    const m = DATE_PART.exec(f.name);
    if (m !== null && available.has(m[1]!) && f.kind === 'numeric') return { kind: 'date', column: m[1]!, part: m[2] as 'hour' };
    return { kind: 'absent', categorical: f.kind === 'categorical' };
  });
}

/** What a prediction becomes in the log: class labels that all read as numbers are DOUBLE. */
function predictionTypeOf(problem: Problem | undefined, classLabels: string[] | undefined): PredictionType {
  if (problem === 'regression' || problem === undefined) return 'DOUBLE';
  if (classLabels === undefined) return 'VARCHAR';
  return classLabels.every((c) => c.trim() !== '' && !Number.isNaN(Number(c))) ? 'DOUBLE' : 'VARCHAR';
}

function loggedPredictions(p: Predictions, type: PredictionType): Array<number | string | null> {
  const out = new Array<number | string | null>(p.rows);
  for (let i = 0; i < p.rows; i++) {
    if (p.labels !== undefined) out[i] = type === 'DOUBLE' ? Number(p.labels[i]) : p.labels[i]!;
    else out[i] = p.values?.[i] ?? null;
  }
  return out;
}

/** Options for `loadServingModel`. */
export interface LoadServingOptions {
  /** Registered model name to report and log under. */
  name: string;
  /** Version to report and log. */
  version: string;
  /**
   * Score this many warm-up requests before returning, so the first real ones are not slow.
   * Default 20,000 (at most 5 s): V8 compiles a tree model's scoring function with its
   * optimising tier only after thousands of calls (measured: ~90 µs a row after 200 calls,
   * ~6 µs after 20,000, for 100 trees of 31 leaves).
   */
  warmup?: number;
}

/**
 * Load a model package directory for serving. INVALID_PARAMETER_VALUE naming the flavors Hangar
 * runs when the package has none of them.
 */
export async function loadServingModel(dir: string, options: LoadServingOptions): Promise<ServingModel> {
  const pkg = await readModelPackage(dir);
  const flavor = pickFlavor(pkg.mlmodel);
  const conf = pkg.mlmodel.flavors[flavor.name]!;
  let tabular: TabularModel | undefined;
  let loaded: LoadedFlavor;
  if (flavor.name === TABULAR_FLAVOR) {
    const file = typeof conf.model === 'string' ? conf.model : 'model.json';
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(await readFile(join(dir, file), 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `The ${TABULAR_FLAVOR} model file '${file}' is missing or not JSON.`, { field: 'flavors', cause: e });
    }
    tabular = tabularModelFromJSON(json);
    loaded = tabularLoaded(tabular);
  } else {
    loaded = await flavor.load(pkg, conf, {});
  }
  const general: LoadedModel = loadedModel(pkg, loaded);
  const sig = pkg.mlmodel.signature?.inputs;
  const columns = sig !== undefined && isColumnSchema(sig) ? sig.filter((c) => c.name !== undefined) : undefined;
  const predictionType = predictionTypeOf(loaded.problem, loaded.classLabels);
  const classLabels = loaded.classLabels;

  const names = columns?.map((c) => c.name!);
  /** Positional columns take the signature's names; named ones are kept as sent. */
  const toInput = (table: ScoringTable): InputTable => {
    if (!table.positional || names === undefined) return { rows: table.rows, columns: table.columns };
    if (table.columns.size !== names.length) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `Rows sent as lists must have one value per signature column (${names.length}: ${names.join(', ')}); got ${table.columns.size}.`, {
        field: 'inputs',
      });
    }
    const renamed = new Map<string, ArrayLike<unknown>>();
    let j = 0;
    for (const values of table.columns.values()) renamed.set(names[j++]!, values);
    return { rows: table.rows, columns: renamed };
  };
  const enforce = (table: ScoringTable): InputTable => {
    const input = toInput(table);
    return columns === undefined ? input : enforceSignature(input, columns);
  };

  // --- the fast path: one row, a tree model ------------------------------------------------
  const rowScorer = tabular === undefined ? undefined : rowScorerOf(tabular);
  const plan = tabular === undefined || rowScorer === undefined ? undefined : planFeatures(tabular, new Set(names ?? tabular.schema.map((f) => f.name)));
  const rowValues = new Float64Array(plan?.length ?? 0);
  const k = tabular === undefined ? 0 : tabular.problem === 'multiclass' ? (classLabels?.length ?? 0) : 1;
  const rowOut = new Float64Array(Math.max(1, k));
  const fastRow = (input: InputTable): ScoreResult => {
    const p = plan!;
    for (let f = 0; f < p.length; f++) {
      const step = p[f]!;
      switch (step.kind) {
        case 'numeric':
          rowValues[f] = numeric(input.columns.get(step.column)?.[0]);
          break;
        case 'categorical': {
          const v = input.columns.get(step.column)?.[0];
          rowValues[f] = isMissing(v) ? -1 : (step.index.get(typeof v === 'string' ? v : String(v)) ?? -1);
          break;
        }
        case 'date': {
          const v = input.columns.get(step.column)?.[0];
          const ms = isMissing(v) ? NaN : toMillis(v);
          rowValues[f] = Number.isNaN(ms) ? NaN : datePart(ms, step.part);
          break;
        }
        case 'absent':
          rowValues[f] = step.categorical ? -1 : NaN;
          break;
      }
    }
    const score = rowScorer!.scoreRow(rowValues, rowOut);
    const problem = tabular!.problem;
    if (problem === 'regression') return { rows: 1, predictions: [score], logged: [score], proba: undefined, inputs: input.columns };
    const labels = classLabels!;
    let best = 0;
    const probabilities: Record<string, number> = {};
    if (problem === 'binary') {
      probabilities[labels[0]!] = 1 - score;
      probabilities[labels[1]!] = score;
      best = score > 1 - score ? 1 : 0;
    } else {
      for (let j = 0; j < labels.length; j++) {
        probabilities[labels[j]!] = rowOut[j]!;
        if (rowOut[j]! > rowOut[best]!) best = j;
      }
    }
    const label = labels[best]!;
    return {
      rows: 1,
      predictions: [{ label, probabilities }],
      logged: [predictionType === 'DOUBLE' ? Number(label) : label],
      proba: problem === 'binary' ? [score] : undefined,
      inputs: input.columns,
    };
  };

  const slow = async (input: InputTable): Promise<ScoreResult> => {
    let p: Predictions;
    try {
      p = await loaded.predict(input);
    } catch (e) {
      if (e instanceof HangarError) throw e;
      // MLflow answers a failure inside predict with 400 BAD_REQUEST.
      throw new HangarError('BAD_REQUEST', `The model failed to score the input: ${(e as Error).message}`, { cause: e });
    }
    const proba = p.problem === 'binary' && p.probabilities !== undefined ? p.values : undefined;
    return { rows: p.rows, predictions: predictionRecords(p), logged: loggedPredictions(p, predictionType), proba, inputs: input.columns };
  };

  const model: ServingModel = {
    name: options.name,
    version: options.version,
    flavor: loaded.flavor,
    problem: loaded.problem,
    columns,
    predictionType,
    score(table) {
      const input = enforce(table);
      if (plan !== undefined && input.rows === 1) return fastRow(input);
      return slow(input);
    },
    close: () => general.close(),
  };
  await warmUp(model, await readInputExample(pkg).catch(() => undefined), options.warmup ?? 20_000);
  return model;
}

/** A value of each signature type, for warming up a model without an input example. */
function sampleValue(c: ColumnSpec): unknown {
  switch (c.type) {
    case 'string':
      return 'a';
    case 'boolean':
      return false;
    case 'datetime':
      return '2001-01-01T00:00:00Z';
    default:
      return 0;
  }
}

/**
 * Score a few requests before the model takes traffic, so V8 has optimised the scoring code
 * and ONNX sessions have their buffers when the swap happens. Failures are ignored: warm-up is
 * best effort, and a model that cannot score its own example will answer that to callers.
 */
async function warmUp(model: ServingModel, example: Array<Record<string, unknown>> | undefined, times: number): Promise<void> {
  const row: Record<string, unknown> = example?.[0] ?? Object.fromEntries((model.columns ?? []).map((c) => [c.name!, sampleValue(c)]));
  const columns = new Map<string, unknown[]>(Object.entries(row).map(([k, v]) => [k, [v]]));
  const table: ScoringTable = { rows: 1, columns, positional: false };
  // Bounded in time too: a slow model (or a busy machine) must not hold a swap for long.
  const deadline = performance.now() + WARMUP_BUDGET_MS;
  for (let i = 0; i < times && performance.now() < deadline; i++) {
    try {
      const r = model.score(table);
      if (r instanceof Promise) await r;
    } catch {
      return;
    }
  }
}
