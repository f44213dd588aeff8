/**
 * The monitors part of the SDK: create and run monitors, read their profile and drift metric
 * tables, their runs, HTML reports and alerts.
 *
 * ```ts
 * import { MonitorsClient } from 'hangar/client';
 * const monitors = new MonitorsClient({ trackingUri: 'http://127.0.0.1:5000' });
 * await monitors.create({
 *   name: 'flights-quality',
 *   source: { inference_log: { model: 'flights' } },
 *   profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
 *   schedule: '0 18 * * *',
 *   alert_rules: [{ name: 'accuracy', metric: 'accuracy_score', direction: 'below', threshold: 0.6 }],
 * });
 * const run = await monitors.run('flights-quality');
 * const rows = await monitors.profileMetrics('flights-quality', { columnName: ':table', wholeTable: true });
 * ```
 */
import type { Transport} from './http.js';
import { transportFor, type HangarClientOptions, type Query } from './http.js';

const HANGAR = '/api/2.0/hangar/monitors';

/** A monitor definition as the server takes it (snake_case, docs/monitoring.md). */
export interface MonitorDefinitionInput {
  name: string;
  source: { inference_log: { model: string; root?: string } } | { table: string };
  profile:
    | { type: 'Snapshot' }
    | { type: 'TimeSeries'; timestamp_col: string; granularities: string[] }
    | {
        type: 'InferenceLog';
        timestamp_col?: string;
        granularities: string[];
        model_id_col?: string;
        prediction_col?: string;
        label_col?: string;
        prediction_proba_col?: string;
        problem_type: 'PROBLEM_TYPE_CLASSIFICATION' | 'PROBLEM_TYPE_REGRESSION';
      };
  baseline?: string;
  slicing_exprs?: string[];
  columns?: string[];
  schedule?: string;
  frequent_items?: number;
  /** Days every later run recomputes (default 30); 0 = only windows since the previous run. */
  refresh_days?: number;
  alert_rules?: Array<{
    name: string;
    metric: string;
    table?: 'profile' | 'drift';
    direction?: 'above' | 'below';
    threshold: number;
    num_evaluation_windows?: number;
    num_violation_windows?: number;
    column_name?: string;
    granularity?: string;
    slice_key?: string;
    slice_value?: string;
    model_id?: string;
    drift_type?: 'CONSECUTIVE' | 'BASELINE';
    retrain?: { command: string[]; cwd?: string; env?: Record<string, string>; timeout_seconds?: number; experiment_name?: string };
  }>;
  description?: string;
}

/** A stored monitor. */
export interface MonitorInfo {
  name: string;
  /** The validated definition, defaults filled in. */
  definition: MonitorDefinitionInput & Record<string, unknown>;
  monitorVersion: number;
  status: 'ACTIVE' | 'PAUSED';
  creator: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  /** When the server's scheduler runs it next (epoch ms); null without a schedule. */
  nextRunTimestamp: number | null;
  /** Newest data timestamp the last successful run analysed. */
  watermark: number | null;
}

/** One run of a monitor. */
export interface MonitorRunInfo {
  runId: string;
  monitorName: string;
  monitorVersion: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  trigger: 'SCHEDULE' | 'MANUAL';
  startTimestamp: number;
  endTimestamp: number | null;
  errorMessage: string | null;
  /** Rows, windows, file paths, rule evaluations, alerts fired and resolved (SUCCEEDED runs). */
  summary: Record<string, unknown> | null;
}

/** An alert fired by a rule. */
export interface AlertInfo {
  alertId: string;
  monitorName: string;
  ruleName: string;
  status: 'FIRED' | 'RESOLVED';
  runId: string;
  resolvedRunId: string | null;
  firedTimestamp: number;
  resolvedTimestamp: number | null;
  /** The MLflow run of the retraining command it launched. */
  retrainRunId: string | null;
  /** The rule's evaluation: windows, values, violations. */
  detail: Record<string, unknown>;
}

/** Filters of the metric tables; each absent filter matches everything. */
export interface MetricsFilter {
  granularity?: string;
  columnName?: string;
  sliceKey?: string;
  sliceValue?: string;
  /** Only whole-table rows (no slice). */
  wholeTable?: boolean;
  modelId?: string;
  logType?: 'INPUT' | 'BASELINE';
  driftType?: 'CONSECUTIVE' | 'BASELINE';
  /** Windows starting at or after / before (epoch ms). */
  from?: number;
  to?: number;
  maxResults?: number;
}

/** A metrics row as the table holds it (snake_case columns; `window` is `{start, end}` in epoch ms). */
export type MetricsRow = Record<string, unknown> & { window: { start: number; end: number } | null; column_name: string; model_id: string };

type Wire = Record<string, unknown>;

const monitorFrom = (w: Wire): MonitorInfo => ({
  name: String(w.name),
  definition: w.definition as MonitorInfo['definition'],
  monitorVersion: Number(w.monitor_version),
  status: w.status === 'PAUSED' ? 'PAUSED' : 'ACTIVE',
  creator: String(w.creator),
  creationTimestamp: Number(w.creation_timestamp),
  lastUpdatedTimestamp: Number(w.last_updated_timestamp),
  nextRunTimestamp: w.next_run_timestamp === null || w.next_run_timestamp === undefined ? null : Number(w.next_run_timestamp),
  watermark: w.watermark === null || w.watermark === undefined ? null : Number(w.watermark),
});

const runFrom = (w: Wire): MonitorRunInfo => ({
  runId: String(w.run_id),
  monitorName: String(w.monitor_name),
  monitorVersion: Number(w.monitor_version),
  status: w.status as MonitorRunInfo['status'],
  trigger: w.trigger === 'SCHEDULE' ? 'SCHEDULE' : 'MANUAL',
  startTimestamp: Number(w.start_timestamp),
  endTimestamp: w.end_timestamp === null || w.end_timestamp === undefined ? null : Number(w.end_timestamp),
  errorMessage: (w.error_message as string | null | undefined) ?? null,
  summary: (w.summary as Record<string, unknown> | null | undefined) ?? null,
});

const alertFrom = (w: Wire): AlertInfo => ({
  alertId: String(w.alert_id),
  monitorName: String(w.monitor_name),
  ruleName: String(w.rule_name),
  status: w.status === 'RESOLVED' ? 'RESOLVED' : 'FIRED',
  runId: String(w.run_id),
  resolvedRunId: (w.resolved_run_id as string | null | undefined) ?? null,
  firedTimestamp: Number(w.fired_timestamp),
  resolvedTimestamp: w.resolved_timestamp === null || w.resolved_timestamp === undefined ? null : Number(w.resolved_timestamp),
  retrainRunId: (w.retrain_run_id as string | null | undefined) ?? null,
  detail: (w.detail as Record<string, unknown>) ?? {},
});

/** Monitors over HTTP. Failures are ApiErrors carrying the server's `error_code`. */
export class MonitorsClient {
  readonly #t: Transport;

  constructor(options: string | HangarClientOptions) {
    // A monitor run answers when it has finished.
    this.#t = transportFor(options, { timeoutMs: 600_000, userAgent: 'hangar-client/monitors' });
  }

  #get<T>(path: string, query: Query): Promise<T> {
    return this.#t.json<T>('GET', `${HANGAR}${path}`, { query, idempotent: true });
  }

  /** Create a monitor; INVALID_PARAMETER_VALUE names a bad field, RESOURCE_ALREADY_EXISTS a taken name. */
  async create(definition: MonitorDefinitionInput): Promise<MonitorInfo> {
    const r = await this.#t.json<{ monitor: Wire }>('POST', `${HANGAR}/create`, { json: definition, idempotent: false });
    return monitorFrom(r.monitor);
  }

  async get(name: string): Promise<MonitorInfo> {
    return monitorFrom((await this.#get<{ monitor: Wire }>('/get', { name })).monitor);
  }

  async list(): Promise<MonitorInfo[]> {
    return ((await this.#get<{ monitors?: Wire[] }>('/list', {})).monitors ?? []).map(monitorFrom);
  }

  /** Delete a monitor with its runs, alerts and result files. */
  async delete(name: string): Promise<void> {
    await this.#t.json('DELETE', `${HANGAR}/delete`, { json: { name }, idempotent: true });
  }

  async pause(name: string): Promise<MonitorInfo> {
    return monitorFrom((await this.#t.json<{ monitor: Wire }>('POST', `${HANGAR}/pause`, { json: { name }, idempotent: true })).monitor);
  }

  async resume(name: string): Promise<MonitorInfo> {
    return monitorFrom((await this.#t.json<{ monitor: Wire }>('POST', `${HANGAR}/resume`, { json: { name }, idempotent: true })).monitor);
  }

  /** Run a monitor now and wait for it; a run that failed comes back with status FAILED and its error. */
  async run(name: string): Promise<MonitorRunInfo> {
    return runFrom((await this.#t.json<{ run: Wire }>('POST', `${HANGAR}/run`, { json: { name }, idempotent: false })).run);
  }

  /** A monitor's runs, newest first. */
  async runs(name: string, maxResults?: number): Promise<MonitorRunInfo[]> {
    return ((await this.#get<{ runs?: Wire[] }>('/runs/list', { name, max_results: maxResults })).runs ?? []).map(runFrom);
  }

  async getRun(runId: string): Promise<MonitorRunInfo> {
    return runFrom((await this.#get<{ run: Wire }>('/runs/get', { run_id: runId })).run);
  }

  /** A run's HTML report. */
  async report(runId: string): Promise<string> {
    const res = await this.#t.send('GET', `${HANGAR}/runs/report`, { query: { run_id: runId }, idempotent: true });
    return res.text();
  }

  /** Rows of the profile-metrics table (newest run's row per window and key), windows ascending. */
  profileMetrics(name: string, filter: MetricsFilter = {}): Promise<MetricsRow[]> {
    return this.#metrics('profile', name, filter);
  }

  /** Rows of the drift-metrics table. */
  driftMetrics(name: string, filter: MetricsFilter = {}): Promise<MetricsRow[]> {
    return this.#metrics('drift', name, filter);
  }

  async #metrics(table: 'profile' | 'drift', name: string, f: MetricsFilter): Promise<MetricsRow[]> {
    const r = await this.#get<{ rows?: MetricsRow[] }>(`/metrics/${table}`, {
      name,
      granularity: f.granularity,
      column_name: f.columnName,
      slice_key: f.sliceKey,
      slice_value: f.sliceValue,
      whole_table: f.wholeTable,
      model_id: f.modelId,
      log_type: f.logType,
      drift_type: f.driftType,
      from: f.from,
      to: f.to,
      max_results: f.maxResults,
    });
    return r.rows ?? [];
  }

  /** Alerts, newest first: of one monitor, or of all (admins). */
  async alerts(opts: { name?: string; status?: 'FIRED' | 'RESOLVED'; maxResults?: number } = {}): Promise<AlertInfo[]> {
    return ((await this.#get<{ alerts?: Wire[] }>('/alerts/list', { name: opts.name, status: opts.status, max_results: opts.maxResults })).alerts ?? []).map(alertFrom);
  }
}
