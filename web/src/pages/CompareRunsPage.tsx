import { useState, type ReactNode } from 'react';
import { api, call, type Experiment, type Metric, type Run } from '../lib/api.ts';
import { formatDuration, formatTime, formatValue, plottable } from '../lib/format.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { LineChart, historyPoints, seriesStyle, type ChartSeries } from '../components/LineChart.tsx';
import { Link } from '../components/Link.tsx';
import { ScatterChart, type ScatterPoint } from '../components/ScatterChart.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import '../components/pages-extra.css';
import '../components/compare.css';

/** `metrics/get-history-bulk-interval` takes at most this many runs per call. */
const BULK_RUNS = 100;

/**
 * The run IDs of `?runs=`: a comma list (`a,b`, what the runs table links to) or MLflow's JSON
 * array (`["a","b"]`, from `/#/compare-runs?runs=[…]`), in order, without repeats or blanks.
 */
export function parseRunIds(value: string | null): string[] {
  const text = (value ?? '').trim();
  let ids: unknown[] = text.split(',');
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) ids = parsed;
    } catch {
      // Not JSON after all: read as a comma list, brackets and quotes stripped.
      ids = text.replace(/[[\]"]/g, '').split(',');
    }
  }
  return [...new Set(ids.filter((id): id is string => typeof id === 'string').map((id) => id.trim()))].filter((id) => id !== '');
}

/** One compared run: the run, its colour and the name shown for it (unique on the page). */
interface Compared {
  run: Run;
  label: string;
  colour: string;
  dash?: string;
}

interface Loaded {
  compared: Compared[];
  missing: Array<{ id: string; error: unknown }>;
  experiments: Map<string, Experiment>;
  /** Each metric's history by run, asked for as soon as the runs were known. */
  histories: Promise<Map<string, Map<string, Metric[]>>>;
}

/** IDs that can go into a filter's quoted list as they are (MLflow's run IDs are hex). */
const PLAIN_ID = /^[\w-]+$/;

/**
 * The runs of `ids`, in order: the first with `runs/get` (for its experiment), the rest of that
 * experiment with one `runs/search` (`attributes.run_id IN (…)`), and any the search did not
 * return (another experiment, deleted, unknown) with `runs/get` each, whose error is kept.
 */
async function fetchRuns(ids: string[]): Promise<Array<PromiseSettledResult<Run>>> {
  const byId = new Map<string, PromiseSettledResult<Run>>();
  const first = ids[0] as string;
  try {
    byId.set(first, { status: 'fulfilled', value: (await api.getRun(first)).run });
  } catch (reason) {
    byId.set(first, { status: 'rejected', reason });
  }
  const firstRun = byId.get(first);
  const rest = ids.slice(1).filter((id) => PLAIN_ID.test(id));
  if (firstRun?.status === 'fulfilled' && rest.length > 0) {
    try {
      const res = await api.searchRuns({
        experiment_ids: [firstRun.value.info.experiment_id],
        filter: `attributes.run_id IN (${rest.map((id) => `'${id}'`).join(', ')})`,
        max_results: rest.length,
      });
      for (const run of res.runs ?? []) byId.set(run.info.run_id, { status: 'fulfilled', value: run });
    } catch {
      // The search is only a shortcut: every run it did not give is asked for by itself below.
    }
  }
  const left = ids.filter((id) => !byId.has(id));
  const got = await Promise.allSettled(left.map((id) => api.getRun(id).then((r) => r.run)));
  left.forEach((id, i) => byId.set(id, got[i] as PromiseSettledResult<Run>));
  return ids.map((id) => byId.get(id) as PromiseSettledResult<Run>);
}

async function loadRuns(ids: string[]): Promise<Loaded> {
  const answers = ids.length === 0 ? [] : await fetchRuns(ids);
  const runs: Run[] = [];
  const missing: Loaded['missing'] = [];
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') runs.push(a.value);
    else missing.push({ id: ids[i] as string, error: a.reason });
  });
  // The histories need only the run IDs and metric keys: they start now, while the experiments load.
  const histories = loadHistories(
    runs.map((r) => r.info.run_id),
    keysOfRuns(runs, (r) => r.data.metrics),
  );
  // Its failure is shown by the charts; this only keeps it from counting as unhandled meanwhile.
  histories.catch(() => undefined);
  // Two runs of the same name are told apart by their ID's start.
  const names = runs.map((r) => r.info.run_name || r.info.run_id.slice(0, 8));
  const compared = runs.map((run, i) => {
    const name = names[i] as string;
    const label = names.filter((n) => n === name).length > 1 ? `${name} (${run.info.run_id.slice(0, 8)})` : name;
    return { run, label, ...seriesStyle(i) };
  });
  const experimentIds = [...new Set(runs.map((r) => r.info.experiment_id))];
  const experiments = new Map<string, Experiment>();
  // An experiment that cannot be read only costs its name in the header.
  const found = await Promise.allSettled(experimentIds.map((id) => api.getExperiment(id)));
  for (const f of found) if (f.status === 'fulfilled') experiments.set(f.value.experiment.experiment_id, f.value.experiment);
  return { compared, missing, experiments, histories };
}

const runPath = (r: Run) => `/experiments/${encodeURIComponent(r.info.experiment_id)}/runs/${encodeURIComponent(r.info.run_id)}`;

/** A row of the table: its name and one cell per run; `differs` when the runs' values are not all equal. */
interface Row {
  key: string;
  values: Array<string | undefined>;
  cells: ReactNode[];
  differs: boolean;
}

function rowOf(key: string, values: Array<string | undefined>, show: (v: string) => ReactNode): Row {
  // A run without the value differs from one with it.
  const differs = new Set(values.map((v) => (v === undefined ? '\u0000' : v))).size > 1;
  return { key, values, cells: values.map((v) => (v === undefined ? <span className="muted">—</span> : show(v))), differs };
}

function keysOfRuns(runs: Run[], pick: (r: Run) => Array<{ key: string }> | undefined): string[] {
  return [...new Set(runs.flatMap((r) => (pick(r) ?? []).map((x) => x.key)))].sort();
}

function keysOf(compared: Compared[], pick: (r: Run) => Array<{ key: string }> | undefined): string[] {
  return keysOfRuns(
    compared.map((c) => c.run),
    pick,
  );
}

function Section({ title, rows, onlyDiff, width }: { title: string; rows: Row[]; onlyDiff: boolean; width: number }) {
  const differing = rows.filter((r) => r.differs).length;
  const shown = onlyDiff ? rows.filter((r) => r.differs) : rows;
  return (
    <>
      <tr className="section">
        <th colSpan={width} scope="rowgroup">
          {title}{' '}
          <span className="count">
            {rows.length === 0 ? 'none logged' : `${differing} of ${rows.length} differ`}
          </span>
        </th>
      </tr>
      {shown.map((r) => (
        <tr key={r.key} className={r.differs ? 'differs' : undefined} data-differs={r.differs ? 'true' : 'false'}>
          <th scope="row" title={r.differs ? 'The runs differ here' : undefined}>
            {r.key}
          </th>
          {r.cells.map((c, i) => (
            <td key={i} title={r.values[i]}>
              {c}
            </td>
          ))}
        </tr>
      ))}
      {onlyDiff && rows.length > 0 && differing === 0 && (
        <tr className="same">
          <td colSpan={width} className="muted">
            All {rows.length} are the same in every run.
          </td>
        </tr>
      )}
    </>
  );
}

function CompareTable({ compared, experiments }: { compared: Compared[]; experiments: Map<string, Experiment> }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const runs = compared.map((c) => c.run);
  const several = new Set(runs.map((r) => r.info.experiment_id)).size > 1;
  const params = keysOf(compared, (r) => r.data.params).map((k) =>
    rowOf(
      k,
      runs.map((r) => r.data.params?.find((p) => p.key === k)?.value),
      (v) => v,
    ),
  );
  const metrics = keysOf(compared, (r) => r.data.metrics).map((k) =>
    rowOf(
      k,
      runs.map((r) => {
        const m = r.data.metrics?.find((x) => x.key === k);
        return m === undefined ? undefined : String(m.value);
      }),
      (v) => formatValue(Number.isNaN(Number(v)) ? v : Number(v)),
    ),
  );
  const width = compared.length + 1;
  return (
    <>
      <div className="toolbar">
        <label className="toggle">
          <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> Show only differences
        </label>
        <span className="muted small">
          <span className="differs-key" /> marks a parameter or metric whose value differs between the runs.
        </span>
      </div>
      <div className="table-scroll">
        <table className="grid compare" aria-label="Run comparison">
          <thead>
            <tr>
              <th>Run</th>
              {compared.map((c) => (
                <th key={c.run.info.run_id}>
                  <span className="swatch" style={{ background: c.colour }} />
                  <Link to={runPath(c.run)}>{c.label}</Link>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Run ID</th>
              {runs.map((r) => (
                <td key={r.info.run_id} className="mono" title={r.info.run_id}>
                  {r.info.run_id.slice(0, 8)}
                </td>
              ))}
            </tr>
            {several && (
              <tr>
                <th scope="row">Experiment</th>
                {runs.map((r) => (
                  <td key={r.info.run_id}>
                    <Link to={`/experiments/${encodeURIComponent(r.info.experiment_id)}`}>{experiments.get(r.info.experiment_id)?.name ?? r.info.experiment_id}</Link>
                  </td>
                ))}
              </tr>
            )}
            <tr>
              <th scope="row">Status</th>
              {runs.map((r) => (
                <td key={r.info.run_id}>
                  <StatusBadge status={r.info.status} />
                </td>
              ))}
            </tr>
            <tr>
              <th scope="row">Started</th>
              {runs.map((r) => (
                <td key={r.info.run_id}>{formatTime(r.info.start_time)}</td>
              ))}
            </tr>
            <tr>
              <th scope="row">Duration</th>
              {runs.map((r) => (
                <td key={r.info.run_id}>{formatDuration(r.info.start_time, r.info.end_time)}</td>
              ))}
            </tr>
            <Section title="Parameters" rows={params} onlyDiff={onlyDiff} width={width} />
            <Section title="Metrics" rows={metrics} onlyDiff={onlyDiff} width={width} />
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Each metric's history for every run, one bulk call per metric (and per hundred runs). */
async function loadHistories(runIds: string[], keys: string[]): Promise<Map<string, Map<string, Metric[]>>> {
  const chunks: string[][] = [];
  for (let i = 0; i < runIds.length; i += BULK_RUNS) chunks.push(runIds.slice(i, i + BULK_RUNS));
  const out = new Map<string, Map<string, Metric[]>>();
  await Promise.all(
    keys.map(async (key) => {
      const byRun = new Map<string, Metric[]>();
      out.set(key, byRun);
      for (const chunk of chunks) {
        const res = await call<{ metrics?: Array<Metric & { run_id: string }> }>('GET', '/metrics/get-history-bulk-interval', {
          run_ids: chunk,
          metric_key: key,
          max_results: 2500,
        });
        for (const m of res.metrics ?? []) {
          const list = byRun.get(m.run_id) ?? [];
          list.push(m);
          byRun.set(m.run_id, list);
        }
      }
    }),
  );
  return out;
}

function MetricCharts({ compared, histories }: { compared: Compared[]; histories: Loaded['histories'] }) {
  const keys = keysOf(compared, (r) => r.data.metrics);
  const { data, error } = useLoad(() => histories, [histories]);
  if (keys.length === 0) return null;
  // As on the run page, a metric logged once in every run is a single number, in the table only.
  const charted = keys.flatMap((key) => {
    const byRun = data?.get(key);
    if (byRun === undefined || ![...byRun.values()].some((h) => h.length > 1)) return [];
    const series: ChartSeries[] = compared.map((c) => ({
      name: c.label,
      points: historyPoints(byRun.get(c.run.info.run_id) ?? []),
      colour: c.colour,
      ...(c.dash === undefined ? {} : { dash: c.dash }),
    }));
    return [{ key, series }];
  });
  return (
    <>
      <h2>Metric histories</h2>
      <ErrorBox error={error} />
      {data === undefined && error === undefined && <p className="muted loading">Loading metric histories…</p>}
      {data !== undefined && charted.length === 0 && <p className="muted">Every metric was logged once per run; the values are in the table.</p>}
      <div className="charts">
        {charted.map((c) => (
          <LineChart key={c.key} title={c.key} xLabel="step" series={c.series} />
        ))}
      </div>
    </>
  );
}

/** A param or metric the scatter plot can use: `p:<key>` or `m:<key>`, and its number per run. */
interface Axis {
  id: string;
  label: string;
  value(r: Run): number | undefined;
}

function axesOf(compared: Compared[]): Axis[] {
  const paramValue = (k: string) => (r: Run) => {
    const v = r.data.params?.find((p) => p.key === k)?.value;
    const n = v === undefined || v.trim() === '' ? NaN : Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const metricValue = (k: string) => (r: Run) => {
    const m = r.data.metrics?.find((x) => x.key === k);
    return m === undefined ? undefined : plottable(m.value);
  };
  const axes: Axis[] = [
    ...keysOf(compared, (r) => r.data.params).map((k) => ({ id: `p:${k}`, label: `param ${k}`, value: paramValue(k) })),
    ...keysOf(compared, (r) => r.data.metrics).map((k) => ({ id: `m:${k}`, label: `metric ${k}`, value: metricValue(k) })),
  ];
  // Only what is a number in at least one run can be plotted.
  return axes.filter((a) => compared.some((c) => a.value(c.run) !== undefined));
}

function Scatter({ compared }: { compared: Compared[] }) {
  const axes = axesOf(compared);
  const [xId, setX] = useState<string | undefined>(undefined);
  const [yId, setY] = useState<string | undefined>(undefined);
  if (axes.length === 0) return null;
  // By default a parameter across and a metric up (when there are both): of each, one whose value
  // varies between the runs, and of those the one most runs have a number for.
  const numbers = (a: Axis) => compared.flatMap((c) => a.value(c.run) ?? []);
  const score = (a: Axis) => (new Set(numbers(a)).size > 1 ? 1000 : 0) + numbers(a).length;
  const byCover = [...axes].sort((a, b) => score(b) - score(a));
  const x = axes.find((a) => a.id === xId) ?? byCover.find((a) => a.id.startsWith('p:')) ?? (byCover[0] as Axis);
  const y = axes.find((a) => a.id === yId) ?? byCover.find((a) => a.id.startsWith('m:') && a.id !== x.id) ?? byCover.find((a) => a.id !== x.id) ?? x;
  const points: ScatterPoint[] = compared.flatMap((c) => {
    const px = x.value(c.run);
    const py = y.value(c.run);
    return px === undefined || py === undefined ? [] : [{ x: px, y: py, label: c.label, colour: c.colour }];
  });
  const left = compared.length - points.length;
  const picker = (label: string, value: string, set: (id: string) => void) => (
    <label>
      {label}
      <select value={value} onChange={(e) => set(e.target.value)}>
        {axes.map((a) => (
          <option key={a.id} value={a.id}>
            {a.label}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <>
      <h2>Scatter</h2>
      <div className="filters">
        {picker('X axis', x.id, setX)}
        {picker('Y axis', y.id, setY)}
        {left > 0 && (
          <span className="muted small">
            {left} of {compared.length} runs left out: they lack a number for one axis or both.
          </span>
        )}
      </div>
      <div className="charts">
        <ScatterChart points={points} xLabel={x.label} yLabel={y.label} />
      </div>
    </>
  );
}

/**
 * `/compare?runs=<id>,<id>,…` (and MLflow's `/#/compare-runs?runs=[…]`): the runs side by side
 * (facts, then params and latest metrics, differing rows marked), each metric's history overlaid
 * with one line per run, and a scatter plot of one param or metric against another.
 */
export function CompareRunsPage({ query }: { query: URLSearchParams }) {
  const ids = parseRunIds(query.get('runs'));
  const { data, error } = useLoad(() => loadRuns(ids), [ids.join(',')]);
  useTitle(`Compare ${ids.length} runs`);
  const compared = data?.compared ?? [];
  const experimentIds = [...new Set(compared.map((c) => c.run.info.experiment_id))];
  const single = experimentIds.length === 1 ? experimentIds[0] : undefined;

  return (
    <section className="compare">
      <div className="crumbs">
        <Link to="/">Experiments</Link> ›{' '}
        {single !== undefined && (
          <>
            <Link to={`/experiments/${encodeURIComponent(single)}`}>{data?.experiments.get(single)?.name ?? `Experiment ${single}`}</Link> ›
          </>
        )}
      </div>
      <h1>Comparing {compared.length > 0 ? compared.length : ids.length} runs</h1>
      <ErrorBox error={error} />
      {ids.length === 0 && (
        <p className="muted">
          No runs to compare. Tick two or more runs in an experiment&apos;s runs table and press Compare, or give their IDs as <span className="mono">?runs=&lt;id&gt;,&lt;id&gt;</span>.
        </p>
      )}
      {data?.missing.map((m) => (
        <div key={m.id}>
          <p className="muted">
            Run <span className="mono">{m.id}</span> could not be read:
          </p>
          <ErrorBox error={m.error} />
        </div>
      ))}
      {data === undefined && error === undefined && ids.length > 0 && <p className="muted loading">Loading runs…</p>}
      {compared.length === 1 && <p className="muted">Only one run could be read; pick at least two to compare.</p>}
      {compared.length > 0 && (
        <>
          <CompareTable compared={compared} experiments={data?.experiments ?? new Map()} />
          {data !== undefined && <MetricCharts compared={compared} histories={data.histories} />}
          {compared.length > 1 && <Scatter compared={compared} />}
        </>
      )}
    </section>
  );
}
