/** A run or model-version status as a small coloured label. */
export function StatusBadge({ status }: { status: string | undefined }) {
  if (status === undefined || status === '') return null;
  return <span className={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

/** A registry stage (None, Staging, Production, Archived) as a label. */
export function StageBadge({ stage }: { stage: string | undefined }) {
  if (stage === undefined || stage === '' || stage === 'None') return <span className="muted">None</span>;
  return <span className={`badge stage-${stage.toLowerCase()}`}>{stage}</span>;
}

/** A `key: value` tag as a chip; long values are cut with the full text on hover. */
export function TagChip({ tag }: { tag: { key: string; value: string } }) {
  const text = `${tag.key}: ${tag.value}`;
  return (
    <span className="chip" title={text}>
      {text}
    </span>
  );
}
