/**
 * The Redis online store (ioredis, loaded on first use): one hash per (table, entity key) with
 * one field per feature (the value as JSON) plus the event and created times; a look-up is one
 * pipelined HMGET per entity, so 100 entities cost one round trip. The timestamp guard runs in
 * a Lua script, so a stale row never replaces a newer one even with concurrent writers.
 *
 * Keys: `<prefix>r:<table>:<entity key>` for rows, `<prefix>m:<table>` for a table's state,
 * `<prefix>tables` for the set of table names. The prefix defaults to `hangar:online:`.
 */
import type { Redis as RedisClient } from 'ioredis';
import { HangarError, invalidParam, notFound } from '../../core/errors.js';
import type { FeatureTableSpec } from '../features/spec.js';
import { ONLINE_TABLE_NAME, type OnlineHit, type OnlineRow, type OnlineStore, type OnlineTableState, type OnlineValue } from './port.js';

export interface RedisOnlineOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** Prefix of every key this store writes. Default `hangar:online:`. */
  keyPrefix?: string;
}

/** Hash fields that are not features; features are identifiers, so `#` cannot clash. */
const TS = '#ts';
const CREATED = '#c';

// KEYS[1] = the row's hash; ARGV = event ts, created ts, then feature/value pairs.
// The stored row is replaced whole (DEL + HSET) so features dropped from the table disappear.
const UPSERT = `
local cur = redis.call('HMGET', KEYS[1], '${TS}', '${CREATED}')
if cur[1] then
  local ts, c = tonumber(cur[1]), tonumber(cur[2])
  local nts, nc = tonumber(ARGV[1]), tonumber(ARGV[2])
  if nts < ts or (nts == ts and nc < c) then return 0 end
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], '${TS}', ARGV[1], '${CREATED}', ARGV[2], unpack(ARGV, 3))
return 1`;

type UpsertClient = RedisClient & { hangarOnlineUpsert(key: string, ...args: string[]): Promise<number> };

/** Connect to Redis; TEMPORARILY_UNAVAILABLE when it does not answer. */
export async function openRedisOnlineStore(options: RedisOnlineOptions): Promise<OnlineStore> {
  const { Redis } = await import('ioredis');
  const client = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true }) as UpsertClient;
  client.on('error', () => {
    // Connection errors surface on the commands that fail; without a listener ioredis logs them.
  });
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw new HangarError('TEMPORARILY_UNAVAILABLE', `Cannot connect to the Redis online store at ${redactUrl(options.url)}: ${(e as Error).message}`, { cause: e });
  }
  client.defineCommand('hangarOnlineUpsert', { numberOfKeys: 1, lua: UPSERT });
  return new RedisOnlineStore(client, options.keyPrefix ?? 'hangar:online:');
}

class RedisOnlineStore implements OnlineStore {
  readonly type = 'redis';
  private closed = false;

  constructor(
    private readonly redis: UpsertClient,
    private readonly prefix: string,
  ) {}

  private rowPrefix(table: string): string {
    if (!ONLINE_TABLE_NAME.test(table)) throw invalidParam(`Invalid feature table name '${table}': use letters, digits and underscores.`, 'table');
    return `${this.prefix}r:${table}:`;
  }

  async registerTable(spec: FeatureTableSpec, now: number): Promise<void> {
    this.rowPrefix(spec.name);
    await this.redis.multi().hset(`${this.prefix}m:${spec.name}`, 'spec', JSON.stringify(spec), 'updated', String(now)).sadd(`${this.prefix}tables`, spec.name).exec();
  }

  async getTable(name: string): Promise<OnlineTableState | undefined> {
    const [spec, end, updated] = await this.redis.hmget(`${this.prefix}m:${name}`, 'spec', 'end', 'updated');
    return spec === null || spec === undefined ? undefined : toState(spec, end ?? null, updated ?? null);
  }

  async listTables(): Promise<OnlineTableState[]> {
    const names = (await this.redis.smembers(`${this.prefix}tables`)).sort();
    const states = await Promise.all(names.map((n) => this.getTable(n)));
    return states.filter((s): s is OnlineTableState => s !== undefined);
  }

  write(table: string, rows: readonly OnlineRow[]): Promise<number> {
    return this.writeRows(table, rows).catch(unavailable);
  }

  private async writeRows(table: string, rows: readonly OnlineRow[]): Promise<number> {
    const prefix = this.rowPrefix(table);
    await this.requireTable(table);
    if (rows.length === 0) return 0;
    const pipeline = this.redis.pipeline() as ReturnType<RedisClient['pipeline']> & { hangarOnlineUpsert(key: string, ...args: string[]): unknown };
    for (const r of rows) {
      const args = [String(r.eventTs), String(r.createdTs)];
      const values = typeof r.values === 'string' ? (JSON.parse(r.values) as Record<string, OnlineValue>) : r.values;
      for (const name in values) args.push(name, JSON.stringify(values[name] ?? null));
      pipeline.hangarOnlineUpsert(prefix + r.key, ...args);
    }
    const results = (await pipeline.exec()) ?? [];
    let stored = 0;
    for (const [err, value] of results) {
      if (err) throw new HangarError('TEMPORARILY_UNAVAILABLE', `Redis online store write failed: ${err.message}`, { cause: err });
      stored += Number(value);
    }
    return stored;
  }

  read(table: string, keys: readonly string[], features: readonly string[]): Promise<Array<OnlineHit | undefined>> {
    return this.readRows(table, keys, features).catch(unavailable);
  }

  private async readRows(table: string, keys: readonly string[], features: readonly string[]): Promise<Array<OnlineHit | undefined>> {
    const prefix = this.rowPrefix(table);
    const fields = [TS, ...features];
    let replies: Array<Array<string | null>>;
    if (keys.length === 1) {
      replies = [await this.redis.hmget(prefix + keys[0]!, ...fields)];
    } else {
      const pipeline = this.redis.pipeline();
      for (const k of keys) pipeline.hmget(prefix + k, ...fields);
      const results = (await pipeline.exec()) ?? [];
      replies = results.map(([err, value]) => {
        if (err) throw new HangarError('TEMPORARILY_UNAVAILABLE', `Redis online store read failed: ${err.message}`, { cause: err });
        return value as Array<string | null>;
      });
    }
    const out = new Array<OnlineHit | undefined>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const reply = replies[i]!;
      const ts = reply[0];
      if (ts === null || ts === undefined) continue;
      const values = new Array<OnlineValue>(features.length);
      for (let f = 0; f < features.length; f++) {
        const raw = reply[f + 1];
        values[f] = raw === null || raw === undefined ? null : (JSON.parse(raw) as OnlineValue);
      }
      out[i] = { eventTs: Number(ts), values };
    }
    return out;
  }

  async setMaterializedEnd(table: string, end: number, now: number): Promise<void> {
    await this.requireTable(table);
    await this.redis.hset(`${this.prefix}m:${table}`, 'end', String(end), 'updated', String(now));
  }

  async deleteTable(name: string): Promise<void> {
    const match = `${escapeGlob(this.rowPrefix(name))}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await this.redis.unlink(...keys);
    } while (cursor !== '0');
    await this.redis.multi().del(`${this.prefix}m:${name}`).srem(`${this.prefix}tables`, name).exec();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async requireTable(table: string): Promise<void> {
    if ((await this.redis.exists(`${this.prefix}m:${table}`)) === 0) throw notFound(`Feature table '${table}' is not registered in the online store.`);
  }
}

/** Driver failures (connection lost, timeouts) become TEMPORARILY_UNAVAILABLE; Hangar errors pass. */
function unavailable(e: unknown): never {
  if (e instanceof HangarError) throw e;
  throw new HangarError('TEMPORARILY_UNAVAILABLE', `The Redis online store failed: ${(e as Error).message}`, { cause: e });
}

function toState(spec: string, end: string | null, updated: string | null): OnlineTableState {
  return { spec: JSON.parse(spec) as FeatureTableSpec, materializedEnd: end === null ? null : Number(end), updatedAt: updated === null ? 0 : Number(updated) };
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
