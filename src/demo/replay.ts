import { InferenceClient, MonitorsClient, OnlineFeaturesClient, type HangarClient, type MetricsRow } from '../client/index.js';
import { readTable, sqlString, type Column, type Table } from '../data/index.js';
import { startServe } from '../serving/index.js';

/**
 * The last loop of the main job (issue 5): the champion is served, May and June 2001 are replayed
 * day by day as traffic (features looked up in the online store, materialised each morning as a
 * daily job would; each row carries its departure time, which the server logs as its event time), the
 * outcomes arrive as labels the same evening, and a monitor over the inference log itself (with
 * the labels) measures drift against the training set and quality per daily window. When its
 * alert rule fires, the caller retrains and promotes; serving follows the champion alias while
 * the next day's traffic flows, and the replay carries on to the last day on the new champion.
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

/** What the models look up online: the features of `MODEL_TABLES`. */
const LOOKUPS = ['origin_delays_7d:origin_delay_rate_7d', 'origin_delays_7d:origin_flights_7d', 'route_delays_7d:route_delay_rate_7d', 'route_delays_7d:route_flights_7d'];
/**
 * The feature service of `examples/flights/features.ts` (applied by the main job before the
 * replay): exactly `LOOKUPS`, in that order, so the look-ups ask for it by name.
 */
const FEATURE_SERVICE = 'flights_delay_model_v1';

/** What the caller did about an alert. */
export interface AlertOutcome {
  /** The version now champion, when the retrained model was promoted; null otherwise. */
  promoted: string | null;
}

export interface ReplayOptions {
  modelName: string;
  dataPath: string;
  /** Keep one May–June flight in this many as traffic. */
  every: number;
  /** Feature tables to materialise each day (every table of the example; the models look up `MODEL_TABLES`). */
  tables: readonly string[];
  /** The drift baseline (Parquet of the training set, or a sample of it). */
  baselinePath: string;
  /** Daily AUC below this in 2 of the last 5 windows (the newest among them) fires the retraining rule. */
  aucThreshold: number;
  /**
   * Called the evening the rule fires, with the end (exclusive) of the labelled days. The replay
   * waits for it, then serves whatever the champion alias points at from the next morning.
   */
  onAlert?: (alert: ReplayAlert) => Promise<AlertOutcome>;
  /** Rows per scoring request. Default 25. */
  batchRows?: number;
  /** First and last (inclusive) day replayed, `YYYY-MM-DD`. Default 2001-05-01 and 2001-06-30. */
  firstDay?: string;
  lastDay?: string;
  log: (line: string) => void;
}

/** An alert the replay saw fire. */
export interface ReplayAlert {
  alertId: string;
  day: string;
  detail: Record<string, unknown>;
  /** End (exclusive, epoch ms) of the labelled days when it fired. */
  labelledThrough: number;
}

/** One daily window as the monitor reported it. */
export interface ReplayWindow {
  day: string;
  rows: number;
  auc: number | null;
  /** Model versions that scored the window's rows, with their row counts (from the monitor's per-model rows). */
  versions: Record<string, number>;
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
  /** Days replayed, first to last. */
  days: string[];
  windows: ReplayWindow[];
  /** Alerts that fired, in order, with what the caller did. */
  alerts: Array<ReplayAlert & AlertOutcome>;
  /** Versions that answered, per replayed day (from the answers' `x-model-version`). */
  served: Record<string, Record<string, number>>;
  /** Looked-up feature values stamped after the flight they were looked up for (must be 0). */
  futureLookups: number;
  /** The model swaps serving made (day, from, to), with the requests of that day before and after. */
  swaps: Array<{ day: string; from: string; to: string }>;
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

/** POST /invocations; each row's departure (`date`, the server's --event-time-column) is its event time. */
async function score(url: string, records: Array<Record<string, unknown>>): Promise<{ requestId: string; version: string; predictions: unknown[] }> {
  const res = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dataframe_records: records }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /invocations answered ${res.status}: ${text.slice(0, 200)}`);
  return { requestId: res.headers.get('x-request-id') ?? '', version: res.headers.get('x-model-version') ?? '?', predictions: (JSON.parse(text) as { predictions: unknown[] }).predictions };
}

/** Serve, replay, label, monitor; on an alert, let the caller retrain and promote, then carry on. */
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

  // The replay writes 2001 into the model's inference log: a log left by an earlier replay in this home would count twice.
  const pruned = await inference.prune({ olderThanMs: 0, model: o.modelName });
  const serve = await startServe({
    modelUri: `models:/${o.modelName}@champion`,
    trackingUri: client.trackingUri,
    host: '127.0.0.1',
    port: 0,
    // The alias is re-checked when the demo promotes (POST /hangar/refresh, as a registry webhook would), not by polling.
    pollMs: 0,
    warmup: 2_000,
    graceMs: 1_000,
    eventTimeColumn: 'date',
    inferenceLog: { flushIntervalMs: 3_600_000 },
    log: () => undefined,
  });
  const startVersion = serve.primary.current?.version ?? '?';
  log(
    `serve       models:/${o.modelName}@champion (v${startVersion}) on ${serve.url}; each row's departure (column date) is its event time in the inference log, ` +
      `flushed each evening${pruned.files > 0 ? ` (${pruned.rows.toLocaleString('en-US')} rows of an earlier replay pruned)` : ''}`,
  );

  // One monitor over the model's inference log and its labels, windowed by event time.
  const monitor = `${o.modelName}-daily`;
  await monitors.delete(monitor).catch(() => undefined);
  await monitors.create({
    name: monitor,
    description: `Daily drift (vs the training set) and quality of ${o.modelName} on the replayed May–June 2001 traffic, from its inference log.`,
    source: { inference_log: { model: o.modelName } },
    profile: {
      type: 'InferenceLog',
      timestamp_col: 'timestamp',
      granularities: ['1 day'],
      model_id_col: 'model_version',
      prediction_col: 'prediction',
      label_col: 'label',
      prediction_proba_col: 'prediction_proba',
      problem_type: 'PROBLEM_TYPE_CLASSIFICATION',
    },
    baseline: o.baselinePath,
    columns: [...INPUT_COLUMNS],
    // Labels arrive the same evening: only today's window (and yesterday's) can change.
    refresh_days: 1,
    alert_rules: [{ name: 'auc-2-of-5', metric: 'roc_auc', table: 'profile', direction: 'below', threshold: o.aucThreshold, num_evaluation_windows: 5, num_violation_windows: 2 }],
  });
  log(
    `monitor     ${monitor}: the inference log joined with its labels, daily windows by event time, drift vs the training set, AUC once labels exist; ` +
      `rule: AUC < ${o.aucThreshold} in 2 of the last 5 days (newest included)`,
  );

  const days: string[] = [];
  const served: ReplayResult['served'] = {};
  const alerts: ReplayResult['alerts'] = [];
  const swaps: ReplayResult['swaps'] = [];
  let requests = 0;
  let rows = 0;
  let failed = 0;
  let futureLookups = 0;
  let refresh: Promise<void> | null = null;
  const t0 = performance.now();
  // Where the replay's time goes, printed with it.
  const spent = { materialise: 0, traffic: 0, labels: 0, monitor: 0, retrain: 0 };
  let mark = performance.now();
  const lap = (k: keyof typeof spent): void => {
    const now = performance.now();
    spent[k] += now - mark;
    mark = now;
  };
  let i = 0;
  try {
    for (let day = first; day <= last; day += DAY) {
      const today = isoDay(day);
      // Morning: the daily job puts the features of the week before today into the online store.
      mark = performance.now();
      await online.materialize(day, day + DAY, { tables: [...o.tables] });
      lap('materialise');
      const labels: Array<{ requestId: string; label: string; timestamp: number }> = [];
      const versions: Record<string, number> = {};
      while (i < traffic.rows && date[i]! < day + DAY) {
        const from = i;
        while (i < traffic.rows && i - from < batchRows && date[i]! < day + DAY) i++;
        const entities = { origin: [] as string[], destination: [] as string[] };
        for (let r = from; r < i; r++) {
          entities.origin.push(valueAt(origin, r) as string);
          entities.destination.push(valueAt(destination, r) as string);
        }
        const answer = await online.get({ featureService: FEATURE_SERVICE, entities });
        const found = online.rows(answer);
        // A value stamped after its flight's departure would be the future leaking into the features
        // (an online store an earlier run filled up to June): it is withheld, and counted.
        answer.results.forEach((res, c) => {
          const feature = answer.metadata.feature_names[c]!;
          if (!LOOKUPS.some((l) => l.endsWith(`:${feature}`))) return;
          res.event_timestamps.forEach((ts, k) => {
            if (res.statuses[k] === 'PRESENT' && Date.parse(ts) > date[from + k]!) {
              futureLookups++;
              found[k]![feature] = null;
            }
          });
        });
        const records = found.map((f, k) => ({
          date: new Date(date[from + k]!).toISOString(),
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
          const a = await score(serve.url, records);
          versions[a.version] = (versions[a.version] ?? 0) + records.length;
          for (let k = 0; k < records.length; k++) {
            // The outcome is known once the flight has left: a label in the classes the model predicts.
            labels.push({ requestId: `${a.requestId}/${k}`, label: valueAt(delayed, from + k) === 1 ? 'true' : 'false', timestamp: date[from + k]! });
          }
          rows += records.length;
        } catch {
          failed++;
        }
      }
      days.push(today);
      served[today] = versions;
      if (refresh !== null) {
        await refresh;
        refresh = null;
      }
      lap('traffic');
      // Evening: the log is flushed, the day's outcomes arrive as labels, the monitor runs.
      await serve.inferenceLog?.flush();
      for (let k = 0; k < labels.length; k += 50_000) await inference.logLabels(o.modelName, labels.slice(k, k + 50_000));
      lap('labels');
      const run = await monitors.run(monitor);
      if (run.status !== 'SUCCEEDED') throw new Error(`monitor run ${run.runId} ${run.status}: ${run.errorMessage ?? ''}`);
      lap('monitor');
      const fired = (run.summary?.alerts_fired ?? []) as string[];
      if (fired.length > 0) {
        const a = (await monitors.alerts({ name: monitor })).find((x) => x.alertId === fired[0]);
        const alert: ReplayAlert = { alertId: fired[0]!, day: today, detail: a?.detail ?? {}, labelledThrough: day + DAY };
        const outcome = o.onAlert === undefined ? { promoted: null } : await o.onAlert(alert);
        alerts.push({ ...alert, ...outcome });
        lap('retrain');
        if (outcome.promoted !== null && day < last) {
          // Serving follows the alias while tomorrow's traffic flows: loaded and warmed aside, swapped between requests.
          const before = serve.primary.current?.version ?? '?';
          const tomorrow = isoDay(day + DAY);
          refresh = fetch(`${serve.url}/hangar/refresh`, { method: 'POST' }).then(async (r) => {
            if (!r.ok) throw new Error(`POST /hangar/refresh answered ${r.status}`);
            const body = (await r.json()) as { version: string | null };
            swaps.push({ day: tomorrow, from: before, to: body.version ?? '?' });
          });
        }
      }
    }
  } finally {
    await serve.close();
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const sec = (ms: number): string => (ms / 1000).toFixed(1);
  log(
    `replay      ${days.length} days (${days[0]} … ${days.at(-1)}), ${rows.toLocaleString('en-US')} flights in ${requests.toLocaleString('en-US')} requests of ≤ ${batchRows} rows, ` +
      `${failed} failed; features looked up by service ${FEATURE_SERVICE}; labels posted each evening (${seconds} s: materialise ${sec(spent.materialise)}, traffic ${sec(spent.traffic)}, ` +
      `log and labels ${sec(spent.labels)}, monitor runs ${sec(spent.monitor)}, retraining ${sec(spent.retrain)})`,
  );
  log(
    `            feature values looked up from after their flight's departure: ${futureLookups}` +
      (futureLookups > 0 ? ' (withheld; an earlier run in this home filled the online store past May 1 — replay in a fresh --home for the full features)' : ''),
  );

  const windows = await dailyWindows(monitors, monitor);
  return { monitor, requests, rows, failed, days, windows, alerts, served, futureLookups, swaps };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Per day: rows, AUC and versions (whole table and per model), and the baseline drift of a few columns. */
async function dailyWindows(monitors: MonitorsClient, name: string): Promise<ReplayWindow[]> {
  const profile = await monitors.profileMetrics(name, { granularity: '1 day', columnName: ':table', wholeTable: true, logType: 'INPUT', maxResults: 10_000 });
  const drift = await monitors.driftMetrics(name, { granularity: '1 day', wholeTable: true, driftType: 'BASELINE', maxResults: 10_000 });
  const byDay = new Map<string, ReplayWindow>();
  const at = (r: MetricsRow): ReplayWindow | undefined => {
    if (r.window === null) return undefined;
    const day = isoDay(r.window.start);
    let w = byDay.get(day);
    if (w === undefined) {
      w = { day, rows: 0, auc: null, versions: {}, drift: {} };
      byDay.set(day, w);
    }
    return w;
  };
  const whole = (r: MetricsRow): boolean => r.model_id === '*' || r.model_id === null || r.model_id === undefined;
  for (const r of profile) {
    const w = at(r);
    if (w === undefined) continue;
    if (whole(r)) {
      w.rows = num(r.count) ?? w.rows;
      w.auc = num(r.roc_auc) ?? w.auc;
    } else if ((num(r.count) ?? 0) > 0) {
      w.versions[String(r.model_id)] = num(r.count)!;
    }
  }
  for (const r of drift) {
    if (!whole(r)) continue;
    if (r.column_name !== 'route_delay_rate_7d' && r.column_name !== 'origin_delay_rate_7d' && r.column_name !== 'hour') continue;
    const w = at(r);
    if (w === undefined) continue;
    const metric = r.population_stability_index !== undefined && r.population_stability_index !== null ? 'population_stability_index' : 'js_distance';
    w.drift[r.column_name] = { metric, value: num(r[metric]) };
  }
  return [...byDay.values()].filter((w) => w.rows > 0).sort((a, b) => a.day.localeCompare(b.day));
}
