import { useState, type FormEvent } from 'react';
import { formatTime } from '../lib/format.ts';
import { hangar } from '../lib/hangar-api.ts';
import { usePageTokens } from '../lib/paging.ts';
import { navigate, withQuery } from '../lib/router.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import { Pager } from '../components/Pager.tsx';
import { TagChip } from '../components/StatusBadge.tsx';
import '../components/pages-extra.css';

/** `/datasets`: registered datasets with their latest version, owner and tags; a box filters by name. */
export function DatasetsPage({ query }: { query: URLSearchParams }) {
  useTitle('Datasets');
  const contains = query.get('q') ?? '';
  const [draft, setDraft] = useState(contains);
  const pages = usePageTokens();
  const list = useLoad(() => hangar.datasets({ max_results: 100, page_token: pages.token, name_contains: contains || undefined }), [contains, pages.token]);
  const datasets = list.data?.datasets ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    pages.reset();
    navigate(withQuery('/datasets', { q: draft.trim() }));
  };
  return (
    <section>
      <h1>Datasets</h1>
      <form className="search" role="search" onSubmit={submit}>
        <input type="search" aria-label="Search datasets" placeholder="Name contains…" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      <ErrorBox error={list.error} />
      {list.loading && list.data === undefined && <p className="loading muted">Loading…</p>}
      {list.data !== undefined && datasets.length === 0 && (
        <p className="muted">{contains === '' ? <>No datasets yet. Register one with <span className="mono">hangar datasets register NAME --from FILE</span>.</> : 'No dataset matches.'}</p>
      )}
      {datasets.length > 0 && (
        <DataTable label="Datasets" columns={['Name', 'Latest version', 'Created by', 'Updated', 'Tags', 'Description']} scroll>
          {datasets.map((d) => (
            <tr key={d.name}>
              <td>
                <Link to={`/datasets/${encodeURIComponent(d.name)}`}>{d.name}</Link>
              </td>
              <td>
                <Link to={`/datasets/${encodeURIComponent(d.name)}?version=${d.latest_version}`}>v{d.latest_version}</Link>
              </td>
              <td>{d.created_by ?? ''}</td>
              <td>{formatTime(d.last_updated_timestamp)}</td>
              <td className="chips">{d.tags.map((t) => <TagChip key={t.key} tag={t} />)}</td>
              <td className="text">{d.description ?? ''}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <Pager page={pages.page} hasNext={list.data?.next_page_token !== undefined} count={datasets.length} onPrev={pages.prev} onNext={() => list.data?.next_page_token !== undefined && pages.next(list.data.next_page_token)} />
    </section>
  );
}
