import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { HangarError } from '../../../core/errors.js';
import type { CompiledScorer } from './compiled.js';

/** Control block slots. */
const SEQ = 0;
const DONE = 1;
const READY = 2;
const ERROR = 3;

/** A batch that a worker has not finished after this long means the worker is gone. */
const WORKER_TIMEOUT_MS = 60_000;

/**
 * Scores large batches on worker threads while `predict()` stays synchronous: the workers
 * compile the same tree functions, and the calling thread hands them row ranges through a
 * shared control block (Atomics) and `receiveMessageOnPort`, then blocks until they are done.
 * Workers are started on the first large batch (which is scored on the calling thread) and
 * are unref'd, so they never keep a process alive; `close()` stops them. Each row is scored by
 * the same code whichever thread takes it, so results do not depend on the pool.
 */
export class PredictPool {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(16));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private broken = false;

  /**
   * `warm` holds sample rows (row-major, on a SharedArrayBuffer) that each worker scores a few
   * times before it reports ready, so that V8 has optimised the tree functions on real values
   * by the time a batch arrives; `outputs` is the model's outputs per row.
   */
  constructor(
    scorer: CompiledScorer,
    readonly threads: number,
    warm: { x: Float64Array; rows: number; outputs: number },
  ) {
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { ctrl: this.ctrl.buffer, port: port2, sources: scorer.sources, bits: scorer.bits, t, threads, warm: warm.x.buffer, warmRows: warm.rows, outputs: warm.outputs },
        transferList: [port2],
      });
      w.on('error', () => (this.broken = true));
      w.on('exit', () => (this.broken = true));
      w.unref();
      port1.unref();
      this.workers.push(w);
      this.ports.push(port1);
    }
  }

  /** True once every worker has compiled the trees and waits for work. */
  ready(): boolean {
    return !this.broken && Atomics.load(this.ctrl, READY) === this.workers.length;
  }

  /**
   * Scores rows 0..n of `x` into `raw` (both on SharedArrayBuffers): share 0 on this thread,
   * the others on the workers.
   *
   * @throws HangarError INTERNAL_ERROR when a worker fails or stops answering.
   */
  run(scorer: CompiledScorer, x: Float64Array, raw: Float64Array, n: number): void {
    const ctrl = this.ctrl;
    Atomics.store(ctrl, DONE, 0);
    for (const port of this.ports) port.postMessage({ x: x.buffer, raw: raw.buffer, n });
    Atomics.add(ctrl, SEQ, 1);
    Atomics.notify(ctrl, SEQ);
    scorer.run(x, 0, Math.min(n, Math.ceil(n / this.threads)), raw);
    const others = this.workers.length;
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= others) break;
      if (performance.now() > deadline) {
        this.broken = true;
        throw new HangarError('INTERNAL_ERROR', 'A gbdt scoring worker stopped answering');
      }
      Atomics.wait(ctrl, DONE, done, 100);
    }
    if (Atomics.load(ctrl, ERROR) !== 0) {
      this.broken = true;
      throw new HangarError('INTERNAL_ERROR', 'A gbdt scoring worker failed');
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.broken = true;
    for (const port of this.ports) port.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function workerMain(
  data: { ctrl: SharedArrayBuffer; port: MessagePort; sources: string[]; bits: Uint32Array; t: number; threads: number; warm: SharedArrayBuffer; warmRows: number; outputs: number },
  receive: (port: MessagePort) => { message: unknown } | undefined,
): void {
  const ctrl = new Int32Array(data.ctrl);
  const fns = data.sources.map((src) => (0, eval)(src) as (x: Float64Array, start: number, end: number, raw: Float64Array, bits: Uint32Array) => void);
  const warmX = new Float64Array(data.warm);
  const warmRaw = new Float64Array(data.warmRows * data.outputs);
  const score = (x: Float64Array, start: number, end: number, raw: Float64Array): void => {
    for (const fn of fns) fn(x, start, end, raw, data.bits);
  };
  for (let rep = 0; rep < 3; rep++) score(warmX, 0, data.warmRows, warmRaw);
  Atomics.add(ctrl, 2, 1);
  let seq = 0;
  for (;;) {
    Atomics.wait(ctrl, 0, seq);
    seq = Atomics.load(ctrl, 0);
    let msg = receive(data.port);
    // The message was posted before the wake-up, but allow for it to land a moment later.
    for (let i = 0; msg === undefined && i < 1000; i++) {
      Atomics.wait(ctrl, 0, seq, 1);
      msg = receive(data.port);
    }
    try {
      const { x, raw, n } = msg!.message as { x: SharedArrayBuffer; raw: SharedArrayBuffer; n: number };
      const X = new Float64Array(x);
      const R = new Float64Array(raw);
      const chunk = Math.ceil(n / data.threads);
      const start = Math.min(n, data.t * chunk);
      const end = Math.min(n, start + chunk);
      score(X, start, end, R);
    } catch {
      Atomics.store(ctrl, 3, 1);
    }
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  }
}

const WORKER_SOURCE = ["'use strict';", "const { workerData, receiveMessageOnPort } = require('node:worker_threads');", `(${workerMain.toString()})(workerData, receiveMessageOnPort);`].join('\n');
