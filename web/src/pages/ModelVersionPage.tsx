import { useState, type FormEvent } from 'react';
import { formatTime, formatValue } from '../lib/format.ts';
import { hangar, type Activity, type TransitionRequest } from '../lib/hangar-api.ts';
import { useAction } from '../lib/use-action.ts';
import { useLoad } from '../lib/use-load.ts';
import { useTitle } from '../lib/use-title.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Link } from '../components/Link.tsx';
import { StageBadge, StatusBadge, TagChip } from '../components/StatusBadge.tsx';

const STAGES = ['Staging', 'Production', 'Archived', 'None'];

/** A validation verdict (`passed`, `PASS`, `approved`, …) as a coloured label. */
function Verdict({ value }: { value: string | boolean | undefined }) {
  if (value === undefined) return null;
  const text = typeof value === 'boolean' ? (value ? 'passed' : 'failed') : value;
  const t = text.toLowerCase();
  const kind = t === 'passed' || t === 'pass' || t === 'approved' ? 'status-finished' : t === 'skip' ? '' : 'status-failed';
  return <span className={`badge ${kind}`}>{text}</span>;
}

/** `comment` trimmed, as the optional field of a request or decision; nothing when it is blank. */
const optionalComment = (comment: string) => (comment.trim() === '' ? {} : { comment: comment.trim() });

/** One open transition request with its decision form: a comment, Approve and Reject. */
function RequestRow({ r, onDone }: { r: TransitionRequest; onDone(): void }) {
  const [comment, setComment] = useState('');
  const [archive, setArchive] = useState(false);
  const { busy, error, run } = useAction();
  const open = r.status === 'OPEN';
  const decide = (approve: boolean) =>
    run(async () => {
      const base = { name: r.name, version: r.version, stage: r.to_stage, ...optionalComment(comment) };
      if (approve) await hangar.approveRequest({ ...base, archive_existing_versions: archive });
      else await hangar.rejectRequest(base);
      setComment('');
      onDone();
    });
  return (
    <tr>
      <td className="mono">{r.id}</td>
      <td>
        <StageBadge stage={r.to_stage} />
      </td>
      <td>{r.user_id}</td>
      <td>{formatTime(r.creation_timestamp)}</td>
      <td className="text">{r.comment ?? ''}</td>
      <td>
        <span className="badge">{r.status}</span>
      </td>
      <td className="decide">
        {open ? (
          <div className="decide-form">
            <input type="text" aria-label={`Comment on request ${r.id}`} placeholder="comment (optional)" value={comment} onChange={(e) => setComment(e.target.value)} />
            <label className="muted">
              <input type="checkbox" checked={archive} onChange={(e) => setArchive(e.target.checked)} /> archive the versions now in {r.to_stage}
            </label>
            <div>
              <button type="button" disabled={busy} onClick={() => void decide(true)}>
                Approve
              </button>{' '}
              <button type="button" disabled={busy} onClick={() => void decide(false)}>
                Reject
              </button>
            </div>
            <ErrorBox error={error} />
          </div>
        ) : (
          <span className="muted">{r.decided_by === undefined ? '' : `by ${r.decided_by}`}</span>
        )}
      </td>
    </tr>
  );
}

/** The form that files a transition request for this version. */
function RequestForm({ name, version, onDone }: { name: string; version: string; onDone(): void }) {
  const [stage, setStage] = useState('Staging');
  const [comment, setComment] = useState('');
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    return run(async () => {
      await hangar.createRequest({ name, version, stage, ...optionalComment(comment) });
      setComment('');
      onDone();
    });
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label="Request a transition">
      <label>
        Stage{' '}
        <select aria-label="Requested stage" value={stage} onChange={(e) => setStage(e.target.value)}>
          {STAGES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <input type="text" aria-label="Request comment" placeholder="why (optional)" value={comment} onChange={(e) => setComment(e.target.value)} />
      <button type="submit" disabled={busy}>
        Request transition
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

/** The form that adds a comment to the version's activity log. */
function CommentForm({ name, version, onDone }: { name: string; version: string; onDone(): void }) {
  const [comment, setComment] = useState('');
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    return run(async () => {
      await hangar.createComment({ name, version, comment: comment.trim() });
      setComment('');
      onDone();
    });
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label="Add a comment">
      <input type="text" aria-label="New comment" placeholder="comment on this version" value={comment} onChange={(e) => setComment(e.target.value)} />
      <button type="submit" disabled={busy || comment.trim() === ''}>
        Comment
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

function describeActivity(a: Activity): string {
  if (a.alias !== undefined) return `@${a.alias}`;
  if (a.from_stage !== undefined || a.to_stage !== undefined) return `${a.from_stage ?? '?'} → ${a.to_stage ?? '?'}`;
  return '';
}

/**
 * A table of activities in the order given. With `of` (for a model's activities across its
 * versions), a Version column links to the other versions and marks the rows of the one shown.
 */
function ActivityTable({ label, rows, of }: { label: string; rows: Activity[]; of?: { name: string; version: string } }) {
  return (
    <DataTable label={label} columns={of === undefined ? ['When', 'Activity', 'By', 'Change', 'Comment'] : ['When', 'Version', 'Activity', 'By', 'Change', 'Comment']} scroll>
      {rows.map((a) => (
        <tr key={a.id} className={of !== undefined && a.version === of.version ? 'selected' : undefined}>
          <td>{formatTime(a.creation_timestamp)}</td>
          {of !== undefined && (
            <td>{a.version === of.version ? `Version ${a.version}` : <Link to={`/models/${encodeURIComponent(of.name)}/versions/${encodeURIComponent(a.version)}`}>Version {a.version}</Link>}</td>
          )}
          <td className="mono">{a.activity_type}</td>
          <td>{a.user_id}</td>
          <td>{describeActivity(a)}</td>
          <td className="text">{a.comment ?? ''}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/**
 * `/models/:name/versions/:version`: one model version with its governance: facts and source
 * run, compliance and gate verdicts, open transition requests (approve or reject with a
 * comment, or file a new one) and the version's activity log (stage history and comments).
 */
export function ModelVersionPage({ name, version }: { name: string; version: string }) {
  useTitle(`${name} v${version}`);
  const mv = useLoad(() => hangar.modelVersion(name, version), [name, version]);
  const requests = useLoad(() => hangar.listRequests(name, version), [name, version]);
  const activities = useLoad(() => hangar.activities(name, version), [name, version]);
  const results = useLoad(() => hangar.validationResults(name, version), [name, version]);
  const history = useLoad(() => hangar.modelHistory(name), [name]);
  const refresh = () => {
    mv.reload();
    requests.reload();
    activities.reload();
    history.reload();
  };
  const promotions = [...(history.data?.history ?? [])].sort((a, b) => b.creation_timestamp - a.creation_timestamp || Number(b.id) - Number(a.id)).slice(0, 20);
  const v = mv.data?.model_version;
  const reqs = requests.data?.requests ?? [];
  const acts = [...(activities.data?.activities ?? [])].sort((a, b) => b.creation_timestamp - a.creation_timestamp || Number(b.id) - Number(a.id));
  const res = results.data?.results;
  const verdicts = res?.gate?.result?.validation?.metrics ?? [];

  return (
    <section>
      <div className="crumbs">
        <Link to="/models">Registered models</Link> › <Link to={`/models/${encodeURIComponent(name)}`}>{name}</Link> ›
      </div>
      <h1>
        {name} version {version} {v !== undefined && <StageBadge stage={v.current_stage} />}
      </h1>
      {mv.loading && v === undefined && <p className="loading muted">Loading…</p>}
      <ErrorBox error={mv.error} />
      {v !== undefined && (
        <dl className="facts">
          <dt>Stage</dt>
          <dd aria-label="Current stage">{v.current_stage ?? 'None'}</dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={v.status} />
          </dd>
          <dt>Created</dt>
          <dd>{formatTime(v.creation_timestamp)}</dd>
          <dt>Last modified</dt>
          <dd>{formatTime(v.last_updated_timestamp)}</dd>
          <dt>Source run</dt>
          <dd className="mono">{v.run_id ? <Link to={`/runs/${encodeURIComponent(v.run_id)}`}>{v.run_id}</Link> : <span className="muted">none</span>}</dd>
          <dt>Source</dt>
          <dd className="mono">{v.source ?? ''}</dd>
          <dt>Aliases</dt>
          <dd>{(v.aliases ?? []).length === 0 ? <span className="muted">none</span> : (v.aliases ?? []).map((a) => <span key={a} className="chip">@{a}</span>)}</dd>
          <dt>Tags</dt>
          <dd className="chips">{(v.tags ?? []).length === 0 ? <span className="muted">none</span> : (v.tags ?? []).map((t) => <TagChip key={t.key} tag={t} />)}</dd>
          <dt>Description</dt>
          <dd>{v.description || <span className="muted">none</span>}</dd>
        </dl>
      )}

      <h2>Transition requests</h2>
      <ErrorBox error={requests.error} />
      {requests.loading && requests.data === undefined && <p className="loading muted">Loading…</p>}
      {requests.data !== undefined && reqs.length === 0 && <p className="muted">No open transition requests.</p>}
      {reqs.length > 0 && (
        <DataTable label="Transition requests" columns={['ID', 'To stage', 'Requested by', 'Requested', 'Comment', 'Status', 'Decision']} scroll>
          {reqs.map((r) => (
            <RequestRow key={r.id} r={r} onDone={refresh} />
          ))}
        </DataTable>
      )}
      <h2>Request a transition</h2>
      <RequestForm name={name} version={version} onDone={refresh} />
      <p className="muted small">Approving, rejecting and requesting need the right permission on the model; the server's answer shows here when it refuses.</p>

      <h2>Compliance and validation gate</h2>
      <ErrorBox error={results.error} />
      {results.loading && res === undefined && <p className="loading muted">Loading…</p>}
      {res !== undefined && (
        <>
          <dl className="facts">
            <dt>Compliance</dt>
            <dd>{res.compliance === null ? <span className="muted">never checked</span> : <Verdict value={res.compliance.status} />}</dd>
            <dt>Validation gate</dt>
            <dd>
              {res.gate === null ? <span className="muted">never run</span> : <Verdict value={res.gate.status} />}
              {res.gate?.run_id && (
                <>
                  {' '}
                  run <Link to={`/runs/${encodeURIComponent(res.gate.run_id)}`} className="mono">{res.gate.run_id.slice(0, 8)}</Link>
                </>
              )}
              {res.gate?.result?.baseline && <span className="muted"> against version {res.gate.result.baseline.version}</span>}
            </dd>
          </dl>
          {res.compliance !== null && res.compliance.checks.length > 0 && (
            <DataTable label="Compliance checks" columns={['Rule', 'Result', 'Reason']} narrow>
              {res.compliance.checks.map((c) => (
                <tr key={c.rule}>
                  <td className="mono">{c.rule}</td>
                  <td>
                    <Verdict value={c.status} />
                  </td>
                  <td className="text">{c.reason ?? ''}</td>
                </tr>
              ))}
            </DataTable>
          )}
          {verdicts.length > 0 && (
            <DataTable label="Gate metrics" columns={['Metric', 'Candidate', 'Baseline', 'Result', 'Message']} narrow>
              {verdicts.map((m) => (
                <tr key={m.metric}>
                  <td className="mono">{m.metric}</td>
                  <td>{formatValue(m.candidate)}</td>
                  <td>{formatValue(m.baseline)}</td>
                  <td>
                    <Verdict value={m.passed} />
                  </td>
                  <td className="text">{m.message ?? ''}</td>
                </tr>
              ))}
            </DataTable>
          )}
        </>
      )}

      <h2>Activity and stage history</h2>
      <ErrorBox error={activities.error} />
      {activities.loading && activities.data === undefined && <p className="loading muted">Loading…</p>}
      {activities.data !== undefined && acts.length === 0 && <p className="muted">No activity recorded for this version.</p>}
      {acts.length > 0 && (
        <ActivityTable label="Activities" rows={acts} />
      )}
      <CommentForm name={name} version={version} onDone={refresh} />

      <h2>Promotion history of {name}</h2>
      <ErrorBox error={history.error} />
      {history.data !== undefined && promotions.length === 0 && <p className="muted">No stage or alias changes on any version yet.</p>}
      {promotions.length > 0 && (
        <ActivityTable label="Promotion history" rows={promotions} of={{ name, version }} />
      )}
    </section>
  );
}
