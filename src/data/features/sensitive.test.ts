import { describe, expect, it } from 'vitest';
import { toFeatureTableSpec } from './define.js';
import { isSensitiveTag, sensitiveFeatures, sensitiveFeatureToWire } from './sensitive.js';

describe('the sensitive-data tag rule', () => {
  it('marks the sensitive keys unless their value says no', () => {
    for (const key of ['pii', 'PII', 'sensitive', 'confidential', 'phi', 'gdpr', 'personal_data', 'contains_pii']) expect(isSensitiveTag(key, 'true'), key).toBe(true);
    expect(isSensitiveTag('pii', 'yes')).toBe(true);
    expect(isSensitiveTag('sensitive', 'email')).toBe(true);
    for (const no of ['false', 'No', ' no ', '0', 'none', '']) expect(isSensitiveTag('pii', no), no).toBe(false);
  });

  it('marks a classification only at a restricted level', () => {
    for (const level of ['restricted', 'Restricted', 'confidential', 'secret', 'pii', 'sensitive']) expect(isSensitiveTag('classification', level), level).toBe(true);
    expect(isSensitiveTag('data_classification', 'secret')).toBe(true);
    for (const level of ['public', 'internal', 'false']) expect(isSensitiveTag('classification', level), level).toBe(false);
    expect(isSensitiveTag('domain', 'flights')).toBe(false);
    expect(isSensitiveTag('owner', 'pii-team')).toBe(false);
  });
});

describe('sensitiveFeatures', () => {
  const spec = (over: Record<string, unknown> = {}) =>
    toFeatureTableSpec({
      name: 'customers',
      keys: ['customer_id'],
      features: [
        { name: 'email', type: 'string', tags: { pii: 'true' } },
        { name: 'age', type: 'long', tags: { classification: 'restricted', domain: 'crm' } },
        { name: 'orders_30d', type: 'long', tags: { pii: 'false' } },
        { name: 'segment', type: 'string' },
      ],
      source: 'select 1',
      ...over,
    });

  it('returns the tagged features in table order, each with the tag that made it sensitive', () => {
    expect(sensitiveFeatures(spec())).toEqual([
      { ref: 'customers:email', table: 'customers', feature: 'email', tag: { key: 'pii', value: 'true' }, on: 'feature' },
      { ref: 'customers:age', table: 'customers', feature: 'age', tag: { key: 'classification', value: 'restricted' }, on: 'feature' },
    ]);
  });

  it('a sensitive table tag makes every feature sensitive; a feature tag is reported before it', () => {
    const out = sensitiveFeatures(spec({ tags: { gdpr: 'yes', team: 'crm' } }));
    expect(out.map((s) => [s.feature, `${s.tag.key}=${s.tag.value}`, s.on])).toEqual([
      ['email', 'pii=true', 'feature'],
      ['age', 'classification=restricted', 'feature'],
      // Its own pii: false does not overrule the table: the whole table holds personal data.
      ['orders_30d', 'gdpr=yes', 'table'],
      ['segment', 'gdpr=yes', 'table'],
    ]);
    expect(sensitiveFeatures(spec({ tags: { gdpr: 'no' } })).map((s) => s.feature)).toEqual(['email', 'age']);
  });

  it('is empty for a table without sensitive tags, and goes over the wire with its reason', () => {
    expect(sensitiveFeatures({ name: 't', features: [{ name: 'x', type: 'double', tags: { unit: 'minutes' } }] })).toEqual([]);
    expect(sensitiveFeatureToWire(sensitiveFeatures(spec())[0]!)).toEqual({ feature: 'customers:email', tag: 'pii', value: 'true', on: 'feature', reason: 'tag pii=true on the feature' });
  });
});
