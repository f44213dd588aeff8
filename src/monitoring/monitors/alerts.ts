/**
 * Alert rules over the metric tables: MLOps Stacks' retraining rule, generalised (semantics.md
 * §f). Over the newest N windows of one metric series, the rule is violated when at least K of
 * them cross the threshold **and** the newest one does, so an old breach that has recovered does
 * not fire. A window whose metric is null (no labels yet, an empty window) does not count as a
 * violation.
 */
import type { AlertRule, MonitorDefinition } from './spec.js';
import type { MetricsQuery } from './results.js';

/** The rows of the metric table a rule reads (MLOps Stacks: `:table`, no slice, per model, INPUT). */
export function ruleQuery(rule: AlertRule, def: MonitorDefinition): MetricsQuery & { exclude_all_models: boolean } {
  const granularity = rule.granularity ?? (def.profile.type === 'Snapshot' ? undefined : def.profile.granularities[0]);
  const perModelDefault = def.profile.type === 'InferenceLog';
  const modelId = rule.model_id ?? undefined;
  return {
    column_name: rule.column_name,
    ...(granularity === undefined ? {} : { granularity }),
    slice_key: rule.slice_key ?? null,
    ...(rule.slice_value === undefined || rule.slice_value === null ? {} : { slice_value: rule.slice_value }),
    ...(modelId === undefined ? (perModelDefault ? {} : { model_id: '*' }) : { model_id: modelId }),
    ...(rule.table === 'profile' ? { log_type: 'INPUT' } : { drift_type: rule.drift_type ?? (def.baseline ? 'BASELINE' : 'CONSECUTIVE') }),
    exclude_all_models: modelId === undefined && perModelDefault,
  };
}

/** One evaluated window of a rule. */
export interface EvaluatedWindow {
  start: number;
  end: number;
  model_id: string;
  value: number | null;
  violated: boolean;
}

/** A rule's verdict over the newest windows. */
export interface RuleEvaluation {
  rule: string;
  metric: string;
  direction: 'above' | 'below';
  threshold: number;
  /** Windows evaluated, newest first (at most num_evaluation_windows). */
  windows: EvaluatedWindow[];
  violations: number;
  evaluated: number;
  newestViolated: boolean;
  violated: boolean;
}

function metricValue(row: Record<string, unknown>, metric: string): number | null {
  // `ks_test.pvalue`-style paths reach into the struct columns of the drift table.
  const [head, field] = metric.split('.', 2) as [string, string | undefined];
  let v = row[head];
  if (field !== undefined) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[field] : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' && !Number.isNaN(v) ? v : null;
}

/**
 * Evaluate a rule over rows of its table (any order; as `readTable` returns them, filtered by
 * `ruleQuery`). Rows are ordered newest window first, as MLOps Stacks' query orders them.
 */
export function evaluateRule(rule: AlertRule, rows: ReadonlyArray<Record<string, unknown>>, excludeAllModels: boolean): RuleEvaluation {
  const series = rows
    .filter((r) => !(excludeAllModels && r.model_id === '*'))
    .map((r) => {
      const w = r.window as { start: number; end: number } | null;
      return { start: w?.start ?? 0, end: w?.end ?? 0, model_id: String(r.model_id), value: metricValue(r, rule.metric) };
    })
    .sort((a, b) => b.start - a.start || a.model_id.localeCompare(b.model_id))
    .slice(0, rule.num_evaluation_windows);
  const crosses = (v: number | null): boolean => v !== null && (rule.direction === 'above' ? v > rule.threshold : v < rule.threshold);
  const windows = series.map((s) => ({ ...s, violated: crosses(s.value) }));
  const violations = windows.filter((w) => w.violated).length;
  const newestViolated = windows[0]?.violated ?? false;
  return {
    rule: rule.name,
    metric: rule.metric,
    direction: rule.direction,
    threshold: rule.threshold,
    windows,
    violations,
    evaluated: windows.length,
    newestViolated,
    violated: violations >= rule.num_violation_windows && newestViolated,
  };
}
