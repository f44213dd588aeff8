import { api, type RegisteredModel } from '../lib/api.ts';
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
import { TagChip } from '../components/StatusBadge.tsx';

const modelPath = (name: string) => `/models/${encodeURIComponent(name)}`;

function latest(m: RegisteredModel): string {
  const versions = (m.latest_versions ?? []).map((v) => Number(v.version));
  return versions.length === 0 ? '' : `Version ${Math.max(...versions)}`;
}

function ModelTable({ q }: { q: string }) {
  const pages = usePageTokens();
  const { data, error, loading } = useLoad(() => api.searchModels({ filter: nameContains(q), page_token: pages.token, order_by: ['name ASC'] }), [q, pages.token]);
  const models = data?.registered_models ?? [];
  return (
    <>
      <ErrorBox error={error} />
      {data !== undefined && models.length === 0 && <p className="muted">{q === '' ? 'No registered models yet.' : `No model name contains “${q}”.`}</p>}
      {models.length > 0 && (
        <DataTable label="Registered models" columns={['Name', 'Latest version', 'Staging', 'Production', 'Aliases', 'Last modified', 'Tags']}>
          {models.map((m) => {
            const inStage = (stage: string) => m.latest_versions?.find((v) => v.current_stage === stage);
            const staging = inStage('Staging');
            const production = inStage('Production');
            return (
              <tr key={m.name}>
                <td>
                  <Link to={modelPath(m.name)}>{m.name}</Link>
                </td>
                <td>{latest(m)}</td>
                <td>{staging === undefined ? '' : `Version ${staging.version}`}</td>
                <td>{production === undefined ? '' : `Version ${production.version}`}</td>
                <td>
                  {(m.aliases ?? []).map((a) => (
                    <span key={a.alias} className="chip">
                      @{a.alias}: v{a.version}
                    </span>
                  ))}
                </td>
                <td>{formatTime(m.last_updated_timestamp)}</td>
                <td className="chips">{(m.tags ?? []).map((t) => <TagChip key={t.key} tag={t} />)}</td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {loading && <p className="muted loading">Loading…</p>}
      <Pager page={pages.page} count={models.length} hasNext={data?.next_page_token !== undefined} onPrev={pages.prev} onNext={() => data?.next_page_token && pages.next(data.next_page_token)} />
    </>
  );
}

/** `/models`: the registered models, by name, with a name search. */
export function ModelsPage({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  useTitle('Registered models');
  return (
    <section>
      <h1>Registered models</h1>
      <SearchBox label="Search models" placeholder="Model name contains…" value={q} onSearch={(text) => navigate(withQuery('/models', { q: text }))} />
      <ModelTable key={q} q={q} />
    </section>
  );
}
