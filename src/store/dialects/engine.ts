/**
 * The capability object each database engine provides to the shared Kysely store. Everything
 * that differs between SQLite and PostgreSQL lives behind this interface, so the store itself
 * never asks which engine it runs on.
 */
import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely, RawBuilder } from 'kysely';
import type { HangarError } from '../../core/errors.js';
import type { Database } from '../schema.js';

export interface Engine {
  /** Engine name, as reported by `Store.engine`. */
  readonly name: 'sqlite' | 'postgres';
  /** The Kysely instance over this engine's driver. */
  readonly db: Kysely<Database>;
  /**
   * Most bound parameters one statement may carry; multi-row INSERTs are chunked below it.
   * SQLite allows 32766, PostgreSQL 65535.
   */
  readonly maxParameters: number;
  /** Column type of database-assigned ids (SQLite's AUTOINCREMENT demands exactly `integer`). */
  readonly identityType: 'integer' | 'bigint';
  /** Make `col` an integer id the database assigns when the insert leaves it out. */
  identity(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /**
   * Storage options for tables keyed by a composite primary key that are written in bulk
   * (SQLite: WITHOUT ROWID, which saves one B-tree per insert; PostgreSQL: nothing).
   */
  clusteredTable<T extends string, C extends string>(table: CreateTableBuilder<T, C>): CreateTableBuilder<T, C>;
  /**
   * Insert many rows into `table` inside the caller's write transaction `trx`, the fastest way
   * the engine offers: SQLite runs one cached single-row statement per row on the
   * transaction's connection (measured faster than a multi-row VALUES list), PostgreSQL sends
   * multi-row INSERTs in chunks below its parameter cap. `conflict` is a trusted SQL suffix
   * such as `on conflict do nothing`; rows hold values in `columns` order.
   */
  insertRows(trx: Kysely<Database>, table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>, conflict: string): Promise<void>;
  /**
   * `expr LIKE pattern` with MLflow's semantics: `%` and `_` wildcards, backslash escapes,
   * case-sensitive unless `caseInsensitive` (ILIKE). The pattern is bound as a parameter.
   */
  like(expr: RawBuilder<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<boolean>;
  /**
   * Suffix that makes a text expression sort by code point, so both engines order strings the
   * same way whatever the database's collation (PostgreSQL `COLLATE "C"`; SQLite's default).
   */
  readonly binaryCollation: RawBuilder<unknown>;
  /**
   * Suffix that locks the selected rows until the transaction ends (PostgreSQL `FOR UPDATE`).
   * Empty on SQLite, where a write transaction already holds the database lock.
   */
  readonly forUpdate: RawBuilder<unknown>;
  /**
   * Turn a driver error into a HangarError (unique violation → RESOURCE_ALREADY_EXISTS, foreign
   * key → RESOURCE_DOES_NOT_EXIST, busy/locked → TEMPORARILY_UNAVAILABLE). Returns null for
   * errors the engine does not recognise; the caller wraps those as INTERNAL_ERROR.
   * Messages never carry SQL text.
   */
  translateError(error: unknown): HangarError | null;
  /** Whether the transaction failed on a transient conflict (deadlock, serialization) and may be retried. */
  isRetryable(error: unknown): boolean;
  /**
   * After rows were copied in with explicit ids, move the identity of `table.column` past the
   * largest id so later inserts do not collide.
   */
  resetIdentity(table: string, column: string): Promise<void>;
  /** Whether `table` exists where unqualified names resolve (PostgreSQL: the search path). */
  tableExists(table: string): Promise<boolean>;
  /**
   * The schema unqualified names resolve to (PostgreSQL's `current_schema()`), so migration
   * bookkeeping lands beside the tables even when several schemas share a database; undefined
   * on SQLite, which has no schemas.
   */
  currentSchema(): Promise<string | undefined>;
  /**
   * Called at the end of a write transaction's body: a promise that settles once that
   * transaction is durable, for engines that commit in groups (SQLite), or null when the commit
   * itself makes it durable (PostgreSQL). It rejects when the group failed to commit.
   */
  commitWaiter(): Promise<void> | null;
  /** Close the driver (an open commit group is committed first). */
  destroy(): Promise<void>;
}

