import type { HangarClient } from '../client/index.js';
import { invalidParam } from '../core/errors.js';
import type { Problem } from '../data/index.js';
import { loadTrainingData, registerRunModel, trainRun, type DataOptions, type TrainResult, type TrainRunOptions } from './train.js';
import { mulberry32 } from '../core/random.js';

/**
 * Hyperparameter search for `hangar train --search grid|random`: every trial is a child run
 * (tag `mlflow.parentRunId`) of one parent run, the data is loaded once for all of them, and
 * the best trial, by the problem's ranking metric on the holdout (or the training data when
 * there is none), is recorded on the parent.
 */

export type SearchMode = 'grid' | 'random';

/**
 * `--param KEY=VALUE` arguments → fixed params and a search space: a value with commas
 * (`lr=0.05,0.1`) is a list of candidates, allowed only when searching.
 * INVALID_PARAMETER_VALUE for a malformed argument, a repeated key, or a list without a search.
 */
export function parseParamArgs(args: readonly string[], searching: boolean): { fixed: Record<string, string>; space: SearchSpace } {
  const fixed: Record<string, string> = {};
  const space: SearchSpace = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw invalidParam(`--param takes KEY=VALUE, got '${arg}'`, 'param');
    const key = arg.slice(0, eq).trim();
    const value = arg.slice(eq + 1).trim();
    if (key in fixed || key in space) throw invalidParam(`--param ${key} is given twice`, key);
    if (value.includes(',')) {
      if (!searching) throw invalidParam(`--param ${key}=${value} lists several values; add --search grid or --search random to try them`, key);
      space[key] = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
    } else {
      fixed[key] = value;
    }
  }
  return { fixed, space };
}

/** A search space: each parameter's candidate values (as given on the command line). */
export type SearchSpace = Record<string, string[]>;

/** The metric that ranks trials of a problem, and whether greater is better. */
export function rankingMetric(problem: Problem): { name: string; greaterIsBetter: boolean } {
  if (problem === 'binary') return { name: 'auc', greaterIsBetter: true };
  if (problem === 'multiclass') return { name: 'log_loss', greaterIsBetter: false };
  return { name: 'rmse', greaterIsBetter: false };
}

/** Every combination, first parameter slowest (the order the parameters were given in). */
export function gridTrials(space: SearchSpace): Array<Record<string, string>> {
  let out: Array<Record<string, string>> = [{}];
  for (const [key, values] of Object.entries(space)) {
    if (values.length === 0) throw invalidParam(`Parameter '${key}' has no values to search`, key);
    out = out.flatMap((partial) => values.map((v) => ({ ...partial, [key]: v })));
  }
  return out;
}


/**
 * `trials` distinct combinations drawn uniformly from the grid with a seeded generator (all of
 * it, shuffled, when the grid is no larger than `trials`).
 */
export function randomTrials(space: SearchSpace, trials: number, seed: number): Array<Record<string, string>> {
  const keys = Object.keys(space);
  const sizes = keys.map((k) => space[k]!.length);
  if (sizes.some((s) => s === 0)) throw invalidParam('Every searched parameter needs at least one value', 'param');
  const total = sizes.reduce((a, b) => a * b, 1);
  const rand = mulberry32(seed);
  const pick = Math.min(trials, total);
  const chosen = new Set<number>();
  // Rejection sampling of grid indices; dense grids are shuffled instead.
  if (pick * 2 > total) {
    const all = Array.from({ length: total }, (_, i) => i);
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    all.slice(0, pick).forEach((i) => chosen.add(i));
  } else {
    while (chosen.size < pick) chosen.add(Math.floor(rand() * total));
  }
  return [...chosen].map((index) => {
    const trial: Record<string, string> = {};
    let rest = index;
    for (let k = keys.length - 1; k >= 0; k--) {
      trial[keys[k]!] = space[keys[k]!]![rest % sizes[k]!]!;
      rest = Math.floor(rest / sizes[k]!);
    }
    return Object.fromEntries(keys.map((k) => [k, trial[k]!]));
  });
}

export interface SearchOptions extends DataOptions, Omit<TrainRunOptions, 'params' | 'register'> {
  client: HangarClient;
  mode: SearchMode;
  /** Parameters searched over (two or more values each, or one). */
  space: SearchSpace;
  /** Parameters fixed for every trial. */
  fixed?: Record<string, unknown>;
  /** Random search: how many trials (default 10). Grid search: at most this many, else all. */
  trials?: number;
  /** Random search seed (default 0). */
  seed?: number;
  /** Register the best trial's model under this name. */
  register?: string;
}

export interface SearchResult {
  parentRunId: string;
  experimentId: string;
  trials: Array<{ params: Record<string, string>; result: TrainResult }>;
  best: { params: Record<string, string>; result: TrainResult };
  /** The metric trials were ranked by, and on which data. */
  metric: { name: string; greaterIsBetter: boolean; on: 'holdout' | 'training' };
  registered?: { name: string; version: string };
}

/** Run the search and record the best trial on the parent run (metrics, `best_run_id` tag, `best_params`). */
export async function search(options: SearchOptions): Promise<SearchResult> {
  const { client } = options;
  const progress = options.onProgress ?? (() => undefined);
  const combos = options.mode === 'grid' ? gridTrials(options.space).slice(0, options.trials ?? Infinity) : randomTrials(options.space, options.trials ?? 10, options.seed ?? 0);
  if (combos.length === 0) throw invalidParam('The search has no trials', 'trials');
  progress({ kind: 'phase', message: `loading ${options.data}` });
  const data = await loadTrainingData(options);
  const experimentId = (await client.getOrCreateExperiment(options.experiment ?? 'Default')).experiment.experimentId;
  const learner = options.learner ?? 'gbdt';
  const parent = await client.createRun(experimentId, {
    runName: options.runName ?? `${learner}-${options.mode}-search`,
    tags: { 'mlflow.source.type': 'LOCAL', 'mlflow.source.name': 'hangar train', 'hangar.learner': learner, 'hangar.problem': data.train.problem, 'hangar.target': data.target, 'hangar.search': options.mode, ...options.tags },
  });
  const parentRunId = parent.info.runId;
  try {
    const fixedText = Object.fromEntries(Object.entries(options.fixed ?? {}).map(([k, v]) => [k, String(v)]));
    await client.logBatch(parentRunId, { params: { learner, search: options.mode, trials: String(combos.length), ...(options.mode === 'random' ? { seed: String(options.seed ?? 0) } : {}), ...fixedText } });
    await client.logInputs(parentRunId, data.datasets);
    const ranking = rankingMetric(data.train.problem);
    const trials: SearchResult['trials'] = [];
    for (const [i, params] of combos.entries()) {
      progress({ kind: 'phase', message: `trial ${i + 1}/${combos.length}: ${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ')}` });
      const result = await trainRun(client, experimentId, data, {
        learner,
        params: { ...options.fixed, ...params },
        runName: `${parent.info.runName}-${i + 1}`,
        parentRunId,
        threads: options.threads,
        onProgress: options.onProgress,
        ...(options.layout === undefined ? {} : { layout: options.layout }),
      });
      trials.push({ params, result });
      progress({ kind: 'phase', message: `trial ${i + 1}/${combos.length}: ${ranking.name} ${result.metrics[ranking.name]}` });
    }
    const score = (t: (typeof trials)[number]) => {
      const v = t.result.metrics[ranking.name];
      return v === undefined || Number.isNaN(v) ? -Infinity : ranking.greaterIsBetter ? v : -v;
    };
    // The first of equally good trials wins, so the choice is deterministic.
    const best = trials.reduce((a, b) => (score(b) > score(a) ? b : a));
    const now = Date.now();
    await client.logBatch(parentRunId, {
      metrics: Object.entries(best.result.metrics).map(([key, value]) => ({ key, value, timestamp: now, step: 0 })),
      tags: { best_run_id: best.result.runId, best_params: JSON.stringify(best.params), 'hangar.ranking_metric': ranking.name },
    });
    let registered: SearchResult['registered'];
    if (options.register) {
      registered = await registerRunModel(client, options.register, best.result.runId, best.result.artifactUri, best.result.loggedModelId);
      progress({ kind: 'phase', message: `registered ${options.register} version ${registered.version} (run ${best.result.runId})` });
    }
    await client.endRun(parentRunId, 'FINISHED');
    const out: SearchResult = { parentRunId, experimentId, trials, best, metric: { ...ranking, on: best.result.evaluatedOn } };
    if (registered) out.registered = registered;
    return out;
  } catch (e) {
    await client.endRun(parentRunId, 'FAILED').catch(() => undefined);
    throw e;
  }
}
