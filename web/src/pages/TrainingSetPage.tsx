import { formatTime } from '../lib/format.ts';
import { hangar } from '../lib/hangar-api.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import '../components/pages-extra.css';

/**
 * `/training-sets/:id`: a point-in-time training set: where its labels came from, the feature
 * tables and versions it joined (its lineage, linked), the run it was logged to, and its schema.
 */
export function TrainingSetPage({ id }: { id: string }) {
  useTitle(`Training set ${id}`);
  const loaded = useLoad(() => hangar.trainingSet(id), [id]);
  const t = loaded.data?.training_set;
  const labels = t?.request.labels;
  return (
    <section>
      <div className="crumbs">
        <Link to="/features">Features</Link> ›
      </div>
      <h1>Training set {id}</h1>
      <ErrorBox error={loaded.error} />
      {loaded.loading && t === undefined && <p className="loading muted">Loading…</p>}
      {t !== undefined && (
        <>
          <dl className="facts">
            <dt>Labels</dt>
            <dd>
              {labels === undefined ? null : typeof labels === 'string' ? (
                <span className="mono">{labels}</span>
              ) : (
                <>
                  dataset <Link to={`/datasets/${encodeURIComponent(labels.dataset)}${labels.version === undefined ? '' : `?version=${labels.version}`}`}>{labels.dataset}</Link>
                  {labels.version === undefined ? ' (latest)' : ` v${labels.version}`}
                </>
              )}
            </dd>
            <dt>Rows</dt>
            <dd>{t.row_count}</dd>
            <dt>Digest</dt>
            <dd className="mono">{t.digest}</dd>
            <dt>Stored at</dt>
            <dd className="mono">{t.uri ?? t.output ?? <span className="muted">not stored</span>}</dd>
            <dt>Logged to run</dt>
            <dd className="mono">{t.run_id === null ? <span className="muted">none</span> : <Link to={`/runs/${encodeURIComponent(t.run_id)}`}>{t.run_id}</Link>}</dd>
            <dt>Created</dt>
            <dd>{formatTime(t.creation_timestamp)}</dd>
          </dl>
          <h2>Feature tables joined</h2>
          {t.lineage.length === 0 ? (
            <p className="muted">No feature tables.</p>
          ) : (
            <DataTable label="Lineage" columns={['Feature table', 'Version', 'Features', 'Digest']} narrow>
              {t.lineage.map((l) => (
                <tr key={`${l.table}@${l.version}`}>
                  <td>
                    <Link to={`/features/${encodeURIComponent(l.table)}`}>{l.table}</Link>
                  </td>
                  <td>v{l.version}</td>
                  <td className="mono">{l.features.join(', ')}</td>
                  <td className="mono">{l.digest.slice(0, 16)}</td>
                </tr>
              ))}
            </DataTable>
          )}
          <h2>Schema</h2>
          <DataTable label="Training set schema" columns={['Column', 'Type']} narrow>
            {t.schema.map((c) => (
              <tr key={c.name}>
                <td className="mono">{c.name}</td>
                <td className="mono">{c.type}</td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </section>
  );
}
