import { Worker } from 'node:worker_threads';
import { HangarError } from '../../../core/errors.js';
import { CTRL, JOB_EXIT, fitKernelSource, labelByte, runBlock, takeBlocks, workerLoop, type FitArrays, type FitKernels, type HistPair, type JobBuffers } from './kernels.js';

/** The buffers one fit shares with its workers (see kernels.ts for the layout). */
export interface SharedState extends JobBuffers, FitArrays {
  /** Features per row. */
  features: number;
  /** Bytes of bins per row (`rowBytesFor`). */
  rowBytes: number;
  /** Outputs per row. */
  k: number;
  /** Histogram offset (in bins) of each feature, plus the total at the end. */
  binOffsets: Int32Array;
  /** Features histogrammed jointly; their cells follow the features' own bins in a slot. */
  pairs: readonly HistPair[];
  /** Source of the fit's kernel factory, compiled once per thread. */
  kernelSource: string;
  /** The buffer set (0 or 1) that holds every row between trees; a tree's root starts there. */
  cur: number;
  /** The bins byte that holds each row's label (`labelByte`), or -1 when labels live in `y`. */
  labelByte: number;
  hist: Float64Array;
}

/**
 * Runs jobs on `threads` threads: the calling thread and workers that wait on `ctrl` with
 * Atomics (a job costs a futex wake rather than a message round trip) take the job's blocks
 * in turn (see `takeBlocks`).
 */
export interface Executor {
  readonly threads: number;
  /** Runs the job written in `ctrl` on every share and returns when all are done. */
  run(): void;
  /** Stops the workers. */
  close(): Promise<void>;
}

/** Cells of a joint histogram at most: two features pair up when their bins multiply to no more. */
export const MAX_PAIR_CELLS = 256;

/**
 * Pairs of features to histogram jointly, with their cells placed after the features' own
 * bins: the features with the fewest bins pair up, smallest first, while their bins (each
 * with its missing bin) multiply to at most `MAX_PAIR_CELLS`.
 */
export function histPairs(binOffsets: Int32Array, features: number): HistPair[] {
  const width = (f: number): number => binOffsets[f + 1]! - binOffsets[f]!;
  const order = Array.from({ length: features }, (_, f) => f).sort((x, y) => width(x) - width(y) || x - y);
  const pairs: HistPair[] = [];
  let offset = binOffsets[features]!;
  for (let i = 0; i + 1 < order.length; i += 2) {
    const a = order[i]!;
    const b = order[i + 1]!;
    if (width(a) * width(b) > MAX_PAIR_CELLS) break;
    pairs.push({ a, b, widthB: width(b), offset });
    offset += width(a) * width(b);
  }
  return pairs;
}

/** Bytes of bins per row: the feature count rounded up to whole 32-bit words, so rows move as words. */
export function rowBytesFor(features: number): number {
  return Math.max(4, Math.ceil(features / 4) * 4);
}

/**
 * The buffers of a fit of `n` rows: two buffer sets, the control block, and `histSlots`
 * histogram slots (node slots, then scratch slots for partial histograms). `kind` is the loss
 * (0 squared error, 1 binary log loss, 2 softmax over `k` outputs); `pairs` (from `histPairs`)
 * are histogrammed jointly.
 */
export function sharedState(n: number, features: number, binOffsets: Int32Array, k: number, kind: number, histSlots: number, pairs: readonly HistPair[] = []): SharedState {
  const rowBytes = rowBytesFor(features);
  const layout = { features, binOffsets, rowBytes, k, kind, n, pairs };
  const kernelSource = fitKernelSource(layout);
  const rows = Math.max(1, n);
  let bins = binOffsets[features]!;
  for (const p of pairs) bins = Math.max(bins, p.offset + (binOffsets[p.a + 1]! - binOffsets[p.a]!) * p.widthB);
  const slotLen = bins * 3;
  const binBuffers = [0, 1].map(() => new SharedArrayBuffer(rows * rowBytes));
  const gh = [0, 1].map(() => new SharedArrayBuffer(2 * rows * k * 4));
  const arrays: FitArrays = {
    bins: binBuffers.map((b) => new Uint8Array(b)),
    words: binBuffers.map((b) => new Uint32Array(b)),
    gh: gh.map((b) => new Float32Array(b)),
    ghWords: gh.map((b) => new Uint32Array(b)),
    raw: [0, 1].map(() => new Float64Array(new SharedArrayBuffer(rows * k * 8))),
    y: [0, 1].map(() => new Float64Array(new SharedArrayBuffer(rows * 8))),
    hist: new Float64Array(new SharedArrayBuffer(Math.max(1, histSlots * slotLen) * 8)),
    goLeft: new Uint8Array(new SharedArrayBuffer(256)),
    // A tree's final ranges are at most its leaves, fewer than the histogram slots.
    pend: new Float64Array(new SharedArrayBuffer((1 + 5 * Math.max(1, histSlots)) * 8)),
    pendDir: new Uint8Array(new SharedArrayBuffer(256 * Math.max(1, histSlots))),
  };
  return {
    ...arrays,
    n,
    k,
    features,
    rowBytes,
    binOffsets,
    pairs,
    slotLen,
    ctrl: new Int32Array(new SharedArrayBuffer(CTRL.LENGTH * 4)),
    kernelSource,
    kernels: ((0, eval)(kernelSource) as (a: FitArrays) => FitKernels)(arrays),
    cur: 0,
    labelByte: labelByte(layout),
    apply: new Float64Array(new SharedArrayBuffer(258 * 8)),
    blockRows: new Int32Array(new SharedArrayBuffer(24 * 4)),
    partSums: new Float64Array(new SharedArrayBuffer(64 * 8)),
  };
}

/** Runs every block of the job in `ctrl` on the calling thread. */
export function runLocal(s: SharedState): void {
  const blocks = s.ctrl[CTRL.ARG + 3]!;
  for (let b = 0; b < blocks; b++) runBlock(s, b);
}

// The worker's program: the kernels' own source text plus a bootstrap. See kernels.ts for why.
const WORKER_SOURCE = [
  "'use strict';",
  "const { workerData } = require('node:worker_threads');",
  runBlock.toString(),
  takeBlocks.toString(),
  workerLoop.toString(),
  'workerLoop(workerData);',
].join('\n');

class InProcess implements Executor {
  readonly threads = 1;
  constructor(private readonly s: SharedState) {}
  run(): void {
    runLocal(this.s);
  }
  async close(): Promise<void> {}
}

class WorkerPool implements Executor {
  constructor(
    private readonly s: SharedState,
    readonly threads: number,
    private readonly workers: Worker[],
  ) {}

  run(): void {
    const s = this.s;
    const ctrl = s.ctrl;
    const base = Atomics.load(ctrl, CTRL.NEXT);
    const end = base + ctrl[CTRL.ARG + 3]!;
    Atomics.store(ctrl, CTRL.BASE, base);
    Atomics.store(ctrl, CTRL.END, end);
    Atomics.add(ctrl, CTRL.SEQ, 1);
    Atomics.notify(ctrl, CTRL.SEQ);
    takeBlocks(s);
    // Only blocks a worker has taken are waited for; a worker that has not woken takes none.
    for (let spin = 0; spin < 2000 && Atomics.load(ctrl, CTRL.FINISHED) < end; spin++);
    for (;;) {
      const done = Atomics.load(ctrl, CTRL.FINISHED);
      if (done >= end) break;
      Atomics.wait(ctrl, CTRL.FINISHED, done, 1000);
    }
    if (Atomics.load(ctrl, CTRL.ERROR) !== 0) throw new HangarError('INTERNAL_ERROR', 'A gbdt worker thread failed');
  }

  async close(): Promise<void> {
    const { ctrl } = this.s;
    ctrl[CTRL.TYPE] = JOB_EXIT;
    Atomics.add(ctrl, CTRL.SEQ, 1);
    Atomics.notify(ctrl, CTRL.SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** An executor over `threads` shares; 1 runs everything on the calling thread. */
export async function startExecutor(state: SharedState, threads: number): Promise<Executor> {
  if (threads <= 1) return new InProcess(state);
  const workers: Worker[] = [];
  const online: Array<Promise<void>> = [];
  for (let t = 1; t < threads; t++) {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        seq: Atomics.load(state.ctrl, CTRL.SEQ),
        ctrl: state.ctrl.buffer,
        kernels: state.kernelSource,
        n: state.n,
        slotLen: state.slotLen,
        bins: state.bins.map((a) => a.buffer),
        gh: state.gh.map((a) => a.buffer),
        raw: state.raw.map((a) => a.buffer),
        y: state.y.map((a) => a.buffer),
        hist: state.hist.buffer,
        apply: state.apply.buffer,
        goLeft: state.goLeft.buffer,
        blockRows: state.blockRows.buffer,
        partSums: state.partSums.buffer,
        pend: state.pend.buffer,
        pendDir: state.pendDir.buffer,
      },
    });
    online.push(
      new Promise((resolve, reject) => {
        w.once('online', () => resolve());
        w.once('error', reject);
      }),
    );
    workers.push(w);
  }
  try {
    await Promise.all(online);
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  return new WorkerPool(state, threads, workers);
}
