import { formatTime } from '../lib/format.ts';
import { hangar } from '../lib/hangar-api.ts';
import { markOfTag, type SensitiveMark } from '../lib/hangar-helpers.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import '../components/pages-extra.css';

/** A tag as a chip; a tag the server names as marking sensitive data (`mark`) in red with a marker. */
export function FeatureTag({ k, v, mark }: { k: string; v: string; mark?: SensitiveMark | undefined }) {
  const sensitive = mark !== undefined;
  const text = `${k}: ${v}`;
  return (
    <span className={sensitive ? 'chip sensitive' : 'chip'} title={sensitive ? `${text} (sensitive data: ${mark.reason})` : text}>
      {sensitive ? '⚠ ' : ''}
      {text}
    </span>
  );
}

/** A `table:feature` reference, linked to its table. */
function FeatureRef({ reference: r }: { reference: string }) {
  const [table, feature] = r.split(':');
  return (
    <span className="chip mono">
      <Link to={`/features/${encodeURIComponent(table ?? '')}`}>{table}</Link>:{feature}
    </span>
  );
}

/** `/features`: the feature tables (keys, feature count, TTL, owner, latest version) and the feature services. */
export function FeaturesPage() {
  useTitle('Features');
  const tables = useLoad(() => hangar.featureTables(), []);
  const services = useLoad(() => hangar.featureServices(), []);
  const list = [...(tables.data?.feature_tables ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1));
  const svcs = [...(services.data?.feature_services ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1));
  return (
    <section>
      <h1>Features</h1>
      <h2>Feature tables</h2>
      <ErrorBox error={tables.error} />
      {tables.loading && tables.data === undefined && <p className="loading muted">Loading…</p>}
      {tables.data !== undefined && list.length === 0 && (
        <p className="muted">
          No feature tables yet. Register them with <span className="mono">hangar features apply features.yaml</span>.
        </p>
      )}
      {list.length > 0 && (
        <DataTable label="Feature tables" columns={['Name', 'Keys', 'Timestamp key', { num: 'Features' }, 'TTL', 'Owner', 'Latest version', 'Computed up to', 'Tags']} scroll>
          {list.map((t) => {
            const sensitive = t.sensitive_features?.length ?? 0;
            return (
              <tr key={t.name}>
                <td>
                  <Link to={`/features/${encodeURIComponent(t.name)}`}>{t.name}</Link>
                </td>
                <td className="mono">{t.spec.keys.map((k) => k.name).join(', ')}</td>
                <td className="mono">{t.spec.timestampKey ?? ''}</td>
                <td className="num">
                  {t.spec.features.length}
                  {sensitive > 0 && ' '}
                  {sensitive > 0 && <span className="badge sensitive" title="features tagged as sensitive data">{sensitive} sensitive</span>}
                </td>
                <td>{t.ttl}</td>
                <td>{t.owner ?? ''}</td>
                <td>{t.latest_version === null ? <span className="muted">not computed</span> : `v${t.latest_version}`}</td>
                <td>{formatTime(t.last_end ?? undefined)}</td>
                <td className="chips">
                  {Object.entries(t.spec.tags ?? {}).map(([k, v]) => (
                    <FeatureTag key={k} k={k} v={v} mark={markOfTag(t.sensitive_features, k, t.name)} />
                  ))}
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}

      <h2>Feature services</h2>
      <ErrorBox error={services.error} />
      {services.data !== undefined && svcs.length === 0 && <p className="muted">No feature services.</p>}
      {svcs.length > 0 && (
        <DataTable label="Feature services" columns={['Name', 'Version', 'Features', 'Owner', 'Description']} scroll>
          {svcs.map((s) => (
            <tr key={s.name}>
              <td className="mono">{s.name}</td>
              <td>v{s.version}</td>
              <td className="chips">
                {s.features.map((f) => (
                  <FeatureRef key={f} reference={f} />
                ))}
              </td>
              <td>{s.owner ?? ''}</td>
              <td className="text">{s.description ?? ''}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
