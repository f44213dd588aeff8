import { formatTime } from '../lib/format.ts';
import { hangar } from '../lib/hangar-api.ts';
import { datasetsInSql, markOfTag, sensitiveMarkOf } from '../lib/hangar-helpers.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import { FeatureTag } from './FeaturesPage.tsx';
import '../components/pages-extra.css';

/**
 * `/features/:table`: a feature table's keys, timestamp key, features with types and tags
 * (sensitive ones marked), TTL, owner, source (with links to the datasets it reads), computed
 * versions, the feature services that use it, and its state in the online store.
 */
export function FeatureTablePage({ name }: { name: string }) {
  useTitle(name);
  const table = useLoad(() => hangar.featureTable(name), [name]);
  const services = useLoad(() => hangar.featureServices(), []);
  const online = useLoad(() => hangar.onlineTables(), []);
  const t = table.data?.feature_table;
  const versions = [...(table.data?.versions ?? [])].sort((a, b) => b.version - a.version);
  const usedBy = (services.data?.feature_services ?? []).filter((s) => s.features.some((f) => f.startsWith(`${name}:`)));
  const onlineTable = online.data?.tables?.find((x) => x.name === name);
  const source = t?.spec.source;

  return (
    <section>
      <div className="crumbs">
        <Link to="/features">Features</Link> ›
      </div>
      <h1>{name}</h1>
      <ErrorBox error={table.error} />
      {table.loading && t === undefined && <p className="loading muted">Loading…</p>}
      {t !== undefined && (
        <>
          <dl className="facts">
            <dt>Keys</dt>
            <dd className="mono">{t.spec.keys.map((k) => `${k.name} (${k.type})`).join(', ')}</dd>
            <dt>Timestamp key</dt>
            <dd className="mono">{t.spec.timestampKey ?? <span className="muted">none (no history)</span>}</dd>
            {t.spec.createdTimestampKey !== undefined && (
              <>
                <dt>Created timestamp key</dt>
                <dd className="mono">{t.spec.createdTimestampKey}</dd>
              </>
            )}
            <dt>TTL</dt>
            <dd>{t.spec.ttlMs === 0 ? '0 (values never expire)' : t.ttl}</dd>
            <dt>Owner</dt>
            <dd>{t.owner ?? <span className="muted">none</span>}</dd>
            <dt>Description</dt>
            <dd>{t.description || <span className="muted">none</span>}</dd>
            <dt>Tags</dt>
            <dd className="chips">
              {Object.keys(t.spec.tags ?? {}).length === 0 && <span className="muted">none</span>}
              {Object.entries(t.spec.tags ?? {}).map(([k, v]) => (
                <FeatureTag key={k} k={k} v={v} mark={markOfTag(t.sensitive_features, k, t.name)} />
              ))}
            </dd>
            <dt>Reads datasets</dt>
            <dd>
              {source?.kind === 'sql' && datasetsInSql(source.sql).length > 0
                ? datasetsInSql(source.sql).map((d, i) => (
                    <span key={d}>
                      {i > 0 && ', '}
                      <Link to={`/datasets/${encodeURIComponent(d)}`}>{d}</Link>
                    </span>
                  ))
                : <span className="muted">none named</span>}
            </dd>
            <dt>Used by services</dt>
            <dd>{usedBy.length === 0 ? <span className="muted">none</span> : usedBy.map((s) => s.name).join(', ')}</dd>
          </dl>

          <h2>Features</h2>
          <DataTable label="Features" columns={['Feature', 'Type', 'Tags', 'Description']} scroll>
            {t.spec.features.map((f) => {
              const mark = sensitiveMarkOf(t.sensitive_features, t.name, f.name);
              const sensitive = mark !== undefined;
              return (
                <tr key={f.name} className={sensitive ? 'sensitive-row' : undefined}>
                  <td className="mono">
                    {f.name}
                    {sensitive && (
                      <span className="badge sensitive" title={`sensitive data: ${mark.reason}`}>
                        sensitive
                      </span>
                    )}
                  </td>
                  <td className="mono">{f.type}</td>
                  <td className="chips">
                    {Object.entries(f.tags ?? {}).map(([k, v]) => (
                      <FeatureTag key={k} k={k} v={v} mark={markOfTag(t.sensitive_features, k, t.name, f.name)} />
                    ))}
                  </td>
                  <td className="text">{f.description ?? ''}</td>
                </tr>
              );
            })}
          </DataTable>

          <h2>Source</h2>
          {source?.kind === 'sql' && <pre className="mono code">{source.sql}</pre>}
          {source?.kind === 'transform' && (
            <p className="mono">
              transform {source.module}
              {source.export ? `#${source.export}` : ''}
              {source.input ? ` over ${source.input}` : ''}
            </p>
          )}
        </>
      )}

      <h2>Computed versions</h2>
      {table.data !== undefined && versions.length === 0 && (
        <p className="muted">
          Not computed yet: <span className="mono">hangar features compute {name}</span>.
        </p>
      )}
      {versions.length > 0 && (
        <DataTable label="Feature table versions" columns={['Version', 'Mode', 'From', 'To', { num: 'Rows added' }, { num: 'Total rows' }, 'Digest', 'Computed']} scroll>
          {versions.map((v) => (
            <tr key={v.version}>
              <td>v{v.version}</td>
              <td>{v.mode}</td>
              <td>{formatTime(v.start ?? undefined)}</td>
              <td>{formatTime(v.end ?? undefined)}</td>
              <td className="num">{v.row_count}</td>
              <td className="num">{v.total_rows}</td>
              <td className="mono">{v.digest.slice(0, 16)}</td>
              <td>{formatTime(v.creation_timestamp)}</td>
            </tr>
          ))}
        </DataTable>
      )}

      <h2>Online store</h2>
      <ErrorBox error={online.error} />
      {online.data !== undefined && (
        <dl className="facts" aria-label="Online store state">
          <dt>Store</dt>
          <dd>{online.data.store_type}</dd>
          <dt>Materialised</dt>
          <dd>
            {onlineTable === undefined ? (
              <span className="muted">
                not materialised (<span className="mono">hangar materialize-incremental now --table {name}</span>)
              </span>
            ) : onlineTable.materialized_end === undefined ? (
              'registered, no rows yet'
            ) : (
              `up to ${formatTime(onlineTable.materialized_end)}`
            )}
          </dd>
          {onlineTable !== undefined && (
            <>
              <dt>Last written</dt>
              <dd>{formatTime(onlineTable.updated_at)}</dd>
              <dt>Online features</dt>
              <dd className="mono">{onlineTable.features.map((f) => f.name).join(', ')}</dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}
