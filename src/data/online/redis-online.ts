/**
 * The Redis online store (ioredis, loaded on first use): one hash per (table, entity key) with
 * one field per feature (the value as JSON) plus the event and created times; a look-up is one
 * Lua script call (HMGET per entity inside Redis) answering one NUL-separated string, so 100
 * entities cost one command and one reply. The timestamp guard runs in
 * a Lua script, so a stale row never replaces a newer one even with concurrent writers.
 *
 * Keys: `<prefix>r:<table>:<entity key>` for rows, `<prefix>m:<table>` for a table's state,
 * `<prefix>tables` for the set of table names. The prefix defaults to `hangar:online:`.
 */
import type { Redis as RedisClient } from 'ioredis';
import { HangarError, invalidParam, notFound } from '../../core/errors.js';
import type { FeatureTableSpec } from '../features/spec.js';
import { isNullAt } from './json-scan.js';
import { hitsOf, ONLINE_TABLE_NAME, type OnlineHit, type OnlineRow, type OnlineRows, type OnlineStore, type OnlineTableState, type OnlineValue } from './port.js';

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

// KEYS = row hashes; ARGV = '#ts' then the requested features. One reply for every key: per
// key its event time then each feature's JSON text ('' where absent), all joined by NUL bytes
// (JSON text never holds a raw control character), so 100 entities cost one command and one
// bulk string instead of 100 replies of 51 strings each.
const READ = `
local out, n, nf = {}, 0, #ARGV
for i = 1, #KEYS do
  for c = 1, nf, 1000 do
    local vals = redis.call('HMGET', KEYS[i], unpack(ARGV, c, math.min(c + 999, nf)))
    for j = 1, #vals do
      n = n + 1
      out[n] = vals[j] or ''
    end
  end
end
return table.concat(out, '\\0')`;

/** Keys per read script call: bounds how long one call holds Redis. */
const READ_KEYS_PER_CALL = 500;

type UpsertClient = RedisClient & {
  hangarOnlineUpsert(key: string, ...args: string[]): Promise<number>;
  hangarOnlineReadBuffer(...args: string[]): Promise<Buffer>;
};

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
  client.defineCommand('hangarOnlineRead', { lua: READ });
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

  async read(table: string, keys: readonly string[], features: readonly string[]): Promise<Array<OnlineHit | undefined>> {
    return hitsOf(await this.readRaw(table, keys, features), features.length);
  }

  readRaw(table: string, keys: readonly string[], features: readonly string[]): Promise<OnlineRows> {
    return this.readRows(table, keys, features).catch(unavailable);
  }

  private async readRows(table: string, keys: readonly string[], features: readonly string[]): Promise<OnlineRows> {
    const prefix = this.rowPrefix(table);
    const nf = features.length;
    const out: OnlineRows = { eventTs: new Float64Array(keys.length).fill(NaN), bytes: new Array<Uint8Array>(keys.length), spans: new Int32Array(2 * keys.length * nf).fill(-1) };
    const calls: Array<Promise<void>> = [];
    for (let from = 0; from < keys.length; from += READ_KEYS_PER_CALL) {
      const to = Math.min(keys.length, from + READ_KEYS_PER_CALL);
      const args: string[] = [String(to - from)];
      for (let i = from; i < to; i++) args.push(prefix + keys[i]!);
      args.push(TS, ...features);
      calls.push(this.redis.hangarOnlineReadBuffer(...args).then((reply) => splitReply(reply, from, to, nf, out)));
    }
    await Promise.all(calls);
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

/** Place the reply of one read call (keys `from` to `to`) into `out`. */
function splitReply(reply: Buffer, from: number, to: number, nf: number, out: OnlineRows): void {
  let pos = 0;
  const len = reply.length;
  for (let i = from; i < to; i++) {
    let end = pos;
    while (end < len && reply[end] !== 0) end++;
    const found = end > pos;
    if (found) {
      out.eventTs[i] = Number(reply.toString('latin1', pos, end));
      out.bytes[i] = reply;
    }
    pos = end + 1;
    const base = 2 * i * nf;
    for (let f = 0; f < nf; f++) {
      end = pos;
      while (end < len && reply[end] !== 0) end++;
      if (found && end > pos && !isNullAt(reply, pos, end)) {
        out.spans[base + 2 * f] = pos;
        out.spans[base + 2 * f + 1] = end;
      }
      pos = end + 1;
    }
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
