import { useState } from 'react';
import type { Metric } from '../lib/api.ts';
import { formatValue, plottable } from '../lib/format.ts';
import { ChartFrame, HoverGuide, HoverText, chartScale, linePath, nearestPoint, paddedRange, ticksWithin, type ChartBox } from './ChartFrame.tsx';

/** One plotted point. */
export interface ChartPoint {
  x: number;
  y: number;
}

/** A metric's history as chart points by step (NaN and ±infinity left out), ordered by step then time. */
export function historyPoints(history: Metric[]): ChartPoint[] {
  return [...history]
    .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp)
    .flatMap((m) => {
      const y = plottable(m.value);
      return y === undefined ? [] : [{ x: m.step, y }];
    });
}

/** One line of a chart with several: its name (shown in the legend), points sorted by x, and colour. */
export interface ChartSeries {
  name: string;
  points: ChartPoint[];
  colour: string;
  /** A dash pattern, for when there are more lines than colours. */
  dash?: string;
}

/**
 * Line colours for charts with several series (Tableau's ten). A page that draws several charts
 * of the same things (runs) gives each thing one colour, with `seriesStyle`, so it reads the
 * same in every chart.
 */
export const SERIES_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** The colour and dash of the `i`-th series: past ten, the colours repeat with a dash. */
export function seriesStyle(i: number): { colour: string; dash?: string } {
  const colour = SERIES_COLOURS[i % SERIES_COLOURS.length] as string;
  const round = Math.floor(i / SERIES_COLOURS.length);
  return round === 0 ? { colour } : { colour, dash: round === 1 ? '6 3' : '2 3' };
}

const BOX: ChartBox = { width: 480, height: 220, pad: { left: 56, right: 14, top: 12, bottom: 32 } };

/**
 * A line chart as inline SVG: axes with round ticks, the lines, and the nearest point's value on
 * hover. Give either `points` (one series, drawn in the accent colour) or `series` (one line per
 * series with a legend; the hover names the series). Points must be sorted by x. Drawn by hand:
 * the UI needs few chart types and no chart library.
 */
export function LineChart({ points, series, title, xLabel }: { points?: ChartPoint[]; series?: ChartSeries[]; title: string; xLabel: string }) {
  const [hover, setHover] = useState<{ s: number; i: number } | undefined>(undefined);
  const multi = series !== undefined;
  const lines = (series ?? [{ name: title, points: points ?? [], colour: '' }]).filter((s) => s.points.length > 0);
  const all = lines.flatMap((s) => s.points);
  if (all.length === 0) return <p className="muted">No plottable values for {title}.</p>;

  // The x axis runs from the first x to the last, unpadded; y gets a margin.
  let x0 = Math.min(...lines.map((s) => s.points[0]!.x));
  let x1 = Math.max(...lines.map((s) => s.points[s.points.length - 1]!.x));
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const [y0, y1] = paddedRange(all.map((p) => p.y), 0.05);
  const scale = chartScale(BOX, [x0, x1], [y0, y1]);
  const { sx, sy } = scale;

  const onHover = (at: ChartPoint | undefined) => {
    // One line: the point nearest in x. Several: nearest on the plane, x counting more than y.
    const best = at === undefined ? undefined : nearestPoint(lines.map((s) => s.points), (p) => (multi ? Math.hypot(sx(p.x) - at.x, (sy(p.y) - at.y) / 4) : Math.abs(sx(p.x) - at.x)));
    setHover(best === undefined ? undefined : { s: best.s, i: best.i });
  };
  const hs = hover === undefined ? undefined : lines[hover.s];
  const h = hover === undefined ? undefined : hs?.points[hover.i];
  const hoverText = h === undefined ? '' : `${multi ? `${hs?.name ?? ''} · ` : ''}${xLabel} ${formatValue(h.x)}: ${formatValue(h.y)}`;

  return (
    <ChartFrame
      scale={scale}
      className="chart"
      caption={title}
      label={`${title} by ${xLabel}`}
      xTicks={ticksWithin(x0, x1, 6).filter((t) => x1 - x0 > 10 || Number.isInteger(t))}
      yTicks={ticksWithin(y0, y1, 5)}
      xLabel={xLabel}
      onHover={onHover}
      legend={multi ? lines : undefined}
      legendLabel={`${title} legend`}
    >
      {multi
        ? lines.map((s, si) => (
            <g key={si} data-series={s.name}>
              <path className="line" d={linePath(scale, s.points)} style={{ stroke: s.colour, strokeDasharray: s.dash }} />
              {s.points.length === 1 && <circle className="dot" cx={sx(s.points[0]!.x)} cy={sy(s.points[0]!.y)} r={3} style={{ fill: s.colour }} />}
            </g>
          ))
        : lines.map((s, si) => (
            <g key={si}>
              <path className="line" d={linePath(scale, s.points)} />
              {s.points.length === 1 && <circle className="dot" cx={sx(s.points[0]!.x)} cy={sy(s.points[0]!.y)} r={3} />}
            </g>
          ))}
      {h !== undefined && (
        <g className="hover">
          <HoverGuide scale={scale} x={sx(h.x)} />
          <circle cx={sx(h.x)} cy={sy(h.y)} r={3.5} style={multi ? { fill: hs?.colour } : undefined} />
          <HoverText x={sx(h.x)} y={BOX.pad.top + 12} gap={6} flipPast={BOX.width - (multi ? 220 : 160)}>
            {hoverText}
          </HoverText>
        </g>
      )}
    </ChartFrame>
  );
}
