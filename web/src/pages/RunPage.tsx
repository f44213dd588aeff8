import { useState } from 'react';
import { api, artifactDownloadUrl, type Run } from '../lib/api.ts';
import { formatBytes, formatDuration, formatTime, formatValue } from '../lib/format.ts';
import { quoteValue } from '../lib/search.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { ArtifactPreview, previewable } from '../components/ArtifactPreview.tsx';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { KeyValueTable } from '../components/KeyValueTable.tsx';
import { LineChart, historyPoints } from '../components/LineChart.tsx';
import { Link } from '../components/Link.tsx';
import { StageBadge, StatusBadge } from '../components/StatusBadge.tsx';

function MetricCharts({ runId, keys }: { runId: string; keys: string[] }) {
  const { data, error } = useLoad(async () => Promise.all(keys.map(async (k) => ({ key: k, metrics: (await api.metricHistory(runId, k)).metrics ?? [] }))), [runId, keys.join('\n')]);
  if (keys.length === 0) return null;
  // A metric logged once is a single number, already in the table; only histories get a chart.
  const charted = (data ?? []).map((h) => ({ key: h.key, points: historyPoints(h.metrics), logged: h.metrics.length })).filter((h) => h.logged > 1);
  const single = (data?.length ?? 0) - charted.length;
  return (
    <>
      <ErrorBox error={error} />
      {data === undefined && error === undefined && <p className="muted loading">Loading metric history…</p>}
      <div className="charts">
        {charted.map((h) => (
          <LineChart key={h.key} title={h.key} xLabel="step" points={h.points} />
        ))}
      </div>
      {data !== undefined && single > 0 && (
        <p className="muted">
          {single === data.length ? 'Every metric' : `${single} of ${data.length} metrics`} logged a single value, shown in the table; metrics logged more than once get a chart of
          their history.
        </p>
      )}
    </>
  );
}

function Artifacts({ run }: { run: Run }) {
  const [path, setPath] = useState('');
  const [shown, setShown] = useState<{ path: string; size: number | undefined } | undefined>(undefined);
  const { data, error, loading } = useLoad(() => api.listArtifacts(run.info.run_id, path === '' ? undefined : path), [run.info.run_id, path]);
  const files = data?.files ?? [];
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const shownHref = shown === undefined ? undefined : artifactDownloadUrl(run.info.artifact_uri, shown.path);
  return (
    <>
      <p className="meta">
        <span className="mono">{run.info.artifact_uri}</span>
        {path !== '' && <span className="mono">/{path}</span>}
      </p>
      <ErrorBox error={error} />
      {!loading && error === undefined && files.length === 0 && <p className="muted">No artifacts{path === '' ? '' : ' here'}.</p>}
      {(files.length > 0 || path !== '') && (
        <DataTable label="Artifacts" columns={['Name', { num: 'Size' }]}>
          {path !== '' && (
            <tr>
              <td>
                <button type="button" className="link" onClick={() => setPath(parent)}>
                  ../
                </button>
              </td>
              <td />
            </tr>
          )}
          {files.map((f) => {
            // artifacts/list names entries relative to the run's artifact root.
            const name = f.path.slice(f.path.lastIndexOf('/') + 1);
            const href = artifactDownloadUrl(run.info.artifact_uri, f.path);
            return (
              <tr key={f.path}>
                <td>
                  {f.is_dir ? (
                    <button type="button" className="link" onClick={() => setPath(f.path)}>
                      {name}/
                    </button>
                  ) : href === undefined ? (
                    name
                  ) : previewable(name, f.file_size) ? (
                    <button type="button" className="link" onClick={() => setShown({ path: f.path, size: f.file_size })} aria-pressed={shown?.path === f.path}>
                      {name}
                    </button>
                  ) : (
                    <a href={href} target="_blank" rel="noreferrer">
                      {name}
                    </a>
                  )}
                </td>
                <td className="num">{f.is_dir ? '' : formatBytes(f.file_size)}</td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {shownHref !== undefined && shown !== undefined && (
        <ArtifactPreview key={shown.path} name={shown.path.slice(shown.path.lastIndexOf('/') + 1)} href={shownHref} size={shown.size} onClose={() => setShown(undefined)} />
      )}
    </>
  );
}

/** MLflow stores a dataset's source as JSON such as `{"uri": "..."}`; show the location itself. */
function sourceText(source: string | undefined): string {
  if (source === undefined) return '';
  try {
    const parsed = JSON.parse(source) as Record<string, unknown>;
    for (const k of ['uri', 'url', 'path', 'table_name']) if (typeof parsed[k] === 'string') return parsed[k] as string;
  } catch {
    // not JSON: shown as is
  }
  return source;
}

function Datasets({ run }: { run: Run }) {
  const inputs = run.inputs?.dataset_inputs ?? [];
  if (inputs.length === 0) return <p className="muted">No dataset inputs logged.</p>;
  return (
    <DataTable label="Datasets" columns={['Name', 'Digest', 'Context', 'Source type', 'Source']}>
      {inputs.map((d, i) => (
        <tr key={`${d.dataset.name}-${d.dataset.digest}-${i}`}>
          <td>
            <InputName name={d.dataset.name} sourceType={d.dataset.source_type} source={d.dataset.source} />
          </td>
          <td className="mono">{d.dataset.digest}</td>
          <td>{d.tags?.find((t) => t.key === 'mlflow.data.context')?.value ?? ''}</td>
          <td>{d.dataset.source_type ?? ''}</td>
          <td className="mono wrap">{sourceText(d.dataset.source)}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** A dataset input's name, linked to Hangar's page for it when it is a training set or a feature table version. */
function InputName({ name, sourceType, source }: { name: string; sourceType: string | undefined; source: string | undefined }) {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(source ?? '{}') as Record<string, unknown>;
  } catch {
    // not JSON: no link
  }
  if (sourceType === 'hangar-training-set' && typeof parsed.training_set_id === 'string') return <Link to={`/training-sets/${encodeURIComponent(parsed.training_set_id)}`}>{name}</Link>;
  if (sourceType === 'hangar-feature-table' && typeof parsed.feature_table === 'string') return <Link to={`/features/${encodeURIComponent(parsed.feature_table)}`}>{name}</Link>;
  return <>{name}</>;
}

/** The registered model versions made from this run (lineage from the run to the registry). */
function ModelVersions({ runId }: { runId: string }) {
  const { data, error } = useLoad(() => api.searchVersions({ filter: `run_id = ${quoteValue(runId)}`, order_by: ['name ASC', 'version_number DESC'] }), [runId]);
  const versions = data?.model_versions ?? [];
  if (error !== undefined) return <ErrorBox error={error} />;
  if (data === undefined) return null;
  if (versions.length === 0) return <p className="muted">No registered model version comes from this run.</p>;
  return (
    <DataTable label="Registered model versions" columns={['Model', 'Version', 'Stage', 'Created']}>
      {versions.map((v) => (
        <tr key={`${v.name}/${v.version}`}>
          <td>
            <Link to={`/models/${encodeURIComponent(v.name)}`}>{v.name}</Link>
          </td>
          <td>Version {v.version}</td>
          <td>
            <StageBadge stage={v.current_stage} />
          </td>
          <td>{formatTime(v.creation_timestamp)}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** `/runs/:runId` and `/experiments/:id/runs/:runId`: everything logged on one run. */
export function RunPage({ runId }: { runId: string }) {
  const { data, error } = useLoad(() => api.getRun(runId), [runId]);
  const experimentId = data?.run.info.experiment_id;
  const experiment = useLoad(async () => (experimentId === undefined ? undefined : (await api.getExperiment(experimentId)).experiment), [experimentId]);
  const run = data?.run;
  useTitle(run === undefined ? `Run ${runId}` : run.info.run_name || run.info.run_id);
  if (run === undefined) {
    return (
      <section>
        <h1>Run {runId}</h1>
        <ErrorBox error={error} />
        {error === undefined && <p className="muted loading">Loading…</p>}
      </section>
    );
  }
  const info = run.info;
  const metrics = [...(run.data.metrics ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1));
  const tags = run.data.tags ?? [];
  const userTags = tags.filter((t) => !t.key.startsWith('mlflow.'));
  const systemTags = tags.filter((t) => t.key.startsWith('mlflow.'));
  const expPath = `/experiments/${encodeURIComponent(info.experiment_id)}`;

  return (
    <section>
      <div className="crumbs">
        <Link to="/">Experiments</Link> › <Link to={expPath}>{experiment.data?.name ?? `Experiment ${info.experiment_id}`}</Link> ›
      </div>
      <h1>
        {info.run_name || info.run_id} <StatusBadge status={info.status} />
      </h1>
      <dl className="facts">
        <dt>Run ID</dt>
        <dd className="mono">{info.run_id}</dd>
        <dt>Started</dt>
        <dd>{formatTime(info.start_time)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(info.start_time, info.end_time) || (info.status === 'RUNNING' ? 'running' : '')}</dd>
        {info.user_id ? (
          <>
            <dt>User</dt>
            <dd>{info.user_id}</dd>
          </>
        ) : null}
        <dt>Lifecycle</dt>
        <dd>{info.lifecycle_stage}</dd>
      </dl>

      <h2>Metrics</h2>
      {metrics.length === 0 ? (
        <p className="muted">No metrics logged.</p>
      ) : (
        <DataTable label="Metrics" columns={['Metric', { num: 'Latest value' }, { num: 'Step' }, 'Logged']}>
          {metrics.map((m) => (
            <tr key={m.key}>
              <th scope="row">{m.key}</th>
              <td className="num">{formatValue(m.value)}</td>
              <td className="num">{m.step}</td>
              <td>{formatTime(m.timestamp)}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <MetricCharts runId={info.run_id} keys={metrics.map((m) => m.key)} />

      <div className="columns">
        <div>
          <h2>Parameters</h2>
          <KeyValueTable label="Parameters" rows={run.data.params ?? []} empty="No parameters logged." />
        </div>
        <div>
          <h2>Tags</h2>
          <KeyValueTable label="Tags" rows={userTags} empty="No tags." />
          {systemTags.length > 0 && (
            <details>
              <summary className="muted">
                {systemTags.length} system {systemTags.length === 1 ? 'tag' : 'tags'} (mlflow.*)
              </summary>
              <KeyValueTable label="System tags" rows={systemTags.map((t) => ({ key: t.key, value: <span className="wrap">{t.value}</span> }))} empty="" />
            </details>
          )}
        </div>
      </div>

      <h2>Datasets</h2>
      <Datasets run={run} />

      <h2>Registered models</h2>
      <ModelVersions runId={info.run_id} />

      <h2>Artifacts</h2>
      <Artifacts run={run} />
    </section>
  );
}
