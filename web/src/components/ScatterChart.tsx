import { useState } from 'react';
import { formatValue } from '../lib/format.ts';
import { ChartFrame, HoverText, chartScale, nearestPoint, paddedRange, ticksWithin, type ChartBox } from './ChartFrame.tsx';

/** One dot: where it sits, what it is (a run's name) and its colour. */
export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
  colour: string;
}

const BOX: ChartBox = { width: 480, height: 280, pad: { left: 56, right: 14, top: 12, bottom: 34 } };

/**
 * A scatter plot as inline SVG: one labelled dot per point, round ticks on both axes, and the
 * nearest dot's label and values on hover. The compare page plots one run per dot.
 */
export function ScatterChart({ points, xLabel, yLabel }: { points: ScatterPoint[]; xLabel: string; yLabel: string }) {
  const [hover, setHover] = useState<number | undefined>(undefined);
  if (points.length === 0) return <p className="muted">No run has numeric values for both {xLabel} and {yLabel}.</p>;

  const [x0, x1] = paddedRange(points.map((p) => p.x), 0.06);
  const [y0, y1] = paddedRange(points.map((p) => p.y), 0.06);
  const scale = chartScale(BOX, [x0, x1], [y0, y1]);
  const { sx, sy } = scale;

  const onHover = (at: { x: number; y: number } | undefined) => {
    const best = at === undefined ? undefined : nearestPoint([points], (p) => Math.hypot(sx(p.x) - at.x, sy(p.y) - at.y));
    setHover(best !== undefined && best.d < 40 ? best.i : undefined);
  };
  const h = hover === undefined ? undefined : points[hover];

  return (
    <ChartFrame
      scale={scale}
      className="chart scatter"
      caption={
        <>
          {yLabel} against {xLabel}
        </>
      }
      label={`${yLabel} against ${xLabel}`}
      xTicks={ticksWithin(x0, x1, 6)}
      yTicks={ticksWithin(y0, y1, 5)}
      xLabel={xLabel}
      onHover={onHover}
      legend={points.map((p) => ({ name: p.label, colour: p.colour }))}
    >
      {points.map((p, i) => (
        <circle key={i} className="dot" cx={sx(p.x)} cy={sy(p.y)} r={5} style={{ fill: p.colour }} data-label={p.label}>
          <title>{`${p.label}: ${xLabel} ${formatValue(p.x)}, ${yLabel} ${formatValue(p.y)}`}</title>
        </circle>
      ))}
      {h !== undefined && (
        <g className="hover">
          <HoverText x={sx(h.x)} y={sy(h.y) - 8} gap={8} flipPast={BOX.width - 200}>
            {`${h.label}: ${formatValue(h.x)}, ${formatValue(h.y)}`}
          </HoverText>
        </g>
      )}
    </ChartFrame>
  );
}
