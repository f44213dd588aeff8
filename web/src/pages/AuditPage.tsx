import { useState, type FormEvent } from 'react';
import { formatTime } from '../lib/format.ts';
import { hangar, type AuditEntry } from '../lib/hangar-api.ts';
import { navigate, withQuery } from '../lib/router.ts';
import { usePageTokens } from '../lib/paging.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
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

/**
 * `/audit`: the audit trail (admins), newest first. The route filters by entity type and id on
 * the server, and pages with tokens; principal and action narrow the rows of the page shown.
 */
export function AuditPage({ query }: { query: URLSearchParams }) {
  useTitle('Audit trail');
  const entityType = query.get('entity_type') ?? '';
  const entityId = query.get('entity_id') ?? '';
  const principal = query.get('principal') ?? '';
  const action = query.get('action') ?? '';
  const size = Number(query.get('size') ?? '50') || 50;
  const pages = usePageTokens();
  const [draft, setDraft] = useState({ entityType, entityId, principal, action });
  const audit = useLoad(
    () => hangar.audit({ entity_type: entityType || undefined, entity_id: entityId || undefined, max_results: size, page_token: pages.token }),
    [entityType, entityId, size, pages.token],
  );
  const all = audit.data?.entries ?? [];
  const rows = all.filter((e) => (principal === '' || e.principal.includes(principal)) && (action === '' || e.action.toLowerCase().includes(action.toLowerCase())));
  const go = (q: Record<string, string | undefined>) => {
    pages.reset();
    navigate(withQuery('/audit', { entity_type: entityType, entity_id: entityId, principal, action, size: size === 50 ? undefined : String(size), ...q }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go({ entity_type: draft.entityType.trim(), entity_id: draft.entityId.trim(), principal: draft.principal.trim(), action: draft.action.trim() });
  };

  return (
    <section>
      <h1>Audit trail</h1>
      <p className="muted small">Every mutating request, newest first: who, what, on which entity, with the HTTP status. Reading it needs an admin token.</p>
      <form className="filters" onSubmit={submit} aria-label="Audit filters">
        <label>
          Entity type
          <input type="text" aria-label="Entity type" placeholder="model_version" value={draft.entityType} onChange={(e) => setDraft({ ...draft, entityType: e.target.value })} />
        </label>
        <label>
          Entity ID
          <input type="text" aria-label="Entity ID" placeholder="churn/3" value={draft.entityId} onChange={(e) => setDraft({ ...draft, entityId: e.target.value })} />
        </label>
        <label>
          Principal
          <input type="text" aria-label="Principal" placeholder="alice" value={draft.principal} onChange={(e) => setDraft({ ...draft, principal: e.target.value })} />
        </label>
        <label>
          Action
          <input type="text" aria-label="Action" placeholder="transition-requests" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} />
        </label>
        <button type="submit">Filter</button>
        <label>
          Rows{' '}
          <select aria-label="Rows per page" value={size} onChange={(e) => go({ size: e.target.value === '50' ? undefined : e.target.value })}>
            {SIZES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      {(principal !== '' || action !== '') && <p className="muted small">Principal and action are matched within each page the server returns (the route filters by entity only).</p>}
      <ErrorBox error={audit.error} />
      {audit.loading && audit.data === undefined && <p className="loading muted">Loading…</p>}
      {audit.data !== undefined && rows.length === 0 && <p className="muted">No audit entries{all.length > 0 ? ' on this page match the filters' : ''}.</p>}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="grid" aria-label="Audit entries">
            <thead>
              <tr>
                <th>When</th>
                <th>Principal</th>
                <th>Action</th>
                <th>Entity</th>
                <th>Status</th>
                <th>After</th>
              </tr>
            </thead>
            <tbody>
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
                    <td className="mono">{e.action}</td>
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
            </tbody>
          </table>
        </div>
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
