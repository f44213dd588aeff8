import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HangarError, type ErrorCode } from '../../core/errors.js';
import type { Column } from '../../data/index.js';
import type { ColumnDriftOptions } from '../stats/index.js';
import { analyseColumn, type ColumnAnalysis } from './column-task.js';
import { scanCsv, transferList, type CsvScanResult, type CsvScanSpec } from './csv-scan.js';

/**
 * The drift run's worker threads: the same workers first read the CSV files (one file each,
 * `scan`) and then analyse the columns (`analyse`): each column's arrays are transferred (not
 * copied) to a worker, which sorts them once and returns the statistics and chart data. The
 * worker program is the compiled `column-worker.js` beside this file; when it is absent (the
 * TypeScript sources under a test runner) or threads = 1, the work runs on the calling thread.
 */

/** A column sent to a worker. */
export interface ColumnJob {
  id: number;
  ref: Column;
  cur: Column;
  options: ColumnDriftOptions;
}

/** A message to a worker: a column to analyse, or a CSV file to read. */
export type WorkerJob = ({ type: 'column' } & ColumnJob) | { type: 'scan'; id: number; spec: CsvScanSpec };

/** A worker's answer. */
export type WorkerReply =
  | { id: number; result: ColumnAnalysis }
  | { id: number; scan: CsvScanResult }
  | { id: number; error: { code: string; message: string; field?: string | undefined } };

const WORKER_FILE = fileURLToPath(new URL('./column-worker.js', import.meta.url));

/** True when the compiled worker program exists, so columns can run on worker threads. */
export function workersAvailable(): boolean {
  return existsSync(WORKER_FILE);
}

/** Default threads: one per core, at most one per column. */
export function defaultThreads(columns: number): number {
  return Math.max(1, Math.min(availableParallelism(), columns));
}


const arraysOf = (c: Column): Array<Float64Array | Int32Array> => [c.type === 'string' ? c.codes : c.values];

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(e: unknown): void;
}

/**
 * A fixed set of worker threads (or none: the calling thread) taking jobs from one queue.
 * `close()` terminates them; a pool that is not closed keeps the process alive.
 */
export class DriftPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ job: WorkerJob; transfer: ArrayBuffer[]; pending: Pending }> = [];
  private readonly running = new Map<Worker, Pending>();
  private nextId = 0;
  private failure: unknown;

  private readonly inProcess: boolean;

  /** `threads` ≤ 1, or no compiled worker program: jobs run on the calling thread. */
  constructor(threads: number) {
    this.inProcess = threads <= 1 || !workersAvailable();
    this.grow(threads);
  }

  /** Adds workers up to `threads` in all; a pool on the calling thread stays there. */
  grow(threads: number): void {
    if (this.inProcess) return;
    while (this.workers.length < threads) {
      const w = new Worker(WORKER_FILE);
      w.on('message', (reply: WorkerReply) => {
        const p = this.running.get(w);
        this.running.delete(w);
        this.idle.push(w);
        p?.resolve(reply);
        this.pump();
      });
      w.once('error', (e) => this.fail(w, e));
      w.once('exit', (code) => {
        if (this.running.has(w)) this.fail(w, new HangarError('INTERNAL_ERROR', `A drift worker thread exited (code ${code}) before finishing`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
    this.pump();
  }

  /** Worker threads in the pool (0: the calling thread does the work). */
  get threads(): number {
    return this.workers.length;
  }

  private fail(w: Worker, e: unknown): void {
    this.failure ??= e;
    const p = this.running.get(w);
    this.running.delete(w);
    p?.reject(e);
    for (const q of this.queue.splice(0)) q.pending.reject(e);
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const { job, transfer, pending } = this.queue.shift()!;
      this.running.set(w, pending);
      w.postMessage(job, transfer);
    }
  }

  private submit(job: WorkerJob, transfer: ArrayBuffer[]): Promise<WorkerReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<WorkerReply>((resolve, reject) => {
      this.queue.push({ job, transfer, pending: { resolve, reject } });
      this.pump();
    });
  }

  /** Reads one CSV file (see `scanCsv`), on a worker when the pool has any. */
  async scan(spec: CsvScanSpec): Promise<CsvScanResult> {
    if (this.workers.length === 0) return scanCsv(spec);
    const reply = await this.submit({ type: 'scan', id: this.nextId++, spec }, []);
    if ('scan' in reply) return reply.scan;
    throw errorOf(reply);
  }

  /**
   * Analyses every job and resolves with the results in job order; `onDone` is called as each
   * column finishes. On workers the columns' arrays are transferred and unusable afterwards.
   */
  async analyse(jobs: Array<Omit<ColumnJob, 'id'>>, onDone?: (done: number, total: number) => void): Promise<ColumnAnalysis[]> {
    const results = new Array<ColumnAnalysis>(jobs.length);
    let done = 0;
    if (this.workers.length === 0) {
      for (const [i, j] of jobs.entries()) {
        results[i] = analyseColumn(j.ref, j.cur, j.options);
        onDone?.(++done, jobs.length);
        // Let progress output and signals through between columns.
        await new Promise((r) => setImmediate(r));
      }
      return results;
    }
    // Largest columns first, so the last one to finish is small.
    const size = (j: Omit<ColumnJob, 'id'>): number => (j.ref.type === 'string' ? j.ref.codes.length : j.ref.values.length * 4);
    const order = jobs.map((_, i) => i).sort((a, b) => size(jobs[b]!) - size(jobs[a]!));
    await Promise.all(
      order.map(async (i) => {
        const j = jobs[i]!;
        const reply = await this.submit({ type: 'column', id: i, ...j }, transferList([...arraysOf(j.ref), ...arraysOf(j.cur)]));
        if (!('result' in reply)) throw errorOf(reply);
        results[i] = reply.result;
        onDone?.(++done, jobs.length);
      }),
    );
    return results;
  }

  /** Terminates the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function errorOf(reply: WorkerReply): HangarError {
  if (!('error' in reply)) return new HangarError('INTERNAL_ERROR', 'A drift worker answered a different job');
  const code = reply.error.code as ErrorCode;
  return new HangarError(code, reply.error.message, reply.error.field === undefined ? undefined : { field: reply.error.field });
}

/**
 * Analyses every job on a pool of its own (see `DriftPool.analyse`) and closes it.
 * `threads`: default one per core, at most one per column.
 */
export async function analyseColumns(
  jobs: Array<Omit<ColumnJob, 'id'>>,
  options: { threads?: number; onDone?: (done: number, total: number) => void } = {},
): Promise<ColumnAnalysis[]> {
  const pool = new DriftPool(Math.min(options.threads ?? defaultThreads(jobs.length), jobs.length));
  try {
    return await pool.analyse(jobs, options.onDone);
  } finally {
    await pool.close();
  }
}
