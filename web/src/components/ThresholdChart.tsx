import { useState, type MouseEvent } from 'react';
import { formatTime, formatValue } from '../lib/format.ts';
import { niceTicks } from '../lib/ticks.ts';

/** One line: a name (a model version) and its points, x in epoch ms. */
export interface Series {
  name: string;
  points: Array<{ x: number; y: number }>;
}

const W = 640;
const H = 240;
const PAD = { left: 56, right: 14, top: 14, bottom: 34 };
const COLOURS = ['#1f5fa8', '#7a5af8', '#067647', '#b54708', '#475467', '#0e9384']; // red is kept for points past the threshold

const day = (ms: number) => formatTime(ms).slice(0, 10);

/**
 * A line chart of a metric over time windows, one line per series, with the alert threshold
 * as a dashed red line and points past it marked. The chart of the run page (LineChart) draws
 * one series by step and has no threshold, hence this one.
 */
export function ThresholdChart({ series, threshold, direction, title }: { series: Series[]; threshold?: number; direction?: 'above' | 'below'; title: string }) {
  const [hover, setHover] = useState<{ s: number; i: number } | undefined>(undefined);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return <p className="muted">No values of {title} yet (windows without labels have none).</p>;

  let x0 = Math.min(...all.map((p) => p.x));
  let x1 = Math.max(...all.map((p) => p.x));
  if (x0 === x1) [x0, x1] = [x0 - 43_200_000, x1 + 43_200_000];
  const ys = all.map((p) => p.y);
  if (threshold !== undefined) ys.push(threshold);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  const pad = y1 === y0 ? Math.abs(y0) * 0.1 || 1 : (y1 - y0) * 0.08;
  y0 -= pad;
  y1 += pad;
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * innerW;
  const sy = (y: number) => PAD.top + innerH - ((y - y0) / (y1 - y0)) * innerH;
  const crosses = (y: number) => threshold !== undefined && (direction === 'below' ? y < threshold : y > threshold);
  const xTicks = [...new Set(all.map((p) => p.x))].sort((a, b) => a - b);
  const everyNth = Math.max(1, Math.ceil(xTicks.length / 7));

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = ((e.clientX - box.left) / box.width) * W;
    const y = ((e.clientY - box.top) / box.height) * H;
    let best: { s: number; i: number; d: number } | undefined;
    series.forEach((s, si) =>
      s.points.forEach((p, i) => {
        const d = Math.hypot(sx(p.x) - x, (sy(p.y) - y) / 4);
        if (best === undefined || d < best.d) best = { s: si, i, d };
      }),
    );
    setHover(best === undefined ? undefined : { s: best.s, i: best.i });
  };
  const h = hover === undefined ? undefined : series[hover.s]?.points[hover.i];

  return (
    <figure className="chart wide">
      <figcaption>
        {title}
        {threshold !== undefined && <span className="muted"> — alert when {direction === 'below' ? 'below' : 'above'} {formatValue(threshold)}</span>}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} by window`} onMouseMove={onMove} onMouseLeave={() => setHover(undefined)}>
        <g className="axis">
          <line x1={PAD.left} y1={PAD.top + innerH} x2={W - PAD.right} y2={PAD.top + innerH} />
          <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + innerH} />
          {xTicks.map((t, i) =>
            i % everyNth === 0 ? (
              <g key={`x${t}`}>
                <line x1={sx(t)} y1={PAD.top + innerH} x2={sx(t)} y2={PAD.top + innerH + 4} />
                <text x={sx(t)} y={PAD.top + innerH + 16} textAnchor="middle">
                  {day(t)}
                </text>
              </g>
            ) : null,
          )}
          {niceTicks(y0, y1, 5).map((t) => (
            <g key={`y${t}`}>
              <line className="grid" x1={PAD.left} y1={sy(t)} x2={W - PAD.right} y2={sy(t)} />
              <text x={PAD.left - 6} y={sy(t) + 4} textAnchor="end">
                {formatValue(t)}
              </text>
            </g>
          ))}
          <text x={PAD.left + innerW / 2} y={H - 3} textAnchor="middle" className="axis-label">
            window start
          </text>
        </g>
        {threshold !== undefined && (
          <g className="threshold">
            <line x1={PAD.left} y1={sy(threshold)} x2={W - PAD.right} y2={sy(threshold)} />
            <text x={W - PAD.right - 4} y={sy(threshold) - 4} textAnchor="end">
              threshold {formatValue(threshold)}
            </text>
          </g>
        )}
        {series.map((s, si) => {
          const colour = COLOURS[si % COLOURS.length];
          const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
          return (
            <g key={s.name} data-series={s.name}>
              <path className="line" d={d} style={{ stroke: colour }} />
              {s.points.map((p) => (
                <circle key={p.x} className={crosses(p.y) ? 'dot violating' : 'dot'} cx={sx(p.x)} cy={sy(p.y)} r={crosses(p.y) ? 3.5 : 2.5} style={crosses(p.y) ? undefined : { fill: colour }} />
              ))}
            </g>
          );
        })}
        {h !== undefined && hover !== undefined && (
          <g className="hover">
            <line x1={sx(h.x)} y1={PAD.top} x2={sx(h.x)} y2={PAD.top + innerH} />
            <text x={sx(h.x) > W - 220 ? sx(h.x) - 6 : sx(h.x) + 6} y={PAD.top + 12} textAnchor={sx(h.x) > W - 220 ? 'end' : 'start'}>
              {`${series[hover.s]?.name ?? ''} ${formatTime(h.x)}: ${formatValue(h.y)}`}
            </text>
          </g>
        )}
      </svg>
      {series.length > 1 && (
        <div className="legend">
          {series.map((s, si) => (
            <span key={s.name}>
              <span className="swatch" style={{ background: COLOURS[si % COLOURS.length] }} /> {s.name}
            </span>
          ))}
        </div>
      )}
    </figure>
  );
}
