/**
 * The PostgreSQL online store (`pg`, loaded on first use): one table per feature table keyed by
 * the encoded entity key, values in one `json` column. Writes send whole batches as arrays
 * (`unnest`) and upsert with `ON CONFLICT … WHERE` on (event ts, created ts), so a stale row is
 * never applied; reads are one named prepared statement with `k = any($1)`.
 *
 * `json`, not `jsonb`: `json` checks the text is JSON and keeps it as written, so every string
 * SQLite and Redis hold fits (`jsonb` refuses `\u0000` and lone surrogate escapes) and the
 * look-up copies the same bytes from every store. Tables of the older `jsonb` shape are
 * converted on open (postgres-migrate.ts).
 */
import type { Pool } from 'pg';
import { HangarError, invalidParam, notFound } from '../../core/errors.js';
import type { FeatureTableSpec } from '../features/spec.js';
import { matcherFor } from './json-scan.js';
import { convertJsonbTable, describePostgresMigration, migrateJsonbTables, type PostgresMigration } from './postgres-migrate.js';
import { emptyRows, hitsOf, ONLINE_TABLE_NAME, placeRow, type OnlineHit, type OnlineRow, type OnlineRows, type OnlineStore, type OnlineTableState } from './port.js';

export interface PostgresOnlineOptions {
  /** `postgresql://user@host:port/db`. */
  url: string;
  /** Prefix of the tables this store creates. Default `hangar_online_`. */
  tablePrefix?: string;
  /**
   * Where the one line saying which tables of the older `jsonb` shape were converted on open
   * goes. Default: standard error. Nothing is written when there was nothing to convert.
   */
  log?: (line: string) => void;
  /** Called with what the conversion pass on open did (also when it did nothing). */
  onMigrated?: (migration: PostgresMigration) => void;
}

const INT8_OID = 20;
/** PostgreSQL truncates identifiers beyond 63 bytes; refuse instead of colliding. */
const MAX_IDENT = 63;

/** Connect and create the state table; TEMPORARILY_UNAVAILABLE when the server does not answer. */
export async function openPostgresOnlineStore(options: PostgresOnlineOptions): Promise<OnlineStore> {
  const { default: pg } = await import('pg');
  const pool: Pool = new pg.Pool({
    connectionString: options.url,
    max: 8,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => {
    // An idle client losing its server must not crash the process; the next query reconnects.
  });
  const prefix = options.tablePrefix ?? 'hangar_online_';
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw invalidParam(`Invalid online table prefix '${prefix}': lower-case letters, digits and underscores.`, 'onlineStore.tablePrefix');
  const meta = `${prefix}tables`;
  try {
    await pool.query(`create table if not exists "${meta}" (name text primary key, spec text not null, materialized_end bigint, updated_at bigint not null)`);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new HangarError('TEMPORARILY_UNAVAILABLE', `Cannot open the PostgreSQL online store: ${(e as Error).message}`, { cause: e });
  }
  let migration: PostgresMigration;
  try {
    migration = await migrateJsonbTables(pool, prefix, meta);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new HangarError('TEMPORARILY_UNAVAILABLE', `Converting the PostgreSQL online store's older tables failed (opening it again resumes): ${(e as Error).message}`, { cause: e });
  }
  const line = describePostgresMigration(migration);
  if (line !== undefined) (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  options.onMigrated?.(migration);
  return new PostgresOnlineStore(pool, prefix, meta);
}

class PostgresOnlineStore implements OnlineStore {
  readonly type = 'postgres';
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly prefix: string,
    private readonly meta: string,
  ) {}

  private ident(name: string): string {
    if (!ONLINE_TABLE_NAME.test(name)) throw invalidParam(`Invalid feature table name '${name}': use letters, digits and underscores.`, 'table');
    const ident = `${this.prefix}t_${name}`;
    if (Buffer.byteLength(ident) > MAX_IDENT) throw invalidParam(`Feature table name '${name}' is too long for a PostgreSQL online store (at most ${MAX_IDENT - this.prefix.length - 2} characters).`, 'table');
    return `"${ident}"`;
  }

  async registerTable(spec: FeatureTableSpec, now: number): Promise<void> {
    const table = this.ident(spec.name);
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query(`create table if not exists ${table} (k text primary key, ts bigint not null, created bigint not null, v json not null)`);
      await convertJsonbTable(client, table);
      await client.query(
        `insert into "${this.meta}" (name, spec, materialized_end, updated_at) values ($1, $2, null, $3) on conflict (name) do update set spec = excluded.spec, updated_at = excluded.updated_at`,
        [spec.name, JSON.stringify(spec), now],
      );
      await client.query('commit');
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async getTable(name: string): Promise<OnlineTableState | undefined> {
    const r = await this.pool.query<MetaRow>({ name: `${this.meta}_get`, text: `select spec, materialized_end, updated_at from "${this.meta}" where name = $1`, values: [name] });
    return r.rows[0] === undefined ? undefined : toState(r.rows[0]);
  }

  async listTables(): Promise<OnlineTableState[]> {
    const r = await this.pool.query<MetaRow>(`select spec, materialized_end, updated_at from "${this.meta}" order by name`);
    return r.rows.map(toState);
  }

  async write(table: string, rows: readonly OnlineRow[]): Promise<number> {
    const ident = this.ident(table);
    if ((await this.getTable(table)) === undefined) throw notFound(`Feature table '${table}' is not registered in the online store.`);
    if (rows.length === 0) return 0;
    // One statement cannot update a row twice, so a batch keeps only the winner per key.
    const latest = new Map<string, OnlineRow>();
    for (const r of rows) {
      const cur = latest.get(r.key);
      if (cur === undefined || r.eventTs > cur.eventTs || (r.eventTs === cur.eventTs && r.createdTs >= cur.createdTs)) latest.set(r.key, r);
    }
    const batch = [...latest.values()];
    const result = await this.pool.query(
      `insert into ${ident} as t (k, ts, created, v) select * from unnest($1::text[], $2::bigint[], $3::bigint[], $4::json[]) ` +
        `on conflict (k) do update set ts = excluded.ts, created = excluded.created, v = excluded.v where (excluded.ts, excluded.created) >= (t.ts, t.created)`,
      [batch.map((r) => r.key), batch.map((r) => r.eventTs), batch.map((r) => r.createdTs), batch.map((r) => (typeof r.values === 'string' ? r.values : JSON.stringify(r.values)))],
    );
    return result.rowCount ?? 0;
  }

  async read(table: string, keys: readonly string[], features: readonly string[]): Promise<Array<OnlineHit | undefined>> {
    return hitsOf(await this.readRaw(table, keys, features), features.length);
  }

  async readRaw(table: string, keys: readonly string[], features: readonly string[]): Promise<OnlineRows> {
    const ident = this.ident(table);
    let r;
    try {
      // The row's JSON text as written (`v::text` also reads a jsonb column an older Hangar
      // made after this store was opened), for the values to be located in place.
      r = await this.pool.query<{ k: string; ts: number; v: string }>({
        name: `${this.prefix}read_raw_${table}`,
        text: `select k, ts, v::text as v from ${ident} where k = any($1::text[])`,
        values: [keys],
      });
    } catch (e) {
      if ((e as { code?: string }).code === '42P01') throw notFound(`Feature table '${table}' is not registered in the online store.`);
      throw unavailable(e);
    }
    const nf = features.length;
    const out = emptyRows(keys.length, nf);
    const byKey = new Map<string, { ts: number; v: string }>();
    for (const row of r.rows) byKey.set(row.k, { ts: Number(row.ts), v: row.v });
    const matcher = matcherFor(features);
    for (let i = 0; i < keys.length; i++) {
      const row = byKey.get(keys[i]!);
      if (row === undefined) continue;
      placeRow(out, i, row.ts, row.v, 0, matcher, nf);
    }
    return out;
  }

  async setMaterializedEnd(table: string, end: number, now: number): Promise<void> {
    const r = await this.pool.query(`update "${this.meta}" set materialized_end = $1, updated_at = $2 where name = $3`, [end, now, table]);
    if (r.rowCount === 0) throw notFound(`Feature table '${table}' is not registered in the online store.`);
  }

  async deleteTable(name: string): Promise<void> {
    const table = this.ident(name);
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query(`drop table if exists ${table}`);
      await client.query(`delete from "${this.meta}" where name = $1`, [name]);
      await client.query('commit');
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** Connection failures (refused, lost, server shutting down) become TEMPORARILY_UNAVAILABLE. */
function unavailable(e: unknown): unknown {
  const code = (e as { code?: string }).code ?? '';
  if (/^(08|57P)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT'].includes(code)) {
    return new HangarError('TEMPORARILY_UNAVAILABLE', `The PostgreSQL online store failed: ${(e as Error).message}`, { cause: e });
  }
  return e;
}

interface MetaRow {
  spec: string;
  materialized_end: number | null;
  updated_at: number;
}

function toState(row: MetaRow): OnlineTableState {
  return { spec: JSON.parse(row.spec) as FeatureTableSpec, materializedEnd: row.materialized_end, updatedAt: row.updated_at };
}
