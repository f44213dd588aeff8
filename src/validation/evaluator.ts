import type { HangarClient } from '../client/index.js';
import { evaluate } from '../models/index.js';
import type { Evaluator } from './gate.js';

/**
 * The gate's default evaluator: the models module's `evaluate()` on one data source (a Parquet
 * or CSV path, or a SQL query over files), for both the candidate and the baseline. Metrics and
 * plots go into the validation run, the baseline's under `baseline_` (as MLOps Stacks names
 * them) and in `evaluation/baseline/`, the candidate's in `evaluation/candidate/`.
 */
export function dataEvaluator(client: HangarClient, data: string, target: string): Evaluator {
  return async (modelUri, ctx) => {
    const result = await evaluate(client, { modelUri, data, target, runId: ctx.runId, prefix: ctx.prefix, artifactDir: `evaluation/${ctx.role}` });
    return { metrics: result.metrics, logged: true };
  };
}
