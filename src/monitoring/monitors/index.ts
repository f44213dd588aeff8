/**
 * Monitors: definitions over an inference log or a table, windows at Databricks' granularities,
 * profile and drift metric tables, model quality and operations, alert rules with webhooks and
 * retraining triggers, the server's scheduler and an HTML report per run.
 */
export { MonitorService, type Monitor, type MonitorServiceOptions, type RunSummary } from './service.js';
export { MonitorScheduler, type SchedulerOptions } from './scheduler.js';
export { parseMonitorDefinition, MonitorDefinitionSchema, GRANULARITIES, PROBLEM_TYPES, type MonitorDefinition, type AlertRule, type Granularity } from './spec.js';
export { parseSchedule, nextRun, cronMatches, type Schedule } from './schedule.js';
export { evaluateRule, ruleQuery, type RuleEvaluation, type EvaluatedWindow } from './alerts.js';
export { computeMonitor, FIRST_RUN_DAYS, type ComputeInput, type ComputeResult } from './compute.js';
export { PROFILE_METRICS, DRIFT_METRICS, QUANTILES, type ProfileRow, type DriftRow } from './tables.js';
export { monitorDir, type MetricsQuery, type MetricsTable } from './results.js';
