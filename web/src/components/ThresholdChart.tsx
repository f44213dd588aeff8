import { useState } from 'react';
import { formatTime, formatValue } from '../lib/format.ts';
import { ChartFrame, HoverGuide, HoverText, chartScale, linePath, paddedRange, nearestPoint, ticksWithin, type ChartBox } from './ChartFrame.tsx';

/** One line: a name (a model version) and its points, x in epoch ms. */
export interface Series {
  name: string;
  points: Array<{ x: number; y: number }>;
}

const BOX: ChartBox = { width: 640, height: 240, pad: { left: 56, right: 14, top: 14, bottom: 34 } };
const COLOURS = ['#1f5fa8', '#7a5af8', '#067647', '#b54708', '#475467', '#0e9384']; // red is kept for points past the threshold

const day = (ms: number) => formatTime(ms).slice(0, 10);

/**
 * A line chart of a metric over time windows, one line per series, with the alert threshold
 * as a dashed red line and points past it marked. LineChart draws its series by step, with no
 * time axis and no threshold, hence this one.
 */
export function ThresholdChart({ series, threshold, direction, title }: { series: Series[]; threshold?: number; direction?: 'above' | 'below'; title: string }) {
  const [hover, setHover] = useState<{ s: number; i: number } | undefined>(undefined);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return <p className="muted">No values of {title} yet (windows without labels have none).</p>;

  let x0 = Math.min(...all.map((p) => p.x));
  let x1 = Math.max(...all.map((p) => p.x));
  if (x0 === x1) [x0, x1] = [x0 - 43_200_000, x1 + 43_200_000];
  const [y0, y1] = paddedRange(threshold === undefined ? all.map((p) => p.y) : [...all.map((p) => p.y), threshold], 0.08);
  const scale = chartScale(BOX, [x0, x1], [y0, y1]);
  const { width: W, pad: PAD, sx, sy } = scale;
  const crosses = (y: number) => threshold !== undefined && (direction === 'below' ? y < threshold : y > threshold);
  // One x tick per window, thinned to about seven.
  const windows = [...new Set(all.map((p) => p.x))].sort((a, b) => a - b);
  const everyNth = Math.max(1, Math.ceil(windows.length / 7));

  const onHover = (at: { x: number; y: number } | undefined) => {
    const best = at === undefined ? undefined : nearestPoint(series.map((s) => s.points), (p) => Math.hypot(sx(p.x) - at.x, (sy(p.y) - at.y) / 4));
    setHover(best === undefined ? undefined : { s: best.s, i: best.i });
  };
  const h = hover === undefined ? undefined : series[hover.s]?.points[hover.i];

  return (
    <ChartFrame
      scale={scale}
      className="chart wide"
      caption={
        <>
          {title}
          {threshold !== undefined && <span className="muted"> — alert when {direction === 'below' ? 'below' : 'above'} {formatValue(threshold)}</span>}
        </>
      }
      label={`${title} by window`}
      xTicks={windows.filter((_, i) => i % everyNth === 0)}
      xTickLabel={day}
      yTicks={ticksWithin(y0, y1, 5)}
      xLabel="window start"
      onHover={onHover}
      legend={series.length > 1 ? series.map((s, si) => ({ name: s.name, colour: COLOURS[si % COLOURS.length] as string })) : undefined}
    >
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
        return (
          <g key={s.name} data-series={s.name}>
            <path className="line" d={linePath(scale, s.points)} style={{ stroke: colour }} />
            {s.points.map((p) => (
              <circle key={p.x} className={crosses(p.y) ? 'dot violating' : 'dot'} cx={sx(p.x)} cy={sy(p.y)} r={crosses(p.y) ? 3.5 : 2.5} style={crosses(p.y) ? undefined : { fill: colour }} />
            ))}
          </g>
        );
      })}
      {h !== undefined && hover !== undefined && (
        <g className="hover">
          <HoverGuide scale={scale} x={sx(h.x)} />
          <HoverText x={sx(h.x)} y={PAD.top + 12} gap={6} flipPast={W - 220}>
            {`${series[hover.s]?.name ?? ''} ${formatTime(h.x)}: ${formatValue(h.y)}`}
          </HoverText>
        </g>
      )}
    </ChartFrame>
  );
}
