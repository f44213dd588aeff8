/**
 * The hot loops of training, written so that one source serves both the main thread and the
 * worker threads: every function here is self-contained (no imports, no module-level state,
 * only its arguments and other functions of this file), because `pool.ts` ships their source
 * text (`Function.prototype.toString`) to workers started with `eval: true`. That keeps the
 * worker path runnable from the TypeScript sources under vitest and from `dist/` alike, and it
 * guarantees that in-process and worker training execute the same code.
 *
 * Layout conventions shared with `grower.ts`:
 * - bins: Uint8Array, row-major, feature f of row r at `r * features + f` (one row's bins share
 *   a cache line, so a histogram pass touches one line per row for all features);
 * - gh: Float64Array, per class a block of `2 * n` values, gradient and hessian of row r at
 *   `block + 2r` and `block + 2r + 1`;
 * - hist: Float64Array, per bin three values (sum of gradients, sum of hessians, row count).
 */

/** Job types written to `ctrl[TYPE]`. */
export const JOB_EXIT = 0;
export const JOB_HIST = 1;
export const JOB_GRAD = 2;
export const JOB_APPLY = 3;
export const JOB_SPLIT_ROWS = 5;

/** Slots of the Int32 control block shared with workers. */
export const CTRL = {
  SEQ: 0,
  DONE: 1,
  TYPE: 2,
  ERROR: 3,
  /** Job arguments start here. */
  ARG: 4,
  LENGTH: 16,
} as const;

/** Histogram kernels specialised to one fit's features (see `histKernelSource`). */
export interface HistKernels {
  /** Adds the rows at positions start..end of `idx`. */
  rows(bins: Uint8Array, idx: Uint32Array, start: number, end: number, gh: Float64Array, ghOff: number, hist: Float64Array, hOff: number): void;
  /** Adds rows start..end themselves (the root, no index indirection). */
  range(bins: Uint8Array, start: number, end: number, gh: Float64Array, ghOff: number, hist: Float64Array, hOff: number): void;
}

/** The typed arrays a job reads and writes, as each thread sees them (see `SharedState` in pool.ts). */
export interface JobBuffers {
  ctrl: Int32Array;
  kernels: HistKernels;
  bins: Uint8Array;
  n: number;
  idx: Uint32Array;
  gh: Float64Array;
  raw: Float64Array;
  y: Float64Array;
  hist: Float64Array;
  slotLen: number;
  cols: Uint8Array;
  apply: Float64Array;
  goLeft: Uint8Array;
  scratch: Uint32Array;
  blockRows: Int32Array;
}

/**
 * Source of the two histogram kernels for `features` features whose histograms start at
 * `binOffsets[f] * 3`. Each row updates every feature's histogram in one pass; the feature loop
 * is unrolled with constant offsets, which V8 compiles to straight-line code (a loop over
 * features with offsets read from an array runs about three times slower). Only integers from
 * the bin layout enter the source.
 */
export function histKernelSource(features: number, binOffsets: ArrayLike<number>): string {
  let body = '';
  for (let f = 0; f < features; f++) {
    const off = Number(binOffsets[f]) * 3;
    if (!Number.isSafeInteger(off)) throw new Error('histogram offsets must be integers');
    body += `b = hOff + ${off} + bins[base + ${f}] * 3; hist[b] += g; hist[b + 1] += h; hist[b + 2] += 1;\n`;
  }
  const rows =
    'function (bins, idx, start, end, gh, ghOff, hist, hOff) {\n let b = 0;\n' +
    ` for (let i = start; i < end; i++) {\n  const r = idx[i]; const g = gh[ghOff + 2 * r]; const h = gh[ghOff + 2 * r + 1]; const base = r * ${features};\n${body} }\n}`;
  const range =
    'function (bins, start, end, gh, ghOff, hist, hOff) {\n let b = 0;\n' +
    ` for (let r = start; r < end; r++) {\n  const g = gh[ghOff + 2 * r]; const h = gh[ghOff + 2 * r + 1]; const base = r * ${features};\n${body} }\n}`;
  return `({ rows: ${rows},\n range: ${range} })`;
}

/**
 * Gradients and hessians of rows `start..end` for the current raw scores.
 * kind 0: squared error (raw n×1); 1: binary log loss (raw n×1); 2: softmax (raw n×k, row-major).
 */
export function gradients(kind: number, k: number, n: number, raw: Float64Array, y: Float64Array, gh: Float64Array, start: number, end: number): void {
  if (kind === 0) {
    for (let r = start; r < end; r++) {
      gh[2 * r] = raw[r]! - y[r]!;
      gh[2 * r + 1] = 1;
    }
  } else if (kind === 1) {
    // exp(x) = 2^(k/64) · e^ρ with k = round(64x / ln 2) and |ρ| ≤ ln 2 / 128, from a table of
    // 2^(j/64), a table of powers of two and a degree-5 polynomial: within 1e-15 of Math.exp
    // (a few units in the last place) and about twice as fast, since V8 calls out for Math.exp.
    const frac = new Float64Array(64);
    for (let j = 0; j < 64; j++) frac[j] = Math.pow(2, j / 64);
    const pow2 = new Float64Array(2100);
    pow2[1075] = 1;
    for (let i = 1076; i < 2100; i++) pow2[i] = pow2[i - 1]! * 2;
    for (let i = 1074; i >= 0; i--) pow2[i] = pow2[i + 1]! / 2;
    for (let r = start; r < end; r++) {
      const x = -raw[r]!;
      let e: number;
      if (x > -700 && x < 700) {
        // Adding and subtracting 1.5 · 2^52 rounds to the nearest integer.
        const kf = x * 92.33248261689366 + 6755399441055744 - 6755399441055744;
        const k = kf | 0;
        // ln 2 / 64 split in two so that kf times the first part is exact.
        const q = x - kf * 0.010830424696223417 - kf * 2.572804622327669e-14;
        const q2 = q * q;
        e = (1 + q + q2 * (0.5 + q * 0.16666666666666666) + q2 * q2 * (0.041666666666666664 + q * 0.008333333333333333)) * frac[k & 63]! * pow2[(k >> 6) + 1075]!;
      } else {
        e = Math.exp(x);
      }
      const p = 1 / (1 + e);
      gh[2 * r] = p - y[r]!;
      gh[2 * r + 1] = p * (1 - p);
    }
  } else {
    const block = 2 * n;
    for (let r = start; r < end; r++) {
      const base = r * k;
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (raw[base + c]! > max) max = raw[base + c]!;
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(raw[base + c]! - max);
        gh[c * block + 2 * r] = e;
        sum += e;
      }
      const label = y[r]!;
      for (let c = 0; c < k; c++) {
        const p = gh[c * block + 2 * r]! / sum;
        gh[c * block + 2 * r] = p - (label === c ? 1 : 0);
        gh[c * block + 2 * r + 1] = p * (1 - p);
      }
    }
  }
}

/**
 * One thread's share of a job. A histogram job splits the node's rows into a number of blocks
 * that depends on the node size only; block b's partial histogram goes to the node's slot
 * (b = 0) or to scratch slot b - 1, and the caller adds them up in block order. So every sum
 * is taken in the same order whatever the thread count, and models do not depend on it.
 * Thread t takes blocks t, t + threads, …; gradients are split by contiguous rows.
 *
 * Partitioning a node's rows (JOB_SPLIT_ROWS) runs over blocks too: each block moves its left
 * rows to its start in `idx` and its right rows to `scratch` at the same positions, and
 * records its left count in `blockRows[b]`; the caller then moves the blocks' rows into place
 * (`TreeGrower.partition`). A stable partition has one result, so it is the same whichever
 * thread took which block.
 */
export function runShare(t: number, threads: number, s: JobBuffers): void {
  const ctrl = s.ctrl;
  const type = ctrl[2]!;
  const a = 4;
  if (type === 1) {
    const slotOff = ctrl[a]!;
    const start = ctrl[a + 1]!;
    const end = ctrl[a + 2]!;
    const all = ctrl[a + 3]!;
    const ghOff = ctrl[a + 4]!;
    const blocks = ctrl[a + 5]!;
    const scratchOff = ctrl[a + 6]!;
    const len = end - start;
    const hist = s.hist;
    const slotLen = s.slotLen;
    const kern = s.kernels;
    for (let b = t; b < blocks; b += threads) {
      const bs = start + Math.floor((b * len) / blocks);
      const be = start + Math.floor(((b + 1) * len) / blocks);
      const hOff = b === 0 ? slotOff : scratchOff + (b - 1) * slotLen;
      hist.fill(0, hOff, hOff + slotLen);
      if (all === 1) kern.range(s.bins, bs, be, s.gh, ghOff, hist, hOff);
      else kern.rows(s.bins, s.idx, bs, be, s.gh, ghOff, hist, hOff);
    }
  } else if (type === 2) {
    const kind = ctrl[a]!;
    const k = ctrl[a + 1]!;
    const n = s.n;
    const chunk = Math.ceil(n / threads);
    const start = Math.min(n, t * chunk);
    const end = Math.min(n, start + chunk);
    gradients(kind, k, n, s.raw, s.y, s.gh, start, end);
  } else if (type === 3) {
    // Adds a split's leaf values to its rows: apply[0..255] is 1 for bins going left, then the
    // left and right values. Rows are independent, so blocks may run on any thread.
    const start = ctrl[a]!;
    const end = ctrl[a + 1]!;
    const col = ctrl[a + 2]!;
    const k = ctrl[a + 3]!;
    const out = ctrl[a + 4]!;
    const blocks = ctrl[a + 5]!;
    const apply = s.apply;
    const idx = s.idx;
    const cols = s.cols;
    const raw = s.raw;
    const vl = apply[256]!;
    const vr = apply[257]!;
    const len = end - start;
    for (let b = t; b < blocks; b += threads) {
      const e = start + Math.floor(((b + 1) * len) / blocks);
      for (let i = start + Math.floor((b * len) / blocks); i < e; i++) {
        const r = idx[i]!;
        raw[r * k + out]! += apply[cols[col + r]!] === 1 ? vl : vr;
      }
    }
  } else if (type === 5) {
    const start = ctrl[a]!;
    const end = ctrl[a + 1]!;
    const col = ctrl[a + 2]!;
    const blocks = ctrl[a + 3]!;
    const idx = s.idx;
    const cols = s.cols;
    const goLeft = s.goLeft;
    const scratch = s.scratch;
    const len = end - start;
    for (let b = t; b < blocks; b += threads) {
      const bs = start + Math.floor((b * len) / blocks);
      const be = start + Math.floor(((b + 1) * len) / blocks);
      let l = bs;
      let rc = bs;
      // Branch-free: each row is written to both sides and only the matching cursor moves, since
      // the direction is unpredictable and a mispredicted branch costs more than a store.
      // Writing idx[l] is safe because l never passes i.
      for (let i = bs; i < be; i++) {
        const r = idx[i]!;
        const left = goLeft[cols[col + r]!]!;
        idx[l] = r;
        scratch[rc] = r;
        l += left;
        rc += 1 - left;
      }
      s.blockRows[b] = l - bs;
    }
  }
}

/** A worker's loop: wait for the sequence number to move, run its share, report done. */
export function workerLoop(data: {
  t: number;
  /** The control block's sequence number when the worker was started (jobs after it are its to run). */
  seq: number;
  threads: number;
  ctrl: SharedArrayBuffer;
  kernels: string;
  bins: SharedArrayBuffer;
  cols: SharedArrayBuffer;
  apply: SharedArrayBuffer;
  goLeft: SharedArrayBuffer;
  scratch: SharedArrayBuffer;
  blockRows: SharedArrayBuffer;
  n: number;
  slotLen: number;
  idx: SharedArrayBuffer;
  gh: SharedArrayBuffer;
  raw: SharedArrayBuffer;
  y: SharedArrayBuffer;
  hist: SharedArrayBuffer;
}): void {
  const ctrl = new Int32Array(data.ctrl);
  const s: JobBuffers = {
    ctrl,
    kernels: (0, eval)(data.kernels) as HistKernels,
    bins: new Uint8Array(data.bins),
    n: data.n,
    idx: new Uint32Array(data.idx),
    gh: new Float64Array(data.gh),
    raw: new Float64Array(data.raw),
    y: new Float64Array(data.y),
    hist: new Float64Array(data.hist),
    slotLen: data.slotLen,
    cols: new Uint8Array(data.cols),
    apply: new Float64Array(data.apply),
    goLeft: new Uint8Array(data.goLeft),
    scratch: new Uint32Array(data.scratch),
    blockRows: new Int32Array(data.blockRows),
  };
  let seq = data.seq;
  for (;;) {
    // Spin briefly before sleeping: jobs come in bursts, and a futex wake costs more than a small job.
    for (let spin = 0; spin < 2000 && Atomics.load(ctrl, 0) === seq; spin++);
    Atomics.wait(ctrl, 0, seq);
    seq = Atomics.load(ctrl, 0);
    if (ctrl[2] === 0) return;
    try {
      runShare(data.t, data.threads, s);
    } catch {
      Atomics.store(ctrl, 3, 1);
    }
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  }
}
