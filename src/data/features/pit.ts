/**
 * The point-in-time join (semantics §e), as one DuckDB query: for each label row and each
 * lookup, the latest feature row with the same keys and `feature_ts ≤ label_ts` (inclusive),
 * kept only when TTL is 0 or `feature_ts ≥ label_ts − ttl` (TTL counts back from the label
 * row's own timestamp); equal feature timestamps go to the highest created timestamp; no match
 * gives nulls and the label row stays. Label rows come out in their input order.
 *
 * DuckDB's ASOF LEFT JOIN finds the latest row at or before each label timestamp in one
 * sorted merge; the TTL is a filter after it (if the latest row is too old, every earlier one
 * is too), and ties are removed before it by keeping, per key and timestamp, the row with the
 * highest created timestamp.
 */
import { invalidParam } from '../../core/errors.js';
import { sqlIdent } from '../table.js';
import type { Duck } from './duck.js';
import { isTimeType } from './duck.js';

/** One lookup, resolved against a feature relation. */
export interface PitLookup {
  /** A DuckDB table expression holding the feature rows, e.g. `read_parquet([...])`. */
  relation: string;
  /** The table's name, for messages. */
  table: string;
  /** The table's key columns, in order. */
  keys: string[];
  /** The label columns matched to `keys`, same order. */
  lookupKeys: string[];
  /** DuckDB types of the keys (e.g. `VARCHAR`, `BIGINT`); a label key of another type is cast (a value that does not cast matches nothing). */
  keyTypes?: string[];
  /** The table's timestamp column; absent for a table without history (a plain key join). */
  timestampKey?: string;
  /** The label column holding each row's timestamp (required with `timestampKey`). */
  timestampLookupKey?: string;
  /** The table's created-timestamp column, breaking ties between equal timestamps. */
  createdTimestampKey?: string;
  /** Milliseconds; 0 never expires. */
  ttlMs: number;
  /** Feature columns to take and their output names. */
  features: Array<{ name: string; as: string }>;
}

const H = '__hangar';

/**
 * Build the join as a SELECT over `labels` (a table, whose `rowid` gives the input order), producing every label column
 * (less `exclude`) then each lookup's features, in label order. Checks that lookup keys,
 * timestamps and output names exist and do not collide (INVALID_PARAMETER_VALUE naming them).
 */
export async function pitQuery(duck: Duck, labels: string, lookups: PitLookup[], exclude: string[] = []): Promise<{ sql: string; columns: string[] }> {
  const labelCols = await duck.describe(labels, 'Cannot read the labels');
  const labelTypes = new Map(labelCols.map((c) => [c.name, c.type]));
  const outputs = new Set(labelCols.map((c) => c.name));
  const ctes: string[] = [];
  const helper: string[] = [];
  const joins: string[] = [];
  const featureSelect: string[] = [];
  const featureNames: string[] = [];

  lookups.forEach((l, i) => {
    if (l.lookupKeys.length !== l.keys.length) throw invalidParam(`lookup ${l.table}: lookupKey has ${l.lookupKeys.length} column(s), the table has ${l.keys.length} key(s) (${l.keys.join(', ')})`, `lookups[${i}].lookupKey`);
    for (const k of l.lookupKeys) {
      if (!labelTypes.has(k)) throw invalidParam(`lookup ${l.table}: the labels have no key column '${k}'; they have ${labelCols.map((c) => c.name).join(', ')}`, k);
    }
    const f = `${H}_f${i}`;
    const keySel = l.keys.map((k, j) => `${sqlIdent(k)} as ${H}_k${j}`);
    const feats = l.features.map((x, j) => `${sqlIdent(x.name)} as ${H}_v${j}`);
    // Label-side columns to join on: the label's own column when its type already fits (extra
    // columns cost about a third of the join), else a helper cast to the key type / TIMESTAMP.
    const lk = l.lookupKeys.map((k, j) => {
      const want = l.keyTypes?.[j];
      if (want === undefined || labelTypes.get(k) === want) return `l.${sqlIdent(k)}`;
      helper.push(`try_cast(${sqlIdent(k)} as ${want}) as ${H}_l${i}_k${j}`);
      return `l.${H}_l${i}_k${j}`;
    });
    let lts = '';
    if (l.timestampKey !== undefined) {
      if (l.timestampLookupKey === undefined) throw invalidParam(`lookup ${l.table}: give timestampLookupKey, the label column with each row's timestamp`, `lookups[${i}].timestampLookupKey`);
      const t = labelTypes.get(l.timestampLookupKey);
      if (t === undefined) throw invalidParam(`lookup ${l.table}: the labels have no timestamp column '${l.timestampLookupKey}'`, l.timestampLookupKey);
      if (!isTimeType(t)) throw invalidParam(`lookup ${l.table}: timestamp column '${l.timestampLookupKey}' is ${t} in the labels; it must be TIMESTAMP or DATE`, l.timestampLookupKey);
      if (/^TIMESTAMP$/i.test(t)) lts = `l.${sqlIdent(l.timestampLookupKey)}`;
      else {
        helper.push(`${sqlIdent(l.timestampLookupKey)}::TIMESTAMP as ${H}_l${i}_ts`);
        lts = `l.${H}_l${i}_ts`;
      }
      const ts = `${sqlIdent(l.timestampKey)}::TIMESTAMP as ${H}_ts`;
      const dedupe =
        l.createdTimestampKey === undefined
          ? ''
          : ` qualify row_number() over (partition by ${[...l.keys, l.timestampKey].map(sqlIdent).join(', ')} order by ${sqlIdent(l.createdTimestampKey)} desc nulls last) = 1`;
      ctes.push(`${f} as (select ${[...keySel, ts, ...feats].join(', ')} from ${l.relation}${dedupe})`);
      const on = [...l.keys.map((_, j) => `${lk[j]} = ${f}.${H}_k${j}`), `${lts} >= ${f}.${H}_ts`];
      joins.push(`asof left join ${f} on ${on.join(' and ')}`);
      const fresh = l.ttlMs > 0 ? `${f}.${H}_ts >= ${lts} - to_milliseconds(${Math.round(l.ttlMs)}::BIGINT)` : null;
      l.features.forEach((x, j) => featureSelect.push(`${fresh === null ? `${f}.${H}_v${j}` : `case when ${fresh} then ${f}.${H}_v${j} end`} as ${sqlIdent(x.as)}`));
    } else {
      ctes.push(`${f} as (select ${[...keySel, ...feats].join(', ')} from ${l.relation})`);
      joins.push(`left join ${f} on ${l.keys.map((_, j) => `${lk[j]} = ${f}.${H}_k${j}`).join(' and ')}`);
      l.features.forEach((x, j) => featureSelect.push(`${f}.${H}_v${j} as ${sqlIdent(x.as)}`));
    }
    for (const x of l.features) {
      if (outputs.has(x.as)) throw invalidParam(`lookup ${l.table}: output column '${x.as}' already exists; rename it (rename: {${x.name}: 'new_name'})`, x.as);
      outputs.add(x.as);
      featureNames.push(x.as);
    }
  });

  for (const x of exclude) if (!outputs.has(x)) throw invalidParam(`exclude: no column '${x}' in the training set; columns: ${[...outputs].join(', ')}`, 'exclude');
  const dropped = new Set(exclude);
  const keptLabels = labelCols.map((c) => c.name).filter((c) => !dropped.has(c));
  const finalCols = [...keptLabels.map((c) => `l.${sqlIdent(c)}`), ...featureSelect.filter((_, j) => !dropped.has(featureNames[j]!))];
  const sql = [
    `with l as (select *, ${[...helper, `rowid as ${H}_row`].join(', ')} from ${labels})`,
    ...ctes.map((c) => `, ${c}`),
    ` select ${finalCols.join(', ')} from l ${joins.join(' ')} order by l.${H}_row`,
  ].join('');
  return { sql, columns: [...keptLabels, ...featureNames.filter((n) => !dropped.has(n))] };
}
