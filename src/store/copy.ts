/**
 * Copy every row of one metadata database into another (`hangar db copy --from … --to …`),
 * e.g. from the embedded SQLite file to PostgreSQL. Ids are preserved (experiment ids, run
 * ids, version numbers, audit ids); identity sequences on the destination are moved past the
 * copied ids afterwards so new rows do not collide.
 *
 * The source is read in one read transaction (a consistent snapshot) in primary-key order,
 * page by page with keyset paging so big metric tables never load into memory at once; the
 * destination is written in one transaction, so a failed copy leaves it as it was.
 */
import { sql, type Kysely, type QueryResult, type RawBuilder, type Transaction } from 'kysely';
import { HangarError } from '../core/errors.js';
import type { Engine } from './dialects/engine.js';
import { KyselyStore } from './kysely-store.js';
import { chunk } from './mapping.js';
import { LATEST_SCHEMA_VERSION, currentSchemaVersion, migrateToLatest } from './migrations/index.js';
import type { Store } from './port.js';
import { TABLES_IN_DEPENDENCY_ORDER, type Database, type TableName } from './schema.js';

/** Rows copied per table. */
export type CopyReport = Record<TableName, number>;

const PAGE_SIZE = 5_000;

function engineOf(store: Store, which: 'source' | 'destination'): Engine {
  const engine = KyselyStore.engineOf(store);
  if (engine === undefined) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `The ${which} store was not opened by openStore; it cannot be copied.`);
  }
  return engine;
}

/**
 * Copy all rows of `from` into `to`. The source must be at the current schema version; a
 * destination at version 0 is migrated first. The destination must be empty apart from the
 * Default experiment that migration creates (it is replaced by the source's). Throws
 * INVALID_PARAMETER_VALUE for a non-empty destination, SCHEMA_OUT_OF_DATE for an old source.
 */
export async function copyStore(from: Store, to: Store): Promise<CopyReport> {
  const source = engineOf(from, 'source');
  const target = engineOf(to, 'destination');
  if (source === target) throw new HangarError('INVALID_PARAMETER_VALUE', 'Source and destination are the same store.');

  const sourceVersion = await currentSchemaVersion(source);
  if (sourceVersion !== LATEST_SCHEMA_VERSION) {
    throw new HangarError(
      'SCHEMA_OUT_OF_DATE',
      `The source database is at schema version ${sourceVersion}, not ${LATEST_SCHEMA_VERSION}; run \`hangar db upgrade\` on it first.`,
    );
  }
  const targetVersion = await currentSchemaVersion(target);
  if (targetVersion === 0) await migrateToLatest(target);
  else if (targetVersion !== LATEST_SCHEMA_VERSION) {
    throw new HangarError(
      'SCHEMA_OUT_OF_DATE',
      `The destination database is at schema version ${targetVersion}, not ${LATEST_SCHEMA_VERSION}; run \`hangar db upgrade\` on it first.`,
    );
  }

  const report = {} as CopyReport;
  try {
    await source.db
      .transaction()
      .setAccessMode('read only')
      .execute((src) =>
        target.db.transaction().execute(async (dst) => {
          await assertEmpty(dst);
          await dst.deleteFrom('experiments').execute();
          for (const { table, key } of TABLES_IN_DEPENDENCY_ORDER) {
            report[table] = await copyTable(src, dst, target, table, key);
          }
        }),
      );
    for (const { table, identity } of TABLES_IN_DEPENDENCY_ORDER) {
      if (identity !== undefined) await target.resetIdentity(table, identity);
    }
  } catch (e) {
    if (e instanceof HangarError) throw e;
    throw target.translateError(e) ?? source.translateError(e) ?? new HangarError('INTERNAL_ERROR', 'Copying the metadata database failed.', { cause: e });
  }
  return report;
}

/** Refuse to merge into a database that already holds anything beyond a fresh migration. */
async function assertEmpty(dst: Transaction<Database>): Promise<void> {
  for (const { table } of TABLES_IN_DEPENDENCY_ORDER) {
    if (table === 'experiments') continue;
    const row = await sql<{ one: number }>`select 1 as one from ${sql.table(table)} limit 1`.execute(dst);
    if (row.rows.length > 0) throw new HangarError('INVALID_PARAMETER_VALUE', `The destination database is not empty (table ${table} has rows).`);
  }
  const experiments = await dst.selectFrom('experiments').select(['experiment_id', 'name']).execute();
  if (experiments.some((e) => e.experiment_id !== 0 || e.name !== 'Default')) {
    throw new HangarError('INVALID_PARAMETER_VALUE', 'The destination database is not empty (it has experiments).');
  }
}

async function copyTable(
  src: Kysely<Database>,
  dst: Kysely<Database>,
  target: Engine,
  table: TableName,
  key: readonly string[],
): Promise<number> {
  const keyList = sql.join(key.map((k) => sql.ref(k)));
  let last: unknown[] | null = null;
  let copied = 0;
  for (;;) {
    const after: RawBuilder<unknown> = last === null ? sql`` : sql`where (${keyList}) > (${sql.join(last)})`;
    const page: QueryResult<Record<string, unknown>> = await sql<Record<string, unknown>>`select * from ${sql.table(table)} ${after} order by ${keyList} limit ${PAGE_SIZE}`.execute(src);
    const rows: Array<Record<string, unknown>> = page.rows;
    if (rows.length === 0) return copied;
    const columns = Object.keys(rows[0]!);
    const perStatement = Math.max(1, Math.floor(target.maxParameters / columns.length));
    for (const part of chunk(rows, perStatement)) {
      const values = sql.join(part.map((row) => sql`(${sql.join(columns.map((c) => row[c]))})`));
      await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) values ${values}`.execute(dst);
    }
    copied += rows.length;
    const tail: Record<string, unknown> = rows[rows.length - 1]!;
    last = key.map((k) => tail[k]);
    if (rows.length < PAGE_SIZE) return copied;
  }
}
