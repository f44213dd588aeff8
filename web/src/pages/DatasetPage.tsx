import { formatBytes, formatTime, formatValue } from '../lib/format.ts';
import { hangar, type ColumnProfile } from '../lib/hangar-api.ts';
import { datasetsInSql } from '../lib/hangar-helpers.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { KeyValueTable } from '../components/KeyValueTable.tsx';
import { Link } from '../components/Link.tsx';
import { Spread, TopBars } from '../components/ProfileGraphics.tsx';
import '../components/pages-extra.css';

const show = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'number' ? formatValue(v) : String(v));

function Distribution({ c }: { c: ColumnProfile }) {
  if (c.top !== undefined && c.top.length > 0) return <TopBars top={c.top} total={(c.count ?? 0) + (c.nulls ?? 0)} />;
  if (typeof c.min === 'number' && typeof c.max === 'number' && c.quantiles !== undefined) return <Spread min={c.min} max={c.max} quantiles={c.quantiles} />;
  return null;
}

/**
 * `/datasets/:name`: a dataset's versions, and for one version (`?version=`, default the
 * latest) its digest, row count, source, schema and per-column profile, plus the feature
 * tables whose SQL reads it.
 */
export function DatasetPage({ name, query }: { name: string; query: URLSearchParams }) {
  useTitle(name);
  const dataset = useLoad(() => hangar.dataset(name), [name]);
  const versions = useLoad(() => hangar.datasetVersions(name), [name]);
  const tables = useLoad(() => hangar.featureTables(), []);
  const d = dataset.data?.dataset;
  const list = [...(versions.data?.dataset_versions ?? [])].sort((a, b) => b.version - a.version);
  const wanted = Number(query.get('version') ?? '');
  const v = list.find((x) => x.version === wanted) ?? list[0];
  const readers = (tables.data?.feature_tables ?? []).filter((t) => t.spec.source.kind === 'sql' && datasetsInSql(t.spec.source.sql).includes(name));
  const profile = new Map((v?.profile?.columns ?? []).map((c) => [c.name, c]));

  return (
    <section>
      <div className="crumbs">
        <Link to="/datasets">Datasets</Link> ›
      </div>
      <h1>{name}</h1>
      <ErrorBox error={dataset.error} />
      {dataset.loading && d === undefined && <p className="loading muted">Loading…</p>}
      {d !== undefined && (
        <>
          <dl className="facts">
            <dt>Latest version</dt>
            <dd>v{d.latest_version}</dd>
            <dt>Created</dt>
            <dd>
              {formatTime(d.creation_timestamp)}
              {d.created_by ? ` by ${d.created_by}` : ''}
            </dd>
            <dt>Description</dt>
            <dd>{d.description || <span className="muted">none</span>}</dd>
            <dt>Read by feature tables</dt>
            <dd>
              {readers.length === 0 ? (
                <span className="muted">none</span>
              ) : (
                readers.map((t, i) => (
                  <span key={t.name}>
                    {i > 0 && ', '}
                    <Link to={`/features/${encodeURIComponent(t.name)}`}>{t.name}</Link>
                  </span>
                ))
              )}
            </dd>
          </dl>
          <h2>Tags</h2>
          <KeyValueTable label="Dataset tags" rows={d.tags} empty="No tags." />
        </>
      )}

      <h2>Versions</h2>
      <ErrorBox error={versions.error} />
      {versions.data !== undefined && list.length === 0 && <p className="muted">No versions.</p>}
      {list.length > 0 && (
        <DataTable label="Dataset versions" columns={['Version', { num: 'Rows' }, { num: 'Columns' }, { num: 'Size' }, 'Digest', 'Source', 'Created']} scroll>
          {list.map((x) => (
            <tr key={x.version} className={x === v ? 'selected' : undefined}>
              <td>{x === v ? <strong>v{x.version}</strong> : <Link to={`/datasets/${encodeURIComponent(name)}?version=${x.version}`}>v{x.version}</Link>}</td>
              <td className="num">{x.row_count}</td>
              <td className="num">{x.schema.length}</td>
              <td className="num">{formatBytes(x.size_bytes ?? undefined)}</td>
              <td className="mono">{x.digest}</td>
              <td className="mono wrap">
                {x.source_type}
                {x.source ? `: ${x.source}` : ''}
              </td>
              <td>
                {formatTime(x.creation_timestamp)}
                {x.created_by ? ` by ${x.created_by}` : ''}
              </td>
            </tr>
          ))}
        </DataTable>
      )}

      {v !== undefined && (
        <>
          <h2>
            Version {v.version}: {v.row_count} rows, {v.schema.length} columns
          </h2>
          <dl className="facts">
            <dt>Digest</dt>
            <dd className="mono">{v.digest}</dd>
            <dt>Stored at</dt>
            <dd className="mono">{v.uri}</dd>
            <dt>Expectations</dt>
            <dd>{v.expectations === null || v.expectations === undefined ? <span className="muted">none</span> : <span className="mono">{JSON.stringify(v.expectations).slice(0, 300)}</span>}</dd>
          </dl>
          <DataTable label="Schema and profile" columns={['Column', 'Type', { num: 'Non-null' }, { num: 'Nulls' }, { num: 'Distinct' }, { num: 'Min' }, { num: 'Max' }, { num: 'Mean' }, { num: 'Std dev' }, 'Distribution']} scroll>
            {v.schema.map((col) => {
              const c = profile.get(col.name);
              return (
                <tr key={col.name}>
                  <td className="mono">{col.name}</td>
                  <td className="mono">{col.type}</td>
                  <td className="num">{show(c?.count)}</td>
                  <td className="num">{show(c?.nulls)}</td>
                  <td className="num">{show(c?.distinct)}</td>
                  <td className="num">{show(c?.min)}</td>
                  <td className="num">{show(c?.max)}</td>
                  <td className="num">{show(c?.mean)}</td>
                  <td className="num">{show(c?.stddev)}</td>
                  <td>{c === undefined ? <span className="muted">no profile</span> : <Distribution c={c} />}</td>
                </tr>
              );
            })}
          </DataTable>
        </>
      )}
    </section>
  );
}
