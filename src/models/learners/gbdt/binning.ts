import type { CategoricalFeature, Feature, FeatureFrame } from '../types.js';
import { HangarError } from '../../../core/errors.js';
import { Rng } from './rng.js';

/**
 * How one feature's raw values map to bins. Value bins are 0..nb-1 and the missing bin is nb,
 * so every feature's histogram has nb + 1 slots and a bin always fits a byte (nb ≤ 255).
 */
export type BinMapper =
  | {
      kind: 'numeric';
      name: string;
      /** Upper edges: a value v falls in the first bin j with v ≤ edges[j], else in bin nb-1. */
      edges: Float64Array;
      nb: number;
    }
  | {
      kind: 'categorical';
      name: string;
      categories: string[];
      /** Bin of each category code; the rarest categories beyond max_bins - 1 share one "other" bin. */
      binOfCode: Int32Array;
      /** Category codes in each bin. */
      codesOfBin: number[][];
      nb: number;
    };

/** Bin edges per numeric feature from a sample of rows; category bins from full counts. */
export function fitBinMappers(frame: FeatureFrame, maxBins: number, sampleSize: number, seed: number): BinMapper[] {
  const n = frame.rows;
  let sample: Uint32Array | null = null;
  if (n > sampleSize) {
    // A sorted sample without replacement (Floyd's algorithm would need a set; a partial
    // Fisher–Yates over an index array is simpler and cheap at this size).
    const rng = new Rng(seed);
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    for (let i = 0; i < sampleSize; i++) {
      const j = i + rng.below(n - i);
      const t = all[i]!;
      all[i] = all[j]!;
      all[j] = t;
    }
    sample = all.slice(0, sampleSize).sort();
  }
  return frame.features.map((f) => (f.kind === 'numeric' ? numericMapper(f.name, f.values, sample, maxBins) : categoricalMapper(f, maxBins)));
}

function numericMapper(name: string, values: Float64Array, sample: Uint32Array | null, maxBins: number): BinMapper {
  const m = sample === null ? values.length : sample.length;
  const vals = new Float64Array(m);
  let k = 0;
  for (let i = 0; i < m; i++) {
    const v = sample === null ? values[i]! : values[sample[i]!]!;
    if (v === v) vals[k++] = v;
  }
  const sorted = vals.subarray(0, k).sort();
  const distinct: number[] = [];
  for (let i = 0; i < k; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  let edges: number[];
  if (distinct.length <= maxBins) {
    edges = [];
    for (let i = 1; i < distinct.length; i++) edges.push(mid(distinct[i - 1]!, distinct[i]!));
  } else {
    // Quantile edges at the midpoint between the two order statistics around each percentile,
    // as scikit-learn's binner does; repeated values collapse.
    edges = [];
    for (let q = 1; q < maxBins; q++) {
      const pos = (q / maxBins) * (k - 1);
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      const e = mid(sorted[lo]!, sorted[hi]!);
      if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
    }
  }
  return { kind: 'numeric', name, edges: Float64Array.from(edges), nb: edges.length + 1 };
}

function mid(a: number, b: number): number {
  const m = a + (b - a) / 2;
  return Number.isFinite(m) ? m : a / 2 + b / 2;
}

function categoricalMapper(f: CategoricalFeature, maxBins: number): BinMapper {
  const c = f.categories.length;
  const counts = new Float64Array(c);
  const codes = f.codes;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code >= 0 && code < c) counts[code]!++;
  }
  const binOfCode = new Int32Array(c);
  let nb: number;
  if (c <= maxBins) {
    for (let i = 0; i < c; i++) binOfCode[i] = i;
    nb = Math.max(1, c);
  } else {
    const order = Array.from({ length: c }, (_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
    const kept = order.slice(0, maxBins - 1).sort((a, b) => a - b);
    binOfCode.fill(maxBins - 1);
    kept.forEach((code, bin) => (binOfCode[code] = bin));
    nb = maxBins;
  }
  const codesOfBin: number[][] = Array.from({ length: nb }, () => []);
  for (let i = 0; i < c; i++) codesOfBin[binOfCode[i]!]!.push(i);
  return { kind: 'categorical', name: f.name, categories: f.categories, binOfCode, codesOfBin, nb };
}

/** Histogram offsets (in bins) per feature: nb + 1 slots each, the total last. */
export function binOffsets(mappers: BinMapper[]): Int32Array {
  const off = new Int32Array(mappers.length + 1);
  for (let f = 0; f < mappers.length; f++) off[f + 1] = off[f]! + mappers[f]!.nb + 1;
  return off;
}

/** Writes the frame's bins, row-major (feature f of row r at r * stride + f; stride defaults to the feature count), into `out`. */
export function binFrame(frame: FeatureFrame, mappers: BinMapper[], out: Uint8Array, stride = mappers.length): void {
  const n = frame.rows;
  const features = alignFeatures(frame, mappers);
  for (let f = 0; f < mappers.length; f++) {
    const m = mappers[f]!;
    const feat = features[f]!;
    if (m.kind === 'numeric') {
      if (feat.kind !== 'numeric') throw kindMismatch(m.name, 'numeric');
      binNumeric(feat.values, m.edges, m.nb, out, f, stride);
    } else {
      if (feat.kind !== 'categorical') throw kindMismatch(m.name, 'categorical');
      const codes = alignCodes(feat, m.categories);
      const map = m.binOfCode;
      const c = map.length;
      const missing = m.nb;
      for (let r = 0; r < n; r++) {
        const code = codes[r]!;
        out[r * stride + f] = code >= 0 && code < c ? map[code]! : missing;
      }
    }
  }
}

function binNumeric(values: Float64Array, edges: Float64Array, nb: number, out: Uint8Array, f: number, stride: number): void {
  const ne = edges.length;
  // Real columns often repeat the previous row's value (hours, weekdays of rows in time
  // order), which then needs no search.
  let last = NaN;
  let lastBin = nb;
  for (let r = 0; r < values.length; r++) {
    const v = values[r]!;
    if (v === last) {
      out[r * stride + f] = lastBin;
      continue;
    }
    if (v !== v) {
      out[r * stride + f] = nb;
      continue;
    }
    let lo = 0;
    let hi = ne;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (v <= edges[m]!) hi = m;
      else lo = m + 1;
    }
    out[r * stride + f] = lo;
    last = v;
    lastBin = lo;
  }
}

function kindMismatch(name: string, want: string): HangarError {
  return new HangarError('INVALID_PARAMETER_VALUE', `Feature '${name}' must be ${want}, as in training`, { field: name });
}

/**
 * The frame's features in the order of `schema`, matched by name.
 *
 * @throws HangarError INVALID_PARAMETER_VALUE naming a feature the frame lacks.
 */
export function alignFeatures(frame: FeatureFrame, schema: ReadonlyArray<{ name: string }>): Feature[] {
  const inOrder = frame.features.length === schema.length && schema.every((s, i) => frame.features[i]!.name === s.name);
  if (inOrder) return frame.features;
  const byName = new Map(frame.features.map((f) => [f.name, f]));
  return schema.map((s) => {
    const f = byName.get(s.name);
    if (f === undefined) throw new HangarError('INVALID_PARAMETER_VALUE', `Missing feature '${s.name}'`, { field: s.name });
    return f;
  });
}

// A model's schema keeps its category lists for its lifetime: their lookup maps are built once,
// not on every small batch (a one-row predict would otherwise rebuild a map per categorical feature).
const CATEGORY_INDEX = new WeakMap<readonly string[], Map<string, number>>();

/** Codes of `f` in the code space of `categories` (labels unknown there become -1). */
export function alignCodes(f: CategoricalFeature, categories: readonly string[]): Int32Array {
  const same = f.categories === categories || (f.categories.length === categories.length && f.categories.every((c, i) => c === categories[i]));
  if (same) return f.codes;
  let index = CATEGORY_INDEX.get(categories);
  if (index === undefined) {
    index = new Map(categories.map((c, i) => [c, i]));
    CATEGORY_INDEX.set(categories, index);
  }
  const remap = Int32Array.from(f.categories, (c) => index.get(c) ?? -1);
  const out = new Int32Array(f.codes.length);
  const m = remap.length;
  for (let r = 0; r < out.length; r++) {
    const code = f.codes[r]!;
    out[r] = code >= 0 && code < m ? remap[code]! : -1;
  }
  return out;
}
