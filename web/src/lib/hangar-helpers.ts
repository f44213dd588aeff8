/** Pure helpers of the governance, monitoring and data pages (no DOM, no server calls). */

const H = '/api/2.0/hangar';

/** The address of a monitor run's HTML report (opened in a new tab). */
export function monitorReportUrl(runId: string): string {
  return `${H}/monitors/runs/report?run_id=${encodeURIComponent(runId)}`;
}

/**
 * Tags that mark sensitive data: `pii`, `sensitive`, `confidential`, `phi`, `gdpr` or
 * `classification: restricted|confidential|secret`, unless the value says no (`false`, `no`, `0`).
 */
export function isSensitiveTag(key: string, value: string): boolean {
  const k = key.toLowerCase();
  const v = value.trim().toLowerCase();
  if (['false', 'no', '0', 'none', ''].includes(v)) return false;
  if (['pii', 'sensitive', 'confidential', 'phi', 'gdpr', 'personal_data', 'contains_pii'].includes(k)) return true;
  return (k === 'classification' || k === 'data_classification') && ['restricted', 'confidential', 'secret', 'pii', 'sensitive'].includes(v);
}

/** Table names a feature table's SQL reads through `dataset('name'…)`. */
export function datasetsInSql(sql: string): string[] {
  const names = new Set<string>();
  for (const m of sql.matchAll(/dataset\(\s*'([^']+)'/g)) names.add(m[1] as string);
  return [...names];
}
