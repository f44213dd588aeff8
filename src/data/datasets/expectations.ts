/**
 * Data-quality expectations checked at ingestion: schema (required columns and their types),
 * not-null, range, uniqueness (single or composite columns) and allowed values. Every check is
 * a DuckDB query over the relation, so millions of rows are checked in native code. Datasets
 * check them before anything is published; feature tables (D2) declare and check them the
 * same way through `checkExpectations`.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HangarError, invalidParam } from '../../core/errors.js';
import { sqlIdent, sqlString } from '../table.js';
import { describeRelation, jsonValue, queryRows, type DuckConnection } from './duck.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** What one column must satisfy. */
export const columnExpectationSchema = z
  .object({
    /**
     * A type family (`integer`/`long`, `number`/`double`, `string`, `boolean`, `timestamp`, `date`)
     * or an exact DuckDB type name such as `BIGINT` or `DECIMAL(10,2)`.
     */
    type: z.string().min(1).optional(),
    /** The column must exist (default true). */
    required: z.boolean().optional(),
    /** No nulls. */
    not_null: z.boolean().optional(),
    /** No value appears twice (nulls count as one value). */
    unique: z.boolean().optional(),
    /** Smallest allowed value (inclusive); a number, or text cast to the column's type (dates, timestamps). */
    min: z.union([z.number(), z.string()]).optional(),
    /** Largest allowed value (inclusive). */
    max: z.union([z.number(), z.string()]).optional(),
    /** The only values allowed (nulls are governed by `not_null`). */
    allowed: z.array(scalar).min(1).optional(),
  })
  .strict();

/** Expectations declared with a dataset or a feature table (YAML or JSON; see docs/datasets.md). */
export const expectationsSchema = z
  .object({
    /** Per-column expectations; every listed column is required unless it says `required: false`. */
    columns: z.record(z.string().min(1), columnExpectationSchema).optional(),
    /** Composite keys that must be unique, e.g. `[[origin, date]]`. */
    unique: z.array(z.array(z.string().min(1)).min(1)).optional(),
    /** When true, columns not listed under `columns` are violations too. */
    strict: z.boolean().optional(),
  })
  .strict();

export type ColumnExpectation = z.infer<typeof columnExpectationSchema>;
export type Expectations = z.infer<typeof expectationsSchema>;

/** The kinds of check; one violation names one of them. */
export type ExpectationCheck = 'missing' | 'type' | 'unexpected' | 'not_null' | 'range' | 'unique' | 'allowed';

/** One broken expectation. */
export interface ExpectationViolation {
  /** The column, or the columns of a composite key joined by `, `. */
  column: string;
  check: ExpectationCheck;
  /** Offending rows (for `unique`: rows in duplicated groups); 0 for schema checks. */
  count: number;
  /** One line for people, naming the column and the rule. */
  message: string;
  /** A few offending values, duplicated keys with their counts, or rows with the null. */
  examples: unknown[];
}

/** The outcome of checking a relation. */
export interface ExpectationReport {
  passed: boolean;
  rowCount: number;
  violations: ExpectationViolation[];
}

const EXAMPLES = 5;

/**
 * Parse expectations from an object (already-decoded JSON or YAML); INVALID_PARAMETER_VALUE naming
 * the offending field (under `field`, e.g. `expectations.columns.delay.min`).
 */
export function parseExpectations(input: unknown, field = 'expectations'): Expectations {
  const r = expectationsSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = [field, ...issue.path.map(String)].join('.');
  throw invalidParam(`Invalid expectations at '${at}': ${issue.message}`, at);
}

/** Read expectations from a `.yaml`, `.yml` or `.json` file. */
export async function loadExpectationsFile(path: string): Promise<Expectations> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HangarError('RESOURCE_DOES_NOT_EXIST', `Cannot read the expectations file ${path}: ${(e as Error).message}`, { field: 'expectations', cause: e });
  }
  let data: unknown;
  try {
    data = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw invalidParam(`The expectations file ${path} is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`, 'expectations');
  }
  return parseExpectations(data);
}

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const NUMBER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;

/** Whether DuckDB type `actual` satisfies the expected type (a family name or an exact type). */
export function typeMatches(expected: string, actual: string): boolean {
  const a = actual.toUpperCase();
  switch (expected.toLowerCase()) {
    case 'integer':
    case 'long':
    case 'int':
      return INTEGER.test(a);
    case 'number':
    case 'double':
    case 'float':
      return NUMBER.test(a);
    case 'string':
      return a === 'VARCHAR' || (a.startsWith('ENUM(') && a.endsWith(')'));
    case 'boolean':
      return a === 'BOOLEAN';
    case 'timestamp':
      return /^(TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|DATE)$/.test(a);
    case 'date':
      return a === 'DATE';
    default:
      return a === expected.toUpperCase().replace(/\s+/g, ' ');
  }
}

function literal(v: string | number | boolean, type: string): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NULL';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `CAST(${sqlString(v)} AS ${type})`;
}

const fmt = (v: unknown): string => JSON.stringify(jsonValue(v));

/**
 * Check `expectations` against `relation` (a table name or a parenthesised query with an
 * alias) on a DuckDB connection. All counts come from DuckDB; examples are fetched only for
 * failing checks. Throws only for expectations that cannot be evaluated (a `min` that does not
 * cast to the column's type: INVALID_PARAMETER_VALUE naming it); data problems are violations.
 */
export async function checkExpectations(con: DuckConnection, relation: string, expectations: Expectations): Promise<ExpectationReport> {
  const described = await describeRelation(con, relation);
  const types = new Map(described.map((c) => [c.name, c.type]));
  const rowCount = Number((await queryRows(con, `select count(*)::DOUBLE as n from ${relation}`))[0]?.n ?? 0);
  const violations: ExpectationViolation[] = [];
  const columns = Object.entries(expectations.columns ?? {});

  for (const [name, e] of columns) {
    const actual = types.get(name);
    if (actual === undefined) {
      if (e.required !== false) {
        violations.push({ column: name, check: 'missing', count: 0, message: `column '${name}' is missing (columns: ${described.map((c) => c.name).join(', ')})`, examples: [] });
      }
      continue;
    }
    if (e.type !== undefined && !typeMatches(e.type, actual)) {
      violations.push({ column: name, check: 'type', count: 0, message: `column '${name}' has type ${actual}, expected ${e.type}`, examples: [actual] });
    }
  }
  if (expectations.strict === true) {
    const listed = new Set(columns.map(([n]) => n));
    for (const c of described) {
      if (!listed.has(c.name)) violations.push({ column: c.name, check: 'unexpected', count: 0, message: `column '${c.name}' is not declared (strict expectations)`, examples: [] });
    }
  }

  // Value checks run on columns that exist with a matching type: one aggregate query counts them all.
  const broken = new Set(violations.filter((v) => v.check === 'type').map((v) => v.column));
  interface Pending { column: string; check: ExpectationCheck; where: string; describe: string }
  const pending: Pending[] = [];
  for (const [name, e] of columns) {
    const type = types.get(name);
    if (type === undefined || broken.has(name)) continue;
    const id = sqlIdent(name);
    if (e.not_null === true) pending.push({ column: name, check: 'not_null', where: `${id} is null`, describe: 'null values' });
    if (e.min !== undefined || e.max !== undefined) {
      const terms: string[] = [];
      if (e.min !== undefined) terms.push(`${id} < ${literal(e.min, type)}`);
      if (e.max !== undefined) terms.push(`${id} > ${literal(e.max, type)}`);
      const bounds = `[${e.min === undefined ? '-∞' : String(e.min)}, ${e.max === undefined ? '∞' : String(e.max)}]`;
      pending.push({ column: name, check: 'range', where: `(${terms.join(' or ')})`, describe: `values outside ${bounds}` });
    }
    if (e.allowed !== undefined) {
      const list = e.allowed.map((v) => literal(typeof v === 'number' ? v : String(v), type)).join(', ');
      pending.push({ column: name, check: 'allowed', where: `(${id} is not null and ${id} not in (${list}))`, describe: `values not in the allowed list` });
    }
  }
  if (pending.length > 0) {
    let counts: Record<string, unknown>;
    try {
      counts = (await queryRows(con, `select ${pending.map((p, i) => `count(*) filter (where ${p.where})::DOUBLE as c${i}`).join(', ')} from ${relation}`))[0] ?? {};
    } catch (e) {
      throw invalidParam(`Cannot evaluate the expectations: ${(e as Error).message}`, 'expectations');
    }
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      const count = Number(counts[`c${i}`] ?? 0);
      if (count === 0) continue;
      const id = sqlIdent(p.column);
      const examples =
        p.check === 'not_null'
          ? (await queryRows(con, `select * from ${relation} where ${p.where} limit ${EXAMPLES}`)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, jsonValue(v)])))
          : (await queryRows(con, `select ${id} as v, count(*)::DOUBLE as n from ${relation} where ${p.where} group by 1 order by 2 desc, 1 limit ${EXAMPLES}`)).map((r) => jsonValue(r.v));
      const shown = p.check === 'not_null' ? '' : ` (e.g. ${examples.map(fmt).join(', ')})`;
      violations.push({ column: p.column, check: p.check, count, message: `column '${p.column}': ${count} ${p.describe}${shown}`, examples });
    }
  }

  const keys: string[][] = [
    ...columns.filter(([name, e]) => e.unique === true && types.has(name)).map(([name]) => [name]),
    ...(expectations.unique ?? []),
  ];
  for (const key of keys) {
    const missing = key.filter((k) => !types.has(k));
    if (missing.length > 0) {
      violations.push({ column: key.join(', '), check: 'missing', count: 0, message: `unique key (${key.join(', ')}): column '${missing[0]}' is missing`, examples: [] });
      continue;
    }
    const cols = key.map(sqlIdent).join(', ');
    const groups = `select ${cols}, count(*) as n from ${relation} group by ${cols} having count(*) > 1`;
    const total = Number((await queryRows(con, `select coalesce(sum(n), 0)::DOUBLE as rows from (${groups})`))[0]?.rows ?? 0);
    if (total === 0) continue;
    const examples = (await queryRows(con, `${groups} order by n desc limit ${EXAMPLES}`)).map((r) => {
      const out: Record<string, unknown> = {};
      for (const k of key) out[k] = jsonValue(r[k]);
      out.count = jsonValue(r.n);
      return out;
    });
    const label = key.length === 1 ? `column '${key[0]}'` : `columns (${key.join(', ')})`;
    violations.push({
      column: key.join(', '),
      check: 'unique',
      count: total,
      message: `${label}: ${total} rows share a value with another row (e.g. ${examples.map((x) => fmt(x)).join(', ')})`,
      examples,
    });
  }
  return { passed: violations.length === 0, rowCount, violations };
}

/**
 * The error for a failed report: DATA_EXPECTATION_FAILED, the message listing every violation
 * (one per line, each naming its column), `field` the first offending column.
 */
export function expectationError(subject: string, report: ExpectationReport): HangarError {
  const lines = report.violations.map((v) => `  - ${v.message}`);
  return new HangarError('DATA_EXPECTATION_FAILED', `${subject} failed ${report.violations.length} expectation${report.violations.length === 1 ? '' : 's'}; nothing was published:\n${lines.join('\n')}`, {
    field: report.violations[0]?.column ?? 'expectations',
  });
}
