import { describe, expect, it } from 'vitest';
import { evaluateRule, ruleQuery } from './alerts.js';
import { parseMonitorDefinition } from './spec.js';

const def = parseMonitorDefinition({
  name: 'm',
  source: { inference_log: { model: 'flights' } },
  profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_REGRESSION' },
  alert_rules: [{ name: 'rmse', metric: 'root_mean_squared_error', threshold: 100 }],
});
const rule = def.alert_rules[0]!;
const DAY = 86_400_000;
const rows = (values: Array<number | null>) => values.map((v, i) => ({ window: { start: i * DAY, end: (i + 1) * DAY }, model_id: '3', root_mean_squared_error: v }));

describe("alert rules: MLOps Stacks' retraining rule", () => {
  it('defaults to 2 of the last 5 windows, per model, :table, no slice, INPUT rows', () => {
    expect(rule).toMatchObject({ num_evaluation_windows: 5, num_violation_windows: 2, direction: 'above', column_name: ':table' });
    expect(ruleQuery(rule, def)).toMatchObject({ column_name: ':table', granularity: '1 day', slice_key: null, log_type: 'INPUT', exclude_all_models: true });
  });

  it('fires when K of the last N windows violate and the newest does', () => {
    const e = evaluateRule(rule, rows([10, 10, 10, 150, 10, 120]), true);
    expect(e.evaluated).toBe(5);
    expect(e.violations).toBe(2);
    expect(e.violated).toBe(true);
  });

  it('does not fire on a recovered breach, nor with one violation, nor on windows older than N', () => {
    expect(evaluateRule(rule, rows([10, 150, 150, 10]), true).violated).toBe(false); // newest recovered
    expect(evaluateRule(rule, rows([10, 10, 10, 10, 150]), true).violated).toBe(false); // only one
    expect(evaluateRule(rule, rows([150, 10, 10, 10, 10, 150]), true).violated).toBe(false); // the other is 6th newest
    // The threshold itself is not a violation (metric > threshold).
    expect(evaluateRule(rule, rows([100, 100]), true).violated).toBe(false);
  });

  it('counts no violation for windows without a value, and ignores the all-models rows', () => {
    const r = [...rows([150, null, 150]), { window: { start: 10 * DAY, end: 11 * DAY }, model_id: '*', root_mean_squared_error: 500 }];
    const e = evaluateRule(rule, r, true);
    expect(e.windows.map((w) => w.value)).toEqual([150, null, 150]);
    expect(e.violated).toBe(true);
    expect(evaluateRule(rule, rows([150, 150, null]), true).violated).toBe(false);
  });

  it('reads below-threshold rules and struct fields of the drift table', () => {
    const below = { ...rule, direction: 'below' as const, metric: 'ks_test.pvalue', threshold: 0.05 };
    const r = [0.5, 0.01, 0.02].map((p, i) => ({ window: { start: i * DAY, end: (i + 1) * DAY }, model_id: '*', ks_test: { statistic: 0.3, pvalue: p } }));
    expect(evaluateRule(below, r, false).violated).toBe(true);
  });
});
