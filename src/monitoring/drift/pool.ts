import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HangarError, type ErrorCode } from '../../core/errors.js';
import type { Column } from '../../data/index.js';
import type { ColumnDriftOptions } from '../stats/index.js';
import { analyseColumn, type ColumnAnalysis } from './column-task.js';

/**
 * Spreads columns over worker threads: each column's arrays are transferred (not copied) to a
 * worker, which sorts them once and returns the statistics and chart data. The worker program
 * is the compiled `column-worker.js` beside this file; when it is absent (the TypeScript
 * sources under a test runner) or threads = 1, columns run on the calling thread instead.
 */

/** A column sent to a worker. */
export interface ColumnJob {
  id: number;
  ref: Column;
  cur: Column;
  options: ColumnDriftOptions;
}

/** A worker's answer. */
export type ColumnReply = { id: number; result: ColumnAnalysis } | { id: number; error: { code: string; message: string; field?: string | undefined } };

const WORKER_FILE = fileURLToPath(new URL('./column-worker.js', import.meta.url));

/** True when the compiled worker program exists, so columns can run on worker threads. */
export function workersAvailable(): boolean {
  return existsSync(WORKER_FILE);
}

/** Default threads: one per core, at most one per column. */
export function defaultThreads(columns: number): number {
  return Math.max(1, Math.min(availableParallelism(), columns));
}

function buffersOf(c: Column): ArrayBuffer[] {
  const a = c.type === 'string' ? c.codes : c.values;
  return a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? [a.buffer] : [];
}

/**
 * Analyses every job and resolves with the results in job order; `onDone` is called as each
 * column finishes. The columns' arrays are transferred to the workers and unusable afterwards.
 */
export async function analyseColumns(
  jobs: Array<Omit<ColumnJob, 'id'>>,
  options: { threads?: number; onDone?: (done: number, total: number) => void } = {},
): Promise<ColumnAnalysis[]> {
  const threads = Math.min(options.threads ?? defaultThreads(jobs.length), jobs.length);
  const results: ColumnAnalysis[] = new Array<ColumnAnalysis>(jobs.length);
  let done = 0;
  if (threads <= 1 || !workersAvailable()) {
    for (const [i, j] of jobs.entries()) {
      results[i] = analyseColumn(j.ref, j.cur, j.options);
      options.onDone?.(++done, jobs.length);
      // Let progress output and signals through between columns.
      await new Promise((r) => setImmediate(r));
    }
    return results;
  }
  // Largest columns first, so the last one to finish is small.
  const size = (j: Omit<ColumnJob, 'id'>): number => (j.ref.type === 'string' ? j.ref.codes.length : j.ref.values.length * 4);
  const queue = jobs.map((j, id) => ({ ...j, id })).sort((a, b) => size(b) - size(a));
  const workers = Array.from({ length: threads }, () => new Worker(WORKER_FILE));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const next = (): void => {
              const job = queue.shift();
              if (!job) {
                resolve();
                return;
              }
              w.postMessage(job, [...buffersOf(job.ref), ...buffersOf(job.cur)]);
            };
            w.on('message', (reply: ColumnReply) => {
              if ('error' in reply) {
                const code = reply.error.code as ErrorCode;
                reject(new HangarError(code, reply.error.message, reply.error.field === undefined ? undefined : { field: reply.error.field }));
                return;
              }
              results[reply.id] = reply.result;
              options.onDone?.(++done, jobs.length);
              next();
            });
            w.once('error', reject);
            w.once('exit', (code) => {
              if (queue.length > 0 || done < jobs.length) reject(new HangarError('INTERNAL_ERROR', `A drift worker thread exited (code ${code}) before finishing`));
            });
            next();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
