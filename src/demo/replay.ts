import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceClient, MonitorsClient, OnlineFeaturesClient, scoreRecords, type HangarClient, type MetricsRow } from '../client/index.js';
import { readTable, sqlString, type Column, type Table } from '../data/index.js';
import { startServe } from '../serving/index.js';

/**
 * The last loop of the main job (issue 5): the champion is served, May and June 2001 are replayed
 * day by day as traffic (features looked up in the online store, materialised each morning as a
 * daily job would), the outcomes arrive as labels the next day, a monitor with daily windows
 * measures drift against the training set and quality once labels exist, and its alert rule
 * decides when to retrain.
 *
 * One liberty, said in the output too: the inference log stamps rows with the wall-clock arrival
 * time, and the replay runs today, so the monitored table takes each row's time from its label
 * (the flight's departure), joining the log's prediction and label files on the request id.
 */

const DAY = 86_400_000;

/** The model's input columns, as the training set holds them. */
export const INPUT_COLUMNS = [
  'origin',
  'destination',
  'distance',
  'hour',
  'weekday',
  'origin_delay_rate_7d',
  'origin_flights_7d',
  'route_delay_rate_7d',
  'route_flights_7d',
] as const;

export interface ReplayOptions {
  modelName: string;
  dataPath: string;
  /** Keep one May–June flight in this many as traffic. */
  every: number;
  /** Feature tables to materialise each day and look up (`origin_delays_7d`, `route_delays_7d`). */
  tables: readonly string[];
  /** The training set's Parquet: the drift baseline. */
  baselinePath: string;
  /** Where the monitored table is written. */
  workDir: string;
  /** Daily AUC below this in 2 of the last 5 windows (the newest among them) fires the retraining rule. */
  aucThreshold: number;
  /** Rows per scoring request. Default 25. */
  batchRows?: number;
  /** First and last (inclusive) day replayed, `YYYY-MM-DD`. Default 2001-05-01 and 2001-06-30. */
  firstDay?: string;
  lastDay?: string;
  log: (line: string) => void;
}

/** One daily window as the monitor reported it. */
export interface ReplayWindow {
  day: string;
  rows: number;
  auc: number | null;
  /** Baseline drift statistics (`column: statistic value`) of a few columns. */
  drift: Record<string, { metric: string; value: number | null }>;
}

export interface ReplayResult {
  /** The monitor's name. */
  monitor: string;
  /** Requests and rows sent to the scoring server; failed requests (none expected). */
  requests: number;
  rows: number;
  failed: number;
  /** Days replayed (the replay stops the day the alert fires). */
  days: string[];
  windows: ReplayWindow[];
  /** The alert, when the rule fired. */
  alert: { alertId: string; day: string; detail: Record<string, unknown> } | null;
  /** End (exclusive, epoch ms) of the newest labelled day. */
  labelledThrough: number;
}

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function valueAt(c: Column, i: number): string | number | null {
  if (c.type === 'string') {
    const code = c.codes[i]!;
    return code < 0 ? null : c.categories[code]!;
  }
  const v = c.values[i]!;
  return Number.isNaN(v) ? null : v;
}

function column(t: Table, name: string): Column {
  const c = t.columns.find((x) => x.name === name);
  if (c === undefined) throw new Error(`column ${name} missing from ${t.source.slice(0, 80)}`);
  return c;
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Serve, replay, label, monitor; stops after the day the retraining rule fires. */
export async function replayTraffic(client: HangarClient, o: ReplayOptions): Promise<ReplayResult> {
  const { log } = o;
  const online = new OnlineFeaturesClient({ trackingUri: client.trackingUri, maxRetries: 2, backoffMs: 100 });
  const inference = new InferenceClient({ trackingUri: client.trackingUri, maxRetries: 2, backoffMs: 100 });
  const monitors = new MonitorsClient({ trackingUri: client.trackingUri, maxRetries: 2, backoffMs: 100 });
  const batchRows = o.batchRows ?? 25;
  const first = Date.parse(`${o.firstDay ?? '2001-05-01'}T00:00:00Z`);
  const last = Date.parse(`${o.lastDay ?? '2001-06-30'}T00:00:00Z`);

  const file = sqlString(o.dataPath);
  const traffic = await readTable(
    `select date, origin, destination, distance, hour(date) as hour, dayofweek(date) as weekday, (delay > 15)::INTEGER as delayed from ${file} ` +
      `where date >= ${sqlString(new Date(first).toISOString())}::TIMESTAMP and date < ${sqlString(new Date(last + DAY).toISOString())}::TIMESTAMP ` +
      `and hash(date, origin, destination, distance) % ${o.every} = 0 order by date`,
  );
  const dateColumn = column(traffic, 'date');
  if (dateColumn.type !== 'timestamp') throw new Error(`date is ${dateColumn.type}, not a timestamp`);
  const date = dateColumn.values;
  const origin = column(traffic, 'origin');
  const destination = column(traffic, 'destination');
  const distance = column(traffic, 'distance');
  const hour = column(traffic, 'hour');
  const weekday = column(traffic, 'weekday');
  const delayed = column(traffic, 'delayed');

  const serve = await startServe({
    modelUri: `models:/${o.modelName}@champion`,
    trackingUri: client.trackingUri,
    host: '127.0.0.1',
    port: 0,
    pollMs: 0,
    inferenceLog: { flushIntervalMs: 3_600_000 },
    log: () => undefined,
  });
  const version = serve.primary.current?.version ?? '?';
  log(`serve       models:/${o.modelName}@champion (v${version}) on ${serve.url}; inference log on, flushed after each day`);

  // The monitor reads a table the job rewrites each day; a fresh name per champion keeps runs apart.
  const monitor = `${o.modelName}-daily-v${version}`;
  await mkdir(o.workDir, { recursive: true });
  const tablePath = join(o.workDir, `${monitor}.csv`);
  await monitors.delete(monitor).catch(() => undefined);
  await writeMonitoredTable(tablePath, null, new Set());
  await monitors.create({
    name: monitor,
    description: `Daily drift (vs the training set) and quality of ${o.modelName} v${version} on the replayed May–June 2001 traffic.`,
    source: { table: tablePath },
    profile: {
      type: 'InferenceLog',
      timestamp_col: 'departure',
      granularities: ['1 day'],
      model_id_col: 'model_version',
      prediction_col: 'prediction',
      label_col: 'label',
      prediction_proba_col: 'prediction_proba',
      problem_type: 'PROBLEM_TYPE_CLASSIFICATION',
    },
    baseline: o.baselinePath,
    columns: [...INPUT_COLUMNS],
    alert_rules: [{ name: 'auc-2-of-5', metric: 'roc_auc', table: 'profile', direction: 'below', threshold: o.aucThreshold, num_evaluation_windows: 5, num_violation_windows: 2 }],
  });
  log(`monitor     ${monitor}: daily windows, drift vs the training set, AUC once labels exist; rule: AUC < ${o.aucThreshold} in 2 of the last 5 days (newest included)`);

  const sent = new Set<string>();
  const days: string[] = [];
  let requests = 0;
  let rows = 0;
  let failed = 0;
  let alert: ReplayResult['alert'] = null;
  let labelledThrough = first;
  const t0 = performance.now();
  // Where the replay's time goes, printed with it: the daily jobs cost more than the traffic.
  const spent = { materialise: 0, traffic: 0, labels: 0, monitor: 0 };
  let mark = performance.now();
  const lap = (k: keyof typeof spent): void => {
    const now = performance.now();
    spent[k] += now - mark;
    mark = now;
  };
  let i = 0;
  try {
    for (let day = first; day <= last && alert === null; day += DAY) {
      // Morning: the daily job puts the features of the week before today into the online store.
      mark = performance.now();
      await online.materialize(day, day + DAY, { tables: [...o.tables] });
      lap('materialise');
      const labels: Array<{ requestId: string; label: number; timestamp: number }> = [];
      while (i < traffic.rows && date[i]! < day + DAY) {
        const from = i;
        while (i < traffic.rows && i - from < batchRows && date[i]! < day + DAY) i++;
        const entities = { origin: [] as string[], destination: [] as string[] };
        for (let r = from; r < i; r++) {
          entities.origin.push(valueAt(origin, r) as string);
          entities.destination.push(valueAt(destination, r) as string);
        }
        const found = online.rows(
          await online.get({
            features: ['origin_delays_7d:origin_delay_rate_7d', 'origin_delays_7d:origin_flights_7d', 'route_delays_7d:route_delay_rate_7d', 'route_delays_7d:route_flights_7d'],
            entities,
          }),
        );
        const records = found.map((f, k) => ({
          origin: entities.origin[k],
          destination: entities.destination[k],
          distance: valueAt(distance, from + k),
          hour: valueAt(hour, from + k),
          weekday: valueAt(weekday, from + k),
          origin_delay_rate_7d: f.origin_delay_rate_7d ?? null,
          origin_flights_7d: f.origin_flights_7d ?? null,
          route_delay_rate_7d: f.route_delay_rate_7d ?? null,
          route_flights_7d: f.route_flights_7d ?? null,
        }));
        requests++;
        try {
          const answer = await scoreRecords(serve.url, records);
          for (let k = 0; k < records.length; k++) {
            const requestId = `${answer.requestId}/${k}`;
            sent.add(requestId);
            labels.push({ requestId, label: valueAt(delayed, from + k) as number, timestamp: date[from + k]! });
          }
          rows += records.length;
        } catch {
          failed++;
        }
      }
      days.push(isoDay(day));
      lap('traffic');
      // Evening: the log is flushed, the day's outcomes arrive as labels, the monitor runs.
      await serve.inferenceLog?.flush();
      for (let k = 0; k < labels.length; k += 50_000) await inference.logLabels(o.modelName, labels.slice(k, k + 50_000));
      labelledThrough = day + DAY;
      await writeMonitoredTable(tablePath, await monitoredRows(inference, o.modelName), sent);
      lap('labels');
      const run = await monitors.run(monitor);
      if (run.status !== 'SUCCEEDED') throw new Error(`monitor run ${run.runId} ${run.status}: ${run.errorMessage ?? ''}`);
      lap('monitor');
      const fired = (run.summary?.alerts_fired ?? []) as string[];
      if (fired.length > 0) {
        const a = (await monitors.alerts({ name: monitor })).find((x) => x.alertId === fired[0]);
        alert = { alertId: fired[0]!, day: isoDay(day), detail: a?.detail ?? {} };
      }
    }
  } finally {
    await serve.close();
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  log(
    `replay      ${days.length} days (${days[0]} … ${days.at(-1)}), ${rows.toLocaleString('en-US')} flights in ${requests.toLocaleString('en-US')} requests of ≤ ${batchRows} rows, ` +
      `${failed} failed; labels posted each evening (${seconds} s: materialise ${(spent.materialise / 1000).toFixed(1)}, traffic ${(spent.traffic / 1000).toFixed(1)}, ` +
      `log and labels ${(spent.labels / 1000).toFixed(1)}, monitor runs ${(spent.monitor / 1000).toFixed(1)})`,
  );
  log(`            (the log stamps rows with today's arrival time; the monitored table takes each row's day from its label, the departure)`);

  const windows = await dailyWindows(monitors, monitor);
  return { monitor, requests, rows, failed, days, windows, alert, labelledThrough };
}

/** Predictions joined with their labels, from the inference log's own files. */
async function monitoredRows(inference: InferenceClient, model: string): Promise<Table | null> {
  const preds = (await inference.listFiles(model, { kind: 'predictions' })).map((f) => f.path);
  const labels = (await inference.listFiles(model, { kind: 'labels' })).map((f) => f.path);
  if (preds.length === 0 || labels.length === 0) return null;
  const list = (paths: string[]) => `[${paths.map(sqlString).join(', ')}]`;
  return readTable(
    `select l.timestamp as departure, p.request_id, p.model_version, ` +
      `case when lower(p.prediction::VARCHAR) in ('true', '1', '1.0') then 1 else 0 end as prediction, p.prediction_proba, l.label, ` +
      `${INPUT_COLUMNS.map((c) => `p.${c}`).join(', ')} ` +
      `from read_parquet(${list(preds)}, union_by_name = true, hive_partitioning = false) p ` +
      `join read_parquet(${list(labels)}, union_by_name = true, hive_partitioning = false) l using (request_id) ` +
      `where p.status = 'OK' order by l.timestamp`,
  );
}

/** Rewrite the monitored CSV (temp file, then rename): this replay's rows only. */
async function writeMonitoredTable(path: string, t: Table | null, keep: Set<string>): Promise<void> {
  const names = ['departure', 'model_version', 'prediction', 'prediction_proba', 'label', ...INPUT_COLUMNS];
  const lines = [names.join(',')];
  if (t !== null) {
    const ids = column(t, 'request_id');
    const cols = names.map((n) => column(t, n));
    for (let r = 0; r < t.rows; r++) {
      if (!keep.has(valueAt(ids, r) as string)) continue;
      lines.push(cols.map((c) => (c.type === 'timestamp' ? csvCell(Number.isNaN(c.values[r]!) ? null : new Date(c.values[r]!).toISOString()) : csvCell(valueAt(c, r)))).join(','));
    }
  } else {
    // An empty table still needs its types for the monitor's first look.
    lines.push(['2001-01-01T00:00:00.000Z', '0', '0', '0.5', '0', 'X', 'X', '0', '0', '0', '0', '0', '0', '0'].join(','));
  }
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${lines.join('\n')}\n`);
  await rename(tmp, path);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Per day: rows and AUC (whole table), and the baseline drift of the two rate features. */
async function dailyWindows(monitors: MonitorsClient, name: string): Promise<ReplayWindow[]> {
  const profile = await monitors.profileMetrics(name, { granularity: '1 day', columnName: ':table', wholeTable: true, logType: 'INPUT', maxResults: 10_000 });
  const drift = await monitors.driftMetrics(name, { granularity: '1 day', wholeTable: true, driftType: 'BASELINE', maxResults: 10_000 });
  const byDay = new Map<string, ReplayWindow>();
  const at = (r: MetricsRow): ReplayWindow | undefined => {
    if (r.window === null) return undefined;
    const day = isoDay(r.window.start);
    let w = byDay.get(day);
    if (w === undefined) {
      w = { day, rows: 0, auc: null, drift: {} };
      byDay.set(day, w);
    }
    return w;
  };
  for (const r of profile) {
    if (r.model_id !== '*' && r.model_id !== null && r.model_id !== undefined) continue;
    const w = at(r);
    if (w === undefined) continue;
    w.rows = num(r.count) ?? w.rows;
    w.auc = num(r.roc_auc) ?? w.auc;
  }
  for (const r of drift) {
    if (r.model_id !== '*' && r.model_id !== null && r.model_id !== undefined) continue;
    if (r.column_name !== 'route_delay_rate_7d' && r.column_name !== 'origin_delay_rate_7d' && r.column_name !== 'hour') continue;
    const w = at(r);
    if (w === undefined) continue;
    const metric = r.population_stability_index !== undefined && r.population_stability_index !== null ? 'population_stability_index' : 'js_distance';
    w.drift[r.column_name] = { metric, value: num(r[metric]) };
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
}
