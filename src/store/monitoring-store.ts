/**
 * The monitoring adapter: monitor definitions, their runs, alert rules and alerts, on the same
 * Kysely engine as the metadata store. Storage primitives only; what a monitor computes, when
 * it runs and when an alert fires live in `src/monitoring/monitors/` (the store layer may not
 * import domain code). Definitions are stored as JSON the domain validated.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { HangarError, alreadyExists, notFound } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Engine } from './dialects/engine.js';
import { inTransaction } from './transaction.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './port.js';
import type { Database } from './schema.js';
import type { MonitorAlertsTable, MonitorRunsTable, MonitorsTable } from './monitoring-schema.js';

type Db = Kysely<Database>;

/** A stored monitor. */
export interface MonitorRecord {
  name: string;
  /** The definition as the domain validated it (parsed JSON). */
  definition: unknown;
  /** 1 at creation, bumped on every update. */
  monitorVersion: number;
  status: 'ACTIVE' | 'PAUSED';
  creator: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  /** When the scheduler runs it next (epoch ms), null without a schedule. */
  nextRunTimestamp: number | null;
  /** Newest data timestamp the last successful run analysed, null before the first. */
  watermark: number | null;
}

export type MonitorRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** One run of a monitor. */
export interface MonitorRunRecord {
  runId: string;
  monitorName: string;
  monitorVersion: number;
  status: MonitorRunStatus;
  trigger: 'SCHEDULE' | 'MANUAL';
  startTimestamp: number;
  endTimestamp: number | null;
  errorMessage: string | null;
  /** What the run wrote and found (the domain's shape), null while running or after a failure. */
  summary: unknown;
  /** The server instance that ran it (null: recorded without an owner). */
  owner: string | null;
  /** Until when its owner's lease holds (epoch ms); null without a lease. */
  leaseExpires: number | null;
}

/** An alert rule of a monitor. */
export interface AlertRuleRecord {
  monitorName: string;
  ruleName: string;
  definition: unknown;
  creationTimestamp: number;
}

/** An alert: fired by a rule on a run, resolved by a later run that finds the rule no longer violated. */
export interface AlertRecord {
  alertId: string;
  monitorName: string;
  ruleName: string;
  status: 'FIRED' | 'RESOLVED';
  runId: string;
  resolvedRunId: string | null;
  firedTimestamp: number;
  resolvedTimestamp: number | null;
  /** The evaluation that fired it (the domain's shape). */
  detail: unknown;
  /** The MLflow run of the retraining it launched, if any. */
  retrainRunId: string | null;
}

function shortId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

const parse = (text: string | null): unknown => (text === null ? null : (JSON.parse(text) as unknown));

function toMonitor(r: Selectable<MonitorsTable>): MonitorRecord {
  return {
    name: r.name,
    definition: parse(r.definition),
    monitorVersion: Number(r.monitor_version),
    status: r.status === 'PAUSED' ? 'PAUSED' : 'ACTIVE',
    creator: r.creator,
    creationTimestamp: Number(r.creation_timestamp),
    lastUpdatedTimestamp: Number(r.last_updated_timestamp),
    nextRunTimestamp: r.next_run_timestamp === null ? null : Number(r.next_run_timestamp),
    watermark: r.watermark === null ? null : Number(r.watermark),
  };
}

function toRun(r: Selectable<MonitorRunsTable>): MonitorRunRecord {
  return {
    runId: r.run_id,
    monitorName: r.monitor_name,
    monitorVersion: Number(r.monitor_version),
    status: r.status as MonitorRunStatus,
    trigger: r.trigger === 'SCHEDULE' ? 'SCHEDULE' : 'MANUAL',
    startTimestamp: Number(r.start_timestamp),
    endTimestamp: r.end_timestamp === null ? null : Number(r.end_timestamp),
    errorMessage: r.error_message,
    summary: parse(r.summary),
    owner: r.owner ?? null,
    leaseExpires: r.lease_expires === null || r.lease_expires === undefined ? null : Number(r.lease_expires),
  };
}

function toAlert(r: Selectable<MonitorAlertsTable>): AlertRecord {
  return {
    alertId: r.alert_id,
    monitorName: r.monitor_name,
    ruleName: r.rule_name,
    status: r.status === 'RESOLVED' ? 'RESOLVED' : 'FIRED',
    runId: r.run_id,
    resolvedRunId: r.resolved_run_id,
    firedTimestamp: Number(r.fired_timestamp),
    resolvedTimestamp: r.resolved_timestamp === null ? null : Number(r.resolved_timestamp),
    detail: parse(r.detail),
    retrainRunId: r.retrain_run_id,
  };
}

/** Monitoring storage on the metadata store's engine. */
export class MonitoringStore {
  readonly #e: Engine;
  readonly #clock: Clock;

  constructor(engine: Engine, clock: Clock = systemClock) {
    this.#e = engine;
    this.#clock = clock;
  }

  /**
   * The monitoring store beside a metadata store opened by `openStore`. NOT_IMPLEMENTED for any
   * other Store (test doubles), since monitors need the SQL engine.
   */
  static for(store: Store, clock?: Clock): MonitoringStore {
    let engine: Engine | undefined;
    try {
      engine = KyselyStore.engineOf(store);
    } catch {
      engine = undefined;
    }
    if (engine === undefined) throw new HangarError('NOT_IMPLEMENTED', 'Monitors need a metadata store opened by openStore (SQLite or PostgreSQL).');
    return new MonitoringStore(engine, clock);
  }

  #tx<T>(mode: 'read' | 'write', fn: (trx: Db) => Promise<T>): Promise<T> {
    return inTransaction(this.#e, mode, fn);
  }

  // --- monitors ------------------------------------------------------------------------------

  /**
   * Store a new monitor and its alert rules in one transaction. RESOURCE_ALREADY_EXISTS when
   * the name is taken.
   */
  createMonitor(input: {
    name: string;
    definition: unknown;
    creator: string;
    nextRunTimestamp: number | null;
    rules: ReadonlyArray<{ name: string; definition: unknown }>;
  }): Promise<MonitorRecord> {
    return this.#tx('write', async (trx) => {
      const existing = await trx.selectFrom('monitors').select('name').where('name', '=', input.name).executeTakeFirst();
      if (existing !== undefined) throw alreadyExists(`Monitor '${input.name}' already exists.`);
      const now = this.#clock.now();
      const row: MonitorsTable = {
        name: input.name,
        definition: JSON.stringify(input.definition),
        monitor_version: 1,
        status: 'ACTIVE',
        creator: input.creator,
        creation_timestamp: now,
        last_updated_timestamp: now,
        next_run_timestamp: input.nextRunTimestamp,
        watermark: null,
      };
      await trx.insertInto('monitors').values(row).execute();
      await insertRules(trx, input.name, input.rules, now);
      return toMonitor(row);
    });
  }

  /** A monitor by name; RESOURCE_DOES_NOT_EXIST when there is none. */
  getMonitor(name: string): Promise<MonitorRecord> {
    return this.#tx('read', async (trx) => toMonitor(await monitorRow(trx, name)));
  }

  /** Every monitor, by name. */
  listMonitors(): Promise<MonitorRecord[]> {
    return this.#tx('read', async (trx) => (await trx.selectFrom('monitors').selectAll().orderBy('name').execute()).map(toMonitor));
  }

  /**
   * Replace a monitor's definition and/or rules, or change its status; a definition change
   * bumps `monitorVersion`. RESOURCE_DOES_NOT_EXIST for an unknown monitor.
   */
  updateMonitor(
    name: string,
    patch: { definition?: unknown; rules?: ReadonlyArray<{ name: string; definition: unknown }>; status?: 'ACTIVE' | 'PAUSED'; nextRunTimestamp?: number | null },
  ): Promise<MonitorRecord> {
    return this.#tx('write', async (trx) => {
      const row = await monitorRow(trx, name);
      const now = this.#clock.now();
      const next: MonitorsTable = {
        ...row,
        ...(patch.definition === undefined ? {} : { definition: JSON.stringify(patch.definition), monitor_version: Number(row.monitor_version) + 1 }),
        ...(patch.status === undefined ? {} : { status: patch.status }),
        ...(patch.nextRunTimestamp === undefined ? {} : { next_run_timestamp: patch.nextRunTimestamp }),
        last_updated_timestamp: now,
      };
      await trx.updateTable('monitors').set(next).where('name', '=', name).execute();
      if (patch.rules !== undefined) {
        await trx.deleteFrom('monitor_alert_rules').where('monitor_name', '=', name).execute();
        await insertRules(trx, name, patch.rules, now);
      }
      return toMonitor(next);
    });
  }

  /** Delete a monitor with its runs, rules and alerts. RESOURCE_DOES_NOT_EXIST for an unknown one. */
  deleteMonitor(name: string): Promise<void> {
    return this.#tx('write', async (trx) => {
      await monitorRow(trx, name);
      // Children first, so engines without enforced cascades agree.
      await trx.deleteFrom('monitor_alerts').where('monitor_name', '=', name).execute();
      await trx.deleteFrom('monitor_alert_rules').where('monitor_name', '=', name).execute();
      await trx.deleteFrom('monitor_runs').where('monitor_name', '=', name).execute();
      await trx.deleteFrom('monitors').where('name', '=', name).execute();
    });
  }

  /** ACTIVE monitors whose next run is at or before `now`, earliest first. */
  dueMonitors(now: number): Promise<MonitorRecord[]> {
    return this.#tx('read', async (trx) =>
      (
        await trx
          .selectFrom('monitors')
          .selectAll()
          .where('status', '=', 'ACTIVE')
          .where('next_run_timestamp', 'is not', null)
          .where('next_run_timestamp', '<=', now)
          .orderBy('next_run_timestamp')
          .orderBy('name')
          .execute()
      ).map(toMonitor),
    );
  }

  /** Set when the scheduler runs a monitor next (null: never). */
  setNextRun(name: string, at: number | null): Promise<void> {
    return this.#tx('write', async (trx) => {
      await trx.updateTable('monitors').set({ next_run_timestamp: at }).where('name', '=', name).execute();
    });
  }

  // --- runs ----------------------------------------------------------------------------------

  /**
   * Record a run as RUNNING; RESOURCE_DOES_NOT_EXIST for an unknown monitor. With an `owner`,
   * the run holds a lease of `leaseMs` (default 60 s) that the owner renews while it runs.
   */
  startRun(input: { monitorName: string; monitorVersion: number; trigger: 'SCHEDULE' | 'MANUAL'; owner?: string; leaseMs?: number }): Promise<MonitorRunRecord> {
    return this.#tx('write', async (trx) => {
      await monitorRow(trx, input.monitorName);
      const now = this.#clock.now();
      const row: MonitorRunsTable = {
        run_id: shortId('mrun'),
        monitor_name: input.monitorName,
        monitor_version: input.monitorVersion,
        status: 'RUNNING',
        trigger: input.trigger,
        start_timestamp: now,
        end_timestamp: null,
        error_message: null,
        summary: null,
        owner: input.owner ?? null,
        lease_expires: input.owner === undefined ? null : now + (input.leaseMs ?? 60_000),
      };
      await trx.insertInto('monitor_runs').values(row).execute();
      return toRun(row);
    });
  }

  /**
   * Finish a run. A successful run may move the monitor's watermark, in the same transaction,
   * so a run's results and the point the next run starts from never disagree.
   */
  finishRun(runId: string, outcome: { status: 'SUCCEEDED' | 'FAILED'; errorMessage?: string | null; summary?: unknown; watermark?: number | null }): Promise<MonitorRunRecord> {
    return this.#tx('write', async (trx) => {
      const row = await trx.selectFrom('monitor_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
      if (row === undefined) throw notFound(`Monitor run '${runId}' not found.`);
      const next: MonitorRunsTable = {
        ...row,
        status: outcome.status,
        end_timestamp: this.#clock.now(),
        error_message: outcome.errorMessage ?? null,
        summary: outcome.summary === undefined ? null : JSON.stringify(outcome.summary),
      };
      await trx.updateTable('monitor_runs').set(next).where('run_id', '=', runId).execute();
      if (outcome.status === 'SUCCEEDED' && outcome.watermark !== undefined && outcome.watermark !== null) {
        await trx.updateTable('monitors').set({ watermark: outcome.watermark }).where('name', '=', row.monitor_name).execute();
      }
      return toRun(next);
    });
  }

  /** A run by id; RESOURCE_DOES_NOT_EXIST when there is none. */
  getRun(runId: string): Promise<MonitorRunRecord> {
    return this.#tx('read', async (trx) => {
      const row = await trx.selectFrom('monitor_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
      if (row === undefined) throw notFound(`Monitor run '${runId}' not found.`);
      return toRun(row);
    });
  }

  /** A monitor's runs, newest first. */
  listRuns(monitorName: string, options: { maxResults?: number; status?: MonitorRunStatus } = {}): Promise<MonitorRunRecord[]> {
    return this.#tx('read', async (trx) => {
      let q = trx.selectFrom('monitor_runs').selectAll().where('monitor_name', '=', monitorName);
      if (options.status !== undefined) q = q.where('status', '=', options.status);
      const rows = await q.orderBy('start_timestamp', 'desc').orderBy('run_id', 'desc').limit(options.maxResults ?? 1000).execute();
      return rows.map(toRun);
    });
  }

  /**
   * Extend the lease of a RUNNING run its `owner` holds to `leaseMs` from now. False when the
   * run is no longer RUNNING under that owner (finished, or reclaimed after the lease expired).
   */
  renewLease(runId: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.#tx('write', async (trx) => {
      const result = await trx
        .updateTable('monitor_runs')
        .set({ lease_expires: this.#clock.now() + leaseMs })
        .where('run_id', '=', runId)
        .where('owner', '=', owner)
        .where('status', '=', 'RUNNING')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  /**
   * Mark RUNNING runs whose owner's lease has expired (or that have no lease) as FAILED; returns
   * how many. Runs another live process holds are left alone.
   */
  failAbandonedRuns(message: string): Promise<number> {
    return this.#tx('write', async (trx) => {
      const now = this.#clock.now();
      const result = await trx
        .updateTable('monitor_runs')
        .set({ status: 'FAILED', error_message: message, end_timestamp: now })
        .where('status', '=', 'RUNNING')
        .where((eb) => eb.or([eb('lease_expires', 'is', null), eb('lease_expires', '<', now)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  // --- rules and alerts ------------------------------------------------------------------------

  /** A monitor's alert rules, by name. */
  listRules(monitorName: string): Promise<AlertRuleRecord[]> {
    return this.#tx('read', async (trx) =>
      (await trx.selectFrom('monitor_alert_rules').selectAll().where('monitor_name', '=', monitorName).orderBy('rule_name').execute()).map((r) => ({
        monitorName: r.monitor_name,
        ruleName: r.rule_name,
        definition: parse(r.definition),
        creationTimestamp: Number(r.creation_timestamp),
      })),
    );
  }

  /** The FIRED alert of a rule, if one is open. */
  openAlert(monitorName: string, ruleName: string): Promise<AlertRecord | null> {
    return this.#tx('read', async (trx) => {
      const row = await trx
        .selectFrom('monitor_alerts')
        .selectAll()
        .where('monitor_name', '=', monitorName)
        .where('rule_name', '=', ruleName)
        .where('status', '=', 'FIRED')
        .executeTakeFirst();
      return row === undefined ? null : toAlert(row);
    });
  }

  /** Record a fired alert. */
  fireAlert(input: { monitorName: string; ruleName: string; runId: string; detail: unknown }): Promise<AlertRecord> {
    return this.#tx('write', async (trx) => {
      const row: MonitorAlertsTable = {
        alert_id: shortId('alert'),
        monitor_name: input.monitorName,
        rule_name: input.ruleName,
        status: 'FIRED',
        run_id: input.runId,
        resolved_run_id: null,
        fired_timestamp: this.#clock.now(),
        resolved_timestamp: null,
        detail: JSON.stringify(input.detail),
        retrain_run_id: null,
      };
      await trx.insertInto('monitor_alerts').values(row).execute();
      return toAlert(row);
    });
  }

  /** Resolve a fired alert; RESOURCE_DOES_NOT_EXIST for an unknown one. */
  resolveAlert(alertId: string, runId: string): Promise<AlertRecord> {
    return this.#updateAlert(alertId, { status: 'RESOLVED', resolved_run_id: runId, resolved_timestamp: this.#clock.now() });
  }

  /** Link an alert to the MLflow run of the retraining it launched. */
  setRetrainRun(alertId: string, retrainRunId: string): Promise<AlertRecord> {
    return this.#updateAlert(alertId, { retrain_run_id: retrainRunId });
  }

  #updateAlert(alertId: string, patch: Partial<MonitorAlertsTable>): Promise<AlertRecord> {
    return this.#tx('write', async (trx) => {
      const row = await trx.selectFrom('monitor_alerts').selectAll().where('alert_id', '=', alertId).executeTakeFirst();
      if (row === undefined) throw notFound(`Alert '${alertId}' not found.`);
      const next = { ...row, ...patch };
      await trx.updateTable('monitor_alerts').set(next).where('alert_id', '=', alertId).execute();
      return toAlert(next);
    });
  }

  /** Alerts, newest first, optionally of one monitor and/or status. */
  listAlerts(query: { monitorName?: string; status?: 'FIRED' | 'RESOLVED'; maxResults?: number } = {}): Promise<AlertRecord[]> {
    return this.#tx('read', async (trx) => {
      let q = trx.selectFrom('monitor_alerts').selectAll();
      if (query.monitorName !== undefined) q = q.where('monitor_name', '=', query.monitorName);
      if (query.status !== undefined) q = q.where('status', '=', query.status);
      const rows = await q.orderBy('fired_timestamp', 'desc').orderBy('alert_id', 'desc').limit(query.maxResults ?? 1000).execute();
      return rows.map(toAlert);
    });
  }
}

async function monitorRow(trx: Db, name: string): Promise<MonitorsTable> {
  const row = await trx.selectFrom('monitors').selectAll().where('name', '=', name).executeTakeFirst();
  if (row === undefined) throw notFound(`Monitor '${name}' not found.`);
  return row;
}

async function insertRules(trx: Db, monitorName: string, rules: ReadonlyArray<{ name: string; definition: unknown }>, now: number): Promise<void> {
  for (const rule of rules) {
    await trx
      .insertInto('monitor_alert_rules')
      .values({ monitor_name: monitorName, rule_name: rule.name, definition: JSON.stringify(rule.definition), creation_timestamp: now })
      .execute();
  }
}
