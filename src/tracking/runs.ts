import { invalidParam } from '../core/errors.js';
import { newRunName } from '../core/ids.js';
import type { Metric, Tag } from '../store/types.js';
import { LOG_MODEL_HISTORY_TAG, RUN_NAME_TAG } from './limits.js';

/**
 * The name a new run gets: the `run_name` field, else its `mlflow.runName` tag, else a generated
 * adjective-animal-number name. Giving both with different values is an error, as in MLflow
 * (the client sends both, equal, from `start_run(run_name=…)`).
 */
export function resolveRunName(runName: string | undefined, tags: readonly Tag[]): string {
  const fromTag = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
  if (runName && fromTag && runName !== fromTag) {
    throw invalidParam(
      "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values " +
        `(run_name='${runName}', mlflow.runName='${fromTag}').`,
      'run_name',
    );
  }
  return runName || fromTag || newRunName();
}

const MODEL_JSON_REQUIRED = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'] as const;

/**
 * Parse `runs/log-model`'s `model_json` (the MLmodel file as JSON) and check the fields MLflow
 * requires. Returns the parsed object, which is what goes into the history tag.
 */
export function parseModelJson(modelJson: string): Record<string, unknown> {
  let model: unknown;
  try {
    model = JSON.parse(modelJson);
  } catch {
    throw invalidParam(`Malformed model info. \n ${modelJson} \n is not a valid JSON.`, 'model_json');
  }
  if (model === null || typeof model !== 'object' || Array.isArray(model)) {
    throw invalidParam(`Malformed model info. \n ${modelJson} \n is not a JSON object.`, 'model_json');
  }
  const missing = MODEL_JSON_REQUIRED.filter((k) => !(k in model));
  if (missing.length > 0) {
    throw invalidParam(
      `Model json is missing mandatory fields: {${missing.map((k) => `'${k}'`).join(', ')}}`,
      'model_json',
    );
  }
  return model as Record<string, unknown>;
}

/**
 * The new value of the `mlflow.log-model.history` tag after appending `model`. A previous value
 * that is not a JSON array (someone set the tag by hand) is replaced rather than failing the
 * client's `log_model`, which has already uploaded its files by now.
 */
export function appendLogModelHistory(tags: readonly Tag[], model: Record<string, unknown>): Tag {
  const previous = tags.find((t) => t.key === LOG_MODEL_HISTORY_TAG)?.value;
  let history: unknown[] = [];
  if (previous !== undefined) {
    try {
      const parsed: unknown = JSON.parse(previous);
      if (Array.isArray(parsed)) history = parsed;
    } catch {
      // Not JSON: start a fresh history (see above).
    }
  }
  history.push(model);
  return { key: LOG_MODEL_HISTORY_TAG, value: JSON.stringify(history) };
}

/**
 * Which steps `metrics/get-history-bulk-interval` returns: all steps in range when there are at
 * most `maxResults`, otherwise `maxResults` evenly spaced ones plus the last step in range, so
 * a chart keeps both ends of the curve. `steps` must be sorted ascending without duplicates.
 */
export function sampleSteps(steps: readonly number[], maxResults: number, startStep?: number, endStep?: number): Set<number> {
  let lo = 0;
  let hi = steps.length;
  if (startStep !== undefined) while (lo < hi && steps[lo]! < startStep) lo++;
  if (endStep !== undefined) while (hi > lo && steps[hi - 1]! > endStep) hi--;
  const n = hi - lo;
  if (n <= maxResults) return new Set(steps.slice(lo, hi));
  const out = new Set<number>();
  const interval = n / maxResults;
  for (let i = 0; i < maxResults; i++) out.add(steps[lo + Math.floor(i * interval)]!);
  out.add(steps[hi - 1]!);
  return out;
}

/**
 * Sample one metric's history for several runs, the way MLflow's UI charts want it: the steps
 * of all runs together are sampled once (so every run is cut at the same steps), each run's
 * first and last step in range are kept, and the answer holds every point at a kept step,
 * ordered by run (in request order), then step, then timestamp.
 */
export function sampleBulkHistory<M extends Metric & { runId: string }>(
  points: readonly M[],
  runIds: readonly string[],
  maxResults: number,
  startStep?: number,
  endStep?: number,
): M[] {
  const inRange = (step: number) => (startStep === undefined || step >= startStep) && (endStep === undefined || step <= endStep);
  const byRun = new Map<string, M[]>();
  for (const id of runIds) byRun.set(id, []);
  const allSteps = new Set<number>();
  for (const p of points) {
    const list = byRun.get(p.runId);
    if (list === undefined || !inRange(p.step)) continue;
    list.push(p);
    allSteps.add(p.step);
  }
  const keep = sampleSteps([...allSteps].sort((a, b) => a - b), maxResults);
  const out: M[] = [];
  for (const list of byRun.values()) {
    if (list.length === 0) continue;
    list.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    const first = list[0]!.step;
    const last = list[list.length - 1]!.step;
    for (const p of list) if (keep.has(p.step) || p.step === first || p.step === last) out.push(p);
  }
  return out;
}

/**
 * A search page size: `fallback` when absent, otherwise a positive integer no larger than `max`
 * (MLflow rejects larger pages rather than clamping them).
 */
export function resolveMaxResults(value: number | undefined, fallback: number, max: number, field = 'max_results'): number {
  if (value === undefined) return fallback;
  if (value < 1) {
    throw invalidParam(`Invalid value for request parameter max_results. It must be a positive integer, but got value ${value}`, field);
  }
  if (value > max) {
    throw invalidParam(`Invalid value for request parameter max_results. It must be at most ${max}, but got value ${value}`, field);
  }
  return value;
}
