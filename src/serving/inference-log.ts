/**
 * The inference log: every scored row goes into a bounded in-memory buffer; a background
 * flusher writes the buffer as Parquet files (through DuckDB) partitioned by day and indexes
 * each file. Scoring never waits on it: `append` is a push onto an array, and when the buffer
 * is full the row is dropped and counted (metric, `/metrics`, one log line per flush), never
 * silently.
 *
 * Layout (the contract monitors read, docs/serving.md):
 * `<root>/<model>/date=YYYY-MM-DD/<epoch ms>-<seq>.parquet` with columns `timestamp` (the
 * event time: the caller's, else the arrival), `arrival_timestamp`, `request_id`, `model_name`,
 * `model_version`, `status`, `latency_ms`, `prediction`, `prediction_proba`, then the
 * signature's input columns (`input_<name>` on a name clash). Files are split by the UTC day
 * of the event time, and the index records the event-time range of each file, so monitors
 * window and select files by when things happened, not by when they were scored.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type * as DuckDB from '@duckdb/node-api';
import type { NewInferenceLogFile } from '../store/index.js';
import type { ColumnSpec } from '../models/index.js';
import type { PredictionType } from './model.js';

/** Where indexed files are recorded: the tracking server (REST) or the metadata store directly. */
export interface InferenceIndex {
  /** Index files (all or none). */
  addFiles(files: readonly NewInferenceLogFile[]): Promise<void>;
}

/** What the log needs to know about the model that scored a row. */
export interface LoggedModel {
  /** Registered model name. */
  readonly name: string;
  /** Version string. */
  readonly version: string;
  /** Signature columns (the input columns of the file); undefined without a column signature. */
  readonly columns: readonly ColumnSpec[] | undefined;
  /** Type of the `prediction` column. */
  readonly predictionType: PredictionType;
}

/**
 * When a request's rows happened: `event` is the caller's event time (one for every row, or
 * one per row), `arrival` when the request reached the server. A bare number is both.
 */
export interface RowTimes {
  /** Epoch ms, for every row or per row. */
  event: number | ArrayLike<number>;
  /** Epoch ms the request arrived. */
  arrival: number;
}

/** One buffered row. Inputs point at the request's own column arrays (no copy). */
interface Entry {
  /** Event time, epoch ms. */
  ts: number;
  /** Arrival time, epoch ms. */
  arrival: number;
  requestId: string;
  model: LoggedModel;
  ok: boolean;
  latencyMs: number;
  prediction: number | string | null;
  proba: number | null;
  inputs: ReadonlyMap<string, ArrayLike<unknown>> | undefined;
  row: number;
}

export interface InferenceLogOptions {
  /** Root directory of the log (see the layout above). */
  root: string;
  /** Index for written files. */
  index: InferenceIndex;
  /** Most rows held in memory; further rows are dropped and counted. Default 200,000. */
  capacity?: number;
  /** Flush once this many rows are buffered. Default 20,000. */
  flushRows?: number;
  /** Flush at least this often, in ms. Default 5,000. */
  flushIntervalMs?: number;
  /** A number that keeps file names of several processes apart (the cluster worker id). Default 0. */
  writerId?: number;
  /** Log lines (drops, write failures). */
  log?: (line: string) => void;
  /** Called with each batch of dropped rows (for the metric). */
  onDrop?: (rows: number) => void;
  /** Called with each batch of rows written (for the metric). */
  onWritten?: (rows: number) => void;
}

/** The log's own columns; an input column with one of these names is stored as `input_<name>`. */
export const LOG_COLUMNS = ['timestamp', 'arrival_timestamp', 'request_id', 'model_name', 'model_version', 'status', 'latency_ms', 'prediction', 'prediction_proba'] as const;

const CHUNK = 2048;

type DuckModule = typeof DuckDB;
let duckdb: Promise<DuckModule> | undefined;
const loadDuckDB = (): Promise<DuckModule> => (duckdb ??= import('@duckdb/node-api'));

/** A UTC day `YYYY-MM-DD` of epoch ms. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The SQL type of a signature column in the log file. */
function sqlType(c: ColumnSpec): string {
  switch (c.type) {
    case 'double':
      return 'DOUBLE';
    case 'float':
      return 'FLOAT';
    case 'integer':
      return 'INTEGER';
    case 'long':
      return 'BIGINT';
    case 'boolean':
      return 'BOOLEAN';
    case 'datetime':
      return 'TIMESTAMP';
    default:
      return 'VARCHAR';
  }
}

const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`;
const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** A value of an input column as staged (DOUBLE for numbers and datetimes, BOOLEAN, VARCHAR). */
function stageValue(stage: 'DOUBLE' | 'BOOLEAN' | 'VARCHAR', v: unknown): number | boolean | string | null {
  if (v === null || v === undefined) return null;
  switch (stage) {
    case 'DOUBLE': {
      if (typeof v === 'number') return Number.isNaN(v) ? null : v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return Number(v);
      if (v instanceof Date) return v.getTime();
      if (typeof v === 'string') {
        const z = /[zZ]|[+-]\d\d:?\d\d$/.test(v) || !/\d[T ]\d/.test(v) ? v : `${v.replace(' ', 'T')}Z`;
        const n = v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : Date.parse(z);
        return Number.isNaN(n) ? null : n;
      }
      return null;
    }
    case 'BOOLEAN':
      return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : null;
    default:
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

function stageOf(sql: string): 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' {
  if (sql === 'BOOLEAN') return 'BOOLEAN';
  if (sql === 'VARCHAR') return 'VARCHAR';
  return 'DOUBLE';
}

/** The bounded buffer and its flusher. */
export class InferenceLog {
  readonly #o: Required<Omit<InferenceLogOptions, 'log' | 'onDrop' | 'onWritten'>> & Pick<InferenceLogOptions, 'log' | 'onDrop' | 'onWritten'>;
  #entries: Entry[] = [];
  #dropped = 0;
  #droppedSinceReport = 0;
  #written = 0;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #pendingIndex: NewInferenceLogFile[] = [];
  #closed = false;
  #db: Promise<{ con: DuckDB.DuckDBConnection; instance: DuckDB.DuckDBInstance }> | undefined;

  constructor(options: InferenceLogOptions) {
    this.#o = {
      capacity: 200_000,
      flushRows: 20_000,
      flushIntervalMs: 5_000,
      writerId: 0,
      ...options,
    };
    this.#timer = setInterval(() => void this.flush(), this.#o.flushIntervalMs);
    this.#timer.unref();
  }

  /** Rows waiting in memory. */
  get size(): number {
    return this.#entries.length;
  }

  /** Rows dropped because the buffer was full, since start. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Rows written to indexed files, since start. */
  get written(): number {
    return this.#written;
  }

  /**
   * Buffer the rows of one scored request. Never blocks and never throws: a full buffer drops
   * the rows and counts them. `time` is the arrival time (also the event time), or both.
   */
  append(
    model: LoggedModel,
    requestId: string,
    time: number | RowTimes,
    latencyMs: number,
    result: { rows: number; logged: ArrayLike<number | string | null>; proba: ArrayLike<number> | undefined; inputs: ReadonlyMap<string, ArrayLike<unknown>> } | undefined,
    errorInputs?: { rows: number; inputs: ReadonlyMap<string, ArrayLike<unknown>> },
  ): void {
    const rows = result?.rows ?? errorInputs?.rows ?? 1;
    // An empty batch scored nothing; a rejected empty request is still one (failed) row.
    if (result !== undefined && rows === 0) return;
    const n = Math.max(rows, 1);
    const room = this.#o.capacity - this.#entries.length;
    if (this.#closed || room < n) {
      this.#dropped += n;
      this.#droppedSinceReport += n;
      this.#o.onDrop?.(n);
      return;
    }
    const ok = result !== undefined;
    const inputs = result?.inputs ?? errorInputs?.inputs;
    const arrival = typeof time === 'number' ? time : time.arrival;
    const event = typeof time === 'number' ? time : time.event;
    for (let i = 0; i < n; i++) {
      this.#entries.push({
        ts: typeof event === 'number' ? event : (event[i] ?? arrival),
        arrival,
        // Rows of one request share its id; a batch's rows are told apart by their position.
        requestId: rows <= 1 ? requestId : `${requestId}/${i}`,
        model,
        ok,
        latencyMs,
        prediction: ok ? (result.logged[i] ?? null) : null,
        proba: ok && result.proba !== undefined ? (result.proba[i] ?? null) : null,
        inputs: rows === 0 ? undefined : inputs,
        row: i,
      });
    }
    if (this.#entries.length >= this.#o.flushRows) void this.flush();
  }

  /** Write what is buffered now. Flushes run one after another; each takes the rows buffered when it starts. */
  flush(): Promise<void> {
    const p = this.#chain.then(async () => {
      const entries = this.#entries;
      this.#entries = [];
      await this.#write(entries);
    });
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** Stop the timer, flush everything and release DuckDB. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    // Rows appended while the last flush ran (a shadow score finishing) are written too.
    while (this.#entries.length > 0) await this.flush();
    // From here on a late row is dropped and counted, never lost silently.
    this.#closed = true;
    if (this.#db !== undefined) {
      const { con, instance } = await this.#db;
      con.closeSync();
      instance.closeSync();
      this.#db = undefined;
    }
  }

  async #write(entries: Entry[]): Promise<void> {
    if (this.#droppedSinceReport > 0) {
      this.#o.log?.(`inference log: buffer full (${this.#o.capacity} rows); dropped ${this.#droppedSinceReport} rows (${this.#dropped} since start)`);
      this.#droppedSinceReport = 0;
    }
    const files: NewInferenceLogFile[] = [...this.#pendingIndex];
    this.#pendingIndex = [];
    try {
      // One file per (model, file schema, day of the event time).
      const groups = new Map<string, Entry[]>();
      for (const e of entries) {
        const key = `${e.model.name}\u0000${schemaKey(e.model)}\u0000${utcDay(e.ts)}`;
        let g = groups.get(key);
        if (g === undefined) groups.set(key, (g = []));
        g.push(e);
      }
      for (const group of groups.values()) {
        try {
          files.push(await this.#writeFile(group));
        } catch (e) {
          this.#o.log?.(`inference log: could not write ${group.length} rows: ${(e as Error).message}`);
          this.#dropped += group.length;
          this.#o.onDrop?.(group.length);
        }
      }
      if (files.length > 0) {
        try {
          await this.#o.index.addFiles(files);
          const rows = files.reduce((s, f) => s + f.rows, 0);
          this.#written += rows;
          this.#o.onWritten?.(rows);
        } catch (e) {
          // The files are on disk; index them on the next flush.
          this.#pendingIndex.push(...files);
          this.#o.log?.(`inference log: could not index ${files.length} files (will retry): ${(e as Error).message}`);
        }
      }
    } catch (e) {
      this.#o.log?.(`inference log: flush failed: ${(e as Error).message}`);
    }
  }

  async #connection(): Promise<DuckDB.DuckDBConnection> {
    this.#db ??= (async () => {
      const { DuckDBInstance } = await loadDuckDB();
      // One thread: the log writes small files in the background and must not compete with scoring.
      const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
      return { instance, con: await instance.connect() };
    })();
    return (await this.#db).con;
  }

  async #writeFile(group: Entry[]): Promise<NewInferenceLogFile> {
    const duck = await loadDuckDB();
    const con = await this.#connection();
    const model = group[0]!.model;
    const day = utcDay(group[0]!.ts);
    const inputs = (model.columns ?? []).map((c) => {
      const sql = sqlType(c);
      const taken = (LOG_COLUMNS as readonly string[]).includes(c.name!);
      return { name: c.name!, out: taken ? `input_${c.name!}` : c.name!, sql, stage: stageOf(sql) };
    });
    const predStage = model.predictionType;
    const stageTypes: DuckDB.DuckDBType[] = [duck.DOUBLE, duck.DOUBLE, duck.VARCHAR, duck.BOOLEAN, duck.DOUBLE, predStage === 'DOUBLE' ? duck.DOUBLE : duck.VARCHAR, duck.DOUBLE, duck.VARCHAR];
    for (const c of inputs) stageTypes.push(c.stage === 'DOUBLE' ? duck.DOUBLE : c.stage === 'BOOLEAN' ? duck.BOOLEAN : duck.VARCHAR);
    const table = `stage_${this.#seq}`;
    const cols = ['ts DOUBLE', 'arrival DOUBLE', 'request_id VARCHAR', 'ok BOOLEAN', 'latency_ms DOUBLE', `prediction ${predStage}`, 'proba DOUBLE', 'version VARCHAR', ...inputs.map((c, j) => `c${j} ${c.stage}`)];
    await con.run(`create table ${table} (${cols.join(', ')})`);
    try {
      const appender = await con.createAppender(table);
      let minTs = Infinity;
      let maxTs = -Infinity;
      for (let off = 0; off < group.length; off += CHUNK) {
        const m = Math.min(CHUNK, group.length - off);
        const chunk = duck.DuckDBDataChunk.create(stageTypes, m);
        const slice = group.slice(off, off + m);
        for (const e of slice) {
          if (e.ts < minTs) minTs = e.ts;
          if (e.ts > maxTs) maxTs = e.ts;
        }
        chunk.setColumnValues(0, slice.map((e) => e.ts));
        chunk.setColumnValues(1, slice.map((e) => e.arrival));
        chunk.setColumnValues(2, slice.map((e) => e.requestId));
        chunk.setColumnValues(3, slice.map((e) => e.ok));
        chunk.setColumnValues(4, slice.map((e) => e.latencyMs));
        chunk.setColumnValues(5, slice.map((e) => (e.prediction === null ? null : predStage === 'DOUBLE' ? (typeof e.prediction === 'number' ? (Number.isNaN(e.prediction) ? null : e.prediction) : Number(e.prediction)) : String(e.prediction))));
        chunk.setColumnValues(6, slice.map((e) => (e.proba === null || Number.isNaN(e.proba) ? null : e.proba)));
        // Versions with the same file schema share a file (a swap mid-flush): the version is per row.
        chunk.setColumnValues(7, slice.map((e) => e.model.version));
        inputs.forEach((c, j) => {
          chunk.setColumnValues(8 + j, slice.map((e) => stageValue(c.stage, e.inputs?.get(c.name)?.[e.row])));
        });
        appender.appendDataChunk(chunk);
        // Give the event loop back between chunks: requests keep flowing during a large flush.
        await new Promise<void>((r) => setImmediate(r));
      }
      appender.flushSync();
      appender.closeSync();
      const select = [
        'epoch_ms(ts::BIGINT) as "timestamp"',
        'epoch_ms(arrival::BIGINT) as arrival_timestamp',
        'request_id',
        `${literal(model.name)} as model_name`,
        'version as model_version',
        `case when ok then 'OK' else 'ERROR' end as status`,
        'latency_ms',
        'prediction',
        'proba as prediction_proba',
        ...inputs.map((c, j) => (c.sql === 'TIMESTAMP' ? `epoch_ms(c${j}::BIGINT) as ${quote(c.out)}` : `c${j}::${c.sql} as ${quote(c.out)}`)),
      ];
      const dir = join(this.#o.root, model.name, `date=${day}`);
      await mkdir(dir, { recursive: true });
      const seq = this.#o.writerId * 1_000_000 + this.#seq++;
      const base = `${Date.now()}-${seq}.parquet`;
      const path = join(dir, base);
      const tmp = join(dir, `.${base}.tmp`);
      try {
        await con.run(`copy (select ${select.join(', ')} from ${table}) to ${literal(tmp)} (format parquet)`);
        await rename(tmp, path);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      return { modelName: model.name, kind: 'predictions', day, minTs, maxTs, rows: group.length, path };
    } finally {
      await con.run(`drop table if exists ${table}`);
    }
  }
}

function schemaKey(m: LoggedModel): string {
  return `${m.predictionType}|${(m.columns ?? []).map((c) => `${c.name}:${c.type}`).join(',')}`;
}
