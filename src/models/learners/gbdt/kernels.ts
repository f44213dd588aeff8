/**
 * The hot loops of training, written so that one source serves both the main thread and the
 * worker threads: every function here is self-contained (no imports, no module-level state,
 * only its arguments and other functions of this file), because `pool.ts` ships their source
 * text (`Function.prototype.toString`) to workers started with `eval: true`. That keeps the
 * worker path runnable from the TypeScript sources under vitest and from `dist/` alike, and it
 * guarantees that in-process and worker training execute the same code.
 *
 * Layout conventions shared with `grower.ts`:
 * - bins: Uint8Array, column-major, feature f of row r at `f * n + r`;
 * - gh: Float64Array, per class a block of `2 * n` values, gradient and hessian of row r at
 *   `block + 2r` and `block + 2r + 1`;
 * - hist: Float64Array, per bin three values (sum of gradients, sum of hessians, row count).
 */

/** Job types written to `ctrl[TYPE]`. */
export const JOB_EXIT = 0;
export const JOB_HIST = 1;
export const JOB_GRAD = 2;

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

/** Adds rows `start..end` of the node (positions in `idx`) into one feature's histogram. */
export function histIndexed(
  bins: Uint8Array,
  colOff: number,
  idx: Uint32Array,
  start: number,
  end: number,
  gh: Float64Array,
  ghOff: number,
  hist: Float64Array,
  hOff: number,
): void {
  let i = start;
  // Two rows per step: independent adds on different bins overlap in the CPU.
  for (; i + 1 < end; i += 2) {
    const r0 = idx[i]!;
    const r1 = idx[i + 1]!;
    const b0 = hOff + bins[colOff + r0]! * 3;
    const g0 = ghOff + 2 * r0;
    hist[b0]! += gh[g0]!;
    hist[b0 + 1]! += gh[g0 + 1]!;
    hist[b0 + 2]! += 1;
    const b1 = hOff + bins[colOff + r1]! * 3;
    const g1 = ghOff + 2 * r1;
    hist[b1]! += gh[g1]!;
    hist[b1 + 1]! += gh[g1 + 1]!;
    hist[b1 + 2]! += 1;
  }
  if (i < end) {
    const r = idx[i]!;
    const b = hOff + bins[colOff + r]! * 3;
    const g = ghOff + 2 * r;
    hist[b]! += gh[g]!;
    hist[b + 1]! += gh[g + 1]!;
    hist[b + 2]! += 1;
  }
}

/** The root's histogram: every row, in order, no index indirection. */
export function histAll(bins: Uint8Array, colOff: number, n: number, gh: Float64Array, ghOff: number, hist: Float64Array, hOff: number): void {
  for (let r = 0; r < n; r++) {
    const b = hOff + bins[colOff + r]! * 3;
    const g = ghOff + 2 * r;
    hist[b]! += gh[g]!;
    hist[b + 1]! += gh[g + 1]!;
    hist[b + 2]! += 1;
  }
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
    for (let r = start; r < end; r++) {
      const p = 1 / (1 + Math.exp(-raw[r]!));
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
 * One thread's share of a job. Histograms are split by feature (thread t builds features
 * f ≡ t mod threads), so each histogram is summed in the same order whatever the thread count
 * and models do not depend on it; gradients are split by contiguous rows.
 */
export function runShare(
  t: number,
  threads: number,
  ctrl: Int32Array,
  bins: Uint8Array,
  n: number,
  features: number,
  binOffsets: Int32Array,
  idx: Uint32Array,
  gh: Float64Array,
  raw: Float64Array,
  y: Float64Array,
  hist: Float64Array,
): void {
  const type = ctrl[2]!;
  const a = 4;
  if (type === 1) {
    const slotOff = ctrl[a]!;
    const start = ctrl[a + 1]!;
    const end = ctrl[a + 2]!;
    const all = ctrl[a + 3]!;
    const ghOff = ctrl[a + 4]!;
    for (let f = t; f < features; f += threads) {
      const hOff = slotOff + binOffsets[f]! * 3;
      hist.fill(0, hOff, hOff + (binOffsets[f + 1]! - binOffsets[f]!) * 3);
      if (all === 1) histAll(bins, f * n, n, gh, ghOff, hist, hOff);
      else histIndexed(bins, f * n, idx, start, end, gh, ghOff, hist, hOff);
    }
  } else if (type === 2) {
    const kind = ctrl[a]!;
    const k = ctrl[a + 1]!;
    const chunk = Math.ceil(n / threads);
    const start = Math.min(n, t * chunk);
    const end = Math.min(n, start + chunk);
    gradients(kind, k, n, raw, y, gh, start, end);
  }
}

/** A worker's loop: wait for the sequence number to move, run its share, report done. */
export function workerLoop(data: {
  t: number;
  threads: number;
  ctrl: SharedArrayBuffer;
  bins: SharedArrayBuffer;
  n: number;
  features: number;
  binOffsets: Int32Array;
  idx: SharedArrayBuffer;
  gh: SharedArrayBuffer;
  raw: SharedArrayBuffer;
  y: SharedArrayBuffer;
  hist: SharedArrayBuffer;
}): void {
  const ctrl = new Int32Array(data.ctrl);
  const bins = new Uint8Array(data.bins);
  const idx = new Uint32Array(data.idx);
  const gh = new Float64Array(data.gh);
  const raw = new Float64Array(data.raw);
  const y = new Float64Array(data.y);
  const hist = new Float64Array(data.hist);
  let seq = 0;
  for (;;) {
    // Spin briefly before sleeping: jobs come in bursts, and a futex wake costs far more than a job's setup.
    for (let spin = 0; spin < 2000 && Atomics.load(ctrl, 0) === seq; spin++);
    Atomics.wait(ctrl, 0, seq);
    seq = Atomics.load(ctrl, 0);
    if (ctrl[2] === 0) return;
    try {
      runShare(data.t, data.threads, ctrl, bins, data.n, data.features, data.binOffsets, idx, gh, raw, y, hist);
    } catch {
      Atomics.store(ctrl, 3, 1);
    }
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  }
}
