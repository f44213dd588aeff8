/**
 * Per-column statistics of a dataset version, computed by DuckDB in one aggregate query plus one
 * small group-by per text or boolean column (its most frequent values).
 */
import { sqlIdent } from '../table.js';
import { jsonValue, queryRows, type DuckConnection } from './duck.js';

/** The quantiles every numeric column reports. */
export const PROFILE_QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
/** How many of the most frequent values a text or boolean column reports. */
export const TOP_VALUES = 10;

/** Statistics of one column. Fields a column's kind has no use for are absent. */
export interface ColumnProfile {
  name: string;
  /** DuckDB type name. */
  type: string;
  /** Non-null values. */
  count: number;
  nulls: number;
  /** Distinct non-null values (exact). */
  distinct?: number;
  /** Smallest value: a number, or ISO-like text for dates and timestamps. */
  min?: number | string | null;
  max?: number | string | null;
  /** Numbers only. */
  mean?: number | null;
  /** Sample standard deviation; numbers only. */
  stddev?: number | null;
  /**
   * Numbers only: `{"0.05": …, "0.25": …, "0.5": …, "0.75": …, "0.95": …}`, interpolated as DuckDB's
   * `quantile_cont`; exact up to `EXACT_QUANTILE_MAX_DISTINCT` distinct values, approximate above.
   */
  quantiles?: Record<string, number> | null;
  /** Text and booleans: the most frequent values, most frequent first (ties by value). */
  top?: Array<{ value: string | boolean; count: number }>;
}

/** A dataset version's profile. `num_rows` and `num_elements` are MLflow's dataset profile fields. */
export interface DatasetProfile {
  num_rows: number;
  num_elements: number;
  columns: ColumnProfile[];
}

type Kind = 'number' | 'temporal' | 'text' | 'boolean' | 'other';

/** Date and time types (not lists of them). */
const TEMPORAL = /^(TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|DATE|TIME)$/;

function kindOf(type: string): Kind {
  const t = type.toUpperCase();
  if (t === 'BOOLEAN') return 'boolean';
  if (TEMPORAL.test(t)) return 'temporal';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL)$|^DECIMAL\(\d+,\s*\d+\)$/.test(t)) return 'number';
  if (t === 'VARCHAR' || (t.startsWith('ENUM(') && t.endsWith(')'))) return 'text';
  return 'other';
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number.isFinite(Number(v)) ? Number(v) : null);

/** Above this many distinct values a column's quantiles are approximated instead of read off its histogram. */
export const EXACT_QUANTILE_MAX_DISTINCT = 100_000;

/**
 * Quantiles of a numeric column. With few distinct values (most integer columns: delays,
 * counts, codes) they are exact, interpolated as DuckDB's `quantile_cont` does, from a
 * value→count histogram that one hash aggregation builds; sorting every row for exact
 * quantiles would cost seconds on millions of rows. Above `EXACT_QUANTILE_MAX_DISTINCT` distinct
 * values DuckDB's t-digest `approx_quantile` answers.
 */
async function quantiles(con: DuckConnection, relation: string, column: string, distinct: number, count: number): Promise<Record<string, number>> {
  const id = sqlIdent(column);
  if (distinct > EXACT_QUANTILE_MAX_DISTINCT) {
    const row = (await queryRows(con, `select approx_quantile(${id}::DOUBLE, [${PROFILE_QUANTILES.join(', ')}])::DOUBLE[] as q from ${relation}`))[0];
    const q = (row?.q as unknown[] | null | undefined) ?? [];
    return Object.fromEntries(PROFILE_QUANTILES.map((k, j) => [String(k), num(q[j]) ?? NaN]));
  }
  const rows = (await con.runAndReadAll(`select ${id}::DOUBLE as v, count(*)::DOUBLE as n from ${relation} where ${id} is not null group by 1 order by 1`)).getRowsJS();
  const values = rows.map((r) => Number(r[0]));
  const ends: number[] = []; // ends[i]: rank just past the last occurrence of values[i]
  let total = 0;
  for (const r of rows) ends.push((total += Number(r[1])));
  const at = (rank: number): number => {
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! > rank) hi = mid;
      else lo = mid + 1;
    }
    return values[lo]!;
  };
  return Object.fromEntries(
    PROFILE_QUANTILES.map((q) => {
      const pos = (count - 1) * q;
      const below = Math.floor(pos);
      const a = at(below);
      const b = at(Math.ceil(pos));
      return [String(q), a + (b - a) * (pos - below)];
    }),
  );
}

/** Profile `relation` (a table name or an aliased subquery) whose columns are `schema`. */
export async function profileRelation(con: DuckConnection, relation: string, schema: ReadonlyArray<{ name: string; type: string }>, rowCount: number): Promise<DatasetProfile> {
  const selects: string[] = [];
  schema.forEach((c, i) => {
    const id = sqlIdent(c.name);
    const kind = kindOf(c.type);
    selects.push(`count(${id})::DOUBLE as n${i}`);
    if (kind !== 'other') selects.push(`count(distinct ${id})::DOUBLE as d${i}`);
    if (kind === 'number') {
      selects.push(
        `min(${id})::DOUBLE as lo${i}`,
        `max(${id})::DOUBLE as hi${i}`,
        `avg(${id})::DOUBLE as mean${i}`,
        `stddev_samp(${id})::DOUBLE as sd${i}`,
      );
    } else if (kind === 'temporal') {
      selects.push(`min(${id})::VARCHAR as lo${i}`, `max(${id})::VARCHAR as hi${i}`);
    }
  });
  const stats = selects.length === 0 ? {} : ((await queryRows(con, `select ${selects.join(', ')} from ${relation}`))[0] ?? {});

  const columns: ColumnProfile[] = [];
  for (let i = 0; i < schema.length; i++) {
    const c = schema[i]!;
    const kind = kindOf(c.type);
    const count = Number(stats[`n${i}`] ?? 0);
    const p: ColumnProfile = { name: c.name, type: c.type, count, nulls: rowCount - count };
    if (kind !== 'other') p.distinct = Number(stats[`d${i}`] ?? 0);
    if (kind === 'number') {
      p.min = num(stats[`lo${i}`]);
      p.max = num(stats[`hi${i}`]);
      p.mean = num(stats[`mean${i}`]);
      p.stddev = num(stats[`sd${i}`]);
      p.quantiles = count === 0 ? null : await quantiles(con, relation, c.name, p.distinct ?? Infinity, count);
    } else if (kind === 'temporal') {
      p.min = (stats[`lo${i}`] as string | null | undefined) ?? null;
      p.max = (stats[`hi${i}`] as string | null | undefined) ?? null;
    } else if (kind === 'text' || kind === 'boolean') {
      const id = sqlIdent(c.name);
      const top = await queryRows(con, `select ${id} as v, count(*)::DOUBLE as n from ${relation} where ${id} is not null group by 1 order by 2 desc, 1 limit ${TOP_VALUES}`);
      p.top = top.map((r) => ({ value: kind === 'boolean' ? Boolean(r.v) : String(jsonValue(r.v)), count: Number(r.n) }));
    }
    columns.push(p);
  }
  return { num_rows: rowCount, num_elements: rowCount * schema.length, columns };
}
