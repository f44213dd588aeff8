import type { MouseEvent, ReactNode } from 'react';
import { formatValue } from '../lib/format.ts';
import { niceTicks } from '../lib/ticks.ts';

/**
 * What the UI's hand-drawn SVG charts (LineChart, ScatterChart, ThresholdChart) share: the
 * scales, the frame with its axes and ticks, the hover marks and the legend. Each chart keeps
 * its own data, ranges and hover rule.
 */

/** A point in data units. */
export interface XY {
  x: number;
  y: number;
}

/** A chart's size and the margins around its plot area, in viewBox units. */
export interface ChartBox {
  width: number;
  height: number;
  pad: { left: number; right: number; top: number; bottom: number };
}

/** A box with its data ranges: the plot area's size and the maps from data to viewBox units. */
export interface ChartScale extends ChartBox {
  innerW: number;
  innerH: number;
  sx(x: number): number;
  sy(y: number): number;
}

/** The scale that maps [x0, x1] × [y0, y1] onto the box's plot area (y grows upwards). */
export function chartScale(box: ChartBox, [x0, x1]: [number, number], [y0, y1]: [number, number]): ChartScale {
  const innerW = box.width - box.pad.left - box.pad.right;
  const innerH = box.height - box.pad.top - box.pad.bottom;
  return {
    ...box,
    innerW,
    innerH,
    sx: (x) => box.pad.left + ((x - x0) / (x1 - x0)) * innerW,
    sy: (y) => box.pad.top + innerH - ((y - y0) / (y1 - y0)) * innerH,
  };
}

/**
 * The range of `values` widened by `margin` (a share of its width) on each side; one value
 * alone gets ±10% of itself (±1 at zero), so it sits in the middle.
 */
export function paddedRange(values: number[], margin: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    const d = Math.abs(lo) * 0.1 || 1;
    return [lo - d, hi + d];
  }
  const pad = (hi - lo) * margin;
  return [lo - pad, hi + pad];
}

/** About `count` round ticks (niceTicks) that fall inside [lo, hi]. */
export function ticksWithin(lo: number, hi: number, count: number): number[] {
  return niceTicks(lo, hi, count).filter((t) => t >= lo && t <= hi);
}

/** The SVG path through `points` (in data units), as one polyline. */
export function linePath(scale: ChartScale, points: XY[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${scale.sx(p.x).toFixed(1)},${scale.sy(p.y).toFixed(1)}`).join('');
}

/**
 * The point of `groups` (series of points) with the least `distance`: its group, index and
 * distance; undefined when there are no points.
 */
export function nearestPoint<P>(groups: P[][], distance: (p: P) => number): { s: number; i: number; d: number } | undefined {
  let best: { s: number; i: number; d: number } | undefined;
  groups.forEach((points, s) =>
    points.forEach((p, i) => {
      const d = distance(p);
      if (best === undefined || d < best.d) best = { s, i, d };
    }),
  );
  return best;
}

/** One legend entry: a colour swatch and a name. */
export interface LegendItem {
  name: string;
  colour: string;
}

/**
 * A chart in its figure: the caption, the SVG with both axes, the x ticks (labelled by
 * `xTickLabel`, formatValue by default), the y ticks with grid lines and the x axis label, then
 * `children` (the plot) on top, and a legend under it when `legend` is given. `onHover` gets the
 * pointer in viewBox units, and undefined when it leaves.
 */
export function ChartFrame({
  scale,
  className,
  caption,
  label,
  xTicks,
  xTickLabel = formatValue,
  yTicks,
  xLabel,
  onHover,
  legend,
  legendLabel,
  children,
}: {
  scale: ChartScale;
  className: string;
  caption: ReactNode;
  label: string;
  xTicks: number[];
  xTickLabel?: (x: number) => string;
  yTicks: number[];
  xLabel: string;
  onHover(at: XY | undefined): void;
  legend?: LegendItem[] | undefined;
  legendLabel?: string | undefined;
  children: ReactNode;
}) {
  const { width: W, height: H, pad, innerW, innerH, sx, sy } = scale;
  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    onHover({ x: ((e.clientX - box.left) / box.width) * W, y: ((e.clientY - box.top) / box.height) * H });
  };
  return (
    <figure className={className}>
      <figcaption>{caption}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} onMouseMove={onMove} onMouseLeave={() => onHover(undefined)}>
        <g className="axis">
          <line x1={pad.left} y1={pad.top + innerH} x2={W - pad.right} y2={pad.top + innerH} />
          <line x1={pad.left} y1={pad.top} x2={pad.left} y2={pad.top + innerH} />
          {xTicks.map((t) => (
            <g key={`x${t}`}>
              <line x1={sx(t)} y1={pad.top + innerH} x2={sx(t)} y2={pad.top + innerH + 4} />
              <text x={sx(t)} y={pad.top + innerH + 16} textAnchor="middle">
                {xTickLabel(t)}
              </text>
            </g>
          ))}
          {yTicks.map((t) => (
            <g key={`y${t}`}>
              <line className="grid" x1={pad.left} y1={sy(t)} x2={W - pad.right} y2={sy(t)} />
              <text x={pad.left - 6} y={sy(t) + 4} textAnchor="end">
                {formatValue(t)}
              </text>
            </g>
          ))}
          <text x={pad.left + innerW / 2} y={H - 3} textAnchor="middle" className="axis-label">
            {xLabel}
          </text>
        </g>
        {children}
      </svg>
      {legend !== undefined && (
        <div className="legend" aria-label={legendLabel}>
          {legend.map((item, i) => (
            <span key={i}>
              <span className="swatch" style={{ background: item.colour }} /> {item.name}
            </span>
          ))}
        </div>
      )}
    </figure>
  );
}

/** The dashed vertical line through the hovered x, across the plot area. */
export function HoverGuide({ scale, x }: { scale: ChartScale; x: number }) {
  return <line x1={x} y1={scale.pad.top} x2={x} y2={scale.pad.top + scale.innerH} />;
}

/**
 * The hover text `gap` units right of `x`, or left of it (right-aligned) once `x` is past
 * `flipPast`, so it stays inside the chart.
 */
export function HoverText({ x, y, gap, flipPast, children }: { x: number; y: number; gap: number; flipPast: number; children: string }) {
  const flip = x > flipPast;
  return (
    <text x={flip ? x - gap : x + gap} y={y} textAnchor={flip ? 'end' : 'start'}>
      {children}
    </text>
  );
}
