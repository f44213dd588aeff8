import { useState, type MouseEvent } from 'react';
import { formatValue } from '../lib/format.ts';
import { niceTicks } from '../lib/ticks.ts';

/** One plotted point. */
export interface ChartPoint {
  x: number;
  y: number;
}

const W = 480;
const H = 220;
const PAD = { left: 56, right: 14, top: 12, bottom: 32 };

function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - d, hi + d];
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/**
 * A line chart of one series as inline SVG: axes with round ticks, the line, and the nearest
 * point's value on hover. `points` must be sorted by x. Drawn by hand: the UI needs one chart
 * type and no chart library.
 */
export function LineChart({ points, title, xLabel }: { points: ChartPoint[]; title: string; xLabel: string }) {
  const [hover, setHover] = useState<number | undefined>(undefined);
  if (points.length === 0) return <p className="muted">No plottable values for {title}.</p>;

  const [x0, x1] = points.length === 1 ? [points[0]!.x - 1, points[0]!.x + 1] : [points[0]!.x, points[points.length - 1]!.x];
  const [y0, y1] = extent(points.map((p) => p.y));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + (x1 === x0 ? innerW / 2 : ((x - x0) / (x1 - x0)) * innerW);
  const sy = (y: number) => PAD.top + innerH - ((y - y0) / (y1 - y0)) * innerH;

  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
  const xTicks = niceTicks(x0, x1, 6).filter((t) => t >= x0 && t <= x1 && (x1 - x0 > 10 || Number.isInteger(t)));
  const yTicks = niceTicks(y0, y1, 5).filter((t) => t >= y0 && t <= y1);

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = ((e.clientX - box.left) / box.width) * W;
    let best = 0;
    for (let i = 1; i < points.length; i++) if (Math.abs(sx(points[i]!.x) - x) < Math.abs(sx(points[best]!.x) - x)) best = i;
    setHover(best);
  };
  const h = hover === undefined ? undefined : points[hover];

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} by ${xLabel}`} onMouseMove={onMove} onMouseLeave={() => setHover(undefined)}>
        <g className="axis">
          <line x1={PAD.left} y1={PAD.top + innerH} x2={W - PAD.right} y2={PAD.top + innerH} />
          <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + innerH} />
          {xTicks.map((t) => (
            <g key={`x${t}`}>
              <line x1={sx(t)} y1={PAD.top + innerH} x2={sx(t)} y2={PAD.top + innerH + 4} />
              <text x={sx(t)} y={PAD.top + innerH + 16} textAnchor="middle">
                {formatValue(t)}
              </text>
            </g>
          ))}
          {yTicks.map((t) => (
            <g key={`y${t}`}>
              <line className="grid" x1={PAD.left} y1={sy(t)} x2={W - PAD.right} y2={sy(t)} />
              <text x={PAD.left - 6} y={sy(t) + 4} textAnchor="end">
                {formatValue(t)}
              </text>
            </g>
          ))}
          <text x={PAD.left + innerW / 2} y={H - 3} textAnchor="middle" className="axis-label">
            {xLabel}
          </text>
        </g>
        <path className="line" d={d} />
        {points.length === 1 && <circle className="dot" cx={sx(points[0]!.x)} cy={sy(points[0]!.y)} r={3} />}
        {h !== undefined && (
          <g className="hover">
            <line x1={sx(h.x)} y1={PAD.top} x2={sx(h.x)} y2={PAD.top + innerH} />
            <circle cx={sx(h.x)} cy={sy(h.y)} r={3.5} />
            <text x={sx(h.x) > W - 160 ? sx(h.x) - 6 : sx(h.x) + 6} y={PAD.top + 12} textAnchor={sx(h.x) > W - 160 ? 'end' : 'start'}>
              {`${xLabel} ${formatValue(h.x)}: ${formatValue(h.y)}`}
            </text>
          </g>
        )}
      </svg>
    </figure>
  );
}
