/**
 * Following a model URI: `models:/name@champion` or `models:/name/Production` moves when the
 * registry moves it. The follower polls the registry (and checks at once when told to, e.g. by
 * a registry webhook calling `POST /hangar/refresh`), loads and warms the new version aside,
 * then swaps it in with one assignment. Requests in flight keep the model they started with;
 * the old one is closed after a grace period, so no request is dropped or fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HangarClient, ResolvedModel } from '../client/index.js';
import { parseModelUri } from '../client/index.js';
import { HangarError } from '../core/errors.js';
import { loadServingModel, type ServingModel } from './model.js';

/** Where models come from: a registry through the SDK. */
export interface FollowerOptions {
  /** How often to ask the registry, in ms; 0 = never (fixed versions). Default 10,000. */
  pollMs?: number;
  /** How long an old model stays open after a swap, in ms, for requests still using it. Default 10,000. */
  graceMs?: number;
  /** Warm-up requests before a model takes traffic (see `LoadServingOptions.warmup`). Default 20,000. */
  warmup?: number;
  /** Log lines (swaps, failed checks). */
  log?: (line: string) => void;
  /** Called after each swap with the new and the old model. */
  onSwap?: (next: ServingModel, previous: ServingModel | undefined) => void;
}

/** True when the URI's target can move (an alias, a stage, `latest`). */
export function isMovingUri(uri: string): boolean {
  const parsed = parseModelUri(uri);
  return parsed.kind === 'alias' || parsed.kind === 'stage' || parsed.kind === 'latest';
}

/** Holds the current model of one URI and swaps it when the registry moves. */
export class ModelFollower {
  readonly uri: string;
  readonly #client: HangarClient;
  readonly #o: Required<Omit<FollowerOptions, 'log' | 'onSwap'>> & Pick<FollowerOptions, 'log' | 'onSwap'>;
  #current: ServingModel | undefined;
  #dirs = new Map<ServingModel, string>();
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<boolean> | undefined;
  #closing = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(client: HangarClient, uri: string, options: FollowerOptions = {}) {
    this.uri = uri;
    this.#client = client;
    this.#o = { pollMs: 10_000, graceMs: 10_000, warmup: 20_000, ...options };
  }

  /** The model serving now; undefined before `start()` finished. */
  get current(): ServingModel | undefined {
    return this.#current;
  }

  /** Load the model the URI points at now, then poll when the URI can move. Throws when the first load fails. */
  async start(): Promise<ServingModel> {
    await this.check();
    if (this.#current === undefined) throw new HangarError('INVALID_STATE', `No model loaded for ${this.uri}.`);
    if (this.#o.pollMs > 0 && isMovingUri(this.uri)) {
      this.#timer = setInterval(() => void this.check().catch(() => undefined), this.#o.pollMs);
      this.#timer.unref();
    }
    return this.#current;
  }

  /**
   * Ask the registry where the URI points; when the version changed, load and warm it, then
   * swap. Resolves true when a swap happened. Concurrent calls share one check. A failure after
   * the first load is logged and the current model keeps serving.
   */
  check(): Promise<boolean> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<boolean> {
    let resolved: ResolvedModel;
    try {
      resolved = await this.#client.resolveModelUri(this.uri);
    } catch (e) {
      if (this.#current === undefined) throw e;
      this.#o.log?.(`serve: could not resolve ${this.uri} (still serving version ${this.#current.version}): ${(e as Error).message}`);
      return false;
    }
    const version = resolved.modelVersion?.version ?? resolved.loggedModel?.modelId ?? resolved.runId ?? resolved.artifactUri;
    const name = resolved.modelVersion?.name ?? resolved.loggedModel?.name ?? nameOf(this.uri);
    if (this.#current !== undefined && this.#current.version === String(version)) return false;
    let next: ServingModel;
    const dir = await mkdtemp(join(tmpdir(), 'hangar-serve-'));
    try {
      await this.#client.downloadArtifacts(resolved.artifactUri, '', dir);
      next = await loadServingModel(dir, { name, version: String(version), warmup: this.#o.warmup });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      if (this.#current === undefined) throw e;
      this.#o.log?.(`serve: could not load ${name} version ${version} (still serving version ${this.#current.version}): ${(e as Error).message}`);
      return false;
    }
    if (this.#stopped) {
      await this.#release(next);
      return false;
    }
    this.#dirs.set(next, dir);
    const previous = this.#current;
    // The swap: one assignment, after the new model is loaded and warm.
    this.#current = next;
    this.#o.onSwap?.(next, previous);
    if (previous !== undefined) {
      this.#o.log?.(`serve: ${this.uri} moved from version ${previous.version} to ${next.version}; swapped`);
      const t = setTimeout(() => {
        this.#closing.delete(t);
        void this.#release(previous);
      }, this.#o.graceMs);
      t.unref();
      this.#closing.add(t);
    }
    return true;
  }

  async #release(model: ServingModel): Promise<void> {
    await model.close().catch(() => undefined);
    const dir = this.#dirs.get(model);
    this.#dirs.delete(model);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }

  /** Stop polling and release every model (after in-flight requests are done: call it last). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#checking?.catch(() => undefined);
    for (const t of this.#closing) clearTimeout(t);
    this.#closing.clear();
    const models = [...this.#dirs.keys()];
    if (this.#current !== undefined && !this.#dirs.has(this.#current)) models.push(this.#current);
    await Promise.all(models.map((m) => this.#release(m)));
    this.#current = undefined;
  }
}

/** A fixed model (a local package directory): same interface, never moves. */
export async function localModel(dir: string, name: string, warmup?: number): Promise<ServingModel> {
  return loadServingModel(dir, { name, version: 'local', ...(warmup === undefined ? {} : { warmup }) });
}

function nameOf(uri: string): string {
  const p = parseModelUri(uri);
  return 'name' in p && typeof p.name === 'string' ? p.name : uri;
}
