import { parentPort } from 'node:worker_threads';
import { isHangarError } from '../../core/errors.js';
import { analyseColumn } from './column-task.js';
import { scanCsv, scanTransferList } from './csv-scan.js';
import type { WorkerJob, WorkerReply } from './pool.js';

/**
 * A drift worker thread: reads the CSV files and analyses the columns the pool sends, one
 * message each. Scanned columns go back transferred, not copied. Errors go back as data (code,
 * message, field) so the pool rethrows them as the same HangarError.
 */
const port = parentPort;
if (port) {
  port.on('message', (job: WorkerJob) => {
    let reply: WorkerReply;
    let transfer: ArrayBuffer[] = [];
    try {
      if (job.type === 'scan') {
        const scan = scanCsv(job.spec);
        transfer = scanTransferList(scan);
        reply = { id: job.id, scan };
      } else reply = { id: job.id, result: analyseColumn(job.ref, job.cur, job.options, true) };
    } catch (e) {
      reply = isHangarError(e)
        ? { id: job.id, error: { code: e.code, message: e.message, field: e.field } }
        : { id: job.id, error: { code: 'INTERNAL_ERROR', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } };
    }
    port.postMessage(reply, transfer);
  });
}
