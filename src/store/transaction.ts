import type { Transaction } from 'kysely';
import { HangarError, isHangarError } from '../core/errors.js';
import type { Engine } from './dialects/engine.js';
import type { Database } from './schema.js';

/** How long a transaction keeps retrying transient lock conflicts before giving up. */
const RETRY_BUDGET_MS = 15_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Run `fn` in one transaction on `engine`: read-only for `read`, and for `write` resolved only
 * once the write is durable (SQLite commits writes in groups). Transient conflicts (a SQLite
 * file locked by another process, a PostgreSQL deadlock or serialization failure) roll the
 * whole transaction back, so it is run again; waiting here, not in the driver, keeps the event
 * loop free. Driver errors come out as HangarErrors without SQL text.
 */
export async function inTransaction<T>(engine: Engine, mode: 'read' | 'write', fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const deadline = Date.now() + RETRY_BUDGET_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      if (mode === 'read') return await engine.db.transaction().setAccessMode('read only').execute(fn);
      let durable: Promise<void> | null = null;
      const result = await engine.db.transaction().execute(async (trx) => {
        const value = await fn(trx);
        durable = engine.commitWaiter();
        return value;
      });
      if (durable !== null) await durable;
      return result;
    } catch (e) {
      if (isHangarError(e)) throw e;
      if (engine.isRetryable(e) && Date.now() < deadline) {
        await sleep(Math.min(2 ** attempt, 100) + Math.random() * 5);
        continue;
      }
      throw translateStoreError(engine, e);
    }
  }
}

/** A driver error as a HangarError: the engine's translation, else INTERNAL_ERROR with the cause kept. */
export function translateStoreError(engine: Engine, e: unknown): HangarError {
  return engine.translateError(e) ?? new HangarError('INTERNAL_ERROR', 'The metadata store failed.', { cause: e });
}
