/**
 * The hot loops of training. They run on the calling thread and on worker threads alike: each
 * thread compiles the same generated source (`fitKernelSource`), and the few functions here
 * that workers need (`runBlock`, `takeBlocks`, `workerLoop`) are self-contained (no imports, no module-level
 * state), because `pool.ts` ships their source text (`Function.prototype.toString`) to workers
 * started with `eval: true`. That keeps the worker path runnable from the TypeScript sources
 * under vitest and from `dist/` alike, and guarantees that in-process and worker training
 * execute the same code.
 *
 * Rows are kept **physically in node order**: a row's bins, gradients, raw scores and label sit
 * at the same position in their arrays, and each node of the tree being grown owns a contiguous
 * range of positions. Splitting a node moves its rows, stably, from one of two buffer sets to
 * the other (left rows first), so every hot loop reads and writes memory sequentially.
 *
 * Layout (position i, buffer set s = 0 or 1):
 * - bins[s]: Uint8Array, row-major with `rowBytes` bytes a row (the feature count rounded up to
 *   4), feature f of position i at `i * rowBytes + f`; words[s] views it as Uint32 to move rows;
 * - gh[s]: Float32Array, per output a block of `2 * n` values, gradient and hessian of position
 *   i at `block + 2i` and `block + 2i + 1` (ghWords[s] views it as Uint32);
 * - raw[s]: Float64Array, raw scores, `k` per position; y[s]: Float64Array, labels;
 * - hist: Float64Array, per bin three values (sum of gradients, sum of hessians, row count),
 *   summed in double precision from the single-precision gradients, as scikit-learn does.
 */

/** Job types written to `ctrl[TYPE]`. */
export const JOB_EXIT = 0;
export const JOB_HIST = 1;
export const JOB_GRAD = 2;
export const JOB_APPLY = 3;
export const JOB_COUNT = 4;
export const JOB_SPLIT_ROWS = 5;
export const JOB_GRAD_HIST = 6;

/** Slots of the Int32 control block shared with workers. */
export const CTRL = {
  /** Moves once per job posted to the workers (they wait on it). */
  SEQ: 0,
  /** Blocks finished, over every job (grows with NEXT). */
  FINISHED: 1,
  TYPE: 2,
  ERROR: 3,
  /** Job arguments start here: start, end, buffer set, blocks, then per job type. */
  ARG: 4,
  /** The block claim counter (see `takeBlocks`). */
  NEXT: 16,
  /** The claim counter's value past the current job's last block. */
  END: 17,
  /** The claim counter's value at the current job's first block. */
  BASE: 18,
  LENGTH: 20,
} as const;

/** Slots of `blockRows`: per block its left count, then where its left rows go, then its right rows. */
export const BLOCK_LEFTS = 0;
export const BLOCK_LEFT_DST = 8;
export const BLOCK_RIGHT_DST = 16;

/** The typed arrays of one fit as one thread sees them; the kernels are compiled over them. */
export interface FitArrays {
  bins: Uint8Array[];
  words: Uint32Array[];
  gh: Float32Array[];
  ghWords: Uint32Array[];
  raw: Float64Array[];
  y: Float64Array[];
  hist: Float64Array;
  goLeft: Uint8Array;
  /**
   * Leaf values not yet added to the raw scores, which the next `gradHist` pass adds: the count,
   * then per position range (sorted) its start, end, split feature (-1: one value for all), left
   * and right values.
   */
  pend: Float64Array;
  /** Per pending range with a split feature: 256 bin directions (1 = left). */
  pendDir: Uint8Array;
}

/** One fit's kernels, one per buffer set for each job (index = the set the job reads). */
export interface FitKernels {
  /** Adds positions start..end (gradients from offset ghOff) to the histogram at hOff. */
  range: Array<(start: number, end: number, ghOff: number, hOff: number) => void>;
  /** Positions among bs..be whose bin of feature byte f goes left (`goLeft`). */
  count: Array<(bs: number, be: number, f: number) => number>;
  /** Moves positions bs..be to the other set, left rows to l, l + 1, …, the others to r, …; returns the left rows moved. */
  move: Array<(bs: number, be: number, f: number, l: number, r: number) => number>;
  /** As `move`, from be - 1 down to bs, left rows to l, l - 1, …, the others to r, r - 1, …: the same stable order, filled from the end. */
  back: Array<(bs: number, be: number, f: number, l: number, r: number) => number>;
  /** Adds vl (bin goes left in `apply`) or vr to raw score `out` of positions bs..be; f < 0 adds vl to all. */
  apply: Array<(bs: number, be: number, f: number, out: number, apply: Float64Array, vl: number, vr: number) => void>;
  /**
   * Gradients and hessians of positions start..end from their raw scores and labels; with
   * stride > 0, first the sum of the training loss over the positions that are multiples of stride.
   */
  grad: Array<(start: number, end: number, stride: number) => number>;
  /** With one output only (empty otherwise): `grad`, first adding the pending leaf values (`pend`) to the raw scores, and adding each position to the histogram at hOff. */
  gradHist: Array<(start: number, end: number, stride: number, hOff: number) => number>;
}

/** What a job reads, as each thread sees it (see `SharedState` in pool.ts). */
export interface JobBuffers {
  ctrl: Int32Array;
  kernels: FitKernels;
  /** Training rows. */
  n: number;
  hist: Float64Array;
  slotLen: number;
  apply: Float64Array;
  blockRows: Int32Array;
  /** Per block of a gradient job, its sum of the training loss. */
  partSums: Float64Array;
}

/** The shape of a fit that its kernels are specialised to. */
export interface KernelLayout {
  features: number;
  /** Histogram offset (in bins) of each feature. */
  binOffsets: ArrayLike<number>;
  /** Bytes of bins per row, a multiple of 4. */
  rowBytes: number;
  /** Outputs per row. */
  k: number;
  /** 0: squared error; 1: binary log loss; 2: softmax. */
  kind: number;
  n: number;
  /** Features histogrammed jointly (see `HistPair`); none by default. */
  pairs?: readonly HistPair[];
}

/**
 * Two features with few bins histogrammed as one: cell (a, b) at `offset + a * widthB + b` (in
 * bins) gets the rows whose bins are a and b. One update a row instead of two; the two
 * features' own histograms are then summed from the cells (`fillMarginals` in grower.ts).
 */
export interface HistPair {
  /** The feature whose bin picks the row of cells. */
  a: number;
  /** The feature whose bin picks the cell in the row. */
  b: number;
  /** Histogram bins of feature b (nb + 1). */
  widthB: number;
  /** Bin offset of the cells in a histogram slot. */
  offset: number;
}

/**
 * Where a row's class label is kept in its bins (byte index), or -1 for the labels array: for
 * classification with at most 6 features and fewer than 128 classes, the 8-byte row has a free
 * last byte, and a label there moves with the bins at no cost (and keeps the row's double-word
 * view free of NaN patterns, see the moves in `fitKernelSource`).
 */
export function labelByte(layout: KernelLayout): number {
  return layout.kind >= 1 && layout.rowBytes === 8 && layout.features <= 6 && layout.k < 128 ? 7 : -1;
}

function int(v: unknown, what: string): number {
  const x = Number(v);
  if (!Number.isSafeInteger(x) || x < 0) throw new Error(`${what} must be a non-negative integer`);
  return x;
}

/**
 * Source of a factory `(arrays: FitArrays) => FitKernels` specialised to one fit. Every thread
 * calls it once with its own views of the shared buffers, so each kernel is a closure over
 * constant typed arrays: V8 then keeps their base and length out of the loops, which makes the
 * loops about twice as fast as the same code reading the arrays from arguments or an object
 * (measured: moving 2M rows 17 → 10 ms). For the same reason each kernel exists once per buffer
 * set, and the histogram's feature loop is unrolled with constant offsets (a loop over
 * features reading offsets from an array runs about three times slower). Only integers from
 * the layout enter the source.
 */
export function fitKernelSource(layout: KernelLayout): string {
  const features = int(layout.features, 'features');
  const rb = int(layout.rowBytes, 'rowBytes');
  const k = int(layout.k, 'k');
  const kind = int(layout.kind, 'kind');
  const n = int(layout.n, 'n');
  if (rb % 4 !== 0 || rb < features) throw new Error('rowBytes must be a multiple of 4 of at least the feature count');
  if (k < 1 || kind > 2) throw new Error('bad outputs or loss kind');
  const words = rb / 4;
  const block = 2 * n;
  // Expressions without `+ 0` or `1 *`: V8 does not fold them away before its bounds checks,
  // and moving rows ran 14 ms for 2M rows with them against 10.6 ms without.
  const plus = (x: number): string => (x === 0 ? '' : ` + ${x}`);
  const times = (x: number, v: string): string => (x === 1 ? v : `${x} * ${v}`);
  let hist = '';
  const pairs = layout.pairs ?? [];
  const paired = new Set(pairs.flatMap((p) => [p.a, p.b]));
  for (let f = 0; f < features; f++) {
    if (paired.has(f)) continue;
    const off = int(layout.binOffsets[f], 'histogram offsets') * 3;
    hist += `    b = hOff${plus(off)} + bins[base${plus(f)}] * 3; hist[b] += g; hist[b + 1] += h; hist[b + 2] += 1;\n`;
  }
  for (const p of pairs) {
    const off = int(p.offset, 'pair offset') * 3;
    const a = int(p.a, 'pair feature');
    const b = int(p.b, 'pair feature');
    if (a >= features || b >= features || a === b) throw new Error('a pair needs two different features');
    hist += `    b = hOff${plus(off)} + bins[base${plus(a)}] * ${int(p.widthB, 'pair width') * 3} + bins[base${plus(b)}] * 3; hist[b] += g; hist[b + 1] += h; hist[b + 2] += 1;\n`;
  }
  // A row's bins and its gradient–hessian pair move as one float64 each when they can: one load
  // and one store instead of two (moving 2M rows: 10.4 → 8.2 ms). The bit patterns survive,
  // since none of them is a NaN: the bins' last byte is padding (0) when rowBytes is 8 and
  // there are at most 7 features, and the high word of a pair is a finite hessian.
  const binsAsDouble = rb === 8 && features <= 7;
  // Class labels ride in the row's last bins byte when it is free (see `labelByte`): one move fewer per row.
  const lb = labelByte(layout);
  const label = (r: string): string => (lb < 0 ? `y[${r}]` : `bins[${r} * ${rb} + ${lb}]`);
  let moveBody = '';
  if (binsAsDouble) moveBody += '    bOut[d] = bIn[i];\n';
  else for (let w = 0; w < words; w++) moveBody += `    wOut[${times(words, 'd')}${plus(w)}] = wIn[${times(words, 'i')}${plus(w)}];\n`;
  for (let c = 0; c < k; c++) {
    moveBody += `    gOut[d${plus(c * n)}] = gIn[i${plus(c * n)}];\n`;
    moveBody += `    rawOut[${times(k, 'd')}${plus(c)}] = rawIn[${times(k, 'i')}${plus(c)}];\n`;
  }
  if (lb < 0) moveBody += '    yOut[d] = yIn[i];\n';
  let grad = '';
  let rowGrad = '';
  if (kind === 0) {
    rowGrad = `    const g0 = raw[r] - ${label('r')};\n    const h0 = 1;\n`;
  } else if (kind === 1) {
    // exp(x) = 2^(j/64) · e^ρ with j = round(64x / ln 2) and |ρ| ≤ ln 2 / 128, from a table of
    // 2^(j/64), a table of powers of two and a degree-5 polynomial: within 1e-15 of Math.exp
    // (a few units in the last place) and about twice as fast, since V8 calls out for Math.exp.
    // Adding and subtracting 1.5 · 2^52 rounds to the nearest integer; ln 2 / 64 is split in two
    // so that j times the first part is exact.
    rowGrad = `    const x = -raw[r];
    let e;
    if (x > -700 && x < 700) {
      const kf = x * 92.33248261689366 + 6755399441055744 - 6755399441055744;
      const j = kf | 0;
      const q = x - kf * 0.010830424696223417 - kf * 2.572804622327669e-14;
      const q2 = q * q;
      e = (1 + q + q2 * (0.5 + q * 0.16666666666666666) + q2 * q2 * (0.041666666666666664 + q * 0.008333333333333333)) * frac[j & 63] * pow2[(j >> 6) + 1075];
    } else {
      e = Math.exp(x);
    }
    const p = 1 / (1 + e);
    const g0 = p - ${label('r')};
    const h0 = p * (1 - p);
`;
  } else {
    grad = `  for (let r = start; r < end; r++) {
    const base = r * ${k};
    let max = -Infinity;
    for (let c = 0; c < ${k}; c++) if (raw[base + c] > max) max = raw[base + c];
    let sum = 0;
    for (let c = 0; c < ${k}; c++) { const e = Math.exp(raw[base + c] - max); ex[c] = e; sum += e; }
    const label = ${label('r')};
    for (let c = 0; c < ${k}; c++) {
      const p = ex[c] / sum;
      gh[c * ${block} + 2 * r] = p - (label === c ? 1 : 0);
      gh[c * ${block} + 2 * r + 1] = p * (1 - p);
    }
  }\n`;
  }
  if (rowGrad !== '') grad = `  for (let r = start; r < end; r++) {\n${rowGrad}    gh[2 * r] = g0;\n    gh[2 * r + 1] = h0;\n  }\n`;
  // One output: the gradient pass can also add the last tree's leaf values (`pend`) and build
  // the next tree's root histogram (`gradHist`), adding the float32 values it stores, so the
  // histogram is the one the plain pass would build.
  const ghLoop = (update: string): string => `  for (let r = lo; r < hi; r++) {
${update}${rowGrad}    const g = Math.fround(g0);
    const h = Math.fround(h0);
    gh[2 * r] = g;
    gh[2 * r + 1] = h;
    const base = r * ${rb};
${hist}  }
`;
  const gradHist =
    rowGrad === ''
      ? ''
      : `  if (f === -2) {
${ghLoop('')}  } else if (f === -1) {
${ghLoop('    raw[r] += vl;\n')}  } else {
${ghLoop(`    raw[r] += pendDir[dirOff + bins[r * ${rb} + f]] === 1 ? vl : vr;\n`)}  }
`;
  // The training loss over the positions start, start + stride, … (the formulas of `meanLoss`
  // in learner.ts; log loss with the exp of the gradients), summed by the caller in block order.
  let loss: string;
  if (kind === 0) loss = `const d = raw[r] - ${label('r')}; sum += d * d;`;
  else if (kind === 1) loss = `const z = raw[r]; sum += Math.log1p(fexp(z > 0 ? -z : z)) + (z > 0 ? z : 0) - ${label('r')} * z;`;
  else
    loss = `const base = r * ${k}; let max = -Infinity;
      for (let c = 0; c < ${k}; c++) if (raw[base + c] > max) max = raw[base + c];
      let t = 0;
      for (let c = 0; c < ${k}; c++) t += Math.exp(raw[base + c] - max);
      sum += max + Math.log(t) - raw[base + ${label('r')}];`;
  const perSet = (s: number): string => {
    const d = 1 - s;
    return `
function range${s}(start, end, ghOff, hOff) {
  const bins = bins${s}, gh = gh${s};
  let b = 0;
  for (let r = start; r < end; r++) {
    const g = gh[ghOff + 2 * r]; const h = gh[ghOff + 2 * r + 1]; const base = r * ${rb};
${hist}  }
}
function count${s}(bs, be, f) {
  const bins = bins${s};
  let c = 0;
  for (let i = bs; i < be; i++) c += goLeft[bins[i * ${rb} + f]];
  return c;
}
function move${s}(bs, be, f, l, r) {
  const bins = bins${s}, ${binsAsDouble ? `bIn = binsF${s}, bOut = binsF${d}` : `wIn = words${s}, wOut = words${d}`}, gIn = ghPairs${s}, gOut = ghPairs${d};
  const rawIn = raw${s}, rawOut = raw${d}, yIn = y${s}, yOut = y${d};
  const l0 = l;
  // Branch-free: the destination is picked arithmetically, since the direction is
  // unpredictable and a mispredicted branch costs more than the multiply.
  for (let i = bs; i < be; i++) {
    const left = goLeft[bins[i * ${rb} + f]];
    const d = r + (l - r) * left;
    l += left;
    r += 1 - left;
${moveBody}  }
  return l - l0;
}
function back${s}(bs, be, f, l, r) {
  const bins = bins${s}, ${binsAsDouble ? `bIn = binsF${s}, bOut = binsF${d}` : `wIn = words${s}, wOut = words${d}`}, gIn = ghPairs${s}, gOut = ghPairs${d};
  const rawIn = raw${s}, rawOut = raw${d}, yIn = y${s}, yOut = y${d};
  const l0 = l;
  for (let i = be - 1; i >= bs; i--) {
    const left = goLeft[bins[i * ${rb} + f]];
    const d = r + (l - r) * left;
    l -= left;
    r -= 1 - left;
${moveBody}  }
  return l0 - l;
}
function apply${s}(bs, be, f, out, dir, vl, vr) {
  const bins = bins${s}, raw = raw${s};
  if (f < 0) for (let i = bs; i < be; i++) raw[${times(k, 'i')} + out] += vl;
  else for (let i = bs; i < be; i++) raw[${times(k, 'i')} + out] += dir[bins[i * ${rb} + f]] === 1 ? vl : vr;
}
function grad${s}(start, end, stride) {
  const raw = raw${s}, y = y${s}, gh = gh${s}, bins = bins${s};
  let sum = 0;
  if (stride > 0) {
    for (let r = Math.ceil(start / stride) * stride; r < end; r += stride) {
      ${loss}
    }
  }
${grad}  return sum;
}
function ghSub${s}(lo, hi, stride, hOff, f, vl, vr, dirOff, sum) {
  const raw = raw${s}, y = y${s}, gh = gh${s}, bins = bins${s};
  let b = 0;
${gradHist}  if (stride > 0) {
    for (let r = Math.ceil(lo / stride) * stride; r < hi; r += stride) {
      ${loss}
    }
  }
  return sum;
}
function gradHist${s}(start, end, stride, hOff) {
  const np = pend[0];
  if (np === 0) return ghSub${s}(start, end, stride, hOff, -2, 0, 0, 0, 0);
  let sum = 0;
  for (let i = 0; i < np; i++) {
    const o = 1 + 5 * i;
    const lo = Math.max(start, pend[o]);
    const hi = Math.min(end, pend[o + 1]);
    if (lo < hi) sum = ghSub${s}(lo, hi, stride, hOff, pend[o + 2], pend[o + 3], pend[o + 4], i * 256, sum);
  }
  return sum;
}`;
  };
  return `(function (a) {
'use strict';
const bins0 = a.bins[0], bins1 = a.bins[1], words0 = a.words[0], words1 = a.words[1];
const gh0 = a.gh[0], gh1 = a.gh[1];
const ghPairs0 = new Float64Array(gh0.buffer, gh0.byteOffset, gh0.length >> 1), ghPairs1 = new Float64Array(gh1.buffer, gh1.byteOffset, gh1.length >> 1);
${binsAsDouble ? 'const binsF0 = new Float64Array(bins0.buffer, bins0.byteOffset, bins0.length >> 3), binsF1 = new Float64Array(bins1.buffer, bins1.byteOffset, bins1.length >> 3);' : ''}
const raw0 = a.raw[0], raw1 = a.raw[1], y0 = a.y[0], y1 = a.y[1], hist = a.hist, goLeft = a.goLeft, pend = a.pend, pendDir = a.pendDir;
const frac = new Float64Array(64);
for (let j = 0; j < 64; j++) frac[j] = Math.pow(2, j / 64);
const pow2 = new Float64Array(2100);
pow2[1075] = 1;
for (let i = 1076; i < 2100; i++) pow2[i] = pow2[i - 1] * 2;
for (let i = 1074; i >= 0; i--) pow2[i] = pow2[i + 1] / 2;
const ex = new Float64Array(${k});
// The exp of the gradients (see there), for the training loss: a call of Math.exp per sampled
// row cost more than the rest of the loss.
function fexp(x) {
  if (!(x > -700 && x < 700)) return Math.exp(x);
  const kf = x * 92.33248261689366 + 6755399441055744 - 6755399441055744;
  const j = kf | 0;
  const q = x - kf * 0.010830424696223417 - kf * 2.572804622327669e-14;
  const q2 = q * q;
  return (1 + q + q2 * (0.5 + q * 0.16666666666666666) + q2 * q2 * (0.041666666666666664 + q * 0.008333333333333333)) * frac[j & 63] * pow2[(j >> 6) + 1075];
}
${perSet(0)}
${perSet(1)}
return { range: [range0, range1], count: [count0, count1], move: [move0, move1], back: [back0, back1], apply: [apply0, apply1], grad: [grad0, grad1], gradHist: ${gradHist === '' ? '[]' : '[gradHist0, gradHist1]'} };
})`;
}

/**
 * Block b of the job in `ctrl`. A job over positions start..end is cut into a number of blocks
 * that depends on the job alone (the node size, or fixed), and each block writes only its own
 * outputs, so whichever thread runs a block, the results are the same:
 * - JOB_HIST: block b's partial histogram goes to the node's slot (b = 0) or to scratch slot
 *   b - 1, and the caller adds them up in block order, so every sum is taken in the same order
 *   whatever the thread count, and models do not depend on it.
 * - JOB_COUNT, then JOB_SPLIT_ROWS: each block counts its left rows, the caller turns the counts
 *   into each block's destinations, then each block moves its rows there. With two blocks the
 *   count is skipped: the first block fills both sides from their starts, the second (flag set)
 *   from their ends backwards. A stable partition has one result, whichever thread took which
 *   block and however the positions were cut into blocks.
 * - JOB_APPLY: adds leaf values to the raw scores of a node's positions.
 * - JOB_GRAD: gradients (and the sampled training loss) over fixed blocks of positions;
 *   JOB_GRAD_HIST: the same, building the root histogram as JOB_HIST does, in its blocks.
 */
export function runBlock(s: JobBuffers, b: number): void {
  const ctrl = s.ctrl;
  const type = ctrl[2]!;
  const a = 4;
  const kern = s.kernels;
  const start = ctrl[a]!;
  const end = ctrl[a + 1]!;
  const buf = ctrl[a + 2]!;
  const blocks = ctrl[a + 3]!;
  const len = end - start;
  const bs = start + Math.floor((b * len) / blocks);
  const be = start + Math.floor(((b + 1) * len) / blocks);
  if (type === 1) {
    const slotLen = s.slotLen;
    const hOff = b === 0 ? ctrl[a + 4]! : ctrl[a + 6]! + (b - 1) * slotLen;
    s.hist.fill(0, hOff, hOff + slotLen);
    kern.range[buf]!(bs, be, ctrl[a + 5]!, hOff);
  } else if (type === 2) {
    s.partSums[b] = kern.grad[buf]!(bs, be, ctrl[a + 4]!);
  } else if (type === 6) {
    const slotLen = s.slotLen;
    const hOff = b === 0 ? ctrl[a + 5]! : ctrl[a + 6]! + (b - 1) * slotLen;
    s.hist.fill(0, hOff, hOff + slotLen);
    s.partSums[b] = kern.gradHist[buf]!(bs, be, ctrl[a + 4]!, hOff);
  } else if (type === 3) {
    const apply = s.apply;
    kern.apply[buf]!(bs, be, ctrl[a + 4]!, ctrl[a + 5]!, apply, apply[256]!, apply[257]!);
  } else if (type === 4) {
    s.blockRows[b] = kern.count[buf]!(bs, be, ctrl[a + 4]!);
  } else if (type === 5) {
    const rows = s.blockRows;
    const backward = ctrl[a + 5] === 1 && b === blocks - 1;
    rows[b] = (backward ? kern.back : kern.move)[buf]!(bs, be, ctrl[a + 4]!, rows[8 + b]!, rows[16 + b]!);
  }
}

/**
 * Takes blocks of the current job until none is left: a block is taken by moving the claim
 * counter (ctrl[16]) with compare-and-swap while it is below the job's end (ctrl[17]); block
 * b = counter - job base (ctrl[18]). The counter only grows, so a thread that wakes late cannot
 * take a block of a newer job by mistake, and a thread that does not wake at all (a busy
 * machine) delays nobody: the others take its blocks. Each block done adds one to ctrl[1].
 * Returns the blocks taken.
 */
export function takeBlocks(s: JobBuffers): number {
  const ctrl = s.ctrl;
  let taken = 0;
  for (;;) {
    const end = Atomics.load(ctrl, 17);
    const cur = Atomics.load(ctrl, 16);
    if (cur >= end) return taken;
    if (Atomics.compareExchange(ctrl, 16, cur, cur + 1) !== cur) continue;
    taken++;
    try {
      runBlock(s, cur - Atomics.load(ctrl, 18));
    } catch {
      Atomics.store(ctrl, 3, 1);
    }
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  }
}

/** A worker's loop: wait for the sequence number to move, take blocks while there are any. */
export function workerLoop(data: {
  /** The control block's sequence number when the worker was started (jobs after it are its to run). */
  seq: number;
  ctrl: SharedArrayBuffer;
  /** The fit's kernel factory (`fitKernelSource`). */
  kernels: string;
  n: number;
  slotLen: number;
  /** Per buffer set: bins, gradients, raw scores, labels. */
  bins: SharedArrayBuffer[];
  gh: SharedArrayBuffer[];
  raw: SharedArrayBuffer[];
  y: SharedArrayBuffer[];
  hist: SharedArrayBuffer;
  apply: SharedArrayBuffer;
  goLeft: SharedArrayBuffer;
  blockRows: SharedArrayBuffer;
  partSums: SharedArrayBuffer;
  pend: SharedArrayBuffer;
  pendDir: SharedArrayBuffer;
}): void {
  const ctrl = new Int32Array(data.ctrl);
  const hist = new Float64Array(data.hist);
  const factory = (0, eval)(data.kernels) as (a: FitArrays) => FitKernels;
  const s: JobBuffers = {
    ctrl,
    kernels: factory({
      bins: data.bins.map((b) => new Uint8Array(b)),
      words: data.bins.map((b) => new Uint32Array(b)),
      gh: data.gh.map((b) => new Float32Array(b)),
      ghWords: data.gh.map((b) => new Uint32Array(b)),
      raw: data.raw.map((b) => new Float64Array(b)),
      y: data.y.map((b) => new Float64Array(b)),
      hist,
      goLeft: new Uint8Array(data.goLeft),
      pend: new Float64Array(data.pend),
      pendDir: new Uint8Array(data.pendDir),
    }),
    n: data.n,
    hist,
    slotLen: data.slotLen,
    apply: new Float64Array(data.apply),
    blockRows: new Int32Array(data.blockRows),
    partSums: new Float64Array(data.partSums),
  };
  let seq = data.seq;
  for (;;) {
    // Spin briefly before sleeping: jobs come in bursts, and a futex wake costs more than a small job.
    for (let spin = 0; spin < 2000 && Atomics.load(ctrl, 0) === seq; spin++);
    Atomics.wait(ctrl, 0, seq);
    seq = Atomics.load(ctrl, 0);
    if (ctrl[2] === 0) return;
    takeBlocks(s);
  }
}
