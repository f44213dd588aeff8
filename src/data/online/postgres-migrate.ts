/**
 * Converting the PostgreSQL online store's older tables to the current column type, on open.
 *
 * Until 2026-11-26 a table kept each row's values in a `jsonb` column. `jsonb` cannot hold a
 * string with the character U+0000 (`\u0000`) or a lone UTF-16 surrogate escape (`\ud800`), so
 * such a row failed to write, and with it the whole batch of a materialisation. It also
 * rewrote the JSON text it was given (`\/` became `/`, `\u001F` became `\u001f`, spaces were
 * added), so the look-up, which copies each value's text from the row, answered other bytes
 * than SQLite and Redis. Now the column is `json`, which keeps the text exactly as written.
 *
 * The pass changes the column of every registered table whose `v` is still `jsonb` with one
 * `ALTER TABLE … TYPE json` each (a rewrite under an exclusive lock). The rows keep the text
 * `jsonb` printed for them, which is what reads answered before. The statement does nothing
 * to a column that is already `json`, so two processes opening the store at once are safe,
 * and an interrupted pass resumes on the next open.
 */
import type { Pool, PoolClient } from 'pg';

/** What one conversion pass did. */
export interface PostgresMigration {
  /** Tables (their PostgreSQL names) whose values column was changed from `jsonb` to `json`. */
  converted: string[];
}

/**
 * Change the values column of the registered tables of the store whose state table is `meta`
 * and whose tables are named `<prefix>t_<name>` from `jsonb` to `json`. Only tables in the
 * current schema (where the store creates its tables) are looked at.
 */
export async function migrateJsonbTables(pool: Pool, prefix: string, meta: string): Promise<PostgresMigration> {
  const found = await pool.query<{ relname: string }>(
    `select c.relname from pg_class c join pg_attribute a on a.attrelid = c.oid ` +
      `where c.relnamespace = (select oid from pg_namespace where nspname = current_schema()) and c.relkind = 'r' ` +
      `and a.attname = 'v' and not a.attisdropped and a.atttypid = 'jsonb'::regtype ` +
      `and c.relname in (select $1 || name from "${meta}") order by c.relname`,
    [`${prefix}t_`],
  );
  const converted: string[] = [];
  for (const { relname } of found.rows) {
    // relname is a name this store made: its prefix and table name were checked on the way in
    // (letters, digits and underscores only), so it cannot hold a double quote.
    await pool.query(`alter table "${relname}" alter column v type json`);
    converted.push(relname);
  }
  return { converted };
}

/**
 * Change the values column of one table (`ident`, its quoted name) to `json` when it is still
 * `jsonb`: for a table an older Hangar created after this store was opened. Returns whether it
 * changed it. Registering a table calls this, so materialising it again makes it current.
 */
export async function convertJsonbTable(client: PoolClient, ident: string): Promise<boolean> {
  const r = await client.query(`select 1 from pg_attribute where attrelid = to_regclass($1) and attname = 'v' and not attisdropped and atttypid = 'jsonb'::regtype`, [ident]);
  if (r.rowCount === 0) return false;
  await client.query(`alter table ${ident} alter column v type json`);
  return true;
}

/** The line to log after a pass, or undefined when it converted nothing. */
export function describePostgresMigration(migration: PostgresMigration): string | undefined {
  const n = migration.converted.length;
  if (n === 0) return undefined;
  return `online store: converted the values column of ${n} PostgreSQL table${n === 1 ? '' : 's'} from jsonb to json (${migration.converted.join(', ')})`;
}
