import { useState, type MouseEvent, type ReactNode } from 'react';
import { fetchBytes } from '../lib/api.ts';
import { formatDuration, formatTime, formatValue } from '../lib/format.ts';
import { hangar, type AlertRule, type Monitor, type ProfileRow } from '../lib/hangar-api.ts';
import { monitorReportUrl } from '../lib/hangar-helpers.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import { ThresholdChart, type Series } from '../components/ThresholdChart.tsx';
import { MonitorSource } from './MonitorsPage.tsx';
import '../components/pages-extra.css';

/** Table-level metrics worth a column, in this order; a column shows only when some window has a value. */
const WINDOW_METRICS = [
  'count',
  'labeled_count',
  'accuracy_score',
  'precision_score',
  'recall_score',
  'f1_score',
  'roc_auc',
  'log_loss',
  'root_mean_squared_error',
  'mean_absolute_error',
  'r2_score',
  'throughput_per_second',
  'error_rate',
  'latency_p95_ms',
];

/** The newest evaluated window of an alert's detail (the rule's evaluation, windows newest first). */
function newestWindow(detail: Record<string, unknown> | null): Record<string, unknown> | undefined {
  const w = detail?.windows;
  return Array.isArray(w) && w.length > 0 && typeof w[0] === 'object' ? (w[0] as Record<string, unknown>) : undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The rules drawn on a chart: those on the profile table's whole-table rows; else the default quality metric. */
function chartRules(m: Monitor): Array<Pick<AlertRule, 'metric' | 'direction' | 'granularity' | 'model_id' | 'name'> & { threshold?: number }> {
  const rules = (m.definition.alert_rules ?? []).filter((r) => (r.table ?? 'profile') === 'profile' && (r.column_name ?? ':table') === ':table' && r.slice_key === undefined);
  if (rules.length > 0) return rules;
  const pt = m.definition.profile.problem_type;
  if (pt === 'PROBLEM_TYPE_CLASSIFICATION') return [{ name: 'accuracy', metric: 'accuracy_score' }];
  if (pt === 'PROBLEM_TYPE_REGRESSION') return [{ name: 'rmse', metric: 'root_mean_squared_error' }];
  return [{ name: 'rows', metric: 'count' }];
}

/** One line per model version (or all models, `*`), as an alert rule reads them. */
function seriesOf(rows: ProfileRow[], metric: string, granularity: string | undefined, modelId: string | undefined, perModel: boolean): Series[] {
  const byModel = new Map<string, Series>();
  for (const r of rows) {
    if (r.window === null || (granularity !== undefined && r.granularity !== granularity)) continue;
    const model = r.model_id ?? '*';
    if (modelId !== undefined ? model !== modelId : perModel ? model === '*' : model !== '*') continue;
    const y = num(r[metric]);
    if (y === undefined) continue;
    const name = model === '*' ? 'all models' : `version ${model}`;
    const s = byModel.get(name) ?? { name, points: [] };
    s.points.push({ x: r.window.start, y });
    byModel.set(name, s);
  }
  for (const s of byModel.values()) s.points.sort((a, b) => a.x - b.x);
  return [...byModel.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * A blob tab keeps the UI's content security policy, which refuses the report's inline
 * `<style>`; a constructed stylesheet is not inline markup, so once the report has loaded its
 * own styles are applied that way (its scripts, had it any, stay refused).
 */
function restyle(tab: Window, url: string): void {
  const started = Date.now();
  const timer = setInterval(() => {
    try {
      if (tab.closed || Date.now() - started > 10_000) return clearInterval(timer);
      const doc = tab.document;
      if (tab.location.href !== url || doc.readyState !== 'complete') return;
      clearInterval(timer);
      const css = [...doc.querySelectorAll('style')].map((el) => el.textContent ?? '').join('\n');
      if (css === '') return;
      const sheet = new (tab as Window & typeof globalThis).CSSStyleSheet();
      sheet.replaceSync(css);
      doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    } catch {
      // The tab went elsewhere (another origin): leave it alone.
      clearInterval(timer);
    }
  }, 50);
}

/**
 * A link to a run's HTML report that fetches it with the API token: a plain link sends none,
 * so a server started with --auth refuses it when anonymous callers may not read the monitor.
 * The report opens from a blob URL in a new tab (opened during the click, so popup blockers let
 * it through); a refusal shows under the link.
 */
function ReportLink({ runId, children }: { runId: string; children: ReactNode }) {
  const [error, setError] = useState<unknown>(undefined);
  const href = monitorReportUrl(runId);
  const open = async (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    setError(undefined);
    const tab = window.open('', '_blank');
    if (tab !== null) tab.opener = null;
    try {
      const url = URL.createObjectURL(new Blob([await fetchBytes(href)], { type: 'text/html;charset=utf-8' }));
      if (tab === null) window.location.assign(url);
      else {
        tab.location.href = url;
        restyle(tab, url);
      }
      // The tab has loaded the report long before this; a reload of it after that finds nothing.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      tab?.close();
      setError(err);
    }
  };
  return (
    <>
      <a href={href} target="_blank" rel="noreferrer" onClick={(e) => void open(e)}>
        {children}
      </a>
      <ErrorBox error={error} />
    </>
  );
}

/**
 * `/monitors/:name`: a monitor's definition, a chart of each alert rule's metric over the
 * windows with its threshold (or the quality metric when there are no rules), the windows
 * table per model version, the alerts, and the runs with links to their HTML reports.
 */
export function MonitorPage({ name }: { name: string }) {
  useTitle(name);
  const monitor = useLoad(() => hangar.monitor(name), [name]);
  const metrics = useLoad(() => hangar.profileMetrics({ name, column_name: ':table', whole_table: true, log_type: 'INPUT' }), [name]);
  const alerts = useLoad(() => hangar.monitorAlerts(name), [name]);
  const runs = useLoad(() => hangar.monitorRuns(name, 20), [name]);
  const m = monitor.data?.monitor;
  const rows = metrics.data?.rows ?? [];
  const model = m !== undefined && 'inference_log' in m.definition.source ? m.definition.source.inference_log.model : undefined;
  const perModel = m?.definition.profile.type === 'InferenceLog';
  const firstGranularity = m?.definition.profile.granularities?.[0];
  const shown = WINDOW_METRICS.filter((k) => rows.some((r) => num(r[k]) !== undefined));
  const windowRows = [...rows].filter((r) => r.window !== null).sort((a, b) => b.window!.start - a.window!.start || String(a.granularity).localeCompare(String(b.granularity)) || String(a.model_id).localeCompare(String(b.model_id)));

  return (
    <section>
      <div className="crumbs">
        <Link to="/monitors">Monitors</Link> ›
      </div>
      <h1>
        {name} {m !== undefined && <span className={`badge status-${m.status.toLowerCase()}`}>{m.status}</span>}
      </h1>
      <ErrorBox error={monitor.error} />
      {monitor.loading && m === undefined && <p className="loading muted">Loading…</p>}
      {m !== undefined && (
        <dl className="facts">
          <dt>Watches</dt>
          <dd>
            <MonitorSource def={m.definition} />
          </dd>
          <dt>Profile</dt>
          <dd>
            {m.definition.profile.type}
            {m.definition.profile.problem_type !== undefined && <span className="muted"> ({m.definition.profile.problem_type.replace('PROBLEM_TYPE_', '').toLowerCase()})</span>}
            {(m.definition.profile.granularities ?? []).length > 0 && <span className="muted">, windows of {(m.definition.profile.granularities ?? []).join(', ')}</span>}
          </dd>
          <dt>Baseline</dt>
          <dd className="mono">{m.definition.baseline ?? <span className="muted">none</span>}</dd>
          <dt>Schedule</dt>
          <dd className="mono">{m.definition.schedule ?? <span className="muted">on demand</span>}</dd>
          <dt>Alert rules</dt>
          <dd>
            {(m.definition.alert_rules ?? []).length === 0 && <span className="muted">none</span>}
            {(m.definition.alert_rules ?? []).map((r) => (
              <div key={r.name}>
                <strong>{r.name}</strong>: <span className="mono">{r.metric}</span> {r.direction ?? 'above'} {formatValue(r.threshold)} in {r.num_violation_windows ?? 2} of the last {r.num_evaluation_windows ?? 5} windows
              </div>
            ))}
          </dd>
          <dt>Created</dt>
          <dd>
            {formatTime(m.creation_timestamp)} by {m.creator} (definition version {m.monitor_version})
          </dd>
          <dt>Data up to</dt>
          <dd>{formatTime(m.watermark ?? undefined) || <span className="muted">not run yet</span>}</dd>
        </dl>
      )}

      <h2>Quality over windows</h2>
      <ErrorBox error={metrics.error} />
      {metrics.loading && metrics.data === undefined && <p className="loading muted">Loading…</p>}
      {m !== undefined && metrics.data !== undefined && rows.length === 0 && <p className="muted">No windows yet: the monitor has not run, or its data has no rows.</p>}
      {m !== undefined && rows.length > 0 && (
        <div className="wide-charts">
          {chartRules(m).map((r) => (
            <ThresholdChart
              key={r.name}
              title={`${r.metric}${r.granularity ?? firstGranularity ? ` per ${r.granularity ?? firstGranularity}` : ''}`}
              series={seriesOf(rows, r.metric, r.granularity ?? firstGranularity ?? undefined, r.model_id, perModel)}
              threshold={r.threshold}
              direction={r.direction}
            />
          ))}
        </div>
      )}

      <h2>Windows</h2>
      {metrics.data !== undefined && windowRows.length === 0 && <p className="muted">No windows.</p>}
      {windowRows.length > 0 && (
        <div className="table-scroll">
          <table className="grid" aria-label="Windows">
            <thead>
              <tr>
                <th>Window start</th>
                <th>Granularity</th>
                <th>Model version</th>
                {shown.map((k) => (
                  <th key={k} className="num">
                    {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {windowRows.map((r) => (
                <tr key={`${r.window!.start}/${r.granularity}/${r.model_id}`}>
                  <td>{formatTime(r.window!.start)}</td>
                  <td>{r.granularity ?? ''}</td>
                  <td>
                    {r.model_id === null || r.model_id === '*' ? (
                      <span className="muted">all</span>
                    ) : model !== undefined ? (
                      <Link to={`/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(r.model_id)}`}>{r.model_id}</Link>
                    ) : (
                      r.model_id
                    )}
                  </td>
                  {shown.map((k) => (
                    <td key={k} className="num">
                      {num(r[k]) === undefined ? '' : formatValue(num(r[k]))}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Alerts</h2>
      <ErrorBox error={alerts.error} />
      {alerts.data !== undefined && (alerts.data.alerts ?? []).length === 0 && <p className="muted">No alerts have fired.</p>}
      {(alerts.data?.alerts ?? []).length > 0 && (
        <DataTable label="Alerts" columns={['Rule', 'Status', 'Fired', 'Resolved', { num: 'Newest value' }, 'Newest window', 'Violations', 'Retraining run', 'Report']} scroll>
          {(alerts.data?.alerts ?? []).map((a) => (
            <tr key={a.alert_id}>
              <td>{a.rule_name}</td>
              <td>
                <span className={`badge status-${a.status.toLowerCase()}`}>{a.status}</span>
              </td>
              <td>{formatTime(a.fired_timestamp)}</td>
              <td>{formatTime(a.resolved_timestamp ?? undefined)}</td>
              <td className="num">{formatValue(num(newestWindow(a.detail)?.value))}</td>
              <td>{formatTime(num(newestWindow(a.detail)?.start))}</td>
              <td>{num(a.detail?.violations) === undefined ? '' : `${num(a.detail?.violations)} of ${num(a.detail?.evaluated) ?? '?'} windows`}</td>
              <td className="mono">{a.retrain_run_id ? <Link to={`/runs/${encodeURIComponent(a.retrain_run_id)}`}>{a.retrain_run_id.slice(0, 8)}</Link> : ''}</td>
              <td>
                <ReportLink runId={a.run_id}>report</ReportLink>
              </td>
            </tr>
          ))}
        </DataTable>
      )}

      <h2>Runs</h2>
      <ErrorBox error={runs.error} />
      {runs.data !== undefined && (runs.data.runs ?? []).length === 0 && <p className="muted">The monitor has not run yet.</p>}
      {(runs.data?.runs ?? []).length > 0 && (
        <DataTable label="Monitor runs" columns={['Started', 'Status', 'Trigger', 'Duration', { num: 'Rows' }, { num: 'Windows' }, 'Report', 'Error']} scroll>
          {(runs.data?.runs ?? []).map((r) => (
            <tr key={r.run_id}>
              <td>{formatTime(r.start_timestamp)}</td>
              <td>
                <span className={`badge status-${r.status.toLowerCase()}`}>{r.status}</span>
              </td>
              <td>{r.trigger}</td>
              <td>{formatDuration(r.start_timestamp, r.end_timestamp ?? undefined)}</td>
              <td className="num">{formatValue(num(r.summary?.rows))}</td>
              <td className="num">{formatValue(num(r.summary?.windows))}</td>
              <td>
                {r.status === 'SUCCEEDED' && (
                  <ReportLink runId={r.run_id}>HTML report</ReportLink>
                )}
              </td>
              <td className="text">{r.error_message ?? ''}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
