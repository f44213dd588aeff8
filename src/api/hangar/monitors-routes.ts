/**
 * Monitors over REST, under `/api/2.0/hangar/monitors/…`: create, get, list, delete, pause,
 * resume, run now, runs (list, get, report), the profile and drift metric tables, and alerts.
 * Also starts the monitor scheduler with the server and stops it on close.
 *
 * Permissions: a monitor of a model's inference log needs CAN_EDIT on the model to create, run
 * or delete, CAN_READ to read. A monitor over a table, or one with a retraining command (which
 * runs a program on the server), needs an admin.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { HangarError } from '../../core/errors.js';
import type { Principal } from '../../governance/index.js';
import { MonitorScheduler, MonitorService, parseMonitorDefinition, type Monitor, type MonitorDefinition } from '../../monitoring/index.js';
import { inferenceLogRoot } from '../../serving/index.js';
import type { AlertRecord, MonitorRunRecord } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { intLike, parseInput } from '../input.js';
import { governanceOf, principalOf } from './auth.js';
import { hangarRoute } from './routes.js';

/** The wire form of a monitor. */
export function monitorToWire(m: Monitor): Record<string, unknown> {
  return {
    name: m.name,
    definition: m.definition,
    monitor_version: m.monitorVersion,
    status: m.status,
    creator: m.creator,
    creation_timestamp: m.creationTimestamp,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    next_run_timestamp: m.nextRunTimestamp,
    watermark: m.watermark,
  };
}

export function runToWire(r: MonitorRunRecord): Record<string, unknown> {
  return {
    run_id: r.runId,
    monitor_name: r.monitorName,
    monitor_version: r.monitorVersion,
    status: r.status,
    trigger: r.trigger,
    start_timestamp: r.startTimestamp,
    end_timestamp: r.endTimestamp,
    error_message: r.errorMessage,
    summary: r.summary,
  };
}

export function alertToWire(a: AlertRecord): Record<string, unknown> {
  return {
    alert_id: a.alertId,
    monitor_name: a.monitorName,
    rule_name: a.ruleName,
    status: a.status,
    run_id: a.runId,
    resolved_run_id: a.resolvedRunId,
    fired_timestamp: a.firedTimestamp,
    resolved_timestamp: a.resolvedTimestamp,
    retrain_run_id: a.retrainRunId,
    detail: a.detail,
  };
}

const nameInput = z.object({ name: z.string().min(1) });
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const metricsInput = z.object({
  name: z.string().min(1),
  granularity: z.string().min(1).optional(),
  column_name: z.string().min(1).optional(),
  slice_key: z.string().min(1).optional(),
  slice_value: z.string().optional(),
  /** Only whole-table rows (slice_key NULL). */
  whole_table: bool.optional(),
  model_id: z.string().min(1).optional(),
  log_type: z.enum(['INPUT', 'BASELINE']).optional(),
  drift_type: z.enum(['CONSECUTIVE', 'BASELINE']).optional(),
  from: intLike.optional(),
  to: intLike.optional(),
  max_results: intLike.pipe(z.number().int().min(1).max(100_000)).optional(),
});

export function registerMonitorRoutes(ctx: ApiContext): void {
  let service: MonitorService | undefined;
  const svc = (): MonitorService =>
    (service ??= new MonitorService({
      store: ctx.store,
      artifacts: ctx.artifacts,
      // Where `hangar serve` and the tracking server write inference logs.
      logRoot: inferenceLogRoot(ctx.config),
      // Copies of remote metric tables and log files live under the home, as the data capabilities' do.
      cacheDir: join(ctx.config.home, 'cache', 'data'),
      log: (message, detail) => ctx.app.log.warn({ err: detail }, message),
    }));
  const gov = () => governanceOf(ctx.store);
  let scheduler: MonitorScheduler | undefined;

  const modelOf = (def: MonitorDefinition): string | null => ('inference_log' in def.source ? def.source.inference_log.model : null);
  const mayWrite = async (p: Principal, def: MonitorDefinition, what: string): Promise<void> => {
    const model = modelOf(def);
    if (model === null || def.alert_rules.some((r) => r.retrain)) gov().requireAdmin(p, `${what} (a monitor over a table or with a retraining command)`);
    else await gov().require(p, model, 'CAN_EDIT', what);
  };
  const mayRead = async (p: Principal, def: MonitorDefinition): Promise<void> => {
    const model = modelOf(def);
    if (model !== null) await gov().require(p, model, 'CAN_READ', 'read a monitor of this model');
  };

  hangarRoute(ctx, 'POST', '/monitors/create', async (req) => {
    const def = parseMonitorDefinition(req.json);
    req.audit = { entityType: 'monitor', entityId: def.name };
    await mayWrite(principalOf(req), def, 'create a monitor');
    const monitor = await svc().create(def, principalOf(req).name);
    req.audit.after = monitorToWire(monitor);
    // A scheduled monitor's first run is due now: start it without waiting for the next tick.
    if (monitor.nextRunTimestamp !== null) void scheduler?.tick();
    return { monitor: monitorToWire(monitor) };
  });

  hangarRoute(ctx, 'GET', '/monitors/get', async (req) => {
    const q = parseInput(nameInput, req.json);
    const m = await svc().get(q.name);
    await mayRead(principalOf(req), m.definition);
    return { monitor: monitorToWire(m) };
  });

  hangarRoute(ctx, 'GET', '/monitors/list', async (req) => {
    const p = principalOf(req);
    const visible: Monitor[] = [];
    for (const m of await svc().list()) {
      try {
        await mayRead(p, m.definition);
        visible.push(m);
      } catch (e) {
        if (!(e instanceof HangarError && (e.code === 'PERMISSION_DENIED' || e.code === 'UNAUTHENTICATED'))) throw e;
      }
    }
    return { monitors: visible.map(monitorToWire) };
  });

  hangarRoute(ctx, 'DELETE', '/monitors/delete', async (req) => {
    const q = parseInput(nameInput, req.json);
    req.audit = { entityType: 'monitor', entityId: q.name };
    const m = await svc().get(q.name);
    await mayWrite(principalOf(req), m.definition, 'delete a monitor');
    req.audit.before = monitorToWire(m);
    await svc().delete(q.name);
    return {};
  });

  for (const [path, status] of [
    ['/monitors/pause', 'PAUSED'],
    ['/monitors/resume', 'ACTIVE'],
  ] as const) {
    hangarRoute(ctx, 'POST', path, async (req) => {
      const q = parseInput(nameInput, req.json);
      req.audit = { entityType: 'monitor', entityId: q.name };
      const m = await svc().get(q.name);
      await mayWrite(principalOf(req), m.definition, `${status === 'PAUSED' ? 'pause' : 'resume'} a monitor`);
      return { monitor: monitorToWire(await svc().setStatus(q.name, status)) };
    });
  }

  hangarRoute(ctx, 'POST', '/monitors/run', async (req) => {
    const q = parseInput(nameInput, req.json);
    req.audit = { entityType: 'monitor', entityId: q.name };
    const m = await svc().get(q.name);
    await mayWrite(principalOf(req), m.definition, 'run a monitor');
    const run = await svc().run(q.name, 'MANUAL');
    req.audit.after = { run_id: run.runId, status: run.status };
    return { run: runToWire(run) };
  });

  hangarRoute(ctx, 'GET', '/monitors/runs/list', async (req) => {
    const q = parseInput(nameInput.extend({ max_results: intLike.pipe(z.number().int().min(1).max(10_000)).optional() }), req.json);
    const m = await svc().get(q.name);
    await mayRead(principalOf(req), m.definition);
    return { runs: (await svc().runs(q.name, q.max_results ?? 100)).map(runToWire) };
  });

  hangarRoute(ctx, 'GET', '/monitors/runs/get', async (req) => {
    const q = parseInput(z.object({ run_id: z.string().min(1) }), req.json);
    const run = await svc().getRun(q.run_id);
    await mayRead(principalOf(req), (await svc().get(run.monitorName)).definition);
    return { run: runToWire(run) };
  });

  hangarRoute(ctx, 'GET', '/monitors/runs/report', async (req, reply) => {
    const q = parseInput(z.object({ run_id: z.string().min(1) }), req.json);
    const run = await svc().getRun(q.run_id);
    await mayRead(principalOf(req), (await svc().get(run.monitorName)).definition);
    const body = await svc().report(q.run_id);
    return reply.type('text/html; charset=utf-8').send(body);
  });

  for (const table of ['profile', 'drift'] as const) {
    hangarRoute(ctx, 'GET', `/monitors/metrics/${table}`, async (req) => {
      const q = parseInput(metricsInput, req.json);
      if (q.whole_table === true && q.slice_key !== undefined) throw new HangarError('INVALID_PARAMETER_VALUE', 'Give either whole_table or slice_key, not both.', { field: 'whole_table' });
      const m = await svc().get(q.name);
      await mayRead(principalOf(req), m.definition);
      const rows = await svc().metrics(q.name, table, {
        ...(q.granularity === undefined ? {} : { granularity: q.granularity }),
        ...(q.column_name === undefined ? {} : { column_name: q.column_name }),
        ...(q.whole_table === true ? { slice_key: null } : q.slice_key === undefined ? {} : { slice_key: q.slice_key }),
        ...(q.slice_value === undefined ? {} : { slice_value: q.slice_value }),
        ...(q.model_id === undefined ? {} : { model_id: q.model_id }),
        ...(q.log_type === undefined ? {} : { log_type: q.log_type }),
        ...(q.drift_type === undefined ? {} : { drift_type: q.drift_type }),
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
        ...(q.max_results === undefined ? {} : { max_results: q.max_results }),
      });
      return { rows: rows.map(finite) };
    });
  }

  hangarRoute(ctx, 'GET', '/monitors/alerts/list', async (req) => {
    const q = parseInput(
      z.object({ name: z.string().min(1).optional(), status: z.enum(['FIRED', 'RESOLVED']).optional(), max_results: intLike.pipe(z.number().int().min(1).max(10_000)).optional() }),
      req.json,
    );
    if (q.name !== undefined) await mayRead(principalOf(req), (await svc().get(q.name)).definition);
    else gov().requireAdmin(principalOf(req), 'list the alerts of every monitor');
    const alerts = await svc().alerts({ ...(q.name === undefined ? {} : { monitor: q.name }), ...(q.status === undefined ? {} : { status: q.status }), maxResults: q.max_results ?? 100 });
    return { alerts: alerts.map(alertToWire) };
  });

  // The scheduler lives with the server: started when it is ready, stopped when it closes.
  ctx.app.addHook('onReady', async () => {
    try {
      scheduler = new MonitorScheduler(svc(), { log: (message, detail) => ctx.app.log.warn({ err: detail }, message) });
      await scheduler.start();
    } catch (e) {
      // A store test double has no SQL engine: no monitors, no scheduler.
      if (e instanceof HangarError && e.code === 'NOT_IMPLEMENTED') scheduler = undefined;
      else ctx.app.log.error({ err: e }, 'the monitor scheduler did not start');
    }
  });
  ctx.app.addHook('onClose', async () => {
    await scheduler?.stop();
  });
}

/** JSON has no ±Infinity (a χ² statistic can be one): sent as the strings "Infinity" / "-Infinity". */
function finite(row: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity') : v))) as Record<string, unknown>;
}
