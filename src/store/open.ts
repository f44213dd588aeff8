/**
 * Open the metadata store a URI names. The scheme picks the engine; each engine's driver is
 * imported only when its scheme is used, so the embedded SQLite default never loads `pg`.
 */
import { HangarError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Engine } from './dialects/engine.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './port.js';

export interface OpenStoreOptions {
  /** Root under which new experiments get `<root>/<experimentId>` as their artifact location. */
  defaultArtifactRoot: string;
  /**
   * Apply pending migrations (and create the Default experiment) before returning. Default
   * false: a server checks `schemaStatus()` and refuses an old schema instead.
   */
  migrate?: boolean;
  /** Time source for every timestamp the store sets. Default: the system clock. */
  clock?: Clock;
}

const SCHEMES: Record<string, (uri: string) => Promise<Engine>> = {
  sqlite: async (uri) => (await import('./dialects/sqlite.js')).createSqliteEngine(uri),
  postgresql: async (uri) => (await import('./dialects/postgres.js')).createPostgresEngine(uri),
  postgres: async (uri) => (await import('./dialects/postgres.js')).createPostgresEngine(uri),
};

/** The URI schemes `openStore` accepts. */
export const STORE_SCHEMES: readonly string[] = Object.keys(SCHEMES);

/**
 * Open `sqlite:///abs/path.db` (also `sqlite:////abs/path.db` and `sqlite://:memory:`),
 * `postgresql://…` or `postgres://…`. An unknown scheme throws INVALID_PARAMETER_VALUE naming
 * the known ones.
 */
export async function openStore(uri: string, options: OpenStoreOptions): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  const create = scheme === undefined ? undefined : SCHEMES[scheme];
  if (create === undefined) {
    throw new HangarError(
      'INVALID_PARAMETER_VALUE',
      `Unsupported backend store URI '${redact(uri)}'. Known schemes: ${STORE_SCHEMES.map((s) => `${s}://`).join(', ')}.`,
      { field: 'backendStoreUri' },
    );
  }
  const engine = await create(uri);
  const store = new KyselyStore(engine, options);
  if (options.migrate === true) {
    try {
      await store.migrate();
    } catch (e) {
      await store.close();
      throw e;
    }
  }
  return store;
}

/** Drop a password from a URI before it goes into an error message. */
function redact(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
