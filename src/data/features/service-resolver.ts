/**
 * Resolving a feature service's name to its feature references for online look-ups: the
 * `resolveFeatureService` hook of `OnlineFeatures`, used by the tracking server's look-up route
 * and by the feature server of `hangar online serve`. It reads the metadata store through the
 * Store port only (no DuckDB, no artifact store), so the feature server stays lean.
 */
import { existsSync } from 'node:fs';
import { HangarError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { FeatureStore } from '../../store/features-store.js';
import { sqlitePath } from '../../store/dialects/sqlite.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/port.js';
import type { FeatureServiceSpec } from './spec.js';

/** The schema version that added feature services (migration 0009). */
export const FEATURE_SERVICES_SCHEMA_VERSION = 9;

/** Options of {@link featureServiceResolver}. */
export interface FeatureServiceResolverOptions {
  /** How long a resolution (found or not) is reused, ms. Default 1000, as the look-up's `metaTtlMs`. */
  ttlMs?: number;
  /** Time source of the cache. Default the system clock. */
  clock?: Clock;
}

/** Resolves a service name to its references, or undefined when there is no such service. */
export type FeatureServiceResolve = (name: string) => Promise<readonly string[] | undefined>;

/**
 * The `resolveFeatureService` hook of `OnlineFeatures`. `open` gives the metadata store to read
 * (null: there is no metadata database, so no services); it is called on the first resolution,
 * not before, so a server that never sees a `feature_service` never opens it, and again after a
 * failed open. Answers, found or not, are reused for `ttlMs`; concurrent resolutions of one name
 * share one read; a failed read is not cached.
 */
export function featureServiceResolver(open: () => Promise<Store | null> | Store | null, options: FeatureServiceResolverOptions = {}): FeatureServiceResolve {
  const ttl = options.ttlMs ?? 1000;
  const clock = options.clock ?? systemClock;
  let store: Promise<FeatureStore | null> | undefined;
  const cache = new Map<string, { at: number; refs: Promise<readonly string[] | undefined> }>();
  return (name) => {
    const now = clock.now();
    const hit = cache.get(name);
    if (hit !== undefined && now - hit.at < ttl) return hit.refs;
    store ??= Promise.resolve()
      .then(open)
      .then((s) => (s === null ? null : FeatureStore.for(s)))
      .catch((e: unknown) => {
        store = undefined;
        throw e;
      });
    const refs = store.then(async (fs) => {
      const record = fs === null ? null : await fs.findService(name);
      return record === null ? undefined : (JSON.parse(record.specJson) as FeatureServiceSpec).features;
    });
    if (cache.size >= 1024) cache.clear();
    cache.set(name, { at: now, refs });
    refs.catch(() => {
      if (cache.get(name)?.refs === refs) cache.delete(name);
    });
    return refs;
  };
}

/** A resolver over a metadata store it opens itself, and how to close that store. */
export interface MetadataServiceResolver {
  resolve: FeatureServiceResolve;
  /** Close the metadata store if it was opened. */
  close(): Promise<void>;
}

/**
 * A resolver for a process apart from the tracking server (`hangar online serve`): it opens the
 * metadata store at `backendStoreUri` on the first resolution and only reads it. It never
 * migrates: a SQLite file that does not exist, or a database never migrated, has no services
 * (the look-up answers "No feature service named …"); a schema older than migration 0009
 * fails with SCHEMA_OUT_OF_DATE naming `hangar db upgrade`.
 */
export function metadataServiceResolver(backendStoreUri: string, options: FeatureServiceResolverOptions = {}): MetadataServiceResolver {
  let opened: Store | undefined;
  let closed = false;
  const resolve = featureServiceResolver(async () => {
    // Opening a missing SQLite file would create it; a feature server only reads.
    if (/^sqlite:/i.test(backendStoreUri)) {
      const file = sqlitePath(backendStoreUri);
      if (file !== ':memory:' && !existsSync(file)) return null;
    }
    const store = await openStore(backendStoreUri, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: false });
    try {
      const { current } = await store.schemaStatus();
      if (current === 0) {
        await store.close();
        return null;
      }
      if (current < FEATURE_SERVICES_SCHEMA_VERSION) {
        throw new HangarError(
          'SCHEMA_OUT_OF_DATE',
          `The metadata database is at schema version ${current}; feature services need version ${FEATURE_SERVICES_SCHEMA_VERSION}. Back up the database, then run \`hangar db upgrade\`.`,
          { field: 'feature_service' },
        );
      }
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e;
    }
    if (closed) {
      await store.close();
      return null;
    }
    opened = store;
    return store;
  }, options);
  return {
    resolve,
    async close() {
      closed = true;
      await opened?.close();
      opened = undefined;
    },
  };
}
