/**
 * The scheduler the tracking server keeps: every tick it asks the metadata store for ACTIVE
 * monitors whose next run is due and runs them one at a time, in process. The next due time is
 * written before a run starts, so a run that crashes the process is not retried in a loop; a run
 * that fails is recorded as FAILED by the service and the scheduler carries on.
 *
 * Runs carry their server's lease (migration 0008): the scheduler reclaims (marks FAILED) only
 * RUNNING runs whose lease expired — at start and on every tick — so several server processes
 * on one database never fail each other's runs in progress.
 */
import type { MonitorService } from './service.js';

export interface SchedulerOptions {
  /** Time between checks for due monitors, ms. Default 15 000. */
  tickMs?: number;
  log?: (message: string, detail?: unknown) => void;
  now?: () => number;
}

export class MonitorScheduler {
  readonly #service: MonitorService;
  readonly #tickMs: number;
  readonly #log: (message: string, detail?: unknown) => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #current: Promise<void> | null = null;
  #stopped = false;

  constructor(service: MonitorService, options: SchedulerOptions = {}) {
    this.#service = service;
    this.#tickMs = options.tickMs ?? 15_000;
    this.#log = options.log ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  /** Start ticking; RUNNING runs whose owner's lease expired are marked FAILED first. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#reclaim();
    this.#timer = setInterval(() => void this.tick(), this.#tickMs);
    this.#timer.unref();
  }

  /** Run every due monitor now (skipped when a tick is still running). Resolves when done. */
  tick(): Promise<void> {
    if (this.#current !== null || this.#stopped) return this.#current ?? Promise.resolve();
    this.#current = this.#tick().finally(() => {
      this.#current = null;
    });
    return this.#current;
  }

  /** Fail the runs of servers that stopped (their lease expired); a live server's runs stay. */
  async #reclaim(): Promise<void> {
    const abandoned = await this.#service.monitoringStore.failAbandonedRuns('The server running it stopped: its lease expired before the run finished.');
    if (abandoned > 0) this.#log(`${abandoned} monitor run(s) of a stopped server (lease expired) marked FAILED`);
  }

  async #tick(): Promise<void> {
    try {
      await this.#reclaim();
      const due = await this.#service.monitoringStore.dueMonitors(this.#now());
      for (const record of due) {
        if (this.#stopped) return;
        try {
          const m = await this.#service.get(record.name);
          await this.#service.scheduleNext(m, this.#now());
          const run = await this.#service.run(m.name, 'SCHEDULE');
          if (run.status === 'FAILED') this.#log(`scheduled run of monitor ${m.name} failed: ${run.errorMessage ?? ''}`);
        } catch (e) {
          this.#log(`scheduling monitor ${record.name} failed`, e);
        }
      }
    } catch (e) {
      this.#log('checking for due monitors failed', e);
    }
  }

  /** Stop ticking and wait for the run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#current;
  }
}
