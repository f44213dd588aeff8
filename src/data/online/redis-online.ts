/**
 * The Redis online store (ioredis, loaded on first use): one string per (table, entity key),
 * `<event ts> <created ts> <values as one JSON object>`; a look-up of up to 500 entities is one
 * MGET (one command, one reply), and the values are located in the JSON text like SQLite's rows.
 * The timestamp guard runs in a Lua script, so a stale row never replaces a newer one even
 * with concurrent writers.
 *
 * Until 2026-11-26 rows were hashes with one field per feature under `<prefix>r:`; reading 100
 * of them (100 HMGETs of 51 fields) cost Redis 1.6 ms of CPU against ≈0.1 ms for one MGET, so
 * the layout changed. Opening the store converts rows of the older layout once
 * (redis-migrate.ts), so upgrading keeps the online data; deleting a table still removes rows
 * of both kinds.
 *
 * Keys: `<prefix>j:<table>:<entity key>` for rows, `<prefix>m:<table>` for a table's state,
 * `<prefix>tables` for the set of table names, `<prefix>layout` (`2`) once no row of the older
 * layout is left. The prefix defaults to `hangar:online:`.
 */
import type { Redis as RedisClient } from 'ioredis';
import { HangarError, invalidParam, notFound } from '../../core/errors.js';
import type { FeatureTableSpec } from '../features/spec.js';
import { matcherFor, type FieldMatcher } from './json-scan.js';
import { emptyRows, hitsOf, ONLINE_TABLE_NAME, placeRow, redactUrl, type OnlineHit, type OnlineRow, type OnlineRows, type OnlineStore, type OnlineTableState } from './port.js';
import { describeMigration, escapeGlob, migrateRedisHashRows, type RedisMigration } from './redis-migrate.js';

export interface RedisOnlineOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** Prefix of every key this store writes. Default `hangar:online:`. */
  keyPrefix?: string;
  /**
   * Where the one line saying how many rows of the older layout were converted on open goes.
   * Default: standard error. Nothing is written when there was nothing to convert.
   */
  log?: (line: string) => void;
  /** Called with what the conversion pass on open found (also when it found nothing). */
  onMigrated?: (migration: RedisMigration) => void;
}

// KEYS[1] = the row; ARGV = event ts, created ts, the values' JSON object.
const UPSERT = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ts, c = string.match(cur, '^(%-?[%d.e+]+) (%-?[%d.e+]+) ')
  ts, c = tonumber(ts), tonumber(c)
  local nts, nc = tonumber(ARGV[1]), tonumber(ARGV[2])
  if nts < ts or (nts == ts and nc < c) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. ARGV[3])
return 1`;

// KEYS = the table's state, the set of tables, the layout marker; ARGV[1] = the table's name.
const DROP_TABLE = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[3]) end
return 1`;

/** Keys per MGET: bounds how long one command holds Redis. */
const READ_KEYS_PER_CALL = 500;

type UpsertClient = RedisClient & { hangarOnlineUpsert(key: string, ...args: string[]): Promise<number> };

/** Connect to Redis; TEMPORARILY_UNAVAILABLE when it does not answer. */
export async function openRedisOnlineStore(options: RedisOnlineOptions): Promise<OnlineStore> {
  const { Redis } = await import('ioredis');
  // No auto-pipelining: it wraps every command in a new Pipeline object that copies each
  // command and script of the client onto itself, which cost a 1-entity look-up ≈15 µs of CPU
  // and most of its garbage. A look-up is one MGET; writes use explicit pipelines.
  const client = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: false }) as UpsertClient;
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
  const prefix = options.keyPrefix ?? 'hangar:online:';
  let migration: RedisMigration;
  try {
    migration = await migrateRedisHashRows(client, prefix);
  } catch (e) {
    client.disconnect();
    throw new HangarError('TEMPORARILY_UNAVAILABLE', `Converting the Redis online store's older rows at ${redactUrl(options.url)} failed (opening it again resumes): ${(e as Error).message}`, { cause: e });
  }
  const line = describeMigration(migration, prefix);
  if (line !== undefined) (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  options.onMigrated?.(migration);
  return new RedisOnlineStore(client, prefix);
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
    return `${this.prefix}j:${table}:`;
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
    for (const r of rows) pipeline.hangarOnlineUpsert(prefix + r.key, String(r.eventTs), String(r.createdTs), typeof r.values === 'string' ? r.values : JSON.stringify(r.values));
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
    const out = emptyRows(keys.length, nf);
    const matcher = matcherFor(features);
    if (keys.length <= READ_KEYS_PER_CALL) {
      // The usual case: one MGET, no per-call arrays or closures beyond its argument.
      placeAll(out, 0, await this.redis.mget(keyNames(prefix, keys, 0, keys.length)), matcher, nf);
      return out;
    }
    const calls: Array<Promise<void>> = [];
    for (let from = 0; from < keys.length; from += READ_KEYS_PER_CALL) {
      const to = Math.min(keys.length, from + READ_KEYS_PER_CALL);
      calls.push(this.redis.mget(keyNames(prefix, keys, from, to)).then((values) => placeAll(out, from, values, matcher, nf)));
    }
    await Promise.all(calls);
    return out;
  }

  async setMaterializedEnd(table: string, end: number, now: number): Promise<void> {
    await this.requireTable(table);
    await this.redis.hset(`${this.prefix}m:${table}`, 'end', String(end), 'updated', String(now));
  }

  async deleteTable(name: string): Promise<void> {
    // Rows of both layouts: the hashes older versions wrote (`r:`), then JSON strings (`j:`), in
    // that order, so that a hash another process converts meanwhile is removed as a string.
    for (const match of [`${escapeGlob(`${this.prefix}r:${name}:`)}*`, `${escapeGlob(this.rowPrefix(name))}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await this.redis.unlink(...keys);
      } while (cursor !== '0');
    }
    // The last table gone, the layout marker goes too, so an emptied prefix holds no key (the
    // next open marks it again without a scan, as there are no tables).
    await this.redis.eval(DROP_TABLE, 3, `${this.prefix}m:${name}`, `${this.prefix}tables`, `${this.prefix}layout`, name);
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

/** The Redis keys of `keys[from, to)`. */
function keyNames(prefix: string, keys: readonly string[], from: number, to: number): string[] {
  const names = new Array<string>(to - from);
  for (let i = from; i < to; i++) names[i - from] = prefix + keys[i]!;
  return names;
}

/** Place the MGET reply for the keys from slot `from` on. */
function placeAll(out: OnlineRows, from: number, values: ReadonlyArray<string | null>, matcher: FieldMatcher, nf: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) place(out, from + i, v, matcher, nf);
  }
}

/** Place one stored row (`<ts> <created> <json>`) at key slot i. */
function place(out: OnlineRows, i: number, v: string, matcher: FieldMatcher, nf: number): void {
  const a = v.indexOf(' ');
  const b = v.indexOf(' ', a + 1);
  if (a < 0 || b < 0) throw new HangarError('INTERNAL_ERROR', 'A Redis online row is not in the form `<ts> <created> <json>`.');
  placeRow(out, i, Number(v.slice(0, a)), v, b + 1, matcher, nf);
}

/** Driver failures (connection lost, timeouts) become TEMPORARILY_UNAVAILABLE; Hangar errors pass. */
function unavailable(e: unknown): never {
  if (e instanceof HangarError) throw e;
  throw new HangarError('TEMPORARILY_UNAVAILABLE', `The Redis online store failed: ${(e as Error).message}`, { cause: e });
}

function toState(spec: string, end: string | null, updated: string | null): OnlineTableState {
  return { spec: JSON.parse(spec) as FeatureTableSpec, materializedEnd: end === null ? null : Number(end), updatedAt: updated === null ? 0 : Number(updated) };
}
