import { api } from '../lib/api.ts';
import { formatTime } from '../lib/format.ts';
import { quoteValue } from '../lib/search.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { KeyValueTable } from '../components/KeyValueTable.tsx';
import { Link } from '../components/Link.tsx';
import { StageBadge, StatusBadge, TagChip } from '../components/StatusBadge.tsx';

/** `/models/:name`: a registered model, its versions with stages, aliases and tags, and their source runs. */
export function ModelPage({ name }: { name: string }) {
  useTitle(name);
  const model = useLoad(() => api.getModel(name), [name]);
  const versions = useLoad(async () => {
    const all = [];
    let token: string | undefined;
    do {
      const page = await api.searchVersions({ filter: `name = ${quoteValue(name)}`, order_by: ['version_number DESC'], page_token: token });
      all.push(...(page.model_versions ?? []));
      token = page.next_page_token;
    } while (token !== undefined);
    return all;
  }, [name]);
  const m = model.data?.registered_model;
  const aliasesOf = new Map<string, string[]>();
  for (const a of m?.aliases ?? []) aliasesOf.set(a.version, [...(aliasesOf.get(a.version) ?? []), a.alias]);
  const list = versions.data ?? [];

  return (
    <section>
      <div className="crumbs">
        <Link to="/models">Registered models</Link> ›
      </div>
      <h1>{name}</h1>
      <ErrorBox error={model.error} />
      {m !== undefined && (
        <>
          <dl className="facts">
            <dt>Created</dt>
            <dd>{formatTime(m.creation_timestamp)}</dd>
            <dt>Last modified</dt>
            <dd>{formatTime(m.last_updated_timestamp)}</dd>
            <dt>Description</dt>
            <dd>{m.description || <span className="muted">none</span>}</dd>
          </dl>
          <h2>Tags</h2>
          <KeyValueTable label="Model tags" rows={m.tags ?? []} empty="No tags." />
        </>
      )}
      <h2>Versions</h2>
      <ErrorBox error={versions.error} />
      {versions.data !== undefined && list.length === 0 && <p className="muted">No versions yet.</p>}
      {list.length > 0 && (
        <DataTable label="Model versions" columns={['Version', 'Stage', 'Aliases', 'Status', 'Created', 'Source run', 'Source', 'Tags', 'Description']} scroll>
          {list.map((v) => (
            <tr key={v.version}>
              <td><Link to={`/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(v.version)}`}>Version {v.version}</Link></td>
              <td>
                <StageBadge stage={v.current_stage} />
              </td>
              <td>
                {(aliasesOf.get(v.version) ?? v.aliases ?? []).map((a) => (
                  <span key={a} className="chip">
                    @{a}
                  </span>
                ))}
              </td>
              <td>
                <StatusBadge status={v.status} />
              </td>
              <td>{formatTime(v.creation_timestamp)}</td>
              <td className="mono">{v.run_id ? <Link to={`/runs/${encodeURIComponent(v.run_id)}`}>{v.run_id.slice(0, 8)}</Link> : ''}</td>
              <td className="mono wrap">{v.source ?? ''}</td>
              <td className="chips">{(v.tags ?? []).map((t) => <TagChip key={t.key} tag={t} />)}</td>
              <td className="text">
                <div className="clamp" title={v.description ?? ''}>
                  {v.description ?? ''}
                </div>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
