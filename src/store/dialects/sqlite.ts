/**
 * SQLite engine: better-sqlite3 behind Kysely, with a driver of our own for two reasons the
 * stock `SqliteDriver` does not cover: write transactions start with `BEGIN IMMEDIATE` (so two
 * processes sharing a file queue on `busy_timeout` instead of failing on a lock upgrade), and
 * prepared statements are cached (logBatch runs the same few statements thousands of times).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type RawBuilder,
  type TransactionSettings,
} from 'kysely';
import { HangarError } from '../../core/errors.js';
import type { Database } from '../schema.js';
import type { Engine } from './engine.js';

const STATEMENT_CACHE_SIZE = 256;

class CachingConnection implements DatabaseConnection {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  #prepare(text: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(text);
    if (stmt === undefined) {
      stmt = this.#db.prepare(text);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        // Map iterates in insertion order: drop the oldest entry.
        this.#statements.delete(this.#statements.keys().next().value!);
      }
      this.#statements.set(text, stmt);
    }
    return stmt;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const stmt = this.#prepare(query.sql);
      if (stmt.reader) return Promise.resolve({ rows: stmt.all(query.parameters) as R[] });
      const { changes, lastInsertRowid } = stmt.run(query.parameters);
      return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    for (const row of this.#prepare(query.sql).iterate(query.parameters)) yield { rows: [row as R] };
  }
}

/**
 * Transactions that commit together. Each member ran inside a SAVEPOINT of one outer write
 * transaction; `done` settles when the outer COMMIT (and with it the WAL fsync) has happened.
 */
interface CommitGroup {
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function newCommitGroup(): CommitGroup {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Members await `done`; this handler only keeps a failed group from counting as unhandled.
  done.catch(() => {});
  return { done, resolve, reject };
}

/**
 * One connection shared in turn (SQLite serialises writers anyway), with group commit.
 *
 * A commit with `synchronous = FULL` costs an fsync (0.2–1.3 ms on the disks measured), which
 * would cap the server at a few hundred write requests a second and block the event loop for
 * each. So write transactions that arrive while others are in flight share one outer
 * transaction: each runs in its own SAVEPOINT (a failure rolls back only that member), and one
 * COMMIT, scheduled for the next turn of the event loop once the queue drains, makes the whole
 * group durable. The store acknowledges a write only after its group's `done` settles (see
 * `Engine.commitWaiter`), so nothing is acknowledged before it is on disk. Under no load a group
 * has one member and commits at once; under load one fsync covers many requests.
 */
class QueueDriver implements Driver {
  readonly #open: () => Promise<BetterSqlite3.Database>;
  #db: BetterSqlite3.Database | undefined;
  #connection: CachingConnection | undefined;
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;
  /** The open outer write transaction, if any. */
  #group: CommitGroup | undefined;
  #commitScheduled = false;
  /** The current transaction is a plain read outside any group (BEGIN … COMMIT, no fsync). */
  #plainRead = false;

  constructor(open: () => Promise<BetterSqlite3.Database>) {
    this.#open = open;
  }

  async init(): Promise<void> {
    this.#db = await this.#open();
    this.#connection = new CachingConnection(this.#db);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.#connection!;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Called inside a write transaction: settles when that transaction is durable. */
  commitWaiter(): Promise<void> | null {
    return this.#group?.done ?? null;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (this.#group === undefined) {
      if (settings.accessMode === 'read only') {
        // Reads outside a group stay deferred so they never take the write lock.
        await connection.executeQuery(CompiledQuery.raw('begin'));
        this.#plainRead = true;
        return;
      }
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      this.#group = newCommitGroup();
    }
    await connection.executeQuery(CompiledQuery.raw('savepoint hangar_tx'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#plainRead) {
      this.#plainRead = false;
      await connection.executeQuery(CompiledQuery.raw('commit'));
      return;
    }
    await connection.executeQuery(CompiledQuery.raw('release hangar_tx'));
    this.#scheduleCommit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#plainRead) {
      this.#plainRead = false;
      await connection.executeQuery(CompiledQuery.raw('rollback'));
      return;
    }
    if (this.#db!.inTransaction) {
      await connection.executeQuery(CompiledQuery.raw('rollback to hangar_tx'));
      await connection.executeQuery(CompiledQuery.raw('release hangar_tx'));
    } else {
      // SQLite rolled the whole outer transaction back itself (I/O error, disk full): every
      // member of the group is lost, so none of them may be acknowledged.
      this.#failGroup(new HangarError('INTERNAL_ERROR', 'The metadata database rolled back a group of writes.'));
    }
    this.#scheduleCommit();
  }

  #failGroup(e: unknown): void {
    this.#group?.reject(e);
    this.#group = undefined;
  }

  #scheduleCommit(): void {
    if (this.#commitScheduled || this.#group === undefined) return;
    this.#commitScheduled = true;
    // setImmediate runs after the current I/O phase, so requests already read from their
    // sockets queue their transactions first and join this group.
    setImmediate(() => void this.#commitGroup());
  }

  async #commitGroup(): Promise<void> {
    const connection = await this.acquireConnection();
    this.#commitScheduled = false;
    try {
      await this.#flush(connection);
    } finally {
      await this.releaseConnection();
    }
  }

  async #flush(connection: DatabaseConnection): Promise<void> {
    const group = this.#group;
    if (group === undefined) return;
    this.#group = undefined;
    try {
      await connection.executeQuery(CompiledQuery.raw('commit'));
      group.resolve();
    } catch (e) {
      if (this.#db!.inTransaction) this.#db!.exec('rollback');
      group.reject(e);
    }
  }

  async destroy(): Promise<void> {
    if (this.#db !== undefined && this.#connection !== undefined) {
      const connection = await this.acquireConnection();
      try {
        await this.#flush(connection);
      } finally {
        await this.releaseConnection();
      }
    }
    this.#db?.close();
  }
}

class QueueDialect implements Dialect {
  readonly #open: () => Promise<BetterSqlite3.Database>;
  /** The driver Kysely created, for the engine's commitWaiter. */
  driver: QueueDriver | undefined;
  constructor(open: () => Promise<BetterSqlite3.Database>) {
    this.#open = open;
  }
  createDriver(): Driver {
    this.driver = new QueueDriver(this.#open);
    return this.driver;
  }
  createQueryCompiler(): SqliteQueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): SqliteAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): SqliteIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * Turn a LIKE pattern (with `%`, `_` and backslash escapes) into a GLOB pattern, because
 * SQLite's LIKE ignores ASCII case and GLOB is its case-sensitive matcher.
 */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      out += globLiteral(pattern[++i]!);
    } else if (c === '%') {
      out += '*';
    } else if (c === '_') {
      out += '?';
    } else {
      out += globLiteral(c);
    }
  }
  return out;
}

function globLiteral(c: string): string {
  return c === '*' || c === '?' || c === '[' ? `[${c}]` : c;
}

/** The file path a `sqlite:` URI names, or `:memory:`. */
export function sqlitePath(uri: string): string {
  const rest = uri.replace(/^sqlite:\/\//, '');
  if (rest === ':memory:' || rest === '/:memory:') return ':memory:';
  // `sqlite:////abs` (SQLAlchemy's absolute form) and `sqlite:///abs` both mean /abs.
  const path = rest.replace(/^\/+/, '/');
  if (!path.startsWith('/')) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `SQLite URI must name an absolute path (sqlite:///abs/path.db): ${uri}`);
  }
  return path;
}

export function createSqliteEngine(uri: string): Engine {
  const path = sqlitePath(uri);
  // The one connection, kept for insertRows; set when the driver opens it.
  let raw: BetterSqlite3.Database | undefined;
  const rowStatements = new Map<string, BetterSqlite3.Statement>();
  const open = async (): Promise<BetterSqlite3.Database> => {
    const { default: BetterSqlite } = await import('better-sqlite3');
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new BetterSqlite(path);
    // WAL lets readers run beside the writer; FULL syncs the WAL on every commit, so an
    // acknowledged write survives a power cut (NORMAL could lose the last transactions).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Never wait inside SQLite: its busy handler blocks the event loop, and a blocked timers
    // phase starves the setImmediate that commits this process's own group (which is what the
    // other process is waiting for). Lock waits happen in the store's retry loop (isRetryable
    // below), asynchronously.
    db.pragma('busy_timeout = 0');
    db.pragma('foreign_keys = ON');
    // 64 MiB of page cache (the default is 2 MiB): metric history B-trees stay in memory.
    db.pragma('cache_size = -65536');
    raw = db;
    return db;
  };
  const dialect = new QueueDialect(open);
  const db = new Kysely<Database>({ dialect });

  return {
    name: 'sqlite',
    db,
    maxParameters: 32_000,
    identityType: 'integer',
    identity: (col) => col.primaryKey().autoIncrement(),
    clusteredTable: (table) => table.modifyEnd(sql`without rowid`),
    insertRows(_trx, table, columns, rows, conflict): Promise<void> {
      // A write transaction holds the single connection (QueueDriver), so running statements on
      // it directly stays inside that transaction; refuse anything else.
      if (raw === undefined || !raw.inTransaction) {
        return Promise.reject(new HangarError('INTERNAL_ERROR', 'insertRows needs an open write transaction.'));
      }
      const text = `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')}) ${conflict}`;
      let stmt = rowStatements.get(text);
      if (stmt === undefined) {
        stmt = raw.prepare(text);
        rowStatements.set(text, stmt);
      }
      try {
        for (const row of rows) stmt.run(row);
      } catch (e) {
        return Promise.reject(e as Error);
      }
      return Promise.resolve();
    },
    like(expr: RawBuilder<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<boolean> {
      // SQLite's LIKE folds ASCII case only; that is what ILIKE gets here.
      return caseInsensitive ? sql<boolean>`(${expr} like ${pattern} escape '\\')` : sql<boolean>`(${expr} glob ${likeToGlob(pattern)})`;
    },
    binaryCollation: sql``,
    forUpdate: sql``,
    translateError: translateSqliteError,
    isRetryable: (e) => {
      const code = (e as { code?: unknown } | null)?.code;
      return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
    },
    // AUTOINCREMENT keeps sqlite_sequence at the largest id ever inserted, explicit ids included.
    resetIdentity: async () => {},
    async tableExists(table: string): Promise<boolean> {
      const found = await sql`select 1 from sqlite_master where type = 'table' and name = ${table}`.execute(db);
      return found.rows.length > 0;
    },
    currentSchema: () => Promise.resolve(undefined),
    commitWaiter: () => dialect.driver?.commitWaiter() ?? null,
    destroy: () => db.destroy(),
  };
}

function translateSqliteError(error: unknown): HangarError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new HangarError('RESOURCE_ALREADY_EXISTS', 'An entity with that key already exists.', { cause: error });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new HangarError('RESOURCE_DOES_NOT_EXIST', 'A referenced entity does not exist.', { cause: error });
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
    return new HangarError('TEMPORARILY_UNAVAILABLE', 'The metadata database is busy; retry the request.', { cause: error });
  }
  return null;
}
