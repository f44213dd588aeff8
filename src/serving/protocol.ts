/**
 * MLflow's scoring protocol (semantics.md §d, MLflow 2.12 `pyfunc/scoring_server`): the
 * content-type rules of `POST /invocations` and the four JSON input forms, read into one
 * column table. Pure functions over the request's content type and body; the HTTP server
 * turns a `ProtocolError` into its status and envelope.
 */
import { HangarError } from '../core/errors.js';

/** The JSON keys that carry model input; a body holds exactly one of them. */
export const INPUT_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
export type InputField = (typeof INPUT_FIELDS)[number];

/** Request input as columns: every column array has `rows` values. */
export interface ScoringTable {
  /** Number of rows. */
  rows: number;
  /** Column name → values (arrays, or Float64Arrays for numeric columns of a file; NaN is missing). Positional columns (tensor-style rows) are named `"0"`, `"1"`, …. */
  columns: Map<string, ArrayLike<unknown>>;
  /** True when columns came by position (arrays as rows) and take their names from the signature. */
  positional: boolean;
}

/** A parsed scoring request. */
export interface ScoringRequest {
  /** The input rows. */
  table: ScoringTable;
  /** `params` of the JSON body, when given. */
  params: Record<string, unknown> | undefined;
  /** Which input form the body used (`csv` for text/csv). */
  format: InputField | 'csv';
}

/**
 * A 415 answers in plain text, as MLflow's scoring server does; every other protocol error is
 * a HangarError (400 BAD_REQUEST in MLflow's JSON envelope).
 */
export class UnsupportedMediaType extends Error {
  readonly status = 415;
}

const REQUIRED_INPUT =
  `The input must be a JSON dictionary with exactly one of the input fields ${JSON.stringify(INPUT_FIELDS)}` +
  ' (plus optional "params").';

function badRequest(message: string): HangarError {
  return new HangarError('BAD_REQUEST', message);
}

/** The media type of a request, checked: `json` or `csv`. Throws UnsupportedMediaType (415) otherwise. */
export function mediaType(contentType: string | undefined): 'json' | 'csv' {
  const parts = (contentType ?? '').split(';').map((s) => s.trim());
  const mime = parts[0]!.toLowerCase();
  const params = new Map<string, string>();
  for (const p of parts.slice(1)) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    params.set((eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase(), eq < 0 ? '' : p.slice(eq + 1).trim().replace(/^"|"$/g, ''));
  }
  const charset = (params.get('charset') ?? 'utf-8').toLowerCase();
  if (charset !== 'utf-8') throw new UnsupportedMediaType(`The scoring server only accepts UTF-8; got charset '${charset}'.`);
  const extra = [...params.keys()].filter((k) => k !== 'charset');
  if (extra.length > 0) throw new UnsupportedMediaType(`Unrecognized content type parameters: ${extra.join(', ')}.`);
  if (mime === 'application/json') return 'json';
  if (mime === 'text/csv') return 'csv';
  throw new UnsupportedMediaType(`The scoring server accepts the content types text/csv and application/json; got '${contentType ?? ''}'.`);
}

/** Parse a body by its content type into a scoring request. */
export function parseScoringRequest(contentType: string | undefined, body: string): ScoringRequest {
  const kind = mediaType(contentType);
  if (kind === 'csv') return { table: parseCsv(body), params: undefined, format: 'csv' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw badRequest(`Invalid input: the body is not valid JSON (${(e as Error).message}).`);
  }
  return parseScoringJson(json);
}

/** A parsed JSON body into a scoring request (the four input forms of MLflow's protocol). */
export function parseScoringJson(json: unknown): ScoringRequest {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw badRequest(`Invalid input: ${REQUIRED_INPUT} Got ${Array.isArray(json) ? 'a list' : json === null ? 'null' : typeof json}.`);
  }
  const body = json as Record<string, unknown>;
  let field: InputField | undefined;
  let count = 0;
  for (const f of INPUT_FIELDS) {
    if (Object.hasOwn(body, f)) {
      field = f;
      count++;
    }
  }
  if (count !== 1 || field === undefined) {
    throw badRequest(`${REQUIRED_INPUT} Received input fields: ${JSON.stringify(Object.keys(body))}.`);
  }
  const params = body.params;
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
    throw badRequest('"params" must be a JSON dictionary of parameter values.');
  }
  const value = body[field];
  let table: ScoringTable;
  switch (field) {
    case 'dataframe_split':
      table = fromSplit(value);
      break;
    case 'dataframe_records':
      table = fromRecords(value, field);
      break;
    case 'instances':
      table = fromRows(value, field);
      break;
    case 'inputs':
      table = value !== null && typeof value === 'object' && !Array.isArray(value) ? fromColumns(value as Record<string, unknown>) : fromRows(value, field);
      break;
  }
  return { table, params: (params ?? undefined) as Record<string, unknown> | undefined, format: field };
}

function fromSplit(v: unknown): ScoringTable {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('"dataframe_split" must be a dictionary with "columns" and "data".');
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.data)) throw badRequest('"dataframe_split.data" must be a list of rows.');
  const data = o.data as unknown[];
  let names: string[];
  if (o.columns === undefined) {
    const width = data.reduce<number>((w, r) => Math.max(w, Array.isArray(r) ? r.length : 1), 0);
    names = Array.from({ length: width }, (_, j) => String(j));
  } else {
    if (!Array.isArray(o.columns)) throw badRequest('"dataframe_split.columns" must be a list of column names.');
    names = o.columns.map(String);
    if (new Set(names).size !== names.length) throw badRequest('"dataframe_split.columns" has a duplicate column name.');
  }
  if (o.index !== undefined && (!Array.isArray(o.index) || o.index.length !== data.length)) {
    throw badRequest(`"dataframe_split.index" must be a list with one entry per row (${data.length}).`);
  }
  const n = data.length;
  const columns = new Map<string, unknown[]>(names.map((c) => [c, new Array<unknown>(n)]));
  for (let i = 0; i < n; i++) {
    // A flat list of scalars with one column is one value per row, as pandas reads it.
    const row = Array.isArray(data[i]) ? (data[i] as unknown[]) : [data[i]];
    if (row.length !== names.length) throw badRequest(`"dataframe_split.data" row ${i} has ${row.length} values for ${names.length} columns.`);
    for (let j = 0; j < names.length; j++) columns.get(names[j]!)![i] = row[j] ?? null;
  }
  return { rows: n, columns, positional: o.columns === undefined };
}

function fromRecords(v: unknown, field: string): ScoringTable {
  if (!Array.isArray(v)) throw badRequest(`"${field}" must be a list of row dictionaries.`);
  if (v.length > 0 && Array.isArray(v[0])) return fromRows(v, field);
  const n = v.length;
  const columns = new Map<string, unknown[]>();
  for (let i = 0; i < n; i++) {
    const row = v[i] as unknown;
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw badRequest(`"${field}" row ${i} is not a dictionary of column values.`);
    for (const k in row as Record<string, unknown>) {
      let col = columns.get(k);
      if (col === undefined) {
        // A key missing from earlier rows is missing there (null), as pandas fills it.
        col = new Array<unknown>(n).fill(null);
        columns.set(k, col);
      }
      col[i] = (row as Record<string, unknown>)[k] ?? null;
    }
  }
  return { rows: n, columns, positional: false };
}

function fromRows(v: unknown, field: string): ScoringTable {
  if (!Array.isArray(v)) throw badRequest(`"${field}" must be a list of rows or a dictionary of columns.`);
  if (v.length > 0 && v[0] !== null && typeof v[0] === 'object' && !Array.isArray(v[0])) return fromRecords(v, field);
  const n = v.length;
  let width = 0;
  for (let i = 0; i < n; i++) width = Math.max(width, Array.isArray(v[i]) ? (v[i] as unknown[]).length : 1);
  const columns = new Map<string, unknown[]>();
  for (let j = 0; j < width; j++) columns.set(String(j), new Array<unknown>(n));
  for (let i = 0; i < n; i++) {
    const row = Array.isArray(v[i]) ? (v[i] as unknown[]) : [v[i]];
    if (row.length !== width) throw badRequest(`"${field}" row ${i} has ${row.length} values; the other rows have ${width}.`);
    for (let j = 0; j < width; j++) {
      const x = row[j];
      if (x !== null && typeof x === 'object') throw badRequest(`"${field}" row ${i} value ${j} is nested; Hangar's flavors take one scalar per column.`);
      columns.get(String(j))![i] = x ?? null;
    }
  }
  return { rows: n, columns, positional: true };
}

function fromColumns(o: Record<string, unknown>): ScoringTable {
  const columns = new Map<string, unknown[]>();
  let n: number | undefined;
  for (const k in o) {
    const v = o[k];
    // A scalar is a column of one row.
    const col = Array.isArray(v) ? v.map((x: unknown) => x ?? null) : [v ?? null];
    if (n !== undefined && col.length !== n) throw badRequest(`"inputs" column '${k}' has ${col.length} values; the other columns have ${n}.`);
    n = col.length;
    columns.set(k, col);
  }
  return { rows: n ?? 0, columns, positional: false };
}

// --- CSV -------------------------------------------------------------------------------------

/** Split CSV text into records (RFC 4180 quoting; CRLF or LF line ends). */
function csvRecords(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      i++;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (ch === '\n' || ch === '\r') {
      row.push(field);
      field = '';
      out.push(row);
      row = [];
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      i++;
    }
  }
  if (quoted) throw badRequest('Invalid CSV input: a quoted field is not closed.');
  if (field !== '' || row.length > 0) {
    row.push(field);
    out.push(row);
  }
  return out.filter((r) => !(r.length === 1 && r[0] === ''));
}

const NUMBER = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i;

/**
 * A CSV body with a header row into columns. Each column is typed as pandas' reader would:
 * numeric when every non-empty value is a number, boolean when every one is True/False,
 * else strings; an empty field is missing.
 */
export function parseCsv(text: string): ScoringTable {
  const records = csvRecords(text.replace(/^\uFEFF/, ''));
  if (records.length === 0) throw badRequest('Invalid CSV input: the body is empty; a header row is required.');
  const header = records[0]!;
  if (new Set(header).size !== header.length) throw badRequest('Invalid CSV input: the header has a duplicate column name.');
  const data = records.slice(1);
  const n = data.length;
  const columns = new Map<string, unknown[]>();
  header.forEach((name, j) => {
    const raw = data.map((r, i) => {
      if (r.length !== header.length) throw badRequest(`Invalid CSV input: line ${i + 2} has ${r.length} fields for ${header.length} columns.`);
      return r[j]!;
    });
    const present = raw.filter((s) => s !== '');
    let values: unknown[];
    if (present.length > 0 && present.every((s) => NUMBER.test(s.trim()))) {
      values = raw.map((s) => (s === '' ? null : csvNumber(s.trim())));
    } else if (present.length > 0 && present.every((s) => /^(true|false)$/i.test(s))) {
      values = raw.map((s) => (s === '' ? null : s.toLowerCase() === 'true'));
    } else {
      values = raw.map((s) => (s === '' ? null : s));
    }
    columns.set(name, values);
  });
  return { rows: n, columns, positional: false };
}

function csvNumber(s: string): number {
  const l = s.toLowerCase().replace(/^\+/, '');
  if (l === 'nan') return NaN;
  if (l === 'inf' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return Number(s);
}

/** The request header carrying the caller's event time for every row of the request (docs/serving.md). */
export const EVENT_TIME_HEADER = 'Hangar-Event-Time';

const EPOCH_MS = /^-?\d{1,16}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
/** The range a JavaScript Date can hold, ± 100,000,000 days around 1970. */
const MAX_MS = 8.64e15;

/**
 * An event time as epoch ms: an integer of epoch milliseconds, or an ISO-8601 date or date-time
 * (`2001-05-01`, `2001-05-01T08:05:00Z`, `2001-05-01 08:05:00.250+02:00`). A date-time without
 * a zone is UTC, as the data layer reads zone-less timestamps. Anything else (`May 1`, an
 * impossible date such as `2001-02-30`, a number outside a Date's range) is
 * INVALID_PARAMETER_VALUE naming `field`.
 */
export function parseEventTime(value: unknown, field: string, label: string = field): number {
  let ms = Number.NaN;
  if (typeof value === 'number') ms = Number.isInteger(value) ? value : Number.NaN;
  else if (typeof value === 'string') {
    const s = value.trim();
    if (EPOCH_MS.test(s)) ms = Number(s);
    else if (ISO_8601.test(s) && validDate(s)) {
      const t = s.replace(' ', 'T');
      ms = Date.parse(t.length === 10 || /(?:Z|[+-]\d{2}:?\d{2})$/i.test(t.slice(10)) ? t : `${t}Z`);
    }
  }
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_MS) {
    const shown = typeof value === 'string' ? `'${value.length > 60 ? `${value.slice(0, 59)}…` : value}'` : String(value);
    throw new HangarError('INVALID_PARAMETER_VALUE', `${label} must be epoch milliseconds or an ISO-8601 date-time (e.g. 2001-05-01T08:05:00Z); got ${shown}.`, { field });
  }
  return ms;
}

/** Month 1–12 and a day the month has (Date.parse would roll 2001-02-30 over to March 2). */
function validDate(s: string): boolean {
  const y = Number(s.slice(0, 4));
  const m = Number(s.slice(5, 7));
  const d = Number(s.slice(8, 10));
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * Each row's event time: the value of `column` in the row when the request carries that column
 * and the value is not missing, else `fallback` (the header's time, or the arrival time).
 * A value that is not a time is INVALID_PARAMETER_VALUE naming the column and the row.
 */
export function rowEventTimes(table: ScoringTable, column: string | undefined, fallback: number): number | Float64Array {
  const values = column === undefined ? undefined : table.columns.get(column);
  if (values === undefined) return fallback;
  const out = new Float64Array(table.rows);
  for (let i = 0; i < table.rows; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v)) ? fallback : parseEventTime(v, column!, `${column!} (row ${i})`);
  }
  return out;
}
