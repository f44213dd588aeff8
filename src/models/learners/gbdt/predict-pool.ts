import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { HangarError } from '../../../core/errors.js';
import { encodeFeature, scoreTables, type ScoreTables } from './table-scorer.js';

/** Control block slots. */
const SEQ = 0;
/** Global number of the next block to take (it only grows, so a late worker cannot take a block of a newer batch). */
const NEXT = 1;
/** Global number of blocks finished. */
const DONE = 2;
const ERROR = 3;

/** Rows per block: large enough that taking a block costs nothing, small enough to balance threads. */
export const SCORE_BLOCK_ROWS = 8192;

/** A batch that a worker has not finished after this long means the worker is gone. */
const WORKER_TIMEOUT_MS = 60_000;

/** A batch's input as every thread reads it: one column per feature, on SharedArrayBuffers. */
export interface SharedBatch {
  /** Rows. */
  n: number;
  /** Per feature: numeric values (NaN missing), or null. */
  values: Array<Float64Array | null>;
  /** Per feature: category codes in the model's category space (-1 missing), or null. */
  codes: Array<Int32Array | null>;
  /** Scratch for the rows' codes (`n × features`). */
  encoded: Uint16Array;
  /** Raw scores, rows × outputs, starting at the baseline. */
  raw: Float64Array;
}

/**
 * Encodes and scores the blocks of one batch that this thread can take: global block numbers
 * base..base+blocks, taken one at a time with compare-and-swap so that a thread never takes a
 * block of another batch. Returns how many it took. Self-contained (workers run its source text).
 */
export function takeBlocks(ctrl: Int32Array, base: number, blocks: number, blockRows: number, tb: ScoreTables, batch: SharedBatch, encode: typeof encodeFeature, score: typeof scoreTables): number {
  const n = batch.n;
  let taken = 0;
  for (;;) {
    const cur = Atomics.load(ctrl, 1);
    if (cur >= base + blocks) return taken;
    if (Atomics.compareExchange(ctrl, 1, cur, cur + 1) !== cur) continue;
    taken++;
    const start = (cur - base) * blockRows;
    const end = Math.min(n, start + blockRows);
    try {
      for (let f = 0; f < tb.nf; f++) encode(tb, f, batch.values[f]!, batch.codes[f]!, start, end, batch.encoded);
      score(tb, batch.encoded, start, end, batch.raw);
    } catch {
      Atomics.store(ctrl, 3, 1);
    }
    Atomics.add(ctrl, 2, 1);
    Atomics.notify(ctrl, 2);
  }
}

/**
 * Scores large batches on worker threads while `predict()` stays synchronous. The workers
 * share the model's score tables (see `table-scorer.ts`) and need no warm-up: the scoring loop
 * is one small function. A batch is cut into blocks of `SCORE_BLOCK_ROWS` rows that the calling
 * thread and the workers take in turn (workers still starting take none, so the first batch
 * never waits for them); the calling thread blocks until every block is done. Workers are
 * unref'd, so they never keep a process alive; `close()` stops them. Each row is scored by the
 * same code whichever thread takes it, so results do not depend on the pool.
 */
export class PredictPool {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(16));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private broken = false;
  /** Blocks of the last batch that workers scored (the rest were scored by the calling thread). */
  lastWorkerBlocks = 0;

  constructor(
    private readonly tables: ScoreTables,
    readonly threads: number,
  ) {
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { ctrl: this.ctrl.buffer, port: port2, tables },
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

  /** False once a worker failed or exited; the model then scores on its own thread. */
  usable(): boolean {
    return !this.broken;
  }

  /**
   * Encodes and scores every row of `batch`: this thread and the workers take blocks until none
   * is left, then this thread waits for the blocks workers still hold.
   *
   * @throws HangarError INTERNAL_ERROR when a worker fails or stops answering.
   */
  run(batch: SharedBatch): void {
    const ctrl = this.ctrl;
    const blocks = Math.ceil(batch.n / SCORE_BLOCK_ROWS);
    const base = Atomics.load(ctrl, NEXT);
    const seq = Atomics.load(ctrl, SEQ) + 1;
    for (const port of this.ports) port.postMessage({ seq, base, blocks, blockRows: SCORE_BLOCK_ROWS, batch });
    Atomics.store(ctrl, SEQ, seq);
    Atomics.notify(ctrl, SEQ);
    const mine = takeBlocks(ctrl, base, blocks, SCORE_BLOCK_ROWS, this.tables, batch, encodeFeature, scoreTables);
    this.lastWorkerBlocks = blocks - mine;
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= base + blocks) break;
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
  data: { ctrl: SharedArrayBuffer; port: MessagePort; tables: ScoreTables },
  receive: (port: MessagePort) => { message: unknown } | undefined,
  take: typeof takeBlocks,
  encode: typeof encodeFeature,
  score: typeof scoreTables,
): void {
  const ctrl = new Int32Array(data.ctrl);
  let seq = 0;
  for (;;) {
    Atomics.wait(ctrl, 0, seq);
    seq = Atomics.load(ctrl, 0);
    // Batches posted while this worker was busy or starting are stale: keep the newest.
    let msg: { seq: number; base: number; blocks: number; blockRows: number; batch: SharedBatch } | undefined;
    for (let got = receive(data.port); got !== undefined; got = receive(data.port)) msg = got.message as typeof msg;
    // The message was posted before the wake-up, but allow for it to land a moment later.
    for (let i = 0; (msg === undefined || msg.seq < seq) && i < 100; i++) {
      Atomics.wait(ctrl, 0, seq, 1);
      for (let got = receive(data.port); got !== undefined; got = receive(data.port)) msg = got.message as typeof msg;
    }
    if (msg !== undefined) take(ctrl, msg.base, msg.blocks, msg.blockRows, data.tables, msg.batch, encode, score);
  }
}

const WORKER_SOURCE = [
  "'use strict';",
  "const { workerData, receiveMessageOnPort } = require('node:worker_threads');",
  `const encodeFeature = ${encodeFeature.toString()};`,
  `const scoreTables = ${scoreTables.toString()};`,
  `const takeBlocks = ${takeBlocks.toString()};`,
  `(${workerMain.toString()})(workerData, receiveMessageOnPort, takeBlocks, encodeFeature, scoreTables);`,
].join('\n');
