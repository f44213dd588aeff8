import { useState, type MouseEvent } from 'react';
import { formatValue } from '../lib/format.ts';
import { niceTicks } from '../lib/ticks.ts';

/** One dot: where it sits, what it is (a run's name) and its colour. */
export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
  colour: string;
}

const W = 480;
const H = 280;
const PAD = { left: 56, right: 14, top: 12, bottom: 34 };

function padded(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - d, hi + d];
  }
  const pad = (hi - lo) * 0.06;
  return [lo - pad, hi + pad];
}

/**
 * A scatter plot as inline SVG: one labelled dot per point, round ticks on both axes, and the
 * nearest dot's label and values on hover. The compare page plots one run per dot.
 */
export function ScatterChart({ points, xLabel, yLabel }: { points: ScatterPoint[]; xLabel: string; yLabel: string }) {
  const [hover, setHover] = useState<number | undefined>(undefined);
  if (points.length === 0) return <p className="muted">No run has numeric values for both {xLabel} and {yLabel}.</p>;

  const [x0, x1] = padded(points.map((p) => p.x));
  const [y0, y1] = padded(points.map((p) => p.y));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * innerW;
  const sy = (y: number) => PAD.top + innerH - ((y - y0) / (y1 - y0)) * innerH;

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = ((e.clientX - box.left) / box.width) * W;
    const y = ((e.clientY - box.top) / box.height) * H;
    let best: { i: number; d: number } | undefined;
    points.forEach((p, i) => {
      const d = Math.hypot(sx(p.x) - x, sy(p.y) - y);
      if (best === undefined || d < best.d) best = { i, d };
    });
    setHover(best !== undefined && best.d < 40 ? best.i : undefined);
  };
  const h = hover === undefined ? undefined : points[hover];
  const flip = h !== undefined && sx(h.x) > W - 200;

  return (
    <figure className="chart scatter">
      <figcaption>
        {yLabel} against {xLabel}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${yLabel} against ${xLabel}`} onMouseMove={onMove} onMouseLeave={() => setHover(undefined)}>
        <g className="axis">
          <line x1={PAD.left} y1={PAD.top + innerH} x2={W - PAD.right} y2={PAD.top + innerH} />
          <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + innerH} />
          {niceTicks(x0, x1, 6)
            .filter((t) => t >= x0 && t <= x1)
            .map((t) => (
              <g key={`x${t}`}>
                <line x1={sx(t)} y1={PAD.top + innerH} x2={sx(t)} y2={PAD.top + innerH + 4} />
                <text x={sx(t)} y={PAD.top + innerH + 16} textAnchor="middle">
                  {formatValue(t)}
                </text>
              </g>
            ))}
          {niceTicks(y0, y1, 5)
            .filter((t) => t >= y0 && t <= y1)
            .map((t) => (
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
        {points.map((p, i) => (
          <circle key={i} className="dot" cx={sx(p.x)} cy={sy(p.y)} r={5} style={{ fill: p.colour }} data-label={p.label}>
            <title>{`${p.label}: ${xLabel} ${formatValue(p.x)}, ${yLabel} ${formatValue(p.y)}`}</title>
          </circle>
        ))}
        {h !== undefined && (
          <g className="hover">
            <text x={flip ? sx(h.x) - 8 : sx(h.x) + 8} y={sy(h.y) - 8} textAnchor={flip ? 'end' : 'start'}>
              {`${h.label}: ${formatValue(h.x)}, ${formatValue(h.y)}`}
            </text>
          </g>
        )}
      </svg>
      <div className="legend">
        {points.map((p, i) => (
          <span key={i}>
            <span className="swatch" style={{ background: p.colour }} /> {p.label}
          </span>
        ))}
      </div>
    </figure>
  );
}
