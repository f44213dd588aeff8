/**
 * Drift rows of an InferenceLog monitor exist only for all models together (`model_id` `*`):
 * a drift rule naming one model is refused at create time, naming the field; one without
 * `model_id` reads the all-models rows and fires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorsClient } from '../../client/monitors.js';
import { HangarError } from '../../core/errors.js';
import { startMonitorServer, type MonitorServer } from '../../../test/support/monitor-server.js';
import { ruleQuery } from './alerts.js';
import { parseMonitorDefinition } from './spec.js';

const profile = { type: 'InferenceLog' as const, granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' as const };
const driftRule = { name: 'x-drift', table: 'drift' as const, metric: 'js_distance', column_name: 'x', threshold: 0.1, num_evaluation_windows: 3, num_violation_windows: 2 };

function refusal(input: unknown): HangarError {
  try {
    parseMonitorDefinition(input);
  } catch (e) {
    if (e instanceof HangarError) return e;
    throw e;
  }
  throw new Error('the definition was accepted');
}

describe('drift rules of InferenceLog monitors', () => {
  it("refuses a drift rule on one model, naming alert_rules.<i>.model_id and what to write", () => {
    const e = refusal({
      name: 'm',
      source: { inference_log: { model: 'churn' } },
      profile,
      alert_rules: [{ name: 'acc', metric: 'accuracy_score', threshold: 0.5, model_id: 'v1' }, { ...driftRule, model_id: '3' }],
    });
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.field).toBe('alert_rules.1.model_id');
    expect(e.message).toContain("model_id: '*'");
  });

  it('still loads such a definition stored before the rule existed, so no stored monitor becomes unreadable', () => {
    const stored = { name: 'm', source: { inference_log: { model: 'churn' } }, profile, alert_rules: [{ ...driftRule, model_id: '3' }] };
    expect(parseMonitorDefinition(stored, { stored: true }).alert_rules[0]!.model_id).toBe('3');
  });

  it("reads the all-models rows when model_id is left out, and keeps the per-model default of profile rules", () => {
    const def = parseMonitorDefinition({
      name: 'm',
      source: { inference_log: { model: 'churn' } },
      profile,
      alert_rules: [driftRule, { ...driftRule, name: 'explicit', model_id: '*' }, { name: 'acc', metric: 'accuracy_score', threshold: 0.5 }],
    });
    expect(def.alert_rules.map((r) => r.model_id)).toEqual(['*', '*', undefined]);
    expect(ruleQuery(def.alert_rules[0]!, def)).toMatchObject({ model_id: '*', exclude_all_models: false });
    expect(ruleQuery(def.alert_rules[2]!, def)).toMatchObject({ exclude_all_models: true });
    // Parsing the stored form again changes nothing.
    expect(parseMonitorDefinition(def)).toEqual(def);
  });

  it('leaves other profiles alone', () => {
    const def = parseMonitorDefinition({ name: 't', source: { table: 't.parquet' }, profile: { type: 'Snapshot' }, alert_rules: [driftRule] });
    expect(def.alert_rules[0]!.model_id).toBeUndefined();
  });
});

describe('drift rules over REST', () => {
  let monitors: MonitorsClient;
  let baseline: string;
  let fixture: MonitorServer;

  beforeAll(async () => {
    fixture = await startMonitorServer('hangar-drift-rule-');
    ({ monitors, baseline } = fixture);
  });
  afterAll(() => fixture?.close());

  it('create refuses a rule that could never fire; a drift rule without model_id fires', async () => {
    const base = { source: { inference_log: { model: 'churn' } }, profile, baseline };
    await expect(monitors.create({ name: 'never', ...base, alert_rules: [{ ...driftRule, model_id: 'v2' }] } as Parameters<MonitorsClient['create']>[0])).rejects.toMatchObject({
      serverCode: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('alert_rules.0.model_id'),
    });
    await expect(monitors.get('never')).rejects.toMatchObject({ serverCode: 'RESOURCE_DOES_NOT_EXIST' });

    const created = await monitors.create({ name: 'drifting', ...base, alert_rules: [driftRule] } as Parameters<MonitorsClient['create']>[0]);
    expect(created.definition.alert_rules?.[0]).toMatchObject({ model_id: '*' });
    const run = await monitors.run('drifting');
    expect(run.errorMessage).toBeNull();
    const alerts = await monitors.alerts({ name: 'drifting' });
    expect(alerts.map((a) => a.ruleName)).toEqual(['x-drift']);
  }, 120_000);
});
