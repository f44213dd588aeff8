/**
 * One scoring process: the models it follows (champion, optional challenger for a traffic
 * split, optional shadow), the inference log, retention on a timer, and the HTTP server.
 * `hangar serve` runs one of these per process (per cluster worker with `--workers`).
 */
import { basename, resolve } from 'node:path';
import { HangarClient, InferenceClient, parseModelUri } from '../client/index.js';
import { HangarError } from '../core/errors.js';
import { ModelFollower, localModel } from './follower.js';
import { restIndex } from './inference-files.js';
import { InferenceLog } from './inference-log.js';
import { UploadingIndex, restPublisher } from './log-publish.js';
import { ServingMetrics } from './metrics.js';
import type { ServingModel } from './model.js';
import { startScoringServer, type ModelSlot, type ScoringServer } from './server.js';

const REMOTE = /^(models|runs):\//;
const DAY_MS = 86_400_000;

export interface ServeOptions {
  /** `models:/NAME@ALIAS`, `models:/NAME/STAGE`, `models:/NAME/VERSION`, `runs:/…`, or a local package directory. */
  modelUri: string;
  /** The tracking server (registry, log index). */
  trackingUri: string;
  /** Bearer token for the tracking server. */
  token?: string | undefined;
  host: string;
  port: number;
  /** Registry poll interval in ms (0: never). Default 10,000. */
  pollMs?: number;
  /** `{target, percent}`: send percent % of requests to the model at `target` (an alias, a stage or a URI). */
  split?: { target: string; percent: number };
  /** Score every request with the model at this target too (an alias, a stage or a URI); logged, not returned. */
  shadow?: string;
  /** Log name for a local package directory (default: the directory's name). */
  modelName?: string;
  /**
   * The inference log; false disables it. `root`: where files are written (default: the
   * server's log root when it is on local disk; with a remote log, `./.hangar/inference-spool`,
   * where files wait until they are uploaded and indexed).
   */
  inferenceLog?: false | { root?: string; capacity?: number; flushRows?: number; flushIntervalMs?: number; retentionDays?: number };
  /** Distinguishes file names of cluster workers. */
  writerId?: number;
  /** Most rows per request. */
  maxRows?: number;
  /** A request column holding each row's event time (see `ScoringServerOptions.eventTimeColumn`). */
  eventTimeColumn?: string;
  /** Largest body in bytes. */
  bodyLimitBytes?: number;
  /** Warm-up requests per model load. */
  warmup?: number;
  /** Old models stay open this long after a swap (ms). */
  graceMs?: number;
  /** Log lines. */
  log?: (line: string) => void;
}

/** A running scoring process. */
export interface RunningServe {
  /** `http://host:port`. */
  url: string;
  port: number;
  /** The champion slot (its current model). */
  primary: ModelSlot;
  /** The inference log, unless disabled. */
  inferenceLog: InferenceLog | undefined;
  metrics: ServingMetrics;
  /** Stop: close the server (requests in flight finish), flush the log, release the models. */
  close(): Promise<void>;
}

/** The URI of a split or shadow target: an alias or stage of the served model, or a URI as given. */
export function targetUri(modelUri: string, target: string): string {
  if (REMOTE.test(target)) return target;
  const parsed = parseModelUri(modelUri);
  if (!('name' in parsed) || typeof parsed.name !== 'string') {
    throw new HangarError('INVALID_PARAMETER_VALUE', `'${target}' names an alias or stage, which needs a registered model URI to serve (models:/NAME…); give a full models:/ URI instead.`, { field: 'split' });
  }
  const stage = ['staging', 'production', 'archived', 'none'].includes(target.toLowerCase());
  return stage ? `models:/${parsed.name}/${target}` : `models:/${parsed.name}@${target}`;
}

function fixedSlot(model: ServingModel): ModelSlot & { stop(): Promise<void> } {
  return { current: model, stop: () => model.close() };
}

/** Start a scoring process. Throws (releasing what it started) when the model cannot be loaded or the port is taken. */
export async function startServe(o: ServeOptions): Promise<RunningServe> {
  const client = new HangarClient({ trackingUri: o.trackingUri, token: o.token, maxRetries: 2, backoffMs: 250, timeoutMs: 120_000 });
  const inference = new InferenceClient({ trackingUri: o.trackingUri, token: o.token, maxRetries: 2, backoffMs: 250 });
  const metrics = new ServingMetrics();
  const stops: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const follow = async (uri: string, role: string): Promise<ModelSlot> => {
      let slot: ModelSlot & { stop(): Promise<void> };
      if (REMOTE.test(uri)) {
        const f = new ModelFollower(client, uri, {
          pollMs: o.pollMs ?? 10_000,
          ...(o.graceMs === undefined ? {} : { graceMs: o.graceMs }),
          ...(o.warmup === undefined ? {} : { warmup: o.warmup }),
          log: o.log,
          onSwap: (next, prev) => {
            if (prev !== undefined) {
              metrics.modelInfo.remove({ model: prev.name, version: prev.version, flavor: prev.flavor, role });
              metrics.swaps.inc({ model: next.name });
            }
            metrics.modelInfo.set({ model: next.name, version: next.version, flavor: next.flavor, role }, 1);
          },
        });
        await f.start();
        slot = f;
      } else {
        const dir = resolve(uri.startsWith('file://') ? new URL(uri).pathname : uri);
        const model = await localModel(dir, o.modelName ?? basename(dir), o.warmup);
        metrics.modelInfo.set({ model: model.name, version: model.version, flavor: model.flavor, role }, 1);
        slot = fixedSlot(model);
      }
      stops.push(() => slot.stop());
      return slot;
    };

    const primary = await follow(o.modelUri, 'champion');
    const split = o.split === undefined ? undefined : { slot: await follow(targetUri(o.modelUri, o.split.target), 'split'), percent: o.split.percent };
    const shadow = o.shadow === undefined ? undefined : await follow(targetUri(o.modelUri, o.shadow), 'shadow');

    let log: InferenceLog | undefined;
    if (o.inferenceLog !== false) {
      const l = o.inferenceLog ?? {};
      const cfg = await inference.config();
      // A remote log (the server's artifact root is s3://…): files are spooled here, uploaded
      // through the server, indexed by their URI, then removed from the spool.
      const root = l.root ?? (cfg.logUri === undefined ? cfg.logRoot : resolve('.hangar', 'inference-spool'));
      const uploading =
        cfg.logUri === undefined
          ? undefined
          : new UploadingIndex({
              root,
              publisher: restPublisher(inference, cfg.logUri),
              index: restIndex(inference),
              writerId: o.writerId ?? 0,
              log: o.log,
              onUploadFailure: (n) => metrics.uploadFailures.inc(n),
              onWaiting: (rows) => metrics.waitingRows.set(rows),
            });
      // Files an earlier process left in the spool go up now, not at the first flush.
      uploading?.resume().catch((e: unknown) => o.log?.(`inference log: could not upload files left in ${root} (will retry at the next flush): ${(e as Error).message}`));
      const index = uploading ?? restIndex(inference);
      log = new InferenceLog({
        root,
        index,
        ...(l.capacity === undefined ? {} : { capacity: l.capacity }),
        ...(l.flushRows === undefined ? {} : { flushRows: l.flushRows }),
        ...(l.flushIntervalMs === undefined ? {} : { flushIntervalMs: l.flushIntervalMs }),
        writerId: o.writerId ?? 0,
        log: o.log,
        onDrop: (n) => metrics.droppedRows.inc(n),
        onWritten: (n) => metrics.writtenRows.inc(n),
      });
      const opened = log;
      stops.push(() => opened.close());
      if (l.retentionDays !== undefined) {
        const days = l.retentionDays;
        const name = primary.current!.name;
        const prune = (): void => {
          inference
            .prune({ olderThanDays: days, model: name })
            .then((r) => {
              if (r.files > 0) o.log?.(`inference log: retention removed ${r.files} files (${r.rows} rows) older than ${days} days`);
            })
            .catch((e: unknown) => o.log?.(`inference log: retention failed: ${(e as Error).message}`));
        };
        prune();
        // Hourly (or more often for a retention under an hour), never in a tight loop.
        const timer = setInterval(prune, Math.max(60_000, Math.min(DAY_MS / 24, days * DAY_MS)));
        timer.unref();
        stops.push(async () => clearInterval(timer));
      }
    }

    const server: ScoringServer = await startScoringServer({
      host: o.host,
      port: o.port,
      primary,
      ...(split === undefined ? {} : { split }),
      ...(shadow === undefined ? {} : { shadow }),
      ...(log === undefined ? {} : { log }),
      metrics,
      ...(o.maxRows === undefined ? {} : { maxRows: o.maxRows }),
      ...(o.eventTimeColumn === undefined ? {} : { eventTimeColumn: o.eventTimeColumn }),
      ...(o.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: o.bodyLimitBytes }),
      logLine: o.log,
    });
    // Closed first on the way out: no new requests, in-flight ones finish, then the log flushes.
    stops.push(() => server.close());
    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      primary,
      inferenceLog: log,
      metrics,
      close: () => (closing ??= cleanup()),
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
