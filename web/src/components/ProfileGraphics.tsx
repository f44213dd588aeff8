import { formatValue } from '../lib/format.ts';

/** The most frequent values of a column as small horizontal bars, with their counts. */
export function TopBars({ top, total, limit = 5 }: { top: ReadonlyArray<{ value: unknown; count: number }>; total?: number; limit?: number }) {
  const shown = top.slice(0, limit);
  const max = Math.max(1, ...shown.map((t) => t.count));
  return (
    <div className="bars" aria-label="Most frequent values">
      {shown.map((t) => {
        const label = t.value === null ? 'null' : String(t.value);
        return (
          <div key={label} style={{ display: 'contents' }}>
            <span className="label mono" title={label}>
              {label}
            </span>
            <span className="bar" style={{ width: `${(t.count / max) * 100}%` }} />
            <span className="count">
              {t.count}
              {total !== undefined && total > 0 ? ` (${Math.round((t.count / total) * 100)}%)` : ''}
            </span>
          </div>
        );
      })}
      {top.length > limit && <span className="muted">+{top.length - limit} more</span>}
    </div>
  );
}

/**
 * A number column's spread on one line: min to max as a thin line, the 25th–75th percentile as
 * a box, the median as a tick, the 5th and 95th percentiles as whisker ends.
 */
export function Spread({ min, max, quantiles }: { min: number; max: number; quantiles: Record<string, number> }) {
  const W = 140;
  const H = 16;
  const q = (k: string) => quantiles[k];
  const lo = min;
  const hi = max === min ? min + 1 : max;
  const x = (v: number) => 2 + ((v - lo) / (hi - lo)) * (W - 4);
  const [q05, q25, q50, q75, q95] = [q('0.05'), q('0.25'), q('0.5'), q('0.75'), q('0.95')];
  const title = `min ${formatValue(min)} · p5 ${formatValue(q05)} · p25 ${formatValue(q25)} · median ${formatValue(q50)} · p75 ${formatValue(q75)} · p95 ${formatValue(q95)} · max ${formatValue(max)}`;
  return (
    <svg className="spread" width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
      <title>{title}</title>
      <line className="range" x1={x(min)} x2={x(max)} y1={H / 2} y2={H / 2} />
      {q05 !== undefined && q95 !== undefined && <line className="range" x1={x(q05)} x2={x(q95)} y1={H / 2} y2={H / 2} style={{ strokeWidth: 2 }} />}
      {q25 !== undefined && q75 !== undefined && <rect className="box" x={x(q25)} y={3} width={Math.max(1, x(q75) - x(q25))} height={H - 6} />}
      {q50 !== undefined && <line className="median" x1={x(q50)} x2={x(q50)} y1={2} y2={H - 2} />}
    </svg>
  );
}
