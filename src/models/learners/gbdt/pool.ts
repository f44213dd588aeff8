import { Worker } from 'node:worker_threads';
import { HangarError } from '../../../core/errors.js';
import { CTRL, JOB_EXIT, gradients, histKernelSource, runShare, workerLoop, type HistKernels } from './kernels.js';

/** The buffers one fit shares with its workers. */
export interface SharedState {
  /** Training rows. */
  n: number;
  /** Features per row. */
  features: number;
  /** Histogram offset (in bins) of each feature, plus the total at the end. */
  binOffsets: Int32Array;
  /** Doubles per histogram slot (total bins × 3). */
  slotLen: number;
  /** The job control block (see `CTRL`): sequence, done count, job type, error flag, arguments. */
  ctrl: Int32Array;
  /** Source of the fit's histogram kernels, compiled once per thread. */
  kernelSource: string;
  /** The kernels compiled on the calling thread. */
  kernels: HistKernels;
  /** Bins, row-major (feature f of row r at `r * features + f`). */
  bins: Uint8Array;
  /**
   * The same bins column-major (feature f of row r at `f * n + r`), for partitioning: reading one
   * feature of scattered rows touches a sixth of the cache lines the row-major copy would.
   */
  cols: Uint8Array;
  /** Arguments of an apply job: 256 bin directions (1 = left), then the left and right values. */
  apply: Float64Array;
  /** The split being partitioned: 1 for each bin whose rows go left. */
  goLeft: Uint8Array;
  /** Row numbers in transit while a node's rows are partitioned (n entries). */
  scratch: Uint32Array;
  /** Left rows found by each block of a partition (see JOB_SPLIT_ROWS). */
  blockRows: Int32Array;
  /** Row numbers, grouped by node: each node owns a range of positions. */
  idx: Uint32Array;
  /** Gradient and hessian per row, one block of 2n per output. */
  gh: Float64Array;
  /** Raw scores, row-major rows × outputs. */
  raw: Float64Array;
  /** Labels. */
  y: Float64Array;
  /** Histogram slots (one per open leaf) followed by scratch slots for partial histograms. */
  hist: Float64Array;
}

/**
 * Runs jobs over `threads` shares: share 0 on the calling thread, the others on workers that
 * wait on `ctrl` with Atomics, so a job costs a futex wake rather than a message round trip.
 */
export interface Executor {
  readonly threads: number;
  /** Runs the job written in `ctrl` on every share and returns when all are done. */
  run(): void;
  /** Stops the workers. */
  close(): Promise<void>;
}

export function sharedState(n: number, features: number, binOffsets: Int32Array, k: number): SharedState {
  const kernelSource = histKernelSource(features, binOffsets);
  return {
    n,
    features,
    binOffsets,
    slotLen: binOffsets[features]! * 3,
    ctrl: new Int32Array(new SharedArrayBuffer(CTRL.LENGTH * 4)),
    kernelSource,
    kernels: (0, eval)(kernelSource) as HistKernels,
    bins: new Uint8Array(new SharedArrayBuffer(Math.max(1, n * features))),
    cols: new Uint8Array(new SharedArrayBuffer(Math.max(1, n * features))),
    apply: new Float64Array(new SharedArrayBuffer(258 * 8)),
    goLeft: new Uint8Array(new SharedArrayBuffer(256)),
    scratch: new Uint32Array(new SharedArrayBuffer(Math.max(1, n) * 4)),
    blockRows: new Int32Array(new SharedArrayBuffer(8 * 4)),
    idx: new Uint32Array(new SharedArrayBuffer(Math.max(1, n) * 4)),
    gh: new Float64Array(new SharedArrayBuffer(Math.max(1, 2 * n * k) * 8)),
    raw: new Float64Array(new SharedArrayBuffer(Math.max(1, n * k) * 8)),
    y: new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8)),
    hist: new Float64Array(0),
  };
}

/** Fills `cols` from the row-major `bins`. */
export function transposeBins(state: SharedState): void {
  const { n, features, bins, cols } = state;
  for (let f = 0; f < features; f++) {
    const off = f * n;
    for (let r = 0; r < n; r++) cols[off + r] = bins[r * features + f]!;
  }
}

/** Sizes the histogram pool: `slots` node slots followed by `scratch` partial-histogram slots. */
export function allocHist(state: SharedState, slots: number, scratch: number): void {
  state.hist = new Float64Array(new SharedArrayBuffer(Math.max(1, (slots + scratch) * state.slotLen) * 8));
}

/** Runs share 0 of the job in `ctrl` on the calling thread, as if alone. */
export function runLocal(s: SharedState): void {
  runShare(0, 1, s);
}

// The worker's program: the kernels' own source text plus a bootstrap. See kernels.ts for why.
const WORKER_SOURCE = [
  "'use strict';",
  "const { workerData } = require('node:worker_threads');",
  gradients.toString(),
  runShare.toString(),
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
    Atomics.store(ctrl, CTRL.DONE, 0);
    Atomics.add(ctrl, CTRL.SEQ, 1);
    Atomics.notify(ctrl, CTRL.SEQ);
    runShare(0, this.threads, s);
    const others = this.threads - 1;
    for (let spin = 0; spin < 2000 && Atomics.load(ctrl, CTRL.DONE) < others; spin++);
    for (;;) {
      const done = Atomics.load(ctrl, CTRL.DONE);
      if (done >= others) break;
      Atomics.wait(ctrl, CTRL.DONE, done, 1000);
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
        t,
        seq: Atomics.load(state.ctrl, CTRL.SEQ),
        threads,
        ctrl: state.ctrl.buffer,
        kernels: state.kernelSource,
        bins: state.bins.buffer,
        cols: state.cols.buffer,
        apply: state.apply.buffer,
        goLeft: state.goLeft.buffer,
        scratch: state.scratch.buffer,
        blockRows: state.blockRows.buffer,
        n: state.n,
        slotLen: state.slotLen,
        idx: state.idx.buffer,
        gh: state.gh.buffer,
        raw: state.raw.buffer,
        y: state.y.buffer,
        hist: state.hist.buffer,
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
