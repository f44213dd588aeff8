import type { ReactNode } from 'react';
import { api, type Run } from '../lib/api.ts';
import { formatDuration, formatTime, formatValue } from '../lib/format.ts';
import { usePageTokens } from '../lib/paging.ts';
import { navigate, withQuery } from '../lib/router.ts';
import { quoteKey } from '../lib/search.ts';
import { useRowWindow } from '../lib/row-window.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import { Pager } from '../components/Pager.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import '../components/compare.css';

const PAGE_SIZES = [25, 50, 100, 500];
const DEFAULT_ORDER = 'attributes.start_time DESC';

/** A sortable column: its header, the `order_by` key (none for duration), and the cell. */
interface Column {
  id: string;
  header: string;
  group?: 'Metrics' | 'Parameters';
  orderKey?: string;
  numeric?: boolean;
  cell(run: Run): ReactNode;
}

function columnsFor(runs: Run[]): Column[] {
  const metricKeys = new Set<string>();
  const paramKeys = new Set<string>();
  for (const r of runs) {
    for (const m of r.data.metrics ?? []) metricKeys.add(m.key);
    for (const p of r.data.params ?? []) paramKeys.add(p.key);
  }
  const fixed: Column[] = [
    {
      id: 'name',
      header: 'Run name',
      orderKey: 'attributes.run_name',
      cell: (r) => <Link to={`/experiments/${encodeURIComponent(r.info.experiment_id)}/runs/${encodeURIComponent(r.info.run_id)}`}>{r.info.run_name || r.info.run_id}</Link>,
    },
    { id: 'status', header: 'Status', orderKey: 'attributes.status', cell: (r) => <StatusBadge status={r.info.status} /> },
    { id: 'start', header: 'Started', orderKey: 'attributes.start_time', cell: (r) => formatTime(r.info.start_time) },
    { id: 'duration', header: 'Duration', numeric: true, cell: (r) => formatDuration(r.info.start_time, r.info.end_time) },
  ];
  const metrics: Column[] = [...metricKeys].sort().map((k) => ({
    id: `m:${k}`,
    header: k,
    group: 'Metrics',
    numeric: true,
    orderKey: `metrics.${quoteKey(k)}`,
    cell: (r) => formatValue(r.data.metrics?.find((m) => m.key === k)?.value),
  }));
  const params: Column[] = [...paramKeys].sort().map((k) => ({
    id: `p:${k}`,
    header: k,
    group: 'Parameters',
    orderKey: `params.${quoteKey(k)}`,
    cell: (r) => r.data.params?.find((p) => p.key === k)?.value ?? '',
  }));
  return [...fixed, ...metrics, ...params];
}

function parseOrder(order: string): { key: string; desc: boolean } {
  const m = /^(.*?)\s+(ASC|DESC)$/i.exec(order.trim());
  return m === null ? { key: order.trim(), desc: false } : { key: m[1] as string, desc: (m[2] as string).toUpperCase() === 'DESC' };
}

/** The ticked runs, and a way to tick or untick some; kept in the address, so paging and sorting keep them. */
interface Selection {
  ids: string[];
  set(ids: string[], on: boolean): void;
}

function RunsTable({
  experimentId,
  filter,
  order,
  size,
  setQuery,
  selection,
}: {
  experimentId: string;
  filter: string;
  order: string;
  size: number;
  setQuery(q: Record<string, string | undefined>): void;
  selection: Selection;
}) {
  const pages = usePageTokens();
  const { data, error, loading } = useLoad(
    () =>
      api.searchRuns({
        experiment_ids: [experimentId],
        filter: filter === '' ? undefined : filter,
        order_by: [order],
        max_results: size,
        page_token: pages.token,
      }),
    [experimentId, filter, order, size, pages.token],
  );
  const runs = data?.runs ?? [];
  const columns = columnsFor(runs);
  // A long page draws only the rows in view; the table still counts them all (aria-rowcount).
  const view = useRowWindow(runs.length);
  const spacer = (height: number) =>
    height > 0 && (
      <tr aria-hidden="true" className="spacer">
        <td colSpan={columns.length} style={{ height }} />
      </tr>
    );
  const ticked = new Set(selection.ids);
  const pageIds = runs.map((r) => r.info.run_id);
  const allTicked = pageIds.length > 0 && pageIds.every((id) => ticked.has(id));
  const someTicked = pageIds.some((id) => ticked.has(id));
  const current = parseOrder(order);
  const groups = [
    { name: '', span: columns.filter((c) => c.group === undefined).length },
    { name: 'Metrics', span: columns.filter((c) => c.group === 'Metrics').length },
    { name: 'Parameters', span: columns.filter((c) => c.group === 'Parameters').length },
  ].filter((g) => g.span > 0);

  const sortBy = (c: Column) => {
    if (c.orderKey === undefined) return;
    const desc = current.key === c.orderKey ? !current.desc : c.numeric === true || c.id === 'start';
    setQuery({ order: `${c.orderKey} ${desc ? 'DESC' : 'ASC'}` });
  };

  return (
    <>
      <ErrorBox error={error} />
      {data !== undefined && runs.length === 0 && <p className="muted">{filter === '' ? 'No runs in this experiment yet.' : 'No runs match this search.'}</p>}
      {runs.length > 0 && (
        <div className="table-scroll">
          <table className="grid runs" aria-label="Runs" aria-rowcount={runs.length + 2}>
            <thead>
              <tr className="groups">
                {groups.map((g) => (
                  <th key={g.name || 'run'} colSpan={g.span} className={g.name === '' ? undefined : 'group'}>
                    {g.name}
                  </th>
                ))}
              </tr>
              <tr>
                {columns.map((c) => {
                  const active = c.orderKey !== undefined && current.key === c.orderKey;
                  return (
                    <th key={c.id} className={c.numeric ? 'num' : undefined} aria-sort={active ? (current.desc ? 'descending' : 'ascending') : undefined}>
                      {c.id === 'name' && (
                        <input
                          type="checkbox"
                          className="pick"
                          aria-label="Select the runs on this page"
                          checked={allTicked}
                          ref={(el) => {
                            if (el !== null) el.indeterminate = someTicked && !allTicked;
                          }}
                          onChange={(e) => selection.set(pageIds, e.target.checked)}
                        />
                      )}
                      {c.orderKey === undefined ? (
                        c.header
                      ) : (
                        <button type="button" className="sort" onClick={() => sortBy(c)} title={`Sort by ${c.orderKey}`}>
                          {c.header}
                          <span className="arrow">{active ? (current.desc ? ' ▼' : ' ▲') : ''}</span>
                        </button>
                      )}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody ref={view.bodyRef}>
              {spacer(view.above)}
              {runs.slice(view.first, view.last).map((r, i) => (
                <tr key={r.info.run_id} aria-rowindex={view.first + i + 3} className={ticked.has(r.info.run_id) ? 'selected' : undefined}>
                  {columns.map((c) => (
                    <td key={c.id} className={c.numeric ? 'num' : undefined}>
                      {c.id === 'name' && (
                        <input
                          type="checkbox"
                          className="pick"
                          aria-label={`Select ${r.info.run_name || r.info.run_id}`}
                          checked={ticked.has(r.info.run_id)}
                          onChange={(e) => selection.set([r.info.run_id], e.target.checked)}
                        />
                      )}
                      {c.cell(r)}
                    </td>
                  ))}
                </tr>
              ))}
              {spacer(view.below)}
            </tbody>
          </table>
        </div>
      )}
      {loading && <p className="muted loading">Loading…</p>}
      <Pager page={pages.page} count={runs.length} hasNext={data?.next_page_token !== undefined} onPrev={pages.prev} onNext={() => data?.next_page_token && pages.next(data.next_page_token)} />
    </>
  );
}

/** `/experiments/:id`: the experiment's runs, searchable with MLflow's filter syntax, sortable, paged. */
export function ExperimentRunsPage({ experimentId, query }: { experimentId: string; query: URLSearchParams }) {
  const experiment = useLoad(() => api.getExperiment(experimentId), [experimentId]);
  const filter = query.get('filter') ?? '';
  const order = query.get('order') || DEFAULT_ORDER;
  const sizeParam = Number(query.get('size'));
  // Any page size from 1 to 1000 works in the address (`?size=`); the menu offers the usual ones.
  const size = Number.isInteger(sizeParam) && sizeParam >= 1 && sizeParam <= 1000 ? sizeParam : 100;
  const sizes = PAGE_SIZES.includes(size) ? PAGE_SIZES : [...PAGE_SIZES, size].sort((a, b) => a - b);
  const path = `/experiments/${encodeURIComponent(experimentId)}`;
  const selected = [...new Set((query.get('selected') ?? '').split(',').filter((id) => id !== ''))];
  const base = { filter, order: order === DEFAULT_ORDER ? undefined : order, size: size === 100 ? undefined : String(size), selected: selected.join(',') };
  const setQuery = (q: Record<string, string | undefined>) => navigate(withQuery(path, { ...base, ...q }));
  // Ticking a box replaces the address rather than adding a history entry per click.
  const selection: Selection = {
    ids: selected,
    set: (ids, on) => {
      const next = on ? [...new Set([...selected, ...ids])] : selected.filter((id) => !ids.includes(id));
      navigate(withQuery(path, { ...base, selected: next.join(',') }), { replace: true });
    },
  };
  const exp = experiment.data?.experiment;
  useTitle(exp?.name ?? `Experiment ${experimentId}`);

  return (
    <section>
      <div className="crumbs">
        <Link to="/">Experiments</Link> ›
      </div>
      <h1>{exp?.name ?? `Experiment ${experimentId}`}</h1>
      <ErrorBox error={experiment.error} />
      {exp !== undefined && (
        <p className="meta">
          <span>
            ID <span className="mono">{exp.experiment_id}</span>
          </span>
          {exp.artifact_location !== undefined && (
            <span>
              Artifacts <span className="mono">{exp.artifact_location}</span>
            </span>
          )}
        </p>
      )}
      <div className="toolbar">
        <SearchBox
          label="Filter runs"
          placeholder="Filter, e.g. metrics.rmse < 1 and params.model = 'tree'"
          value={filter}
          onSearch={(text) => setQuery({ filter: text })}
        />
        <label className="size">
          Rows
          <select value={size} onChange={(e) => setQuery({ size: e.target.value === '100' ? undefined : e.target.value })}>
            {sizes.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <div className="selection">
          <button type="button" disabled={selected.length < 2} onClick={() => navigate(withQuery('/compare', { runs: selected.join(',') }))} title="Compare the ticked runs side by side">
            Compare ({selected.length})
          </button>
          {selected.length > 0 && (
            <button type="button" className="link" onClick={() => selection.set(selected, false)}>
              Clear selection
            </button>
          )}
        </div>
      </div>
      <RunsTable key={`${filter}\n${order}\n${size}`} experimentId={experimentId} filter={filter} order={order} size={size} setQuery={setQuery} selection={selection} />
    </section>
  );
}
