/** Pure helpers of the governance, monitoring and data pages (no DOM, no server calls). */

const H = '/api/2.0/hangar';

/** The address of a monitor run's HTML report (opened in a new tab). */
export function monitorReportUrl(runId: string): string {
  return `${H}/monitors/runs/report?run_id=${encodeURIComponent(runId)}`;
}

/** A feature the server marks as sensitive (a feature table's `sensitive_features`; the rule is the server's, docs/features.md). */
export interface SensitiveMark {
  /** `table:feature`. */
  feature: string;
  /** The tag key and value that made it sensitive. */
  tag: string;
  value: string;
  /** Whether that tag is on the feature or on its whole table. */
  on: 'feature' | 'table';
  /** One sentence, e.g. `tag pii=true on the feature`. */
  reason: string;
}

/** The server's mark of feature `feature` of table `table`, or undefined when it carries no sensitive data. */
export function sensitiveMarkOf(marks: SensitiveMark[] | undefined, table: string, feature: string): SensitiveMark | undefined {
  return (marks ?? []).find((m) => m.feature === `${table}:${feature}`);
}

/**
 * The server's mark that names the tag `key` of table `table` as making data sensitive: the tag
 * on the feature `feature` when given, else on the table (a table tag marks every feature).
 */
export function markOfTag(marks: SensitiveMark[] | undefined, key: string, table: string, feature?: string): SensitiveMark | undefined {
  return (marks ?? []).find((m) => m.tag === key && (feature === undefined ? m.on === 'table' && m.feature.startsWith(`${table}:`) : m.on === 'feature' && m.feature === `${table}:${feature}`));
}

/** Table names a feature table's SQL reads through `dataset('name'…)`. */
export function datasetsInSql(sql: string): string[] {
  const names = new Set<string>();
  for (const m of sql.matchAll(/dataset\(\s*'([^']+)'/g)) names.add(m[1] as string);
  return [...names];
}
