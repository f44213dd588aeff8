/**
 * Converting the Redis online store's older row layout to the current one, on open.
 *
 * Until 2026-11-26 a row was a hash `<prefix>r:<table>:<entity key>` with the fields `#ts`
 * (event time, epoch ms), `#c` (created time) and one field per feature holding the value's
 * JSON text. Now a row is one string `<prefix>j:<table>:<entity key>`:
 * `<event ts> <created ts> <values as one JSON object>`.
 *
 * The conversion is one Lua script per batch of rows, so each row is converted atomically: the
 * script reads the hash, builds the JSON object (features in the table's spec order, then any
 * others), writes the string unless a row already stored there is as new or newer (a
 * materialisation that ran since the upgrade wins, and an older one never replaces a newer hash
 * row), and deletes the hash. A hash that is gone was converted by another process. So the pass
 * can be interrupted, repeated, or run by two processes at once, and it converges on the latest
 * row per key. When a whole pass has finished, `<prefix>layout` is set to `2`; a store that
 * finds it set does nothing more than that one GET.
 */
import type { Redis as RedisClient } from 'ioredis';
import type { FeatureTableSpec } from '../features/spec.js';
import { ONLINE_TABLE_NAME } from './port.js';

/** The value of `<prefix>layout` once every row is a string. */
const REDIS_ROW_LAYOUT = '2';

/** What one conversion pass found. */
export interface RedisMigration {
  /** True when `<prefix>layout` was already set, so nothing was scanned. */
  alreadyDone: boolean;
  /** Hash rows converted to string rows. */
  converted: number;
  /** Hash rows dropped because the string row stored under the same key was as new or newer. */
  superseded: number;
  /** Keys under `<prefix>r:` that are not rows of the older layout (not a hash, or no `#ts`/`#c`); left alone. */
  skipped: number;
  /** Tables that had hash rows. */
  tables: string[];
}

export interface RedisMigrateOptions {
  /** Keys per SCAN call. Default 1000. */
  scanCount?: number;
  /** Rows per script call: bounds how long one call holds Redis (≈35 µs per row of 50 features). Default 100. */
  rowsPerCall?: number;
  /** Scan even when `<prefix>layout` says the pass was done (for rows an older Hangar wrote since). */
  force?: boolean;
}

// KEYS = hash row, string row, hash row, string row, …; ARGV = the table's features in spec
// order. Returns {converted, superseded, skipped}. A key of another type where the string row
// goes is replaced, as a write would. The guard is the write guard of
// redis-online.ts's UPSERT with the hash as the incoming row, except that a tie keeps the
// string: it was written by a newer Hangar, after the hash.
const CONVERT = `
local converted, superseded, skipped = 0, 0, 0
local quoted = {}
local function q(name)
  local s = quoted[name]
  if s == nil then
    if string.find(name, '^[%w_]+$') then s = '"' .. name .. '":' else s = cjson.encode(name) .. ':' end
    quoted[name] = s
  end
  return s
end
for k = 1, #KEYS, 2 do
  -- pcall: a key of another type under r: is not a row; it must not stop the pass.
  local h = redis.pcall('HGETALL', KEYS[k])
  if h.err then
    skipped = skipped + 1
  elseif #h > 0 then
    local f = {}
    for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
    local ts, c = f['#ts'], f['#c']
    local nts, nc = tonumber(ts), tonumber(c)
    if nts == nil or nc == nil then
      skipped = skipped + 1
    else
      f['#ts'], f['#c'] = nil, nil
      local parts, n = {}, 0
      local function take(name)
        local v = f[name]
        if v ~= nil then
          n = n + 1
          parts[n] = q(name) .. v
          f[name] = nil
        end
      end
      -- Spec order first (ARGV), then any field the spec no longer names.
      for i = 1, #ARGV do take(ARGV[i]) end
      for i = 1, #h, 2 do take(h[i]) end
      local keep = false
      local cur = redis.pcall('GET', KEYS[k + 1])
      if type(cur) == 'string' then
        local cts, cc = string.match(cur, '^(%-?[%d.e+]+) (%-?[%d.e+]+) ')
        cts, cc = tonumber(cts), tonumber(cc)
        if cts ~= nil and cc ~= nil and (nts < cts or (nts == cts and nc <= cc)) then keep = true end
      end
      if keep then
        superseded = superseded + 1
      else
        redis.call('SET', KEYS[k + 1], ts .. ' ' .. c .. ' {' .. table.concat(parts, ',') .. '}')
        converted = converted + 1
      end
      redis.call('DEL', KEYS[k])
    end
  end
end
return {converted, superseded, skipped}`;

type ConvertClient = RedisClient & { hangarOnlineConvert(numKeys: number, ...args: string[]): Promise<[number, number, number]> };

/**
 * Convert every hash row under `prefix` to a string row, then set `<prefix>layout`. Safe to run
 * from several processes at once and to run again after an interruption. Driver errors (the
 * connection lost) are thrown as they are; the caller maps them.
 */
export async function migrateRedisHashRows(redis: RedisClient, prefix: string, options: RedisMigrateOptions = {}): Promise<RedisMigration> {
  const report: RedisMigration = { alreadyDone: false, converted: 0, superseded: 0, skipped: 0, tables: [] };
  const marker = `${prefix}layout`;
  if (options.force !== true && (await redis.get(marker)) === REDIS_ROW_LAYOUT) return { ...report, alreadyDone: true };
  // Every hash row belongs to a table in `<prefix>tables` (deleting a table removes its rows
  // before its name), so a store without tables has none and needs no scan of the keyspace.
  if ((await redis.scard(`${prefix}tables`)) > 0) await convertAll(redis as ConvertClient, prefix, options, report);
  await redis.set(marker, REDIS_ROW_LAYOUT);
  return report;
}

async function convertAll(redis: ConvertClient, prefix: string, options: RedisMigrateOptions, report: RedisMigration): Promise<void> {
  if (typeof redis.hangarOnlineConvert !== 'function') redis.defineCommand('hangarOnlineConvert', { lua: CONVERT });
  const rowsPrefix = `${prefix}r:`;
  const scanCount = options.scanCount ?? 1000;
  const rowsPerCall = options.rowsPerCall ?? 100;
  const order = new Map<string, string[]>();
  const tables = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(rowsPrefix)}*`, 'COUNT', scanCount);
    cursor = next;
    // Group the batch by table: the script takes one table's feature order.
    const byTable = new Map<string, string[]>();
    for (const key of keys) {
      const rest = key.slice(rowsPrefix.length);
      const colon = rest.indexOf(':');
      const table = colon < 0 ? '' : rest.slice(0, colon);
      if (!ONLINE_TABLE_NAME.test(table)) {
        report.skipped++;
        continue;
      }
      let pairs = byTable.get(table);
      if (pairs === undefined) byTable.set(table, (pairs = []));
      pairs.push(key, `${prefix}j:${table}:${rest.slice(colon + 1)}`);
    }
    for (const [table, pairs] of byTable) {
      tables.add(table);
      let features = order.get(table);
      if (features === undefined) order.set(table, (features = await featureOrder(redis, prefix, table)));
      // One call at a time, not a pipeline: Redis runs a client's pipelined commands back to
      // back, so other clients (look-ups being served) would wait for the whole batch.
      for (let at = 0; at < pairs.length; at += 2 * rowsPerCall) {
        const slice = pairs.slice(at, at + 2 * rowsPerCall);
        const [converted, superseded, skipped] = await redis.hangarOnlineConvert(slice.length, ...slice, ...features);
        report.converted += converted;
        report.superseded += superseded;
        report.skipped += skipped;
      }
    }
  } while (cursor !== '0');
  report.tables = [...tables].sort();
}

/** The table's features in spec order (the order materialisation writes), or none when its spec is gone. */
async function featureOrder(redis: RedisClient, prefix: string, table: string): Promise<string[]> {
  const spec = await redis.hget(`${prefix}m:${table}`, 'spec');
  if (spec === null) return [];
  try {
    return (JSON.parse(spec) as FeatureTableSpec).features.map((f) => f.name);
  } catch {
    return [];
  }
}

/** One line for the log, or undefined when the pass found nothing to convert. */
export function describeMigration(m: RedisMigration, prefix: string): string | undefined {
  if (m.alreadyDone || m.converted + m.superseded + m.skipped === 0) return undefined;
  let line = `Redis online store '${prefix}': converted ${m.converted} row${m.converted === 1 ? '' : 's'} of the older layout (one hash per row) to one string per row`;
  if (m.tables.length > 0) line += ` (tables: ${m.tables.join(', ')})`;
  if (m.superseded > 0) line += `; ${m.superseded} older than the row already stored were dropped`;
  if (m.skipped > 0) line += `; ${m.skipped} key${m.skipped === 1 ? '' : 's'} under '${prefix}r:' that are not rows were left alone`;
  return `${line}.`;
}

export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
