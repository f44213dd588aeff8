/**
 * Batch inference (`hangar predict`): score a Parquet or CSV file (or a SQL query over files)
 * to Parquet, the input columns followed by `prediction` (and `probability` for classifiers).
 * The input is read once into typed arrays and scored in batches; DuckDB writes the output by
 * joining the input file with the predictions by position, so input columns keep their types.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { HangarError } from '../core/errors.js';
import { fileRelation, isQuery, readTable, type Table } from '../data/index.js';
import type { ServingModel } from './model.js';
import type { ScoringTable } from './protocol.js';

/** Progress of a batch scoring run. */
export interface BatchProgress {
  /** Rows scored so far. */
  done: number;
  /** Rows in the input. */
  total: number;
}

export interface PredictFileOptions {
  /** Rows per scoring batch. Default 100,000. */
  batchRows?: number;
  /** Called after each batch. */
  onProgress?: (p: BatchProgress) => void;
}

/** What a batch scoring run did. */
export interface PredictFileResult {
  /** Rows scored. */
  rows: number;
  /** The output file. */
  out: string;
  /** Output columns added: `prediction`, and `probability` for classifiers. */
  added: string[];
  /** Seconds reading, scoring and writing. */
  seconds: { read: number; score: number; write: number };
}

/**
 * A slice of a table's columns as model input: strings for string columns, booleans for
 * booleans, and numeric and timestamp columns as Float64Array views (no copy; NaN is missing,
 * and signature checks skip typed numeric columns).
 */
function tableInput(t: Table, from: number, to: number): ScoringTable {
  const columns = new Map<string, ArrayLike<unknown>>();
  const n = to - from;
  for (const c of t.columns) {
    if (c.type === 'string') {
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        const code = c.codes[from + i]!;
        out[i] = code < 0 ? null : c.categories[code]!;
      }
      columns.set(c.name, out);
    } else if (c.type === 'boolean') {
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        const v = c.values[from + i]!;
        out[i] = Number.isNaN(v) ? null : v !== 0;
      }
      columns.set(c.name, out);
    } else {
      columns.set(c.name, c.values.subarray(from, to));
    }
  }
  return { rows: n, columns, positional: false };
}

/**
 * Score `data` (a .parquet/.csv path or a SQL query) with `model` and write `out` (Parquet,
 * written to a temp name then renamed). INVALID_PARAMETER_VALUE naming the column when the
 * input lacks a required column or holds a value of the wrong type, or when it already has a
 * `prediction`/`probability` column.
 */
export async function predictFile(model: ServingModel, data: string, out: string, options: PredictFileOptions = {}): Promise<PredictFileResult> {
  const batch = options.batchRows ?? 100_000;
  const t0 = performance.now();
  const wanted = model.columns?.map((c) => c.name!);
  const table = await readTable(data);
  const present = new Set(table.columns.map((c) => c.name));
  const classifier = model.problem === 'binary' || model.problem === 'multiclass';
  const added = classifier ? ['prediction', 'probability'] : ['prediction'];
  for (const a of added) {
    if (present.has(a)) throw new HangarError('INVALID_PARAMETER_VALUE', `The input already has a column '${a}'; rename it (or select other columns with a query) before scoring.`, { field: a });
  }
  const scored = table.columns.filter((c) => wanted === undefined || wanted.includes(c.name));
  const input: Table = { ...table, columns: scored };
  const t1 = performance.now();
  const predictions: Array<number | string | null> = new Array(table.rows);
  const probability = classifier ? new Float64Array(table.rows) : undefined;
  options.onProgress?.({ done: 0, total: table.rows });
  for (let from = 0; from < table.rows; from += batch) {
    const to = Math.min(table.rows, from + batch);
    const r = await model.score(tableInput(input, from, to));
    for (let i = 0; i < r.rows; i++) predictions[from + i] = r.logged[i] ?? null;
    if (probability !== undefined) {
      for (let i = 0; i < r.rows; i++) {
        const p = r.predictions[i] as { label?: string; probabilities?: Record<string, number> } | undefined;
        probability[from + i] = r.proba?.[i] ?? (p?.label !== undefined && p.probabilities !== undefined ? (p.probabilities[p.label] ?? NaN) : NaN);
      }
    }
    options.onProgress?.({ done: to, total: table.rows });
  }
  const t2 = performance.now();
  await writeWithPredictions(data, out, model.predictionType, predictions, probability);
  const t3 = performance.now();
  return { rows: table.rows, out: resolve(out), added, seconds: { read: (t1 - t0) / 1000, score: (t2 - t1) / 1000, write: (t3 - t2) / 1000 } };
}

async function writeWithPredictions(data: string, out: string, type: 'DOUBLE' | 'VARCHAR', predictions: Array<number | string | null>, probability: Float64Array | undefined): Promise<void> {
  const duck = await import('@duckdb/node-api');
  const instance = await duck.DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  const target = resolve(out);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    await con.run(`create table preds (prediction ${type}${probability === undefined ? '' : ', probability DOUBLE'})`);
    const appender = await con.createAppender('preds');
    const types = probability === undefined ? [type === 'DOUBLE' ? duck.DOUBLE : duck.VARCHAR] : [type === 'DOUBLE' ? duck.DOUBLE : duck.VARCHAR, duck.DOUBLE];
    for (let off = 0; off < predictions.length; off += 2048) {
      const m = Math.min(2048, predictions.length - off);
      const chunk = duck.DuckDBDataChunk.create(types, m);
      chunk.setColumnValues(
        0,
        predictions.slice(off, off + m).map((v) => (v === null || (typeof v === 'number' && Number.isNaN(v)) ? null : type === 'DOUBLE' ? Number(v) : String(v))),
      );
      if (probability !== undefined) chunk.setColumnValues(1, Array.from(probability.subarray(off, off + m), (v) => (Number.isNaN(v) ? null : v)));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();
    const source = isQuery(data) ? `(${data})` : fileRelation(data);
    await mkdir(dirname(target), { recursive: true });
    await con.run(`copy (select * from ${source} positional join preds) to '${tmp.replaceAll("'", "''")}' (format parquet)`);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}
