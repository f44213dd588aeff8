/**
 * One monitor run's computation: the profile metrics of every window × granularity × slice ×
 * column × model (DuckDB GROUP BYs over GROUPING SETS), model quality and operational metrics
 * on the `:table` rows, and drift of each window against the previous window and against the
 * baseline (M1's statistics over the window's values).
 *
 * Which rows are analysed: the first run takes the last 30 days before the data's newest
 * timestamp (as Databricks' first refresh does); later runs take everything since the previous
 * run's newest timestamp, aligned to whole windows, and at least the last `refresh_days` (default
 * 30) again, so that labels that arrived late update the quality of recent windows. A recomputed window's rows
 * replace the earlier run's (readers keep the newest run's row per key).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { invalidParam } from '../../core/errors.js';
import { readTable, type Column, type Table } from '../../data/index.js';
import { regressionMetrics, rocAuc } from '../../models/index.js';
import {
  binnedCounts,
  chiSquared,
  driftOfPrepared,
  jensenShannon,
  ksTwoSampleSorted,
  lInfinity,
  mergedWalk,
  prepareColumn,
  prepareNumeric,
  psiSorted,
  sortedValues,
  totalVariation,
  wassersteinSorted,
  type MergedWalk,
} from '../stats/index.js';
import type { LogFilesContext } from '../../serving/index.js';
import type { Store } from '../../store/index.js';
import { dataError, withDuck, type Duck } from './duck.js';
import { ident, lit, sourceRelation } from './source.js';
import type { MonitorDefinition } from './spec.js';
import { QUANTILES, type DriftHead, type DriftRow, type ProfileHead, type ProfileRow } from './tables.js';

/** Days the first run looks back from the newest row. */
export const FIRST_RUN_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ComputeInput {
  def: MonitorDefinition;
  monitorVersion: number;
  runId: string;
  /** When the run started (epoch ms); the Snapshot window's time. */
  computedAt: number;
  /** Newest data timestamp the previous successful run analysed; null for the first run. */
  watermark: number | null;
  /** The metadata store, for the inference-log file index (null: scan folders). */
  store: Store | null;
  /** Default inference-log root (local path), or null when the artifact root is not local. */
  logRoot: string | null;
  /** The artifact store (and cache) of inference-log files indexed by artifact URI (a remote log). */
  logFiles?: LogFilesContext;
}

export interface ComputeResult {
  profile: ProfileRow[];
  drift: DriftRow[];
  /** Newest data timestamp seen (the next run's watermark); null when there was no data. */
  newest: number | null;
  /** First analysed timestamp (epoch ms), null without data. */
  from: number | null;
  /** Rows analysed. */
  rows: number;
  /** Windows analysed, over all granularities. */
  windows: number;
  /** Columns profiled. */
  columns: string[];
}

type Kind = 'numeric' | 'categorical';
interface ColumnInfo {
  name: string;
  sqlType: string;
  kind: Kind;
}

interface Grid {
  granularity: string | null;
  /** Window starts ascending (epoch ms) and their ends. */
  starts: number[];
  ends: number[];
  /** First analysed timestamp of this granularity. */
  from: number;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL|REAL)/;
const CATEGORICAL = /^(VARCHAR|BOOLEAN|ENUM)/;

function kindOf(sqlType: string): Kind | null {
  const t = sqlType.toUpperCase();
  if (NUMERIC.test(t)) return 'numeric';
  if (CATEGORICAL.test(t)) return 'categorical';
  return null;
}

/** Inference-log columns that describe the request rather than the model's inputs. */
const LOG_COLUMNS = new Set(['request_id', 'model_name', 'status', 'latency_ms']);

/** The role columns of a monitor, with the inference-log defaults filled in. */
export function roles(def: MonitorDefinition): { ts: string | null; model: string | null; prediction: string | null; label: string | null; proba: string | null } {
  const p = def.profile;
  if (p.type === 'Snapshot') return { ts: null, model: null, prediction: null, label: null, proba: null };
  if (p.type === 'TimeSeries') return { ts: p.timestamp_col, model: null, prediction: null, label: null, proba: null };
  const log = 'inference_log' in def.source;
  return {
    ts: p.timestamp_col,
    model: p.model_id_col,
    prediction: p.prediction_col,
    label: p.label_col ?? (log ? 'label' : null),
    proba: p.prediction_proba_col ?? (log ? 'prediction_proba' : null),
  };
}

const empty = (): ComputeResult => ({ profile: [], drift: [], newest: null, from: null, rows: 0, windows: 0, columns: [] });

/** Compute one run's metric rows. Bad definitions against the data are INVALID_PARAMETER_VALUE naming the field. */
export async function computeMonitor(input: ComputeInput): Promise<ComputeResult> {
  const { def } = input;
  const rel = await sourceRelation(def, input.store, input.logRoot, undefined, input.logFiles);
  if (rel === null) return empty();
  const r = roles(def);
  const baseRel = def.baseline === null || def.baseline === undefined ? null : (await import('./source.js')).tableRelation(def.baseline, 'baseline');

  return withDuck(async (duck) => {
    let described: Array<{ column_name: string; column_type: string }>;
    try {
      described = await duck.rows(`describe select * from ${rel}`);
    } catch (e) {
      throw dataError(e, `Cannot read the monitor's source`, 'source');
    }
    const types = new Map(described.map((d) => [d.column_name, d.column_type]));
    const need = (col: string | null, field: string): void => {
      if (col !== null && !types.has(col)) throw invalidParam(`Column '${col}' (${field}) is not in the source; its columns are: ${[...types.keys()].join(', ')}.`, field);
    };
    need(r.ts, 'profile.timestamp_col');
    need(r.model, 'profile.model_id_col');
    need(r.prediction, 'profile.prediction_col');
    if (def.profile.type === 'InferenceLog' && def.profile.label_col) need(r.label, 'profile.label_col');
    if (def.profile.type === 'InferenceLog' && def.profile.prediction_proba_col) need(r.proba, 'profile.prediction_proba_col');
    const label = r.label !== null && types.has(r.label) ? r.label : null;
    const proba = r.proba !== null && types.has(r.proba) ? r.proba : null;

    // --- columns to profile
    const skip = new Set([r.ts, r.model, ...(def.profile.type === 'InferenceLog' ? LOG_COLUMNS : [])].filter((x): x is string => x !== null));
    let columns: ColumnInfo[];
    if (def.columns) {
      columns = def.columns.map((name, i) => {
        const t = types.get(name);
        if (t === undefined) throw invalidParam(`Column '${name}' (columns.${i}) is not in the source; its columns are: ${[...types.keys()].join(', ')}.`, `columns.${i}`);
        const kind = kindOf(t);
        if (kind === null) throw invalidParam(`Column '${name}' (columns.${i}) has type ${t}; monitors profile numeric, string and boolean columns.`, `columns.${i}`);
        return { name, sqlType: t, kind };
      });
    } else {
      columns = described.flatMap((d) => {
        const kind = kindOf(d.column_type);
        return kind === null || skip.has(d.column_name) || d.column_name.startsWith('__') ? [] : [{ name: d.column_name, sqlType: d.column_type, kind }];
      });
    }
    const operational = def.profile.type === 'InferenceLog' && types.has('status') && types.has('latency_ms');

    // --- the analysed range
    const tsExpr = r.ts === null ? null : timestampExpr(ident(r.ts), types.get(r.ts)!);
    let newest: number | null = null;
    let grids: Grid[];
    if (tsExpr === null) {
      grids = [{ granularity: null, starts: [input.computedAt], ends: [input.computedAt], from: -Infinity }];
    } else {
      const [range] = await duck.rows<{ newest: number | null; oldest: number | null }>(`select epoch_ms(max(${tsExpr})) as newest, epoch_ms(min(${tsExpr})) as oldest from ${rel}`);
      newest = range?.newest ?? null;
      if (newest === null) return empty();
      const granularities = def.profile.type === 'Snapshot' ? [] : def.profile.granularities;
      // Windows before the first row are not empty windows: the data did not exist yet.
      const since = Math.max(newest - FIRST_RUN_DAYS * DAY_MS, range!.oldest!);
      grids = [];
      for (const g of granularities) {
        let from = since;
        if (input.watermark !== null) {
          // Later runs: whole windows from the one holding the previous watermark (or 30 days back, if earlier).
          const refresh = Math.max(newest - def.refresh_days * DAY_MS, range!.oldest!);
          const [b] = await duck.rows<{ s: number }>(`select epoch_ms(time_bucket(interval '${g}', ${tsLiteral(Math.min(input.watermark, refresh))})) as s`);
          from = b!.s;
        }
        const ws = await duck.rows<{ s: number; e: number }>(
          `select epoch_ms(w) as s, epoch_ms(w + interval '${g}') as e from range(time_bucket(interval '${g}', ${tsLiteral(from)}), ${tsLiteral(newest)} + interval '1 millisecond', interval '${g}') as t(w)`,
        );
        grids.push({ granularity: g, starts: ws.map((w) => w.s), ends: ws.map((w) => w.e), from });
      }
    }
    const minFrom = Math.min(...grids.map((g) => g.from));

    // --- materialise the analysed rows once
    const sliceExprs = def.slicing_exprs;
    const select = [
      '*',
      tsExpr === null ? null : `${tsExpr} as __ts`,
      r.model === null ? `'*' as __model` : `${ident(r.model)}::VARCHAR as __model`,
      ...sliceExprs.map((e, i) => `(${e})::VARCHAR as __s${i}`),
    ].filter((x) => x !== null);
    const where = tsExpr === null || !Number.isFinite(minFrom) ? '' : ` where ${tsExpr} >= ${tsLiteral(minFrom)}`;
    await runData(duck, `create temp table src as select ${select.join(', ')} from ${rel}${where}`, 'slicing_exprs');
    const [{ n: rows } = { n: 0 }] = await duck.rows<{ n: number }>('select count(*) as n from src');
    let baseColumns: ColumnInfo[] = [];
    // What earlier runs learnt from the same baseline file; the file is read only for what is missing.
    const baseline = baseRel === null ? null : baselineEntry(def.baseline!, sliceExprs);
    let baseTable = false;
    const needBase = async (): Promise<void> => {
      if (baseTable) return;
      const bselect = ['*', ...sliceExprs.map((e, i) => `(${e})::VARCHAR as __s${i}`)];
      await runData(duck, `create temp table base as select ${bselect.join(', ')} from ${baseRel}`, 'baseline');
      baseTable = true;
    };
    if (baseline !== null) {
      if (baseline.types === null) {
        await needBase();
        baseline.types = new Map((await duck.rows<{ column_name: string; column_type: string }>('describe base')).map((d) => [d.column_name, d.column_type]));
      }
      const btypes = baseline.types;
      // Columns the baseline lacks (predictions, request ids…) get no BASELINE comparison.
      baseColumns = columns.filter((c) => btypes.has(c.name) && kindOf(btypes.get(c.name)!) === c.kind);
    }
    const baseKey = JSON.stringify(baseColumns.map((c) => [c.name, c.kind]));

    const meta = { monitor_version: input.monitorVersion, monitor_run_id: input.runId, computed_at: input.computedAt };
    const profile: ProfileRow[] = [];
    const perModel = r.model !== null;
    const sliceOptions: Array<{ key: string | null; col: string | null }> = [{ key: null, col: null }, ...sliceExprs.map((e, i) => ({ key: e, col: `__s${i}` }))];

    for (const grid of grids) {
      const w = grid.granularity === null ? lit(String(input.computedAt)) + '::BIGINT' : `epoch_ms(time_bucket(interval '${grid.granularity}', __ts))`;
      const gWhere = grid.granularity === null ? 'true' : `__ts >= ${tsLiteral(grid.from)}`;
      for (const s of sliceOptions) {
        const found = await profileQuery(duck, {
          relation: `(select *, ${w} as __w, ${s.col ?? 'null::VARCHAR'} as __sv from src where ${gWhere})`,
          columns,
          perModel,
          operational,
          frequentItems: def.frequent_items,
        });
        const ends = new Map(grid.starts.map((st, i) => [st, grid.ends[i]!]));
        const rowsOut = fillWindows(found, grid, perModel, columns);
        for (const x of rowsOut) {
          const end = grid.granularity === null ? input.computedAt : (ends.get(x.w) ?? x.w);
          profile.push(...toProfileRows(x, { ...meta, window_start: x.w, window_end: end, granularity: grid.granularity, slice_key: s.key, log_type: 'INPUT' }, columns, grid, operational));
        }
      }
    }
    if (baseline !== null) {
      // The groups depend on the columns' names and kinds and on frequent_items; the rows' types and run ids are added here.
      const groupsKey = JSON.stringify([baseKey, def.frequent_items]);
      let groups = baseline.profiles.get(groupsKey);
      if (groups === undefined) {
        await needBase();
        groups = [];
        for (const s of sliceOptions) {
          groups.push(await profileQuery(duck, { relation: `(select *, null::BIGINT as __w, ${s.col ?? 'null::VARCHAR'} as __sv, '*' as __model from base)`, columns: baseColumns, perModel: false, operational: false, frequentItems: def.frequent_items }));
        }
        remember(baseline.profiles, groupsKey, groups);
      }
      sliceOptions.forEach((s, i) => {
        for (const x of groups[i]!) {
          profile.push(...toProfileRows(x, { ...meta, window_start: null, window_end: null, granularity: null, slice_key: s.key, log_type: 'BASELINE' }, baseColumns, null, false));
        }
      });
    }

    // --- model quality and drift need the values themselves
    const needValues = (label !== null && r.prediction !== null) || columns.length > 0;
    let drift: DriftRow[] = [];
    if (needValues && rows > 0) {
      const valueCols = [...new Set([...columns.map((c) => c.name), ...[r.prediction, label, proba].filter((x): x is string => x !== null)])];
      const wCols = grids.map((g, i) => (g.granularity === null ? `0::DOUBLE as __w${i}` : `epoch_ms(time_bucket(interval '${g.granularity}', __ts))::DOUBLE as __w${i}`));
      // From the rows materialised above, not the source files again.
      const cur = await duck.table(`select ${[...valueCols.map(ident), ...wCols, '__model', ...sliceExprs.map((_e, i) => `__s${i}`), tsExpr === null ? '0::DOUBLE as __t' : 'epoch_ms(__ts)::DOUBLE as __t'].join(', ')} from src`);
      let base: BaselineValues | null = null;
      if (baseline !== null && baseColumns.length > 0) {
        base = baseline.values.get(baseKey) ?? null;
        if (base === null) {
          const table = await readTable(`select ${[...baseColumns.map((c) => ident(c.name)), ...sliceExprs.map((_e, i) => `__s${i}`)].join(', ')} from (select *, ${sliceExprs.map((e, i) => `(${e})::VARCHAR as __s${i}`).concat('1 as __one').join(', ')} from ${baseRel})`);
          base = remember(baseline.values, baseKey, baselineValues(table, sliceOptions, baseColumns));
        }
      }
      const index = new Map(profile.map((p) => [profileKey(p), p]));
      if (label !== null && r.prediction !== null && def.profile.type === 'InferenceLog') {
        addQuality(cur, grids, sliceOptions, index, { prediction: r.prediction, label, proba, problem: def.profile.problem_type, perModel, minTs: grids });
      }
      drift = computeDrift(cur, base, grids, sliceOptions, columns, baseColumns, index, meta);
    }
    return { profile, drift, newest, from: Number.isFinite(minFrom) ? minFrom : null, rows, windows: grids.reduce((a, g) => a + g.starts.length, 0), columns: columns.map((c) => c.name) };
  });
}

function tsLiteral(ms: number): string {
  return `make_timestamp(${Math.trunc(ms)}::BIGINT * 1000)`;
}

/** A column as TIMESTAMP: timestamps and dates cast, numbers read as epoch ms, strings parsed. */
function timestampExpr(col: string, sqlType: string): string {
  const t = sqlType.toUpperCase();
  if (t.startsWith('TIMESTAMP WITH TIME ZONE') || t === 'TIMESTAMPTZ') return `(${col} at time zone 'UTC')`;
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return `${col}::TIMESTAMP`;
  if (NUMERIC.test(t)) return `make_timestamp((${col})::BIGINT * 1000)`;
  return `${col}::TIMESTAMP`;
}

async function runData(duck: Duck, sql: string, field: string): Promise<void> {
  try {
    await duck.run(sql);
  } catch (e) {
    throw dataError(e, field === 'baseline' ? 'Cannot read the baseline' : 'Cannot evaluate the slicing expressions', field);
  }
}

// --- profiles ------------------------------------------------------------------------------------

/** One group of the profile query: a window, a slice value, a model. */
interface Group {
  w: number;
  sv: string | null;
  m: string;
  n: number;
  /** Per column: its aggregate values. */
  cols: Map<string, Record<string, unknown>>;
  table: Record<string, unknown>;
}

async function profileQuery(
  duck: Duck,
  q: { relation: string; columns: ColumnInfo[]; perModel: boolean; operational: boolean; frequentItems: number },
): Promise<Group[]> {
  const aggs: string[] = ['count(*) as n'];
  q.columns.forEach((c, i) => {
    const id = ident(c.name);
    aggs.push(`count(${id}) as c${i}_nonnull`);
    if (c.kind === 'numeric') {
      const v = `(${id})::DOUBLE`;
      const ok = `filter (where not isnan(${v}))`;
      aggs.push(
        `count_if(${v} = 0) as c${i}_zeros`,
        `count_if(isnan(${v})) as c${i}_nan`,
        `avg(${v}) ${ok} as c${i}_avg`,
        `stddev_samp(${v}) ${ok} as c${i}_stddev`,
        `min(${v}) ${ok} as c${i}_min`,
        `max(${v}) ${ok} as c${i}_max`,
        `quantile_cont(${v}, [${QUANTILES.join(', ')}]) ${ok} as c${i}_q`,
        `count(distinct ${v}) as c${i}_distinct`,
      );
    } else {
      const v = `(${id})::VARCHAR`;
      aggs.push(`count(distinct ${v}) as c${i}_distinct`, `min(length(${v})) as c${i}_minlen`, `max(length(${v})) as c${i}_maxlen`, `avg(length(${v})) as c${i}_avglen`);
    }
  });
  if (q.operational) aggs.push(`count_if(status = 'ERROR') as op_errors`, `quantile_cont(latency_ms, [0.5, 0.95, 0.99]) as op_latency`);
  const model = q.perModel ? `case when grouping(__model) = 1 then '*' else __model end` : `'*'`;
  const groupBy = q.perModel ? 'group by grouping sets ((__w, __sv, __model), (__w, __sv))' : 'group by __w, __sv';
  const rows = await duck.rows(`select __w as w, __sv as sv, ${model} as m, ${aggs.join(', ')} from ${q.relation} ${groupBy}`);

  // Frequent items of categorical columns, the top k per group.
  const frequent = new Map<string, Array<{ item: string; count: number }>>();
  if (q.frequentItems > 0) {
    for (const [i, c] of q.columns.entries()) {
      if (c.kind !== 'categorical') continue;
      const gb = q.perModel ? 'group by grouping sets ((__w, __sv, __model, __v), (__w, __sv, __v))' : 'group by __w, __sv, __v';
      const items = await duck.rows<{ w: number; sv: string | null; m: string; v: string; cnt: number }>(
        `select * from (select __w as w, __sv as sv, ${model} as m, __v as v, count(*) as cnt from (select *, (${ident(c.name)})::VARCHAR as __v from ${q.relation}) where __v is not null ${gb}) ` +
          `qualify row_number() over (partition by w, sv, m order by cnt desc, v) <= ${q.frequentItems} order by w, sv, m, cnt desc, v`,
      );
      for (const it of items) {
        const key = `${i}|${it.w}|${it.sv}|${it.m}`;
        let list = frequent.get(key);
        if (list === undefined) frequent.set(key, (list = []));
        list.push({ item: it.v, count: it.cnt });
      }
    }
  }

  return rows.map((row) => {
    const g: Group = { w: row.w as number, sv: (row.sv as string | null) ?? null, m: row.m as string, n: row.n as number, cols: new Map(), table: {} };
    q.columns.forEach((c, i) => {
      const get = (k: string) => row[`c${i}_${k}`];
      const entry: Record<string, unknown> = { nonnull: get('nonnull'), distinct: get('distinct') };
      if (c.kind === 'numeric') Object.assign(entry, { zeros: get('zeros'), nan: get('nan'), avg: get('avg'), stddev: get('stddev'), min: get('min'), max: get('max'), q: get('q') });
      else Object.assign(entry, { minlen: get('minlen'), maxlen: get('maxlen'), avglen: get('avglen'), freq: frequent.get(`${i}|${g.w}|${g.sv}|${g.m}`) ?? [] });
      g.cols.set(c.name, entry);
    });
    if (q.operational) g.table = { errors: row.op_errors, latency: row.op_latency };
    return g;
  });
}

/**
 * Add empty groups (count 0) for the windows of the grid a group has no rows in: every window
 * for all models together, and the windows between a model's first and last for each model.
 */
function fillWindows(found: Group[], grid: Grid, perModel: boolean, columns: ColumnInfo[]): Group[] {
  if (grid.granularity === null) return found;
  const bySeries = new Map<string, Group[]>();
  for (const g of found) {
    const k = JSON.stringify([g.sv, g.m]);
    let list = bySeries.get(k);
    if (list === undefined) bySeries.set(k, (list = []));
    list.push(g);
  }
  const out: Group[] = [];
  for (const [k, list] of bySeries) {
    const [sv, m] = JSON.parse(k) as [string | null, string];
    const have = new Set(list.map((g) => g.w));
    let starts = grid.starts;
    if (perModel && m !== '*') {
      const lo = Math.min(...have);
      const hi = Math.max(...have);
      starts = grid.starts.filter((s) => s >= lo && s <= hi);
    }
    out.push(...list);
    for (const s of starts) {
      if (!have.has(s)) out.push({ w: s, sv, m, n: 0, cols: new Map(columns.map((c) => [c.name, { nonnull: 0, distinct: 0, zeros: 0, nan: 0, freq: [] }])), table: {} });
    }
  }
  // Whole-table series always cover the grid, even for a slice value absent from it.
  return out.sort((a, b) => a.w - b.w || String(a.sv).localeCompare(String(b.sv)) || a.m.localeCompare(b.m));
}

const pct = (part: number, whole: number): number | null => (whole > 0 ? (100 * part) / whole : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function toProfileRows(
  g: Group,
  head: ProfileHead,
  columns: ColumnInfo[],
  grid: Grid | null,
  operational: boolean,
): ProfileRow[] {
  const base = { ...head, slice_value: g.sv, model_id: g.m };
  const table: ProfileRow = { ...base, column_name: ':table', data_type: 'table', count: g.n, num_nulls: 0 };
  if (operational) {
    const seconds = grid !== null && head.window_end !== null && head.window_start !== null ? (head.window_end - head.window_start) / 1000 : null;
    const errors = num(g.table.errors) ?? 0;
    const lat = (g.table.latency as Array<number | null> | null | undefined) ?? null;
    Object.assign(table, {
      throughput_per_second: seconds !== null && seconds > 0 ? g.n / seconds : null,
      num_errors: errors,
      error_rate: g.n > 0 ? errors / g.n : null,
      latency_p50_ms: num(lat?.[0]),
      latency_p95_ms: num(lat?.[1]),
      latency_p99_ms: num(lat?.[2]),
    });
  }
  const out: ProfileRow[] = [table];
  for (const c of columns) {
    const e = g.cols.get(c.name) ?? {};
    const nonnull = num(e.nonnull) ?? 0;
    const distinct = num(e.distinct) ?? 0;
    const row: ProfileRow = {
      ...base,
      column_name: c.name,
      data_type: c.sqlType,
      count: g.n,
      num_nulls: g.n - nonnull,
      distinct_count: distinct,
      percent_null: pct(g.n - nonnull, g.n),
      percent_distinct: pct(distinct, nonnull),
    };
    if (c.kind === 'numeric') {
      const q = (e.q as Array<number | null> | null | undefined) ?? null;
      Object.assign(row, {
        num_zeros: num(e.zeros) ?? 0,
        num_nan: num(e.nan) ?? 0,
        percent_zeros: pct(num(e.zeros) ?? 0, g.n),
        percent_nan: pct(num(e.nan) ?? 0, g.n),
        avg: num(e.avg),
        stddev: num(e.stddev),
        min: num(e.min),
        max: num(e.max),
        median: num(q?.[2]),
        quantiles: q === null ? null : q.map((v) => num(v)),
      });
    } else {
      Object.assign(row, { min_length: num(e.minlen), max_length: num(e.maxlen), avg_length: num(e.avglen), frequent_items: e.freq ?? [] });
    }
    out.push(row);
  }
  return out;
}

function profileKey(p: { window_start: number | null; granularity: string | null; slice_key: string | null; slice_value: string | null; column_name: string; model_id: string; log_type?: string }): string {
  return JSON.stringify([p.log_type ?? 'INPUT', p.window_start, p.granularity, p.slice_key, p.slice_value, p.column_name, p.model_id]);
}

// --- grouping rows of the value table --------------------------------------------------------------

function col(t: Table, name: string): Column {
  const c = t.columns.find((x) => x.name === name);
  if (c === undefined) throw new Error(`internal: column ${name} missing`);
  return c;
}

/** The text of row i of a column (null for missing). */
function text(c: Column, i: number): string | null {
  if (c.type === 'string') {
    const code = c.codes[i]!;
    return code < 0 ? null : c.categories[code]!;
  }
  const v = c.values[i]!;
  return Number.isNaN(v) ? null : String(v);
}

/** Row indices per (window, slice value, model): every row goes to its model and to `*`. */
function groupRows(t: Table, gi: number, sliceCol: string | null, perModel: boolean): Map<string, number[]> {
  const w = col(t, `__w${gi}`) as { values: Float64Array };
  const s = sliceCol === null ? null : col(t, sliceCol);
  const m = col(t, '__model');
  const out = new Map<string, number[]>();
  const push = (k: string, i: number) => {
    let list = out.get(k);
    if (list === undefined) out.set(k, (list = []));
    list.push(i);
  };
  // Keys are built once per distinct (window, slice, model) combination, not per row.
  const keyOf = new Map<string, string>();
  const key = (wv: number, sv: string | null, mv: string): string => {
    const raw = `${wv}\u0000${sv ?? '\u0001'}\u0000${mv}`;
    let k = keyOf.get(raw);
    if (k === undefined) keyOf.set(raw, (k = JSON.stringify([wv, sv, mv])));
    return k;
  };
  for (let i = 0; i < t.rows; i++) {
    const sv = s === null ? null : text(s, i);
    push(key(w.values[i]!, sv, '*'), i);
    if (perModel) push(key(w.values[i]!, sv, text(m, i) ?? 'null'), i);
  }
  return out;
}

function subset(c: Column, idx: readonly number[]): Column {
  if (c.type === 'string') {
    const codes = new Int32Array(idx.length);
    idx.forEach((j, k) => (codes[k] = c.codes[j]!));
    return { name: c.name, type: 'string', codes, categories: c.categories };
  }
  const values = new Float64Array(idx.length);
  idx.forEach((j, k) => (values[k] = c.values[j]!));
  return { name: c.name, type: c.type, values } as Column;
}

// --- model quality -------------------------------------------------------------------------------

function addQuality(
  t: Table,
  grids: Grid[],
  slices: Array<{ key: string | null; col: string | null }>,
  index: Map<string, ProfileRow>,
  o: { prediction: string; label: string; proba: string | null; problem: string; perModel: boolean; minTs: Grid[] },
): void {
  // Each row's prediction and label as text (classes) or numbers (regression), once.
  const norm = (v: string | null): string | null => (v !== null && /^-?\d+(\.0+)?$/.test(v) ? String(Number(v)) : v);
  const pred = col(t, o.prediction);
  const lab = col(t, o.label);
  const predT = new Array<string | null>(t.rows);
  const labT = new Array<string | null>(t.rows);
  for (let i = 0; i < t.rows; i++) {
    predT[i] = norm(text(pred, i));
    labT[i] = norm(text(lab, i));
  }
  const probCol = o.proba === null ? null : col(t, o.proba);
  const prob = probCol === null || probCol.type === 'string' ? null : probCol.values;
  grids.forEach((grid, gi) => {
    for (const s of slices) {
      for (const [k, idx] of groupRows(t, gi, s.col, o.perModel)) {
        const [w, sv, m] = JSON.parse(k) as [number, string | null, string];
        const row = index.get(profileKey({ window_start: grid.granularity === null ? grid.starts[0]! : w, granularity: grid.granularity, slice_key: s.key, slice_value: sv, column_name: ':table', model_id: m }));
        if (row === undefined) continue;
        const labelled = idx.filter((i) => labT[i] !== null && predT[i] !== null);
        row.labeled_count = labelled.length;
        if (labelled.length === 0) continue;
        Object.assign(row, o.problem === 'PROBLEM_TYPE_REGRESSION' ? regression(predT, labT, labelled) : classification(predT, labT, prob, labelled));
      }
    }
  });
}

function regression(pred: ReadonlyArray<string | null>, lab: ReadonlyArray<string | null>, idx: number[]): Record<string, number | null> {
  const y = new Float64Array(idx.length);
  const yhat = new Float64Array(idx.length);
  idx.forEach((i, k) => {
    y[k] = Number(lab[i]);
    yhat[k] = Number(pred[i]);
  });
  const m = regressionMetrics(y, yhat);
  return {
    root_mean_squared_error: num(m.root_mean_squared_error),
    mean_squared_error: num(m.mean_squared_error),
    mean_absolute_error: num(m.mean_absolute_error),
    r2_score: num(m.r2_score),
  };
}

/** The positive class of a binary problem: `1`/`true`/`yes` when present, else the greater label. */
function positiveClass(classes: string[]): string {
  for (const p of ['1', 'true', 'True', 'yes']) if (classes.includes(p)) return p;
  return [...classes].sort().at(-1)!;
}

const EPS = 2.220446049250313e-16;

function classification(predT: ReadonlyArray<string | null>, labT: ReadonlyArray<string | null>, prob: Float64Array | null, idx: number[]): Record<string, number | null> {
  const y = idx.map((i) => labT[i]!);
  const p = idx.map((i) => predT[i]!);
  const classes = [...new Set([...y, ...p])].sort();
  const n = idx.length;
  let correct = 0;
  for (let k = 0; k < n; k++) if (y[k] === p[k]) correct++;
  const out: Record<string, number | null> = { accuracy_score: correct / n };
  const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  if (classes.length <= 2) {
    const pos = positiveClass(classes);
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    for (let k = 0; k < n; k++) {
      const a = y[k] === pos;
      const b = p[k] === pos;
      if (a && b) tp++;
      else if (!a && b) fp++;
      else if (a && !b) fn++;
      else tn++;
    }
    const precision = div(tp, tp + fp);
    const recall = div(tp, tp + fn);
    Object.assign(out, { precision_score: precision, recall_score: recall, f1_score: div(2 * precision * recall, precision + recall), true_positives: tp, false_positives: fp, true_negatives: tn, false_negatives: fn });
    if (prob !== null) {
      const score: number[] = [];
      const truth: number[] = [];
      idx.forEach((i, k) => {
        if (!Number.isNaN(prob[i]!)) {
          score.push(prob[i]!);
          truth.push(y[k] === pos ? 1 : 0);
        }
      });
      if (score.length > 0) {
        out.roc_auc = num(rocAuc(Float64Array.from(truth), Float64Array.from(score)));
        let ll = 0;
        for (let k = 0; k < score.length; k++) {
          const q = Math.min(Math.max(score[k]!, EPS), 1 - EPS);
          ll -= truth[k] === 1 ? Math.log(q) : Math.log(1 - q);
        }
        out.log_loss = ll / score.length;
      }
    }
  } else {
    // Multiclass: support-weighted averages, as MLflow's evaluator reports them.
    const support = new Map<string, number>();
    const predicted = new Map<string, number>();
    const hits = new Map<string, number>();
    for (let k = 0; k < n; k++) {
      support.set(y[k]!, (support.get(y[k]!) ?? 0) + 1);
      predicted.set(p[k]!, (predicted.get(p[k]!) ?? 0) + 1);
      if (y[k] === p[k]) hits.set(y[k]!, (hits.get(y[k]!) ?? 0) + 1);
    }
    let wp = 0;
    let wr = 0;
    let wf = 0;
    for (const c of classes) {
      const sup = support.get(c) ?? 0;
      const precision = div(hits.get(c) ?? 0, predicted.get(c) ?? 0);
      const recall = div(hits.get(c) ?? 0, sup);
      wp += (precision * sup) / n;
      wr += (recall * sup) / n;
      wf += (div(2 * precision * recall, precision + recall) * sup) / n;
    }
    Object.assign(out, { precision_score: wp, recall_score: wr, f1_score: wf });
  }
  return out;
}

// --- drift ---------------------------------------------------------------------------------------

/**
 * One side of a comparison, computed once per group and column: numbers sorted without NaN
 * (with the group's size, for the missing count), categories as a Column.
 */
type Sample = { kind: 'numeric'; sorted: Float64Array; total: number } | { kind: 'categorical'; column: Column };

/** Samples of a table's row groups, each column prepared once however many comparisons use it. */
class Samples {
  readonly #cache = new Map<string, Sample>();
  constructor(
    readonly table: Table,
    readonly kinds: ReadonlyMap<string, Kind>,
  ) {}

  get(groupKey: string, idx: readonly number[], column: string): Sample {
    const key = `${groupKey}\u0000${column}`;
    let s = this.#cache.get(key);
    if (s === undefined) {
      const sub = subset(col(this.table, column), idx);
      const kind = this.kinds.get(column)!;
      s = kind === 'numeric' && sub.type !== 'string' ? { kind: 'numeric', sorted: sortedValues(sub.values), total: idx.length } : { kind: 'categorical', column: asKind(sub, 'categorical') };
      this.#cache.set(key, s);
    }
    return s;
  }
}

// --- the baseline, kept between runs -----------------------------------------------------------------

/** A baseline's values, its rows per slice value and the samples prepared from them so far. */
interface BaselineValues {
  table: Table;
  /** Row indices per `[slice key, slice value]`. */
  groups: Map<string, number[]>;
  samples: Samples;
}

/** What runs learn from one baseline file (with one list of slicing expressions). */
interface BaselineEntry {
  /** The columns' DuckDB types, slice columns included; null until read. */
  types: Map<string, string> | null;
  /** Profile groups per slice option, by the profiled columns and frequent_items. */
  profiles: Map<string, Group[][]>;
  /** Values by the columns read. */
  values: Map<string, BaselineValues>;
}

/** Baselines kept; a monitor's baseline rarely changes and a server has few. */
const BASELINES = 4;
const baselines = new Map<string, BaselineEntry>();

/** Put `value` under `key`, newest last, dropping the oldest beyond `limit`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, limit = BASELINES): V {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value as K);
  return value;
}

/**
 * KS results by what they depend on: both sample sizes and the largest ECDF differences. A
 * window recomputed by the next run (late labels) has the same inputs, and the exact p-value
 * against a baseline of thousands of rows is the costliest statistic of a comparison.
 */
const ksResults = new Map<string, { statistic: number; pvalue: number }>();
const KS_RESULTS = 1024;

function ksOf(a: Float64Array, b: Float64Array, walk: MergedWalk | undefined): { statistic: number; pvalue: number } {
  const w = walk ?? mergedWalk(a, b);
  const key = `${a.length},${b.length},${w.maxDiff},${w.minDiff}`;
  const known = ksResults.get(key);
  if (known !== undefined) return known;
  const r = ksTwoSampleSorted(a, b, w);
  return remember(ksResults, key, { statistic: r.statistic, pvalue: r.pvalue }, KS_RESULTS);
}

/**
 * The entry of a baseline file, kept by path, size and modification time (a file written again
 * gets a new entry); a glob or a file that cannot be examined gets an entry used by this run only.
 */
function baselineEntry(path: string, sliceExprs: readonly string[]): BaselineEntry {
  const fresh = (): BaselineEntry => ({ types: null, profiles: new Map(), values: new Map() });
  if (/[*?[]/.test(path)) return fresh();
  let key: string;
  try {
    const abs = resolve(path);
    const st = statSync(abs);
    key = JSON.stringify([abs, st.size, st.mtimeMs, sliceExprs]);
  } catch {
    return fresh();
  }
  return baselines.get(key) ?? remember(baselines, key, fresh());
}

function baselineValues(table: Table, slices: ReadonlyArray<{ key: string | null; col: string | null }>, columns: ColumnInfo[]): BaselineValues {
  const groups = new Map<string, number[]>();
  for (const s of slices) {
    const sc = s.col === null ? null : col(table, s.col);
    for (let i = 0; i < table.rows; i++) {
      const k = JSON.stringify([s.key, sc === null ? null : text(sc, i)]);
      let list = groups.get(k);
      if (list === undefined) groups.set(k, (list = []));
      list.push(i);
    }
  }
  return { table, groups, samples: new Samples(table, new Map(columns.map((c) => [c.name, c.kind]))) };
}

function computeDrift(
  cur: Table,
  base: BaselineValues | null,
  grids: Grid[],
  slices: Array<{ key: string | null; col: string | null }>,
  columns: ColumnInfo[],
  baseColumns: ColumnInfo[],
  index: Map<string, ProfileRow>,
  meta: { monitor_version: number; monitor_run_id: string; computed_at: number },
): DriftRow[] {
  const out: DriftRow[] = [];
  const kinds = new Map(columns.map((c) => [c.name, c.kind]));
  const curSamples = new Samples(cur, kinds);
  const baseSamples = base?.samples ?? null;
  const baseGroups = base?.groups ?? new Map<string, number[]>();
  grids.forEach((grid, gi) => {
    for (const s of slices) {
      // Drift is computed for all models together (model_id `*`).
      const groups = groupRows(cur, gi, s.col, false);
      const svs = new Set([...groups.keys()].map((k) => (JSON.parse(k) as [number, string | null])[1]));
      for (const sv of svs) {
        grid.starts.forEach((start, wi) => {
          const curKey = JSON.stringify([grid.granularity === null ? 0 : start, sv, '*']);
          const idx = groups.get(curKey);
          if (idx === undefined || idx.length === 0) return;
          const cacheKey = (k: string) => `${gi}|${s.key}|${k}`;
          const curProfile = (c: string) => index.get(profileKey({ window_start: start, granularity: grid.granularity, slice_key: s.key, slice_value: sv, column_name: c, model_id: '*' }));
          const head = { ...meta, window_start: start, window_end: grid.ends[wi]!, granularity: grid.granularity, slice_key: s.key, slice_value: sv, model_id: '*' };
          const current = (c: string) => curSamples.get(cacheKey(curKey), idx, c);
          // CONSECUTIVE: against the window just before, when it has rows.
          if (wi > 0) {
            const prevStart = grid.starts[wi - 1]!;
            const prevKey = JSON.stringify([prevStart, sv, '*']);
            const prev = groups.get(prevKey);
            if (prev !== undefined && prev.length > 0) {
              const refProfile = (c: string) => index.get(profileKey({ window_start: prevStart, granularity: grid.granularity, slice_key: s.key, slice_value: sv, column_name: c, model_id: '*' }));
              out.push(
                ...compare(
                  { ...head, drift_type: 'CONSECUTIVE', window_cmp_start: prevStart, window_cmp_end: grid.ends[wi - 1]! },
                  columns,
                  (c) => curSamples.get(cacheKey(prevKey), prev, c),
                  current,
                  refProfile,
                  curProfile,
                ),
              );
            }
          }
          if (base !== null && baseSamples !== null) {
            const bKey = JSON.stringify([s.key, sv]);
            const bidx = baseGroups.get(bKey);
            if (bidx === undefined || bidx.length === 0) return;
            const refProfile = (c: string) => index.get(profileKey({ log_type: 'BASELINE', window_start: null, granularity: null, slice_key: s.key, slice_value: sv, column_name: c, model_id: '*' }));
            out.push(
              ...compare(
                { ...head, drift_type: 'BASELINE', window_cmp_start: null, window_cmp_end: null },
                baseColumns,
                (c) => baseSamples.get(`base|${bKey}`, bidx, c),
                current,
                refProfile,
                curProfile,
              ),
            );
          }
        });
      }
    }
  });
  return out;
}

const delta = (a: unknown, b: unknown): number | null => (num(a) === null || num(b) === null ? null : num(a)! - num(b)!);

function compare(
  head: DriftHead,
  columns: ColumnInfo[],
  ref: (c: string) => Sample,
  cur: (c: string) => Sample,
  refProfile: (c: string) => ProfileRow | undefined,
  curProfile: (c: string) => ProfileRow | undefined,
): DriftRow[] {
  const rows: DriftRow[] = [];
  let drifted = 0;
  let compared = 0;
  let nonNullDelta = 0;
  for (const c of columns) {
    const rp = refProfile(c.name);
    const cp = curProfile(c.name);
    const row: DriftRow = {
      ...head,
      column_name: c.name,
      data_type: c.sqlType,
      count_delta: delta(cp?.count, rp?.count),
      avg_delta: delta(cp?.avg, rp?.avg),
      percent_null_delta: delta(cp?.percent_null, rp?.percent_null),
      percent_zeros_delta: delta(cp?.percent_zeros, rp?.percent_zeros),
      percent_distinct_delta: delta(cp?.percent_distinct, rp?.percent_distinct),
    };
    nonNullDelta += (num(cp?.count) ?? 0) - (num(cp?.num_nulls) ?? 0) > 0 ? 1 : 0;
    nonNullDelta -= (num(rp?.count) ?? 0) - (num(rp?.num_nulls) ?? 0) > 0 ? 1 : 0;
    const a = ref(c.name);
    const b = cur(c.name);
    const prepared =
      a.kind === 'numeric' && b.kind === 'numeric'
        ? prepareNumeric(c.name, a.sorted, b.sorted, a.total, b.total)
        : a.kind === 'categorical' && b.kind === 'categorical'
          ? prepareColumn(a.column, b.column)
          : null;
    if (prepared === null) {
      rows.push(row);
      continue;
    }
    const verdict = driftOfPrepared(prepared);
    if (!verdict.empty) {
      compared++;
      if (verdict.drifted) drifted++;
      Object.assign(row, {
        drift_method: verdict.method,
        drift_statistic: verdict.statistic,
        drift_pvalue: verdict.pvalue,
        drift_threshold: verdict.threshold,
        drift_detected: verdict.drifted,
      });
      if (c.kind === 'numeric' && prepared.sorted) {
        const { ref: a, cur: b } = prepared.sorted;
        // When Evidently's choice is KS, the verdict holds this very test (its exact p-value costs most of a comparison).
        const ks = verdict.method === 'ks' && verdict.statistic !== null && verdict.pvalue !== null ? { statistic: verdict.statistic, pvalue: verdict.pvalue } : ksOf(a, b, prepared.walk);
        const counts = binnedCounts(prepared);
        Object.assign(row, {
          ks_test: { statistic: ks.statistic, pvalue: ks.pvalue },
          wasserstein_distance: num(wassersteinSorted(a, b)),
          population_stability_index: num(psiSorted(a, b)),
          js_distance: num(jensenShannon(counts.ref, counts.cur)),
        });
      } else if (prepared.counts) {
        const { ref: a, cur: b } = prepared.counts;
        const chi = chiSquared(a, b);
        Object.assign(row, {
          chi_squared_test: { statistic: chi.statistic, pvalue: chi.pvalue },
          tv_distance: num(totalVariation(a, b)),
          l_infinity_distance: num(lInfinity(a, b)),
          js_distance: num(jensenShannon(a, b)),
        });
      }
    }
    rows.push(row);
  }
  const tp = { r: refProfile(':table'), c: curProfile(':table') };
  rows.unshift({
    ...head,
    column_name: ':table',
    data_type: 'table',
    count_delta: delta(tp.c?.count, tp.r?.count),
    non_null_columns_delta: nonNullDelta,
    drifted_columns: drifted,
    drifted_columns_share: compared > 0 ? drifted / compared : null,
  });
  return rows;
}

/** Booleans read as 0/1 numbers; a categorical monitor column must reach the statistics as categories. */
function asKind(c: Column, kind: Kind): Column {
  if (kind === 'categorical' && c.type !== 'string') {
    const categories: string[] = [];
    const pos = new Map<string, number>();
    const codes = new Int32Array(c.values.length);
    c.values.forEach((v, i) => {
      if (Number.isNaN(v)) {
        codes[i] = -1;
        return;
      }
      const key = c.type === 'boolean' ? (v === 1 ? 'true' : 'false') : String(v);
      let code = pos.get(key);
      if (code === undefined) {
        code = categories.length;
        categories.push(key);
        pos.set(key, code);
      }
      codes[i] = code;
    });
    return { name: c.name, type: 'string', codes, categories };
  }
  return c;
}
