/**
 * Parse MLflow search filters and `order_by` clauses into Hangar's FilterClause / OrderBy, with
 * one grammar table per endpoint (grammar.ts). Every error is INVALID_PARAMETER_VALUE and
 * quotes the text at fault, in MLflow's words where MLflow has them.
 */
import type { Comparator, FilterClause, OrderBy } from '../types.js';
import { ENTITY_NOUN, ENTITY_PREFIX, type Entity, type KeyRule, type SearchGrammar } from './grammar.js';
import { Scanner, invalid, lookup, type ParsedKey, type ParsedValue } from './scanner.js';

const list = (items: readonly string[]): string => items.map((i) => `'${i}'`).join(', ');

/** `filter` → AND-joined clauses; empty or whitespace-only gives `[]`. */
export function parseFilter(grammar: SearchGrammar, filter: string | null | undefined): FilterClause[] {
  if (filter === undefined || filter === null) return [];
  if (typeof filter !== 'string') throw invalid(`Invalid filter: expected a string, got ${typeof filter}.`, 'filter');
  if (filter.trim() === '') return [];
  const sc = new Scanner(filter, 'filter');
  // Syntax first, then meaning: "OR is not supported" is more useful than a complaint about
  // the key of the clause before it.
  const parsed: Array<{ key: ParsedKey; op: Comparator; value: ParsedValue }> = [];
  for (;;) {
    sc.skipWs();
    const start = sc.pos;
    const key = sc.readKey();
    const op = sc.readComparator(key.text);
    const value = sc.readValue();
    parsed.push({ key, op, value });
    const clause = filter.slice(start, sc.pos);
    sc.skipWs();
    if (sc.eof()) break;
    // A trailing AND then fails in readKey with "found the end of the text".
    if (sc.keyword('AND')) continue;
    if (sc.keyword('OR')) {
      sc.fail(`Invalid filter ${sc.quoted()}: 'OR' is not supported; join clauses with 'AND'.`);
    }
    if (sc.peek() === '(' || sc.peek() === ')') {
      sc.fail(`Parentheses are not supported in filter ${sc.quoted()}; only an IN or NOT IN value list may be parenthesised.`);
    }
    sc.fail(`Expected 'AND' after the clause '${clause}' in filter ${sc.quoted()}, found ${sc.snippet()}.`);
  }
  return parsed.map((p) => toClause(grammar, p.key, p.op, p.value));
}

interface Resolved {
  entity: Entity;
  key: string;
  rule: KeyRule;
  /** How the key is named in messages: `param 'alpha'`. */
  noun: string;
}

function resolveFilterKey(grammar: SearchGrammar, k: ParsedKey): Resolved {
  const entity = k.entity ?? 'attribute';
  if (entity === 'attribute') {
    const canonical = lookup(grammar.attributeAliases, k.key.toLowerCase()) ?? k.key.toLowerCase();
    const rule = lookup(grammar.attributes, canonical);
    if (rule === undefined) {
      throw invalid(
        `Invalid attribute key '${k.key}' specified for ${grammar.what}. Valid keys are ${list(Object.keys(grammar.attributes))}.`,
        'filter',
      );
    }
    return { entity, key: canonical, rule, noun: `attribute '${k.key}'` };
  }
  if (entity === 'dataset') {
    if (grammar.datasetKeys === undefined) throw wrongEntity(grammar, k);
    const canonical = k.key.toLowerCase();
    const rule = lookup(grammar.datasetKeys, canonical);
    if (rule === undefined) {
      throw invalid(`Invalid dataset key '${k.key}' specified. Valid keys are ${list(Object.keys(grammar.datasetKeys))}.`, 'filter');
    }
    return { entity, key: canonical, rule, noun: `dataset '${k.key}'` };
  }
  const rule = grammar.entities[entity];
  if (rule === undefined) throw wrongEntity(grammar, k);
  return { entity, key: k.key, rule, noun: `${ENTITY_NOUN[entity]} '${k.key}'` };
}

function wrongEntity(grammar: SearchGrammar, k: ParsedKey): Error {
  const allowed: Entity[] = ['attribute', ...(Object.keys(grammar.entities) as Entity[])];
  if (grammar.datasetKeys !== undefined) allowed.push('dataset');
  return invalid(
    `Invalid entity type '${k.prefix ?? ''}' in '${k.text}': searching ${grammar.what} supports ${list(allowed.map((e) => ENTITY_PREFIX[e]))}.`,
    'filter',
  );
}

function toClause(grammar: SearchGrammar, k: ParsedKey, op: Comparator, v: ParsedValue): FilterClause {
  const r = resolveFilterKey(grammar, k);
  if (!r.rule.ops.includes(op)) {
    throw invalid(`Invalid comparator '${op}' for ${r.noun}. Only ${list(r.rule.ops)} are supported.`, 'filter');
  }
  if (op === 'IN' || op === 'NOT IN') {
    if (v.type !== 'list') {
      throw invalid(
        `Expected a parenthesised list of quoted strings after '${op}' for ${r.noun}, e.g. ('a', 'b'). Got value ${v.text}.`,
        'filter',
      );
    }
    return { entity: r.entity, key: r.key, op, value: v.value };
  }
  if (v.type === 'list') {
    throw invalid(`A parenthesised value list ${v.text} is only allowed after 'IN' or 'NOT IN', not after '${op}' for ${r.noun}.`, 'filter');
  }
  if (r.rule.kind === 'number') {
    if (v.type !== 'number') throw invalid(`Expected a numeric value for ${r.noun}. Got value ${v.text}.`, 'filter');
    return { entity: r.entity, key: r.key, op, value: v.value };
  }
  if (v.type !== 'string') {
    throw invalid(`Expected a quoted string value for ${r.noun} (e.g. 'my-value'). Got value ${v.text}.`, 'filter');
  }
  return { entity: r.entity, key: r.key, op, value: v.value };
}

// ---------------------------------------------------------------------------------------------
// order_by

/** One `order_by` entry of `logged-models/search`, as MLflow 3 sends it. */
export interface LoggedModelOrderField {
  /** `creation_timestamp`, `metrics.accuracy`, … */
  field_name: string;
  /** Default true (the proto default). */
  ascending?: boolean | null;
  /** Ordering by a metric of one dataset; not supported, rejected when set. */
  dataset_name?: string | null;
  dataset_digest?: string | null;
}

function resolveOrderKey(grammar: SearchGrammar, k: ParsedKey, entry: string): Omit<OrderBy, 'ascending'> {
  const entity = k.entity ?? 'attribute';
  if (entity === 'attribute') {
    const canonical = lookup(grammar.attributeAliases, k.key.toLowerCase()) ?? k.key.toLowerCase();
    if (!grammar.orderAttributes.includes(canonical)) {
      throw invalid(
        `Invalid order_by key '${k.key}' in '${entry}' for ${grammar.what}. Valid attributes are ${list(grammar.orderAttributes)}.`,
        'order_by',
      );
    }
    return { entity, key: canonical };
  }
  if (entity === 'dataset' || !grammar.orderEntities.includes(entity)) {
    const allowed = ['attributes', ...grammar.orderEntities.map((e) => ENTITY_PREFIX[e])];
    throw invalid(`Invalid order_by entity '${k.prefix ?? ''}' in '${entry}': ${grammar.what} can be ordered by ${list(allowed)}.`, 'order_by');
  }
  return { entity, key: k.key };
}

function parseOrderEntry(grammar: SearchGrammar, entry: string): OrderBy {
  const sc = new Scanner(entry, 'order_by');
  const k = sc.readKey();
  sc.skipWs();
  let ascending = true;
  if (sc.keyword('DESC')) ascending = false;
  else sc.keyword('ASC');
  sc.skipWs();
  if (!sc.eof()) {
    sc.fail(`Invalid order_by clause '${entry}': expected '<key> [ASC|DESC]', found ${sc.snippet()} after the key.`);
  }
  return { ...resolveOrderKey(grammar, k, entry), ascending };
}

function dedupe(orders: OrderBy[]): OrderBy[] {
  const seen = new Set<string>();
  for (const o of orders) {
    const id = `${o.entity}\u0000${o.key}`;
    if (seen.has(id)) {
      throw invalid(`order_by names '${ENTITY_PREFIX[o.entity]}.${o.key}' more than once.`, 'order_by');
    }
    seen.add(id);
  }
  return orders;
}

/** `order_by` strings (`<key> [ASC|DESC]`, default ASC); blank entries are skipped. */
export function parseOrderBy(grammar: SearchGrammar, orderBy: readonly string[] | null | undefined): OrderBy[] {
  if (orderBy === undefined || orderBy === null) return [];
  if (!Array.isArray(orderBy)) throw invalid('Invalid order_by: expected a list of strings.', 'order_by');
  const out: OrderBy[] = [];
  for (const entry of orderBy) {
    if (typeof entry !== 'string') throw invalid(`Invalid order_by entry ${JSON.stringify(entry) ?? String(entry)}: expected a string.`, 'order_by');
    if (entry.trim() === '') continue;
    out.push(parseOrderEntry(grammar, entry));
  }
  return dedupe(out);
}

/** `logged-models/search` order_by: `{field_name, ascending}` objects, or strings as for runs. */
export function parseObjectOrderBy(
  grammar: SearchGrammar,
  orderBy: ReadonlyArray<string | LoggedModelOrderField> | null | undefined,
): OrderBy[] {
  if (orderBy === undefined || orderBy === null) return [];
  if (!Array.isArray(orderBy)) throw invalid('Invalid order_by: expected a list.', 'order_by');
  const out: OrderBy[] = [];
  for (const entry of orderBy as unknown[]) {
    if (typeof entry === 'string') {
      if (entry.trim() !== '') out.push(parseOrderEntry(grammar, entry));
      continue;
    }
    if (entry === null || typeof entry !== 'object' || typeof (entry as LoggedModelOrderField).field_name !== 'string') {
      throw invalid(
        `Invalid order_by entry ${JSON.stringify(entry) ?? String(entry)}: expected {"field_name": string, "ascending"?: boolean}.`,
        'order_by',
      );
    }
    const e = entry as LoggedModelOrderField;
    if ((e.dataset_name ?? '') !== '' || (e.dataset_digest ?? '') !== '') {
      throw invalid(
        `Ordering by a metric of one dataset is not supported (order_by entry for '${e.field_name}' sets dataset_name or dataset_digest).`,
        'order_by',
      );
    }
    if (e.ascending !== undefined && e.ascending !== null && typeof e.ascending !== 'boolean') {
      throw invalid(`Invalid 'ascending' ${JSON.stringify(e.ascending)} for order_by field '${e.field_name}': expected a boolean.`, 'order_by');
    }
    const sc = new Scanner(e.field_name, 'order_by');
    const k = sc.readKey();
    sc.skipWs();
    if (!sc.eof()) sc.fail(`Invalid order_by field_name '${e.field_name}': found ${sc.snippet()} after the key.`);
    out.push({ ...resolveOrderKey(grammar, k, e.field_name), ascending: e.ascending ?? true });
  }
  return dedupe(out);
}
