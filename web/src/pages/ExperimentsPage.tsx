import { api } from '../lib/api.ts';
import { formatTime } from '../lib/format.ts';
import { usePageTokens } from '../lib/paging.ts';
import { navigate, withQuery } from '../lib/router.ts';
import { nameContains } from '../lib/search.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import { Pager } from '../components/Pager.tsx';
import { SearchBox } from '../components/SearchBox.tsx';

function ExperimentTable({ q }: { q: string }) {
  const pages = usePageTokens();
  const { data, error, loading } = useLoad(
    () => api.searchExperiments({ filter: nameContains(q), page_token: pages.token, order_by: ['last_update_time DESC'] }),
    [q, pages.token],
  );
  const experiments = data?.experiments ?? [];
  return (
    <>
      <ErrorBox error={error} />
      {data !== undefined && experiments.length === 0 && <p className="muted">{q === '' ? 'No experiments yet.' : `No experiment name contains “${q}”.`}</p>}
      {experiments.length > 0 && (
        <DataTable label="Experiments" columns={['Name', 'ID', 'Created', 'Last updated', 'Artifact location']}>
          {experiments.map((e) => (
            <tr key={e.experiment_id}>
              <td>
                <Link to={`/experiments/${encodeURIComponent(e.experiment_id)}`}>{e.name}</Link>
              </td>
              <td className="mono">{e.experiment_id}</td>
              <td>{formatTime(e.creation_time)}</td>
              <td>{formatTime(e.last_update_time)}</td>
              <td className="mono muted">{e.artifact_location}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {loading && <p className="muted loading">Loading…</p>}
      <Pager page={pages.page} count={experiments.length} hasNext={data?.next_page_token !== undefined} onPrev={pages.prev} onNext={() => data?.next_page_token && pages.next(data.next_page_token)} />
    </>
  );
}

/** `/`: every active experiment, newest activity first, with a name search. */
export function ExperimentsPage({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  useTitle('Experiments');
  return (
    <section>
      <h1>Experiments</h1>
      <SearchBox label="Search experiments" placeholder="Experiment name contains…" value={q} onSearch={(text) => navigate(withQuery('/', { q: text }))} />
      <ExperimentTable key={q} q={q} />
    </section>
  );
}
