/**
 * Test fixtures for monitors: small inference logs and baselines written as Parquet by DuckDB
 * from a fixed seed (used by the tests of this folder and of the API and CLI surfaces).
 */
import { withDuck } from './duck.js';
import { lit } from './source.js';

export interface LogFixture {
  /** First day, `YYYY-MM-DD` (UTC). */
  start: string;
  days: number;
  rowsPerDay: number;
  /** Days (0-based) from which `x` shifts by +3 and predictions go wrong. */
  driftFromDay?: number;
  /** Days (0-based) with no rows at all. */
  emptyDays?: number[];
  /** Model version from this day on is '2' (before: '1'). */
  version2FromDay?: number;
}

/**
 * Write an inference log as one Parquet file: timestamp, request_id, model_version, status,
 * latency_ms, x (numeric), cat (string), flag (boolean), prediction (0/1), prediction_proba,
 * label (0/1).
 */
export async function writeLogFixture(path: string, f: LogFixture): Promise<void> {
  const drift = f.driftFromDay ?? 1_000_000;
  const emptyDays = `[${(f.emptyDays ?? [-1]).join(', ')}]`;
  const v2 = f.version2FromDay ?? 1_000_000;
  await withDuck(async (duck) => {
    await duck.run('select setseed(0.42)');
    await duck.run(`copy (
      with base as (
        select d, i, random() as u1, random() as u2, random() as u3 from range(${f.days}) t(d), range(${f.rowsPerDay}) s(i)
        where not list_contains(${emptyDays}, d::INTEGER)
      ), rows as (
        select
          timestamp ${lit(f.start)} + to_days(d::INTEGER) + to_seconds((i * (86000 // ${f.rowsPerDay}))::BIGINT) as timestamp,
          'r-' || d || '-' || i as request_id,
          case when d >= ${v2} then '2' else '1' end as model_version,
          case when u3 < 0.02 then 'ERROR' else 'OK' end as status,
          5 + u2 * 10 as latency_ms,
          (u1 * 10 + case when d >= ${drift} then 3 else 0 end)::DOUBLE as x,
          case when u2 < 0.5 then 'a' when u2 < 0.8 then 'b' else 'c' end as cat,
          u3 < 0.3 as flag,
          (u1 > 0.5)::INTEGER::DOUBLE as label,
          case when d >= ${drift} then (u1 <= 0.5)::INTEGER::DOUBLE else (u1 > 0.5)::INTEGER::DOUBLE end as prediction,
          case when d >= ${drift} then 1 - u1 else u1 end as prediction_proba
        from base
      ) select * from rows order by timestamp) to ${lit(path)} (format parquet)`);
  });
}

/** A baseline (training-set-like) table: x, cat, flag, label from the undrifted distribution. */
export async function writeBaselineFixture(path: string, rows: number): Promise<void> {
  await withDuck(async (duck) => {
    await duck.run('select setseed(0.17)');
    await duck.run(`copy (select (u1 * 10)::DOUBLE as x, case when u2 < 0.5 then 'a' when u2 < 0.8 then 'b' else 'c' end as cat, u3 < 0.3 as flag, (u1 > 0.5)::INTEGER::DOUBLE as label, (u1 > 0.5)::INTEGER::DOUBLE as prediction
      from (select random() as u1, random() as u2, random() as u3 from range(${rows}))) to ${lit(path)} (format parquet)`);
  });
}
