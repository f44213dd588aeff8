import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HangarError } from '../core/errors.js';
import { defaultProjectConfig, loadProjectConfig, parseProjectConfig } from './config.js';

function parseError(text: string): HangarError {
  try {
    parseProjectConfig(text, 'hangar.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(HangarError);
    expect((e as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
    return e as HangarError;
  }
  throw new Error('expected a parse error');
}

describe('project file', () => {
  it('parses compliance rules and thresholds from YAML', () => {
    const c = parseProjectConfig(
      `
compliance:
  required_tags: [owner, use_case]
  required_metrics: [roc_auc]
  input_example: false
validation:
  mode: enabled
  thresholds:
    roc_auc: { threshold: 0.6, min_relative_change: 0.01, greater_is_better: true }
    log_loss: { threshold: 0.7, higher_is_better: false }
deployment: { pattern: code }   # another part's section passes through
`,
      'hangar.yaml',
    );
    expect(c.path).toBe('hangar.yaml');
    expect(c.compliance).toEqual({
      requiredTags: ['owner', 'use_case'],
      requiredMetrics: ['roc_auc'],
      description: true,
      signature: true,
      inputExample: false,
      datasetLineage: true,
      environment: true,
      sensitiveFeatures: null,
    });
    expect(c.validation.mode).toBe('enabled');
    expect(c.validation.thresholds).toEqual({
      roc_auc: { threshold: 0.6, minRelativeChange: 0.01, greaterIsBetter: true },
      log_loss: { threshold: 0.7, greaterIsBetter: false },
    });
    expect(Object.isFrozen(c.validation.thresholds)).toBe(true);
  });

  it('JSON works too; an empty file gives the defaults (every rule on, dry run, no thresholds)', () => {
    expect(parseProjectConfig('{"validation": {"mode": "disabled"}}').validation.mode).toBe('disabled');
    const d = defaultProjectConfig();
    expect(parseProjectConfig('')).toEqual(d);
    expect(d.validation).toEqual({ mode: 'dry_run', thresholds: {}, baseline: true, mlflowCompat: false });
    expect(d.compliance.signature && d.compliance.description && d.compliance.environment).toBe(true);
  });

  it('sensitive_features is off by default; true allows none; an object allows some', () => {
    expect(defaultProjectConfig().compliance.sensitiveFeatures).toBeNull();
    expect(parseProjectConfig('compliance: { sensitive_features: false }').compliance.sensitiveFeatures).toBeNull();
    expect(parseProjectConfig('compliance: { sensitive_features: true }').compliance.sensitiveFeatures).toEqual({ allow: [], requireTag: null });
    expect(parseProjectConfig('compliance: { sensitive_features: { allow: ["customers:*", orders:email], require_tag: privacy_review } }').compliance.sensitiveFeatures).toEqual({
      allow: ['customers:*', 'orders:email'],
      requireTag: 'privacy_review',
    });
  });

  it('errors name the field and the file', () => {
    let e = parseError('validation: { mode: sometimes }');
    expect(e.field).toBe('validation.mode');
    expect(e.message).toMatch(/^hangar\.yaml: invalid value for 'validation\.mode'/);

    e = parseError('compliance: { required_tags: [owner, 3] }');
    expect(e.field).toBe('compliance.required_tags.1');

    e = parseError('compliance: { signatur: true }');
    expect(e.field).toBe('compliance.signatur');
    expect(e.message).toContain("unknown key 'signatur'");

    e = parseError('validation: { thresholds: { auc: { threshold: 0.6 } } }');
    expect(e.field).toBe('validation.thresholds.auc.greater_is_better');
    expect(e.message).toContain('hangar.yaml: validation.thresholds.auc.greater_is_better is required');

    e = parseError('validation: { thresholds: { auc: { threshold: "high", greater_is_better: true } } }');
    expect(e.field).toBe('validation.thresholds.auc.threshold');

    e = parseError('validation: { thresholds: { auc: { greater_is_better: true } } }');
    expect(e.message).toContain('at least one of threshold');

    e = parseError('compliance: { sensitive_features: { allow: [customers] } }');
    expect(e.field).toBe('compliance.sensitive_features.allow.0');
    expect(e.message).toContain('must be a feature reference table:feature or table:*');
    expect(parseError('compliance: { sensitive_features: { alow: [a:b] } }').field).toBe('compliance.sensitive_features.alow');
    e = parseError('compliance: { sensitive_features: yes }');
    expect(e.field).toBe('compliance.sensitive_features');
    expect(e.message).toContain('must be true, false or { allow: [table:feature, …], require_tag: TAG }');

    expect(parseError('compliance: [\n').message).toContain('not valid YAML or JSON');
    expect(parseError('- a\n- b\n').message).toContain('the top level must be a mapping');
  });
});

describe('loadProjectConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hangar-projcfg-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds hangar.yaml in the directory, else the defaults; an explicit missing path is an error', async () => {
    expect((await loadProjectConfig(undefined, dir)).path).toBeNull();
    await writeFile(join(dir, 'hangar.json'), '{"compliance": {"required_tags": ["team"]}}');
    expect((await loadProjectConfig(undefined, dir)).compliance.requiredTags).toEqual(['team']);
    await writeFile(join(dir, 'hangar.yaml'), 'compliance: { required_tags: [owner] }\n');
    const found = await loadProjectConfig(undefined, dir);
    expect(found.path).toBe(join(dir, 'hangar.yaml'));
    expect(found.compliance.requiredTags).toEqual(['owner']);
    await expect(loadProjectConfig(join(dir, 'nope.yaml'), dir)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
