import { useState, type FormEvent } from 'react';
import { formatTime } from '../lib/format.ts';
import { hangar, type AuditEntry } from '../lib/hangar-api.ts';
import { navigate, withQuery } from '../lib/router.ts';
import { usePageTokens } from '../lib/paging.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import { Pager } from '../components/Pager.tsx';
import '../components/pages-extra.css';

const SIZES = [25, 50, 100, 200];

/** Where an audited entity lives in the UI, when it has a page. */
function entityLink(e: AuditEntry): string | undefined {
  const id = e.entity_id ?? '';
  if (id === '') return undefined;
  if (e.entity_type === 'model_version') {
    const slash = id.lastIndexOf('/');
    if (slash > 0) return `/models/${encodeURIComponent(id.slice(0, slash))}/versions/${encodeURIComponent(id.slice(slash + 1))}`;
  }
  if (e.entity_type === 'run') return `/runs/${encodeURIComponent(id)}`;
  if (e.entity_type === 'experiment') return `/experiments/${encodeURIComponent(id)}`;
  if (e.entity_type === 'registered_model') return `/models/${encodeURIComponent(id)}`;
  if (e.entity_type === 'monitor') return `/monitors/${encodeURIComponent(id)}`;
  if (e.entity_type === 'dataset') return `/datasets/${encodeURIComponent(id.split('@')[0] as string)}`;
  if (e.entity_type === 'training_set') return `/training-sets/${encodeURIComponent(id)}`;
  if (e.entity_type === 'feature_table' && !id.includes(',')) return `/features/${encodeURIComponent(id)}`;
  return undefined;
}

function short(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

/** A `datetime-local` value (the browser's time zone, as the table shows times) as epoch ms; the raw text when it is not one, so the server names the field. */
function timeParam(value: string): number | string | undefined {
  if (value === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? new Date(value).getTime() : Number.NaN;
  return Number.isFinite(ms) ? ms : value;
}

const FILTERS = ['entity_type', 'entity_id', 'principal', 'action', 'from', 'to', 'status'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/**
 * `/audit`: the audit trail (admins), newest first. Every filter (entity type and id, principal,
 * action, time range, outcome) is applied by the server, kept in the address, and paged with the
 * server's tokens.
 */
export function AuditPage({ query }: { query: URLSearchParams }) {
  useTitle('Audit trail');
  const filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Filters;
  const size = Number(query.get('size') ?? '50') || 50;
  const pages = usePageTokens();
  const [draft, setDraft] = useState<Filters>(filters);
  const audit = useLoad(
    () =>
      hangar.audit({
        entity_type: filters.entity_type || undefined,
        entity_id: filters.entity_id || undefined,
        principal: filters.principal || undefined,
        action: filters.action || undefined,
        from: timeParam(filters.from),
        to: timeParam(filters.to),
        status: filters.status || undefined,
        max_results: size,
        page_token: pages.token,
      }),
    [...FILTERS.map((k) => filters[k]), size, pages.token],
  );
  const rows = audit.data?.entries ?? [];
  const filtered = FILTERS.some((k) => filters[k] !== '');
  const actions = [...new Set(rows.map((e) => e.action))].sort();
  const go = (q: Partial<Filters>, rowsPerPage = size) => {
    pages.reset();
    const next: Filters = { ...filters, ...q };
    setDraft(next);
    navigate(withQuery('/audit', { ...next, size: rowsPerPage === 50 ? undefined : String(rowsPerPage) }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(Object.fromEntries(FILTERS.map((k) => [k, draft[k].trim()])) as Filters);
  };
  const text = (key: 'entity_type' | 'entity_id' | 'principal' | 'action', label: string, placeholder: string) => (
    <label>
      {label}
      <input
        type="text"
        aria-label={label}
        placeholder={placeholder}
        value={draft[key]}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
        {...(key === 'action' ? { list: 'audit-actions' } : {})}
      />
    </label>
  );

  return (
    <section>
      <h1>Audit trail</h1>
      <p className="muted small">Every mutating request, newest first: who, what, on which entity, with the HTTP status. Reading it needs an admin token.</p>
      <form className="filters" onSubmit={submit} aria-label="Audit filters">
        {text('entity_type', 'Entity type', 'model_version')}
        {text('entity_id', 'Entity ID', 'churn/3')}
        {text('principal', 'Principal', 'alice')}
        {text('action', 'Action', 'POST /api/2.0/mlflow/transition-requests/approve')}
        <datalist id="audit-actions">
          {actions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <label>
          From
          <input type="datetime-local" step="1" aria-label="From" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" step="1" aria-label="To" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <label>
          Outcome{' '}
          <select aria-label="Outcome" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
            <option value="">any</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <button type="submit">Filter</button>
        <label>
          Rows{' '}
          <select aria-label="Rows per page" value={size} onChange={(e) => go({}, Number(e.target.value))}>
            {SIZES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      {filtered && (
        <p className="muted small">
          Exact matches, combined; the time range starts at From and stops before To, in this browser&apos;s time zone.{' '}
          <button type="button" className="link" onClick={() => go(Object.fromEntries(FILTERS.map((k) => [k, ''])) as Filters)}>
            Clear filters
          </button>
        </p>
      )}
      <ErrorBox error={audit.error} />
      {audit.loading && audit.data === undefined && <p className="loading muted">Loading…</p>}
      {audit.data !== undefined && rows.length === 0 && <p className="muted">No audit entries{filtered ? ' match the filters' : ''}.</p>}
      {rows.length > 0 && (
        <DataTable label="Audit entries" columns={['When', 'Principal', 'Action', 'Entity', 'Status', 'After']} scroll>
          {rows.map((e) => {
            const link = entityLink(e);
            return (
              <tr key={String(e.id)}>
                <td>{formatTime(e.timestamp)}</td>
                <td>
                  <button type="button" className="link" onClick={() => go({ principal: e.principal })} title="Show only this principal">
                    {e.principal}
                  </button>
                </td>
                <td className="mono">
                  <button type="button" className="link" onClick={() => go({ action: e.action })} title="Show only this action">
                    {e.action}
                  </button>
                </td>
                <td>
                  {e.entity_type !== null && (
                    <button type="button" className="link entity-type" onClick={() => go({ entity_type: e.entity_type ?? '', entity_id: '' })} title="Show only this entity type">
                      {e.entity_type}
                    </button>
                  )}{' '}
                  {link === undefined ? <span className="mono">{e.entity_id ?? ''}</span> : <Link to={link} className="mono">{e.entity_id}</Link>}
                </td>
                <td>
                  <span className={`badge ${e.status >= 400 ? 'status-failed' : 'status-finished'}`}>{e.status}</span>
                </td>
                <td className="mono">
                  <div className="clip" title={e.after === null ? '' : JSON.stringify(e.after)}>
                    {short(e.after)}
                  </div>
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      <Pager
        page={pages.page}
        hasNext={audit.data?.next_page_token !== undefined}
        count={rows.length}
        onPrev={pages.prev}
        onNext={() => audit.data?.next_page_token !== undefined && pages.next(audit.data.next_page_token)}
      />
    </section>
  );
}
