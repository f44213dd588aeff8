/**
 * Batch scoring with automatic feature look-up: the caller gives only entity keys and
 * timestamps; the features a model was trained with (its `feature_spec.yaml`) are joined
 * point-in-time from the latest feature-table versions, exactly as the training set was built,
 * and the predictions are written next to the input columns as Parquet.
 *
 * The model is passed in as a `predict` function, so this module stays below `models`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { invalidParam } from '../../core/errors.js';
import type { DataContext } from '../context.js';
import { fileRelation, isQuery, sqlIdent, sqlString } from '../table.js';
import { isIntegerType, isTimeType, withDuck } from './duck.js';
import { pitQuery } from './pit.js';
import { expandDatasets } from './tables.js';
import { resolveLookups, type ModelFeatureSpec } from './training-set.js';

/** What a model returns for a batch: a prediction per row and, for classifiers, P(positive class). */
export interface BatchPredictions {
  /** One value per row: a label (classifiers) or a number. */
  prediction: ArrayLike<string | number | null>;
  /** Binary classifiers: the probability of the positive class. */
  probability?: ArrayLike<number>;
}

export interface ScoreOptions {
  /** Keys and timestamps: a Parquet/CSV path, or SQL over files and `dataset('name')`. */
  data: string;
  /** Where the predictions go (Parquet; temp then rename). */
  out: string;
  /** The model's lookups. */
  featureSpec: ModelFeatureSpec;
  /** Predict a batch of rows (input columns plus the looked-up features). */
  predict: (rows: Array<Record<string, unknown>>) => Promise<BatchPredictions>;
  /** Rows per predict call (default 50,000). */
  batchRows?: number;
  /** Called after each batch with rows done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface ScoreResult {
  rows: number;
  out: string;
  /** Feature-table versions the features came from. */
  lineage: Array<{ table: string; version: number }>;
  /** Output columns. */
  columns: string[];
}

/**
 * Score `data` with automatically looked-up features and write `out`. Errors: those of the
 * point-in-time join (a missing key or timestamp column names it), RESOURCE_DOES_NOT_EXIST for a
 * feature table that is gone or was never computed, and whatever `predict` throws.
 */
export async function scoreWithFeatures(ctx: DataContext, options: ScoreOptions): Promise<ScoreResult> {
  const lookups = options.featureSpec.lookups.map(({ version: _v, ...l }) => l);
  const { pit, lineage } = await resolveLookups(ctx, lookups);
  let relation: string;
  if (isQuery(options.data) || /\bdataset\(/i.test(options.data)) {
    const { sql } = await expandDatasets(ctx, options.data);
    relation = isQuery(sql) ? `(${sql})` : sql;
  } else relation = fileRelation(options.data);
  const out = resolve(options.out);
  await mkdir(dirname(out), { recursive: true });
  const tmp = join(dirname(out), `.${randomBytes(6).toString('hex')}.parquet.tmp`);
  const batchRows = options.batchRows ?? 50_000;
  try {
    const result = await withDuck(async (duck) => {
      await duck.run(`create temp table __hangar_labels as select * from ${relation}`, 'Cannot read --data');
      const inputCols = (await duck.describe('__hangar_labels')).map((c) => c.name);
      for (const name of ['prediction', 'probability']) if (inputCols.includes(name)) throw invalidParam(`--data already has a column '${name}', which the output uses`, name);
      // The training set's excluded columns (and the timestamp) are not model inputs; the
      // model's signature drops what it does not take, so only the join needs them here.
      const { sql } = await pitQuery(duck, '__hangar_labels', pit, []);
      await duck.run(`create temp table __hangar_scored as ${sql}`, 'Point-in-time join');
      const cols = await duck.describe('__hangar_scored');
      const [count] = await duck.all<{ n: number }>('select count(*)::DOUBLE as n from __hangar_scored');
      const total = count?.n ?? 0;
      // Plain JS values for the model: timestamps as ISO text, integers as numbers.
      const select = cols
        .map((c) =>
          isTimeType(c.type)
            ? `strftime(${sqlIdent(c.name)}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%gZ') as ${sqlIdent(c.name)}`
            : isIntegerType(c.type)
              ? `${sqlIdent(c.name)}::DOUBLE as ${sqlIdent(c.name)}`
              : sqlIdent(c.name),
        )
        .join(', ');

      let predictionType: 'VARCHAR' | 'DOUBLE' | undefined;
      let withProbability = false;
      const predictions: Array<string | number | null> = [];
      const probabilities: number[] = [];
      const stream = await duck.connection.stream(`select ${select} from __hangar_scored order by rowid`);
      let batch: Array<Record<string, unknown>> = [];
      let done = 0;
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const p = await options.predict(batch);
        if (p.prediction.length !== batch.length) throw new Error(`The model returned ${p.prediction.length} predictions for ${batch.length} rows`);
        for (let i = 0; i < batch.length; i++) {
          const v = p.prediction[i] ?? null;
          predictionType ??= typeof v === 'string' ? 'VARCHAR' : v === null ? undefined : 'DOUBLE';
          predictions.push(v);
        }
        if (p.probability !== undefined) {
          withProbability = true;
          for (let i = 0; i < batch.length; i++) probabilities.push(p.probability[i]!);
        }
        done += batch.length;
        batch = [];
        options.onProgress?.(done, total);
      };
      for await (const rows of stream.yieldRowObjectJs()) {
        for (const r of rows) batch.push(r);
        if (batch.length >= batchRows) await flush();
      }
      await flush();

      const type = predictionType ?? 'DOUBLE';
      await duck.run(`create temp table __hangar_predictions (prediction ${type}${withProbability ? ', probability DOUBLE' : ''})`);
      const app = await duck.connection.createAppender('__hangar_predictions');
      for (let i = 0; i < predictions.length; i++) {
        const v = predictions[i];
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) app.appendNull();
        else if (type === 'VARCHAR') app.appendVarchar(String(v));
        else app.appendDouble(Number(v));
        if (withProbability) {
          const q = probabilities[i]!;
          if (Number.isNaN(q)) app.appendNull();
          else app.appendDouble(q);
        }
        app.endRow();
      }
      app.flushSync();
      app.closeSync();
      // The input rows and the predictions line up by position (both in input order).
      const keep = inputCols.map((c) => `i.${sqlIdent(c)}`).join(', ');
      await duck.run(
        `copy (select ${keep}, p.* from (select * from __hangar_scored order by rowid) i positional join __hangar_predictions p) to ${sqlString(tmp)} (format parquet)`,
        'Writing the predictions',
      );
      return { rows: total, columns: [...inputCols, 'prediction', ...(withProbability ? ['probability'] : [])] };
    });
    await rename(tmp, out);
    return { rows: result.rows, out, lineage: lineage.map((l) => ({ table: l.table, version: l.version })), columns: result.columns };
  } finally {
    await rm(tmp, { force: true });
  }
}
