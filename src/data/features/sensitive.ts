/**
 * Sensitive-data tags on feature tables (issue 4): the one rule that says which tags mark
 * sensitive data. The REST answers, training-set lineage, `hangar train` and the
 * `sensitive_features` compliance rule all use it, so clients need no rule of their own.
 */
import type { FeatureTableSpec } from './spec.js';

/** Tag keys that mark sensitive data unless their value says no. */
const SENSITIVE_KEYS = new Set(['pii', 'sensitive', 'confidential', 'phi', 'gdpr', 'personal_data', 'contains_pii']);
/** Keys whose value is a classification level. */
const CLASSIFICATION_KEYS = new Set(['classification', 'data_classification']);
/** Classification levels that mark sensitive data. */
const RESTRICTED_LEVELS = new Set(['restricted', 'confidential', 'secret', 'pii', 'sensitive']);
/** Values that say "not sensitive" for a sensitive key. */
const NO_VALUES = new Set(['false', 'no', '0', 'none', '']);

/**
 * Whether one tag marks sensitive data: the keys `pii`, `sensitive`, `confidential`, `phi`,
 * `gdpr`, `personal_data` and `contains_pii` unless the value is `false`, `no`, `0`, `none` or
 * empty; or `classification` / `data_classification` with the value `restricted`,
 * `confidential`, `secret`, `pii` or `sensitive`. Keys and values are compared without case.
 */
export function isSensitiveTag(key: string, value: string): boolean {
  const k = key.trim().toLowerCase();
  const v = value.trim().toLowerCase();
  if (NO_VALUES.has(v)) return false;
  if (SENSITIVE_KEYS.has(k)) return true;
  return CLASSIFICATION_KEYS.has(k) && RESTRICTED_LEVELS.has(v);
}

/** One feature that carries sensitive data, and the tag that says so. */
export interface SensitiveFeature {
  /** The feature reference, `table:feature`. */
  ref: string;
  table: string;
  feature: string;
  /** The tag that made it sensitive. */
  tag: { key: string; value: string };
  /** Whether the tag is on the feature itself or on its whole table. */
  on: 'feature' | 'table';
}

/** The first sensitive tag of `tags`, in key order, or undefined. */
function firstSensitiveTag(tags: Record<string, string> | undefined): { key: string; value: string } | undefined {
  const entries = Object.entries(tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hit = entries.find(([k, v]) => isSensitiveTag(k, v));
  return hit === undefined ? undefined : { key: hit[0], value: hit[1] };
}

/**
 * The features of `spec` that carry sensitive data, in the table's feature order. A feature is
 * sensitive when one of its own tags is (that tag is reported), or else when one of the table's
 * tags is: a table tag makes every feature of the table sensitive.
 */
export function sensitiveFeatures(spec: Pick<FeatureTableSpec, 'name' | 'features' | 'tags'>): SensitiveFeature[] {
  const tableTag = firstSensitiveTag(spec.tags);
  const out: SensitiveFeature[] = [];
  for (const f of spec.features) {
    const own = firstSensitiveTag(f.tags);
    const tag = own ?? tableTag;
    if (tag === undefined) continue;
    out.push({ ref: `${spec.name}:${f.name}`, table: spec.name, feature: f.name, tag, on: own === undefined ? 'table' : 'feature' });
  }
  return out;
}

/** One sentence saying why a feature is sensitive, e.g. `tag pii=true on the feature`. */
export function sensitiveReason(s: Pick<SensitiveFeature, 'tag' | 'on'>): string {
  return `tag ${s.tag.key}=${s.tag.value} on the ${s.on === 'feature' ? 'feature' : 'table'}`;
}

/** A sensitive feature as it goes over the wire (REST answers, lineage). */
export function sensitiveFeatureToWire(s: SensitiveFeature): { feature: string; tag: string; value: string; on: 'feature' | 'table'; reason: string } {
  return { feature: s.ref, tag: s.tag.key, value: s.tag.value, on: s.on, reason: sensitiveReason(s) };
}

/** The run and model-version tag `hangar train --training-set` sets: comma-separated `table:feature` references. */
export const SENSITIVE_FEATURES_TAG = 'hangar.sensitive_features';
