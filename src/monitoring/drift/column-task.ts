import type { Column } from '../../data/index.js';
import {
  DISCRETE_MAX_VALUES,
  distinctValueCounts,
  driftOfPrepared,
  prepareColumn,
  quantileSorted,
  upperBound,
  type ColumnDrift,
  type ColumnDriftOptions,
  type PreparedColumn,
} from '../stats/index.js';

/**
 * One column's share of the drift report: its statistics and the data of its chart, computed
 * from one sort of each sample. Runs on a worker thread (column-worker.ts) or in-process.
 */

/** Overlaid histograms of a numeric column: equal-width bins, shares of each sample's non-missing values. */
export interface HistogramChart {
  kind: 'histogram';
  /** Bin edges, bins + 1 of them; values outside the range (the 0.1% tails) are counted in the end bins. */
  edges: number[];
  ref: number[];
  cur: number[];
}

/** Bar pairs of a categorical (or few-valued numeric) column: shares per category, the largest first. */
export interface BarChart {
  kind: 'bars';
  labels: string[];
  ref: number[];
  cur: number[];
  /** Categories folded into the last bar, `(other)`, when there are more than `MAX_BARS`. */
  folded: number;
}

export type ColumnChart = HistogramChart | BarChart;

/** A column's result in the report. */
export interface ColumnAnalysis {
  drift: ColumnDrift;
  chart: ColumnChart | null;
}

/** Bins of a numeric histogram. */
export const HISTOGRAM_BINS = 30;
/** Bars shown before the rest are folded into `(other)`. */
export const MAX_BARS = 20;

/**
 * Statistics and chart of one column. `inPlace`: the arrays are the caller's to sort (a
 * worker's transferred copy), saving a copy of each.
 */
export function analyseColumn(ref: Column, cur: Column, options: ColumnDriftOptions = {}, inPlace = false): ColumnAnalysis {
  const prepared = prepareColumn(ref, cur, inPlace);
  const drift = driftOfPrepared(prepared, options);
  return { drift, chart: chartOf(prepared) };
}

function shares(counts: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  return Array.from(counts, (c) => (total > 0 ? c / total : 0));
}

/** The chart data of a prepared column; null when both samples are empty. */
export function chartOf(p: PreparedColumn): ColumnChart | null {
  if (p.referenceRows === 0 && p.currentRows === 0) return null;
  let counts = p.counts;
  if (!counts && p.sorted && p.nunique <= DISCRETE_MAX_VALUES) counts = distinctValueCounts(p.sorted.ref, p.sorted.cur);
  if (counts) {
    const order = counts.labels.map((_, i) => i).sort((a, b) => counts.ref[b]! + counts.cur[b]! - (counts.ref[a]! + counts.cur[a]!));
    // Few-valued numbers keep their numeric order; categories show the most frequent first.
    if (p.kind === 'numeric') order.sort((a, b) => a - b);
    const keep = order.length > MAX_BARS ? order.slice(0, MAX_BARS - 1) : order;
    const rest = order.slice(keep.length);
    const labels = keep.map((i) => counts.labels[i]!);
    const ref = keep.map((i) => counts.ref[i]!);
    const cur = keep.map((i) => counts.cur[i]!);
    if (rest.length > 0) {
      labels.push('(other)');
      ref.push(rest.reduce((s, i) => s + counts.ref[i]!, 0));
      cur.push(rest.reduce((s, i) => s + counts.cur[i]!, 0));
    }
    const totalRef = counts.ref.reduce((s, v) => s + v, 0);
    const totalCur = counts.cur.reduce((s, v) => s + v, 0);
    return {
      kind: 'bars',
      labels,
      ref: ref.map((v) => (totalRef > 0 ? v / totalRef : 0)),
      cur: cur.map((v) => (totalCur > 0 ? v / totalCur : 0)),
      folded: rest.length,
    };
  }
  const { ref, cur } = p.sorted!;
  // The range covers the 0.1%–99.9% quantiles of both samples, so one outlier does not
  // squeeze everything into a single bin.
  const lows = [ref, cur].filter((a) => a.length > 0).map((a) => quantileSorted(a, 0.001));
  const highs = [ref, cur].filter((a) => a.length > 0).map((a) => quantileSorted(a, 0.999));
  const lo = Math.min(...lows);
  let hi = Math.max(...highs);
  if (!(hi > lo)) hi = lo + 1;
  const width = (hi - lo) / HISTOGRAM_BINS;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, k) => (k === HISTOGRAM_BINS ? hi : lo + k * width));
  const count = (a: Float64Array): number[] => {
    const out: number[] = [];
    let prev = 0;
    for (let k = 1; k <= HISTOGRAM_BINS; k++) {
      const ub = k === HISTOGRAM_BINS ? a.length : upperBound(a, edges[k]!);
      out.push(ub - prev);
      prev = ub;
    }
    return out;
  };
  return { kind: 'histogram', edges, ref: shares(count(ref)), cur: shares(count(cur)) };
}
