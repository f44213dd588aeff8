/**
 * PostgreSQL engine: a `pg` Pool behind Kysely's PostgresDialect. `pg` is imported only when
 * a PostgreSQL URI is opened, so the embedded SQLite default never loads it.
 */
import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import type { Pool, PoolConfig } from 'pg';
import { HangarError } from '../../core/errors.js';
import type { Database } from '../schema.js';
import type { Engine } from './engine.js';

const INT8_OID = 20;

export async function createPostgresEngine(uri: string): Promise<Engine> {
  const { default: pg } = await import('pg');
  const config: PoolConfig = {
    connectionString: uri,
    max: 10,
    // BIGINT (timestamps, steps, ids, counts) comes back as a JS number instead of a string.
    // Epoch milliseconds and MLflow steps stay far below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  };
  const pool: Pool = new pg.Pool(config);
  // An idle client that loses its server emits 'error' on the pool; without a listener that
  // would crash the process. The next query gets a fresh connection.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const typeCache = new Map<string, Map<string, string>>();
  /** Column name → SQL type of `table` in the current schema, read once from the catalog. */
  const columnTypes = async (trx: Kysely<Database>, table: string): Promise<Map<string, string>> => {
    let types = typeCache.get(table);
    if (types === undefined) {
      const found = await sql<{ column_name: string; data_type: string }>`
        select column_name, data_type from information_schema.columns
        where table_schema = current_schema() and table_name = ${table}`.execute(trx);
      types = new Map(found.rows.map((r) => [r.column_name, r.data_type]));
      typeCache.set(table, types);
    }
    return types;
  };

  return {
    name: 'postgres',
    db,
    maxParameters: 60_000,
    identityType: 'bigint',
    identity: (col) => col.primaryKey().generatedByDefaultAsIdentity(),
    clusteredTable: (table) => table,
    async insertRows(trx, table, columns, rows, conflict): Promise<void> {
      if (rows.length === 0) return;
      // One array parameter per column, whatever the row count: far cheaper for pg to send and
      // for the server to plan than thousands of scalar parameters.
      const types = await columnTypes(trx, table);
      const arrays = columns.map((c, i) => {
        const type = types.get(c);
        if (type === undefined) throw new HangarError('INTERNAL_ERROR', `Unknown column ${table}.${c}.`);
        return sql`${rows.map((r) => r[i])}::${sql.raw(type)}[]`;
      });
      await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)}) ${sql.raw(conflict)}`.execute(trx);
    },
    like(expr: RawBuilder<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<boolean> {
      // Backslash is PostgreSQL's default LIKE escape; stated anyway so it never depends on settings.
      return caseInsensitive ? sql<boolean>`(${expr} ilike ${pattern} escape '\\')` : sql<boolean>`(${expr} like ${pattern} escape '\\')`;
    },
    binaryCollation: sql` collate "C"`,
    forUpdate: sql` for update`,
    translateError: translatePgError,
    isRetryable: (e) => {
      const code = pgCode(e);
      return code === '40001' || code === '40P01';
    },
    async resetIdentity(table: string, column: string): Promise<void> {
      await sql`select setval(pg_get_serial_sequence(${table}, ${column}), greatest((select max(${sql.ref(column)}) from ${sql.table(table)}), 0) + 1, false)`.execute(db);
    },
    async tableExists(table: string): Promise<boolean> {
      const found = await sql<{ exists: boolean }>`select to_regclass(${table}) is not null as exists`.execute(db);
      return found.rows[0]?.exists === true;
    },
    async currentSchema(): Promise<string | undefined> {
      const found = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
      return found.rows[0]?.schema ?? undefined;
    },
    commitWaiter: () => null,
    destroy: () => db.destroy(),
  };
}

function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function translatePgError(error: unknown): HangarError | null {
  const code = pgCode(error);
  if (code === undefined || !/^[0-9A-Z]{5}$/.test(code)) return null;
  if (code === '23505') return new HangarError('RESOURCE_ALREADY_EXISTS', 'An entity with that key already exists.', { cause: error });
  if (code === '23503') return new HangarError('RESOURCE_DOES_NOT_EXIST', 'A referenced entity does not exist.', { cause: error });
  if (code === '40001' || code === '40P01') {
    return new HangarError('RESOURCE_CONFLICT', 'A concurrent change conflicted with this request; retry it.', { cause: error });
  }
  if (code === '57P01' || code === '57P03' || code.startsWith('08')) {
    return new HangarError('TEMPORARILY_UNAVAILABLE', 'The metadata database is unavailable; retry the request.', { cause: error });
  }
  return null;
}
