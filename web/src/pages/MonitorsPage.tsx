import { formatTime } from '../lib/format.ts';
import { hangar, type MonitorDefinition } from '../lib/hangar-api.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import '../components/pages-extra.css';

/** What a monitor watches: a model's inference log (linked) or a table. */
export function MonitorSource({ def }: { def: MonitorDefinition }) {
  if ('inference_log' in def.source) {
    const model = def.source.inference_log.model;
    return (
      <span>
        model <Link to={`/models/${encodeURIComponent(model)}`}>{model}</Link>
      </span>
    );
  }
  return <span className="mono">{def.source.table}</span>;
}

/** `/monitors`: every monitor the caller may read, with its source, profile, schedule and status. */
export function MonitorsPage() {
  useTitle('Monitors');
  const list = useLoad(() => hangar.monitors(), []);
  const monitors = [...(list.data?.monitors ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1));
  return (
    <section>
      <h1>Monitors</h1>
      <ErrorBox error={list.error} />
      {list.loading && list.data === undefined && <p className="loading muted">Loading…</p>}
      {list.data !== undefined && monitors.length === 0 && (
        <p className="muted">
          No monitors yet. Create one with <span className="mono">hangar monitor create --file monitor.yaml</span>.
        </p>
      )}
      {monitors.length > 0 && (
        <DataTable label="Monitors" columns={['Name', 'Status', 'Watches', 'Profile', 'Granularities', 'Alert rules', 'Schedule', 'Next run', 'Data up to']} scroll>
          {monitors.map((m) => (
            <tr key={m.name}>
              <td>
                <Link to={`/monitors/${encodeURIComponent(m.name)}`}>{m.name}</Link>
              </td>
              <td>
                <span className={`badge status-${m.status.toLowerCase()}`}>{m.status}</span>
              </td>
              <td>
                <MonitorSource def={m.definition} />
              </td>
              <td>{m.definition.profile.type}</td>
              <td>{(m.definition.profile.granularities ?? []).join(', ')}</td>
              <td>{(m.definition.alert_rules ?? []).map((r) => r.name).join(', ') || <span className="muted">none</span>}</td>
              <td className="mono">{m.definition.schedule ?? <span className="muted">on demand</span>}</td>
              <td>{formatTime(m.next_run_timestamp ?? undefined)}</td>
              <td>{formatTime(m.watermark ?? undefined)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
