/**
 * The monitor service: create, list and delete monitors; run one (compute, write the metric
 * tables, evaluate the alert rules, fire or resolve alerts with their webhook and retraining
 * trigger, render the report); read results back. Runs are serialised: one at a time per
 * service, whether the scheduler or a person started them. A run that fails is recorded as
 * FAILED with its error and never throws out of `run`. A run reads back only the run files that
 * can hold the windows its rules and its report need (reads.ts), so its cost does not grow with
 * the number of earlier runs.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { isHangarError, notFound } from '../../core/errors.js';
import type { ArtifactStore } from '../../artifacts/index.js';
import { emitRegistryEvent } from '../../governance/index.js';
import { MonitoringStore, type AlertRecord, type MonitorRecord, type MonitorRunRecord, type Store } from '../../store/index.js';
import { evaluateRule, ruleQuery, type RuleEvaluation } from './alerts.js';
import { computeMonitor } from './compute.js';
import { renderReport } from './report.js';
import { lookbackStart, MetricReads, newestWindows, passOf, recentQuery, runFiles, type RecentFile, type RecentPass, type RunFile } from './reads.js';
import { mergeTables, readTable, monitorDir, writeTable, type MetricsQuery, type MetricsTable } from './results.js';
import { launchRetraining } from './retrain.js';
import { nextRun, parseSchedule } from './schedule.js';
import { parseMonitorDefinition, type MonitorDefinition } from './spec.js';

/** A monitor with its definition typed. */
export interface Monitor extends Omit<MonitorRecord, 'definition'> {
  definition: MonitorDefinition;
}

/** What a successful run records as its summary. */
export interface RunSummary {
  rows: number;
  windows: number;
  columns: string[];
  from: number | null;
  newest: number | null;
  profile_rows: number;
  drift_rows: number;
  profile_path: string;
  drift_path: string;
  report_path: string;
  /**
   * The recent files this run wrote (merged rows of the windows the report charts, from
   * `from` on; null: all windows) and how many successful runs they cover.
   */
  recent: { runs: number; profile: RecentFile | null; drift: RecentFile | null };
  /** Metric files the run read back: building its recent files, its rules, its report (a file read twice counts twice). */
  files_read: number;
  evaluations: RuleEvaluation[];
  alerts_fired: string[];
  alerts_resolved: string[];
}

export interface MonitorServiceOptions {
  store: Store;
  artifacts: ArtifactStore;
  /** Default inference-log root; default `<artifact root>/inference-log` when the artifact root is local. */
  logRoot?: string | null;
  /** Raise a webhook event; default: governance's `emitRegistryEvent` on the store. */
  emit?: (name: 'monitor.alert_fired', data: Record<string, unknown>) => Promise<void>;
  /** Where failures off the request path are reported. */
  log?: (message: string, detail?: unknown) => void;
  /** Time source (epoch ms). */
  now?: () => number;
  /** This server instance, recorded as the owner of its runs. Default `<host>/<pid>/<random>`. */
  instanceId?: string;
  /**
   * How long a run's lease lasts, ms; the owner renews it every third of that while the run is
   * in progress, and another process reclaims the run only once it expired. Default 60,000.
   */
  leaseMs?: number;
  /**
   * Where copies of remote files (metric tables, inference-log files on S3) are kept; the
   * server passes `<home>/cache/data`. Default: the data capabilities' cache in the temp folder.
   */
  cacheDir?: string;
  /** Windows the report charts, newest first. Default 30. */
  reportWindows?: number;
}

/** Windows a run's report charts by default. */
export const REPORT_WINDOWS = 30;

function defaultLogRoot(artifacts: ArtifactStore): string | null {
  return artifacts.rootUri.startsWith('file:') ? `${fileURLToPath(artifacts.rootUri).replace(/\/+$/, '')}/inference-log` : null;
}

function toMonitor(r: MonitorRecord): Monitor {
  return { ...r, definition: parseMonitorDefinition(r.definition, { stored: true }) };
}

export class MonitorService {
  readonly #store: Store;
  readonly #ms: MonitoringStore;
  readonly #artifacts: ArtifactStore;
  readonly #logRoot: string | null;
  readonly #emit: (name: 'monitor.alert_fired', data: Record<string, unknown>) => Promise<void>;
  readonly #log: (message: string, detail?: unknown) => void;
  readonly #now: () => number;
  #chain: Promise<unknown> = Promise.resolve();
  readonly #retrains = new Set<Promise<unknown>>();
  readonly #instanceId: string;
  readonly #leaseMs: number;
  readonly #cacheDir: string | undefined;
  readonly #reportWindows: number;

  constructor(o: MonitorServiceOptions) {
    this.#store = o.store;
    this.#ms = MonitoringStore.for(o.store);
    this.#artifacts = o.artifacts;
    this.#logRoot = o.logRoot === undefined ? defaultLogRoot(o.artifacts) : o.logRoot;
    this.#emit = o.emit ?? ((name, data) => emitRegistryEvent(o.store, name, data));
    this.#log = o.log ?? (() => {});
    this.#now = o.now ?? Date.now;
    this.#instanceId = o.instanceId ?? `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
    this.#leaseMs = o.leaseMs ?? 60_000;
    this.#cacheDir = o.cacheDir;
    this.#reportWindows = o.reportWindows ?? REPORT_WINDOWS;
  }

  /**
   * This run's recent files: per table, the merged rows of the windows the report charts, from
   * the previous run's recent file and this run's own file when the previous one covers every
   * earlier run (and reaches back far enough), else from the run files that can hold them
   * (`earlier`: how many successful runs came before, and the newest one's recent files).
   * The passes of `queries` over each recent file are answered as it is built, so the report
   * and the rules need not read it back.
   */
  async #recentFiles(
    name: string,
    runId: string,
    files: Record<MetricsTable, RunFile[]>,
    own: Record<MetricsTable, string | null>,
    granularity: string | null,
    earlier: { runs: number; last: RunSummary['recent'] | undefined },
    queries: Record<MetricsTable, readonly MetricsQuery[]>,
  ): Promise<{ files: Partial<Record<MetricsTable, RecentFile>>; answered: Partial<Record<MetricsTable, RecentPass[]>>; read: number }> {
    const chain = earlier.last !== undefined && earlier.last.runs === earlier.runs ? earlier.last : undefined;
    const out: Partial<Record<MetricsTable, RecentFile>> = {};
    const answered: Partial<Record<MetricsTable, RecentPass[]>> = {};
    let read = 0;
    for (const table of ['profile', 'drift'] as const) {
      const from = lookbackStart(files[table], granularity, this.#reportWindows) ?? null;
      const dest = `${monitorDir(name)}/recent/${table}/${runId}.parquet`;
      const passes = [...new Map(queries[table].map((q) => passOf(q)).map((p) => [p.key, p])).values()];
      const merge = (inputs: string[]) => mergeTables(this.#artifacts, table, inputs, from, dest, this.#cacheDir, passes.map((p) => recentQuery(p.base, { from })));
      const prev = chain?.[table];
      let rows: Awaited<ReturnType<typeof merge>> = null;
      if (prev && (prev.from === null || (from !== null && prev.from <= from))) {
        const inputs = [prev.path, ...(own[table] === null ? [] : [own[table]])];
        read += inputs.length;
        rows = await merge(inputs);
      }
      if (rows === null) {
        const inputs = (from === null ? files[table] : files[table].filter((f) => f.bound >= from)).map((f) => f.path);
        read += inputs.length;
        rows = await merge(inputs);
      }
      if (rows !== null) {
        out[table] = { path: dest, from };
        answered[table] = passes.map((p, i) => ({ key: p.key, rows: rows[i]! }));
      }
    }
    return { files: out, answered, read };
  }

  /** The owner recorded on this service's runs. */
  get instanceId(): string {
    return this.#instanceId;
  }

  /** The monitoring store underneath (the scheduler reads due monitors from it). */
  get monitoringStore(): MonitoringStore {
    return this.#ms;
  }

  /**
   * Create a monitor from a definition (validated here: INVALID_PARAMETER_VALUE naming the field;
   * RESOURCE_ALREADY_EXISTS for a taken name). A scheduled monitor's first run is due at once.
   */
  async create(input: unknown, creator: string): Promise<Monitor> {
    const def = parseMonitorDefinition(input);
    const record = await this.#ms.createMonitor({
      name: def.name,
      definition: def,
      creator,
      nextRunTimestamp: def.schedule ? this.#now() : null,
      rules: def.alert_rules.map((r) => ({ name: r.name, definition: r })),
    });
    return toMonitor(record);
  }

  /** A monitor by name (RESOURCE_DOES_NOT_EXIST when unknown). */
  async get(name: string): Promise<Monitor> {
    return toMonitor(await this.#ms.getMonitor(name));
  }

  async list(): Promise<Monitor[]> {
    return (await this.#ms.listMonitors()).map(toMonitor);
  }

  /** Pause (no scheduled runs) or resume a monitor; resuming makes a scheduled one due now. */
  async setStatus(name: string, status: 'ACTIVE' | 'PAUSED'): Promise<Monitor> {
    const m = await this.get(name);
    const next = status === 'ACTIVE' && m.definition.schedule ? this.#now() : m.nextRunTimestamp;
    return toMonitor(await this.#ms.updateMonitor(name, { status, nextRunTimestamp: next }));
  }

  /** Delete a monitor, its runs, alerts and result files. */
  async delete(name: string): Promise<void> {
    await this.#ms.deleteMonitor(name);
    await this.#artifacts.delete(monitorDir(name)).catch((e: unknown) => this.#log(`removing the files of monitor ${name} failed`, e));
  }

  /** Runs of a monitor, newest first. */
  async runs(name: string, maxResults = 100): Promise<MonitorRunRecord[]> {
    await this.#ms.getMonitor(name);
    return this.#ms.listRuns(name, { maxResults });
  }

  getRun(runId: string): Promise<MonitorRunRecord> {
    return this.#ms.getRun(runId);
  }

  /** Alerts, newest first. */
  alerts(query: { monitor?: string; status?: 'FIRED' | 'RESOLVED'; maxResults?: number } = {}): Promise<AlertRecord[]> {
    return this.#ms.listAlerts({ ...(query.monitor === undefined ? {} : { monitorName: query.monitor }), ...(query.status === undefined ? {} : { status: query.status }), maxResults: query.maxResults ?? 100 });
  }

  /**
   * The merged profile or drift table of a monitor (newest run's row per key), filtered. With
   * `from`, only the run files that can hold windows from then on are read.
   */
  async metrics(name: string, table: MetricsTable, query: MetricsQuery = {}): Promise<Array<Record<string, unknown>>> {
    await this.#ms.getMonitor(name);
    const files = (await this.#files(name))[table];
    const from = query.from;
    return readTable(this.#artifacts, table, (from === undefined ? files : files.filter((f) => f.bound >= from)).map((f) => f.path), query, this.#cacheDir);
  }

  /** The HTML report of a run; RESOURCE_DOES_NOT_EXIST when the run has none (it failed). */
  async report(runId: string): Promise<Readable> {
    const run = await this.#ms.getRun(runId);
    const path = (run.summary as Partial<RunSummary> | null)?.report_path;
    if (path === undefined) throw notFound(`Monitor run '${runId}' has no report (status ${run.status}).`);
    return this.#artifacts.get(path);
  }

  /** Resolves when every retraining command launched so far has ended and been recorded. */
  async idle(): Promise<void> {
    await this.#chain.catch(() => undefined);
    while (this.#retrains.size > 0) await Promise.allSettled([...this.#retrains]);
  }

  /**
   * Run a monitor now (after any run in progress). Resolves with the finished run: SUCCEEDED with
   * its summary, or FAILED with the error. RESOURCE_DOES_NOT_EXIST for an unknown monitor.
   */
  run(name: string, trigger: 'SCHEDULE' | 'MANUAL' = 'MANUAL'): Promise<MonitorRunRecord> {
    const next = this.#chain.catch(() => undefined).then(() => this.#run(name, trigger));
    this.#chain = next;
    return next;
  }

  /** Set when a scheduled monitor is due next, from its schedule and `after`. */
  async scheduleNext(m: Monitor, after: number): Promise<void> {
    const at = m.definition.schedule ? nextRun(parseSchedule(m.definition.schedule), after) : null;
    await this.#ms.setNextRun(m.name, at);
  }

  /** The table files of a monitor's successful runs, oldest first, with the newest window each can hold. */
  async #files(name: string): Promise<Record<MetricsTable, RunFile[]>> {
    const runs = (await this.#ms.listRuns(name, { status: 'SUCCEEDED', maxResults: 100_000 })).reverse();
    return { profile: runFiles(runs, 'profile'), drift: runFiles(runs, 'drift') };
  }

  async #run(name: string, trigger: 'SCHEDULE' | 'MANUAL'): Promise<MonitorRunRecord> {
    const m = await this.get(name);
    const run = await this.#ms.startRun({ monitorName: name, monitorVersion: m.monitorVersion, trigger, owner: this.#instanceId, leaseMs: this.#leaseMs });
    // The heartbeat: while this process is alive and computing, nobody else may reclaim the run.
    const heartbeat = setInterval(() => {
      this.#ms.renewLease(run.runId, this.#instanceId, this.#leaseMs).catch((e: unknown) => this.#log(`renewing the lease of monitor run ${run.runId} failed`, e));
    }, Math.max(1, Math.floor(this.#leaseMs / 3)));
    heartbeat.unref();
    try {
      const def = m.definition;
      const result = await computeMonitor({ def, monitorVersion: m.monitorVersion, runId: run.runId, computedAt: run.startTimestamp, watermark: m.watermark, store: this.#store, logRoot: this.#logRoot, logFiles: { artifacts: this.#artifacts, cacheDir: this.#cacheDir } });
      const profilePath = await writeTable(this.#artifacts, name, 'profile', run.runId, result.profile, this.#cacheDir);
      const driftPath = await writeTable(this.#artifacts, name, 'drift', run.runId, result.drift, this.#cacheDir);
      const earlier = (await this.#ms.listRuns(name, { status: 'SUCCEEDED', maxResults: 100_000 })).reverse();
      // The previous run's recent files: the base of this run's, removed once this run has its own.
      const previous = (earlier.at(-1)?.summary as Partial<RunSummary> | null | undefined)?.recent;
      // This run's own files: the newest window they can hold is its newest row (a Snapshot: its start).
      const ownFiles = { profile: result.profile.length === 0 ? null : profilePath, drift: result.drift.length === 0 ? null : driftPath };
      const own = (path: string | null): RunFile[] => (path === null ? [] : [{ path, bound: result.newest ?? run.startTimestamp }]);
      const files = { profile: [...runFiles(earlier, 'profile'), ...own(ownFiles.profile)], drift: [...runFiles(earlier, 'drift'), ...own(ownFiles.drift)] };
      const granularity = def.profile.type === 'Snapshot' ? null : def.profile.granularities[0]!;
      // The report's queries and the rules': their passes over the recent files are answered as those are built.
      const whole: MetricsQuery = { slice_key: null, model_id: '*', ...(granularity === null ? {} : { granularity }) };
      const reportQueries = { profile: { ...whole, column_name: ':table', log_type: 'INPUT', max_results: 100_000 }, drift: { ...whole, max_results: 100_000 } };
      const queries: Record<MetricsTable, MetricsQuery[]> = { profile: [reportQueries.profile], drift: [reportQueries.drift] };
      for (const rule of def.alert_rules) {
        const { exclude_all_models: _x, ...q } = ruleQuery(rule, def);
        queries[rule.table].push(q);
      }
      const recent = await this.#recentFiles(name, run.runId, files, ownFiles, granularity, { runs: earlier.length, last: previous }, queries);
      const reads = new MetricReads(this.#artifacts, files, this.#cacheDir, recent.files, recent.answered);
      reads.count(recent.read);

      // The report's rows first: the rules' reads can mostly be served by the same passes.
      const reportFrom = (table: MetricsTable) => lookbackStart(reads.files(table), granularity, this.#reportWindows);
      const reportProfile = newestWindows((await reads.since('profile', reportQueries.profile, reportFrom('profile'))).rows, this.#reportWindows);
      const reportDrift = newestWindows((await reads.since('drift', reportQueries.drift, reportFrom('drift'))).rows, this.#reportWindows);

      const evaluations: RuleEvaluation[] = [];
      const fired: string[] = [];
      const resolved: string[] = [];
      for (const rule of def.alert_rules) {
        const { exclude_all_models, ...q } = ruleQuery(rule, def);
        // The newest N rows of the rule's series: read back N windows, further only while fewer rows qualify.
        const from = lookbackStart(reads.files(rule.table), q.granularity, rule.num_evaluation_windows);
        // Drift rows are for all models together (model_id `*`): a drift rule on other rows finds none in any file.
        const none = rule.table === 'drift' && (exclude_all_models || (q.model_id !== undefined && q.model_id !== '*'));
        const rows = none ? [] : await reads.newest(rule.table, { ...q, max_results: 100_000 }, from, (r) => evaluateRule(rule, r, exclude_all_models).evaluated >= rule.num_evaluation_windows);
        const e = evaluateRule(rule, rows, exclude_all_models);
        evaluations.push(e);
        const open = await this.#ms.openAlert(name, rule.name);
        if (e.violated && open === null) {
          const alert = await this.#ms.fireAlert({ monitorName: name, ruleName: rule.name, runId: run.runId, detail: e });
          fired.push(alert.alertId);
          await this.#onFired(m, alert, e, run.runId);
        } else if (!e.violated && open !== null) {
          resolved.push((await this.#ms.resolveAlert(open.alertId, run.runId)).alertId);
        }
      }

      const reportPath = `${monitorDir(name)}/reports/${run.runId}.html`;
      const summaryBase = {
        rows: result.rows,
        windows: result.windows,
        columns: result.columns,
        from: result.from,
        newest: result.newest,
        profile_rows: result.profile.length,
        drift_rows: result.drift.length,
      };
      const html = renderReport({
        monitor: name,
        runId: run.runId,
        startedAt: run.startTimestamp,
        granularity,
        summary: { ...summaryBase, from: iso(result.from), newest: iso(result.newest), alerts_fired: fired.length, alerts_resolved: resolved.length },
        profile: reportProfile,
        drift: reportDrift,
        evaluations,
      });
      await this.#artifacts.put(reportPath, Buffer.from(html));
      const summary: RunSummary = {
        ...summaryBase,
        profile_path: profilePath,
        drift_path: driftPath,
        report_path: reportPath,
        recent: { runs: earlier.length + 1, profile: recent.files.profile ?? null, drift: recent.files.drift ?? null },
        files_read: reads.filesRead,
        evaluations,
        alerts_fired: fired,
        alerts_resolved: resolved,
      };
      const finished = await this.#ms.finishRun(run.runId, { status: 'SUCCEEDED', summary, watermark: result.newest });
      // The previous run's recent files are superseded by this run's.
      for (const f of [previous?.profile, previous?.drift]) {
        if (f) await this.#artifacts.delete(f.path).catch((e: unknown) => this.#log(`removing ${f.path} failed`, e));
      }
      return finished;
    } catch (e) {
      if (!isHangarError(e) || e.code === 'INTERNAL_ERROR') this.#log(`monitor ${name} run ${run.runId} failed`, e);
      const message = e instanceof Error ? e.message : String(e);
      return this.#ms.finishRun(run.runId, { status: 'FAILED', errorMessage: message });
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** A fired alert: launch the rule's retraining command, then raise the webhook event. */
  async #onFired(m: Monitor, alert: AlertRecord, e: RuleEvaluation, runId: string): Promise<void> {
    const rule = m.definition.alert_rules.find((r) => r.name === alert.ruleName)!;
    let retrainRunId: string | null = null;
    if (rule.retrain) {
      try {
        const launched = await launchRetraining(rule.retrain, { store: this.#store, artifacts: this.#artifacts, monitor: m.name, monitorRunId: runId, alertId: alert.alertId, rule: rule.name, log: this.#log });
        retrainRunId = launched.runId;
        await this.#ms.setRetrainRun(alert.alertId, launched.runId);
        const p = launched.done.finally(() => this.#retrains.delete(p));
        this.#retrains.add(p);
      } catch (err) {
        this.#log(`retraining for alert ${alert.alertId} could not start`, err);
      }
    }
    const model = 'inference_log' in m.definition.source ? m.definition.source.inference_log.model : null;
    try {
      await this.#emit('monitor.alert_fired', {
        ...(model === null ? {} : { name: model }),
        monitor: m.name,
        rule: rule.name,
        alert_id: alert.alertId,
        run_id: runId,
        metric: e.metric,
        direction: e.direction,
        threshold: e.threshold,
        violations: e.violations,
        evaluated: e.evaluated,
        value: e.windows[0]?.value ?? null,
        window_start: e.windows[0] ? new Date(e.windows[0].start).toISOString() : null,
        retrain_run_id: retrainRunId,
      });
    } catch (err) {
      this.#log(`webhook event for alert ${alert.alertId} failed`, err);
    }
  }
}

function iso(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}
