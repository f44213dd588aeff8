/**
 * Open the online store a configuration names. The `type` picks the adapter; each adapter's
 * driver is imported only when its type is used, so the embedded SQLite default never loads
 * `ioredis` or `pg`.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HangarError, invalidParam } from '../../core/errors.js';
import { redactUrl, type OnlineStore } from './port.js';

/** The online store's configuration (the `onlineStore` key of the server configuration). */
export interface OnlineStoreConfig {
  /** `sqlite` (default), `redis` or `postgres`. */
  type: string;
  /**
   * Where the store lives: a file path or `sqlite:///path` for SQLite (default: `online.db`
   * next to the SQLite metadata database, or in the Hangar home), `redis://host:port/db`,
   * `postgresql://user@host/db`. Required for Redis and PostgreSQL.
   */
  url?: string | undefined;
  /** Prefix of Redis keys (default `hangar:online:`) or PostgreSQL tables (default `hangar_online_`). */
  keyPrefix?: string | undefined;
}

/** Where the default SQLite online store goes, given the server's home and metadata store. */
export interface OnlineStoreDefaults {
  /** The Hangar home directory. */
  home: string;
  /** The metadata store URI: a SQLite one puts the online store in the same directory. */
  backendStoreUri?: string;
}

type Opener = (config: OnlineStoreConfig, defaults: OnlineStoreDefaults) => Promise<OnlineStore>;

const ADAPTERS: Record<string, Opener> = {
  sqlite: async (config, defaults) => (await import('./sqlite-online.js')).openSqliteOnlineStore(sqlitePath(config.url, defaults)),
  redis: async (config) => (await import('./redis-online.js')).openRedisOnlineStore({ url: requireUrl(config, ['redis://', 'rediss://']), ...(config.keyPrefix === undefined ? {} : { keyPrefix: config.keyPrefix }) }),
  postgres: async (config) =>
    (await import('./postgres-online.js')).openPostgresOnlineStore({ url: requireUrl(config, ['postgresql://', 'postgres://']), ...(config.keyPrefix === undefined ? {} : { tablePrefix: config.keyPrefix }) }),
};

/** The adapter types `openOnlineStore` knows. */
export const ONLINE_STORE_TYPES: readonly string[] = Object.keys(ADAPTERS);

/**
 * Open the online store. INVALID_PARAMETER_VALUE for an unknown type (listing the known ones)
 * or a missing/mismatched URL; TEMPORARILY_UNAVAILABLE when a server does not answer.
 */
export async function openOnlineStore(config: OnlineStoreConfig, defaults: OnlineStoreDefaults): Promise<OnlineStore> {
  const open = Object.hasOwn(ADAPTERS, config.type) ? ADAPTERS[config.type] : undefined;
  if (open === undefined) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Unknown online store type '${config.type}'. Known types: ${ONLINE_STORE_TYPES.join(', ')}.`, { field: 'onlineStore.type' });
  }
  return open(config, defaults);
}

/**
 * The configuration a URI implies: `redis://…` → Redis, `postgresql://…` → PostgreSQL,
 * `sqlite:///path` or a plain path → SQLite. For the CLI's `--online-store` flag.
 */
export function onlineStoreConfigFromUri(uri: string): OnlineStoreConfig {
  if (/^rediss?:\/\//i.test(uri)) return { type: 'redis', url: uri };
  if (/^postgres(ql)?:\/\//i.test(uri)) return { type: 'postgres', url: uri };
  if (/^sqlite:\/\//i.test(uri) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return { type: 'sqlite', url: uri };
  throw invalidParam(`Unsupported online store URI '${uri}'. Known forms: a file path, sqlite:///path, redis://host:port, postgresql://user@host/db.`, 'onlineStore');
}

/**
 * Where the store lives, for people: the SQLite file it resolves to (`sqlite /abs/online.db`),
 * or the server URL with any password hidden (`redis redis://***@host:6379`).
 */
export function describeOnlineStore(config: OnlineStoreConfig, defaults: OnlineStoreDefaults): string {
  if (config.type === 'sqlite') return `sqlite ${sqlitePath(config.url, defaults)}`;
  const url = config.url ?? '';
  return `${config.type} ${redactUrl(url)}`;
}

function sqlitePath(url: string | undefined, defaults: OnlineStoreDefaults): string {
  if (url !== undefined && url !== '') {
    if (url === 'sqlite://:memory:' || url === ':memory:') return ':memory:';
    if (/^sqlite:\/\//i.test(url)) return resolve(url.replace(/^sqlite:\/\/\/?/i, '/').replace(/^\/\//, '/'));
    if (/^file:\/\//i.test(url)) return fileURLToPath(url);
    return resolve(url);
  }
  const backend = defaults.backendStoreUri;
  if (backend !== undefined && /^sqlite:\/\/\/.+/i.test(backend) && !backend.includes(':memory:')) {
    return join(dirname(resolve(backend.replace(/^sqlite:\/\/\/?/i, '/').replace(/^\/\//, '/'))), 'online.db');
  }
  return join(resolve(defaults.home), 'online.db');
}

function requireUrl(config: OnlineStoreConfig, schemes: readonly string[]): string {
  const url = config.url;
  if (url === undefined || url === '') throw invalidParam(`The ${config.type} online store needs a URL (onlineStore.url).`, 'onlineStore.url');
  if (!schemes.some((s) => url.toLowerCase().startsWith(s))) {
    throw invalidParam(`The ${config.type} online store URL must start with ${schemes.join(' or ')}; got '${redactUrl(url)}'.`, 'onlineStore.url');
  }
  return url;
}
