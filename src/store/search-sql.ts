/**
 * Turns parsed filters and orderings (FilterClause[] / OrderBy[] from src/store/filter) into SQL
 * fragments for one searched entity. Keys and values are always bound parameters; only the
 * table and column names of a fixed per-entity spec are spliced in as raw SQL.
 *
 * Semantics, shared by both engines:
 * - `metrics.k` compares the latest value (runs) or any recorded point (logged models); a run
 *   without the metric never matches, NaN matches only `!=`.
 * - `params.k` / `tags.k` only match entities that have the key (MLflow's inner-join rule).
 * - LIKE is case-sensitive, ILIKE is not; `%`, `_` and backslash escapes as in SQL.
 * - Ordering puts entities without the ordered value last in both directions; for metrics NaN
 *   sorts after every number and before missing values.
 */
import { sql, type RawBuilder } from 'kysely';
import { HangarError } from '../core/errors.js';
import type { Comparator, FilterClause, OrderBy } from './types.js';
import type { Engine } from './dialects/engine.js';

type Kind = 'string' | 'number';

/** A child table of key/value rows (params, tags) and how it joins its parent. */
export interface KeyValueSource {
  table: string;
  /** Join condition between child alias `t` and the searched entity, as raw SQL. */
  link(t: string): string;
}

export interface SearchSpec {
  /** Entity name for error messages, e.g. `runs`. */
  entity: string;
  /** Canonical attribute name → column (qualified with the entity's alias) and comparison kind. */
  attributes: Record<string, { column: string; kind: Kind }>;
  param?: KeyValueSource;
  tag?: KeyValueSource;
  /**
   * Metric points: `latest` tables hold one row per key (runs' latest_metrics); otherwise every
   * point is stored and ordering uses the newest point by step, then timestamp.
   */
  metric?: KeyValueSource & { latest: boolean };
  /** Runs only: `datasets.name|digest|context` over the run's dataset inputs, linked by this run-id column. */
  datasetRunColumn?: string;
}

const NUMERIC_OPS: ReadonlySet<Comparator> = new Set(['=', '!=', '>', '>=', '<', '<=']);

function invalid(message: string): HangarError {
  return new HangarError('INVALID_PARAMETER_VALUE', message, { field: 'filter' });
}

/** Clamp ±Infinity the same way metric values are stored. */
function metricNumber(value: number): number {
  if (value === Infinity) return Number.MAX_VALUE;
  if (value === -Infinity) return -Number.MAX_VALUE;
  return value;
}

function asNumber(clause: FilterClause): number {
  const v = clause.value;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (Number.isNaN(n)) {
    throw invalid(`Expected a numeric value for ${clause.entity} '${clause.key}' but got '${String(v)}'.`);
  }
  return n;
}

function asString(clause: FilterClause): string {
  if (Array.isArray(clause.value)) throw invalid(`Operator '${clause.op}' does not take a list for '${clause.key}'.`);
  return String(clause.value);
}

function compare(engine: Engine, expr: RawBuilder<unknown>, kind: Kind, clause: FilterClause): RawBuilder<boolean> {
  const { op } = clause;
  if (op === 'IN' || op === 'NOT IN') {
    if (!Array.isArray(clause.value)) throw invalid(`Operator '${op}' needs a list of values for '${clause.key}'.`);
    const values = kind === 'number' ? clause.value.map((v) => asNumber({ ...clause, value: v })) : clause.value;
    if (values.length === 0) return op === 'IN' ? sql<boolean>`(1 = 0)` : sql<boolean>`(1 = 1)`;
    const list = sql.join(values.map((v) => sql`${v}`));
    return op === 'IN' ? sql<boolean>`(${expr} in (${list}))` : sql<boolean>`(${expr} not in (${list}))`;
  }
  if (op === 'LIKE' || op === 'ILIKE') {
    if (kind !== 'string') throw invalid(`Operator '${op}' is not supported for numeric '${clause.key}'.`);
    return engine.like(expr, asString(clause), op === 'ILIKE');
  }
  if (!NUMERIC_OPS.has(op)) throw invalid(`Unsupported comparator '${op}'.`);
  if (kind === 'number') return sql<boolean>`(${expr} ${sql.raw(op)} ${asNumber(clause)})`;
  if (op !== '=' && op !== '!=') throw invalid(`Operator '${op}' is not supported for string '${clause.key}'.`);
  return sql<boolean>`(${expr} ${sql.raw(op)} ${asString(clause)})`;
}

function attribute(spec: SearchSpec, key: string): { column: string; kind: Kind } {
  const attr = spec.attributes[key];
  if (attr === undefined) {
    const valid = Object.keys(spec.attributes).join(', ');
    throw invalid(`Invalid attribute key '${key}' specified for ${spec.entity}. Valid keys are: ${valid}.`);
  }
  return attr;
}

function source<T extends KeyValueSource>(spec: SearchSpec, value: T | undefined, what: string): T {
  if (value === undefined) throw invalid(`Searching ${spec.entity} by ${what} is not supported.`);
  return value;
}

/** One SQL condition per clause, to be AND-joined. */
export function whereClauses(engine: Engine, spec: SearchSpec, filter: readonly FilterClause[]): Array<RawBuilder<boolean>> {
  return filter.map((clause, i) => {
    const f = `f${i}`;
    switch (clause.entity) {
      case 'attribute': {
        const attr = attribute(spec, clause.key);
        return compare(engine, sql.raw(attr.column), attr.kind, clause);
      }
      case 'param':
      case 'tag': {
        const kv = source(spec, clause.entity === 'param' ? spec.param : spec.tag, `${clause.entity}s`);
        const cond = compare(engine, sql.raw(`${f}.value`), 'string', clause);
        return sql<boolean>`exists (select 1 from ${sql.raw(kv.table)} ${sql.raw(f)} where ${sql.raw(kv.link(f))} and ${sql.raw(f)}.key = ${clause.key} and ${cond})`;
      }
      case 'metric': {
        const m = source(spec, spec.metric, 'metrics');
        if (!NUMERIC_OPS.has(clause.op)) throw invalid(`Operator '${clause.op}' is not supported for metric '${clause.key}'.`);
        const value = metricNumber(asNumber(clause));
        const cond =
          clause.op === '!='
            ? sql`(${sql.raw(f)}.is_nan = 1 or ${sql.raw(f)}.value != ${value})`
            : sql`(${sql.raw(f)}.is_nan = 0 and ${sql.raw(f)}.value ${sql.raw(clause.op)} ${value})`;
        return sql<boolean>`exists (select 1 from ${sql.raw(m.table)} ${sql.raw(f)} where ${sql.raw(m.link(f))} and ${sql.raw(f)}.key = ${clause.key} and ${cond})`;
      }
      case 'dataset': {
        const runColumn = spec.datasetRunColumn;
        if (runColumn === undefined) throw invalid(`Searching ${spec.entity} by datasets is not supported.`);
        if (clause.key === 'context') {
          const cond = compare(engine, sql.raw(`${f}t.value`), 'string', clause);
          return sql<boolean>`exists (select 1 from run_inputs ${sql.raw(f)} join run_input_tags ${sql.raw(f)}t on ${sql.raw(f)}t.input_id = ${sql.raw(f)}.input_id and ${sql.raw(f)}t.key = 'mlflow.data.context' where ${sql.raw(f)}.run_id = ${sql.raw(runColumn)} and ${cond})`;
        }
        if (clause.key !== 'name' && clause.key !== 'digest') {
          throw invalid(`Invalid dataset key '${clause.key}' specified. Valid keys are: name, digest, context.`);
        }
        const cond = compare(engine, sql.raw(`${f}d.${clause.key}`), 'string', clause);
        return sql<boolean>`exists (select 1 from run_inputs ${sql.raw(f)} join datasets ${sql.raw(f)}d on ${sql.raw(f)}d.dataset_id = ${sql.raw(f)}.dataset_id where ${sql.raw(f)}.run_id = ${sql.raw(runColumn)} and ${cond})`;
      }
      default:
        throw invalid(`Invalid filter entity '${String((clause as FilterClause).entity)}'.`);
    }
  });
}

export interface OrderSql {
  /** LEFT JOINs the order terms need. */
  joins: Array<RawBuilder<unknown>>;
  /** ORDER BY terms, in order. */
  terms: Array<RawBuilder<unknown>>;
}

/**
 * ORDER BY terms for the requested orderings, then each tiebreaker whose key was not already
 * ordered on (MLflow appends its defaults the same way).
 */
export function orderClauses(engine: Engine, spec: SearchSpec, orderBy: readonly OrderBy[], tiebreakers: readonly OrderBy[]): OrderSql {
  const joins: Array<RawBuilder<unknown>> = [];
  const terms: Array<RawBuilder<unknown>> = [];
  const seen = new Set<string>();
  const all = [...orderBy, ...tiebreakers.filter((t) => !orderBy.some((o) => o.entity === t.entity && o.key === t.key))];
  all.forEach((order, i) => {
    const id = `${order.entity}:${order.key}`;
    if (seen.has(id)) return;
    seen.add(id);
    const dir = sql.raw(order.ascending ? 'asc' : 'desc');
    const o = `o${i}`;
    switch (order.entity) {
      case 'attribute': {
        const attr = attribute(spec, order.key);
        const col = sql.raw(attr.column);
        terms.push(sql`case when ${col} is null then 1 else 0 end`);
        terms.push(attr.kind === 'string' ? sql`${col}${engine.binaryCollation} ${dir}` : sql`${col} ${dir}`);
        return;
      }
      case 'param':
      case 'tag': {
        const kv = source(spec, order.entity === 'param' ? spec.param : spec.tag, `${order.entity}s`);
        joins.push(sql`left join ${sql.raw(kv.table)} ${sql.raw(o)} on ${sql.raw(kv.link(o))} and ${sql.raw(o)}.key = ${order.key}`);
        terms.push(sql`case when ${sql.raw(o)}.value is null then 1 else 0 end`);
        terms.push(sql`${sql.raw(o)}.value${engine.binaryCollation} ${dir}`);
        return;
      }
      case 'metric': {
        const m = source(spec, spec.metric, 'metrics');
        if (m.latest) {
          // One row per (entity, key), so the join never multiplies the entity's rows.
          joins.push(sql`left join ${sql.raw(m.table)} ${sql.raw(o)} on ${sql.raw(m.link(o))} and ${sql.raw(o)}.key = ${order.key}`);
          terms.push(sql`case when ${sql.raw(o)}.key is null then 2 when ${sql.raw(o)}.is_nan = 1 then 1 else 0 end`);
          terms.push(sql`${sql.raw(o)}.value ${dir}`);
          return;
        }
        // Every point is stored: order by the newest non-NaN point (greatest step, then timestamp).
        const newest = sql`(select ${sql.raw(o)}.value from ${sql.raw(m.table)} ${sql.raw(o)} where ${sql.raw(m.link(o))} and ${sql.raw(o)}.key = ${order.key} and ${sql.raw(o)}.is_nan = 0 order by ${sql.raw(o)}.step desc, ${sql.raw(o)}.timestamp desc, ${sql.raw(o)}.value desc limit 1)`;
        terms.push(sql`case when ${newest} is null then 1 else 0 end`);
        terms.push(sql`${newest} ${dir}`);
        return;
      }
      default:
        throw new HangarError('INVALID_PARAMETER_VALUE', `Invalid order_by entity '${String((order as OrderBy).entity)}'.`, {
          field: 'order_by',
        });
    }
  });
  return { joins, terms };
}
