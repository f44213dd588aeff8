/**
 * Kysely row types of the tables of migrations 0006 and 0008: monitors, their runs (with their owner's lease), alert rules and
 * alerts (issue 5). Part of the metadata database's `Database` type, so `hangar db copy`
 * carries them (they are listed in `TABLES_IN_DEPENDENCY_ORDER` too); `monitoring-store.ts`
 * maps them to domain shapes.
 */

export interface MonitorsTable {
  name: string;
  /** The monitor's definition as validated JSON (profile, source, options); the domain owns its shape. */
  definition: string;
  /** Bumped on every definition change; written into every metrics row. */
  monitor_version: number;
  /** `ACTIVE` (scheduled) or `PAUSED`. */
  status: string;
  creator: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  /** When the scheduler runs it next, epoch ms; null without a schedule. */
  next_run_timestamp: number | null;
  /** Newest data timestamp the last successful run analysed; null before the first run. */
  watermark: number | null;
}

export interface MonitorRunsTable {
  run_id: string;
  monitor_name: string;
  monitor_version: number;
  /** `RUNNING`, `SUCCEEDED` or `FAILED`. */
  status: string;
  /** `SCHEDULE` or `MANUAL`. */
  trigger: string;
  start_timestamp: number;
  end_timestamp: number | null;
  error_message: string | null;
  /** Summary counts and result locations as JSON. */
  summary: string | null;
  /** The server instance running it (migration 0008); null for runs recorded before it. */
  owner: string | null;
  /** Until when the owner's lease holds, epoch ms; a RUNNING run past it may be reclaimed. */
  lease_expires: number | null;
}

export interface MonitorAlertRulesTable {
  monitor_name: string;
  rule_name: string;
  /** The rule as validated JSON. */
  definition: string;
  creation_timestamp: number;
}

export interface MonitorAlertsTable {
  alert_id: string;
  monitor_name: string;
  rule_name: string;
  /** `FIRED` or `RESOLVED`. */
  status: string;
  /** The monitor run that fired it. */
  run_id: string;
  /** The run that found it no longer violated; null while fired. */
  resolved_run_id: string | null;
  fired_timestamp: number;
  resolved_timestamp: number | null;
  /** The evaluation (windows, values, threshold) as JSON. */
  detail: string;
  /** The MLflow run recording the retraining trigger, when one was launched. */
  retrain_run_id: string | null;
}

export interface MonitoringTables {
  monitors: MonitorsTable;
  monitor_runs: MonitorRunsTable;
  monitor_alert_rules: MonitorAlertRulesTable;
  monitor_alerts: MonitorAlertsTable;
}
