/**
 * Online look-up (semantics §e): feature values for a batch of entity keys, answered in Feast's
 * columnar form — one `results` entry per column (entity keys first, then features, in
 * `metadata.feature_names` order), one slot per entity, each with a status. Hangar enforces the
 * TTL here, at read time: a value older than its table's TTL answers null with
 * `OUTSIDE_MAX_AGE` (Feast answers it as PRESENT).
 *
 * The hot path reads each table once for the whole batch and writes the answer's JSON as bytes,
 * copying each value's text from the stored row (`readRaw`); table specs and parsed feature
 * lists are cached (for `metaTtlMs`, so a materialisation by another process shows within a
 * second).
 */
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { invalidParam } from '../../core/errors.js';
import type { FeatureTableSpec } from '../features/spec.js';
import { JsonWriter } from './json-writer.js';
import type { OnlineRows, OnlineStore } from './port.js';

/** The status of one value (Feast's `FieldStatus`). */
export type FeatureStatus = 'INVALID' | 'PRESENT' | 'NULL_VALUE' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE';

/** A look-up request. Exactly one of `features` and `featureService`. */
export interface OnlineFeaturesRequest {
  /** Feature references `table:feature`. */
  features?: readonly string[] | undefined;
  /** A feature service name, resolved by the service's `resolveFeatureService`. */
  featureService?: string | undefined;
  /** Entity key values by key column, all lists of one length (one slot per entity). */
  entities: Readonly<Record<string, readonly unknown[]>>;
  /** Name features `table__feature` instead of `feature`. Default false. */
  fullFeatureNames?: boolean | undefined;
}

/** One column of the answer. */
export interface OnlineFeatureColumn {
  values: unknown[];
  statuses: FeatureStatus[];
  /** ISO-8601 event time of each value; the epoch for entity keys and missing rows. */
  event_timestamps: string[];
}

/** The columnar answer (Feast's `GetOnlineFeaturesResponse` in JSON). */
export interface OnlineFeaturesResponse {
  metadata: { feature_names: string[] };
  results: OnlineFeatureColumn[];
}

export interface OnlineFeaturesOptions {
  /** Time source for TTL checks. Default the system clock. */
  clock?: Clock;
  /** How long table specs are cached, ms. Default 1000. */
  metaTtlMs?: number;
  /** Feature references of a feature service, or undefined when there is no such service. */
  resolveFeatureService?: (name: string) => Promise<readonly string[] | undefined>;
  /** Most entities one request may ask for. Default 10,000. */
  maxEntities?: number;
}

const EPOCH = '1970-01-01T00:00:00Z';

interface TableInfo {
  spec: FeatureTableSpec;
  features: Set<string>;
}

interface Group {
  table: TableInfo;
  /** The table's key columns and types: tables with the same signature share encoded keys. */
  keySignature: string;
  /** Features read from the table, in output order. */
  features: string[];
  /** Where each feature goes in the output (index among feature columns). */
  out: number[];
}

interface Plan {
  at: number;
  names: string[];
  /** `names` as JSON without its opening bracket (`"a","b"]`), to follow the entity names. */
  namesJson: string;
  groups: Group[];
  /** Per output feature column (request order): its group and its index among the group's features. */
  columns: Array<{ group: number; feature: number }>;
}

interface GroupRead {
  encoded: Encoded;
  /** Undefined when no slot had a valid key. */
  rows: OnlineRows | undefined;
}

/** Row statuses (a column's status is its row's, or NULL_VALUE where the row holds no value). */
const PRESENT = 0;
const NOT_FOUND = 1;
const OUTSIDE = 2;
const INVALID = 3;
const STATUS_TEXT = ['"PRESENT"', '"NOT_FOUND"', '"OUTSIDE_MAX_AGE"', '"INVALID"'];
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;

/** One table's rows by answer slot, and where its shared lists were written in the answer. */
interface RowStates {
  /** Per slot: the row index in the read when its values are served (PRESENT), else -1. */
  hit: number[];
  /** Per slot: the row index in the read, -1 when no row was read for it. */
  row: number[];
  /** Per slot: PRESENT, NOT_FOUND, OUTSIDE or INVALID. */
  status: number[];
  statusesAt: number;
  statusesEnd: number;
  stampsAt: number;
  stampsEnd: number;
}

function rowStates(read: GroupRead, ttl: number, now: number, n: number): RowStates {
  // Plain arrays: small typed arrays cost more to allocate than they save here.
  const st: RowStates = { hit: new Array<number>(n).fill(-1), row: new Array<number>(n).fill(-1), status: new Array<number>(n).fill(NOT_FOUND), statusesAt: -1, statusesEnd: -1, stampsAt: -1, stampsEnd: -1 };
  for (const slot of read.encoded.invalid) st.status[slot] = INVALID;
  const rows = read.rows;
  if (rows === undefined) return st;
  for (let h = 0; h < read.encoded.slots.length; h++) {
    const ts = rows.eventTs[h]!;
    if (Number.isNaN(ts)) continue;
    const slot = read.encoded.slots[h]!;
    st.row[slot] = h;
    if (ttl > 0 && now - ts > ttl) st.status[slot] = OUTSIDE;
    else {
      st.status[slot] = PRESENT;
      st.hit[slot] = h;
    }
  }
  return st;
}

function sameRefs(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `[item,item,…]` with `count` items. */
function writeRepeated(w: JsonWriter, item: string, count: number): void {
  w.byte(OPEN);
  for (let i = 0; i < count; i++) {
    if (i > 0) w.byte(COMMA);
    w.ascii(item);
  }
  w.byte(CLOSE);
}

/** Serves online look-ups from one online store. */
export class OnlineFeatures {
  private readonly clock: Clock;
  private readonly metaTtlMs: number;
  private readonly maxEntities: number;
  private readonly tables = new Map<string, { at: number; info: TableInfo | undefined }>();
  private readonly plans = new Map<string, Plan>();
  private readonly writer = new JsonWriter();
  private last: { refs: readonly string[]; full: boolean; plan: Plan } | undefined;

  constructor(
    /** The online store read from. */
    readonly store: OnlineStore,
    private readonly options: OnlineFeaturesOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.metaTtlMs = options.metaTtlMs ?? 1000;
    this.maxEntities = options.maxEntities ?? 10_000;
  }

  /** Forget cached table specs (after a materialisation in this process). */
  invalidate(): void {
    this.tables.clear();
    this.plans.clear();
    this.last = undefined;
  }

  /**
   * Look features up. INVALID_PARAMETER_VALUE naming the field for an unknown table or feature,
   * a malformed reference, a missing entity key, an entity value of the wrong type, or entity
   * lists of different lengths. A null entity value answers INVALID in its slot.
   */
  async get(req: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse> {
    return JSON.parse((await this.getJson(req)).toString('utf8')) as OnlineFeaturesResponse;
  }

  /**
   * The same answer as {@link get}, as the UTF-8 bytes of its JSON (what the REST route sends).
   * Values are copied from the stored rows' JSON text without being parsed, so a double reads
   * back as the store wrote it (`5.0` from DuckDB; `5` through `get`).
   */
  async getJson(req: OnlineFeaturesRequest): Promise<Buffer> {
    const plan = await this.plan(req);
    const entityNames = Object.keys(req.entities);
    if (entityNames.length === 0) throw invalidParam('entities must name at least one entity key.', 'entities');
    const n = req.entities[entityNames[0]!]!.length;
    for (const name of entityNames) {
      const values = req.entities[name];
      if (!Array.isArray(values)) throw invalidParam(`entities.${name} must be a list of values.`, `entities.${name}`);
      if (values.length !== n) throw invalidParam(`entities.${name} has ${values.length} values but entities.${entityNames[0]} has ${n}; give one value per entity in each.`, `entities.${name}`);
    }
    if (n > this.maxEntities) throw invalidParam(`At most ${this.maxEntities} entities per request; got ${n}.`, 'entities');

    const now = this.clock.now();
    const encodedByKeys = new Map<string, Encoded>();
    for (const g of plan.groups) {
      if (!encodedByKeys.has(g.keySignature)) encodedByKeys.set(g.keySignature, encodeKeys(g.table.spec, req.entities, n));
    }
    const reads = await Promise.all(
      plan.groups.map(async (g): Promise<GroupRead> => {
        const encoded = encodedByKeys.get(g.keySignature)!;
        const rows = encoded.keys.length === 0 ? undefined : await this.store.readRaw(g.table.spec.name, encoded.keys, g.features);
        return { encoded, rows };
      }),
    );

    // No await from here on: the shared writer holds one answer at a time.
    const w = this.writer;
    w.reset();
    w.ascii('{"metadata":{"feature_names":');
    const entityJson = JSON.stringify(entityNames);
    w.text(entityJson.slice(0, -1));
    w.byte(COMMA);
    w.text(plan.namesJson);
    w.ascii('},"results":[');
    // Entity columns: the request's values, every status PRESENT, every timestamp the epoch.
    let presentAt = -1;
    let presentEnd = -1;
    let epochsAt = -1;
    let epochsEnd = -1;
    for (let e = 0; e < entityNames.length; e++) {
      w.ascii(e === 0 ? '{"values":' : ',{"values":');
      w.text(JSON.stringify(req.entities[entityNames[e]!]));
      w.ascii(',"statuses":');
      if (presentAt < 0) {
        presentAt = w.length;
        writeRepeated(w, '"PRESENT"', n);
        presentEnd = w.length;
      } else w.repeat(presentAt, presentEnd);
      w.ascii(',"event_timestamps":');
      if (epochsAt < 0) {
        epochsAt = w.length;
        writeRepeated(w, `"${EPOCH}"`, n);
        epochsEnd = w.length;
      } else w.repeat(epochsAt, epochsEnd);
      w.ascii('}');
    }

    // Per table: the status of each slot's row, written once per table and copied to every
    // column without an empty field, and the rows' timestamps, shared by all its columns.
    const states = plan.groups.map((g, gi) => rowStates(reads[gi]!, g.table.spec.ttlMs, now, n));
    for (let c = 0; c < plan.columns.length; c++) {
      const gi = plan.columns[c]!.group;
      const f = plan.columns[c]!.feature;
      const nf = plan.groups[gi]!.features.length;
      const { rows } = reads[gi]!;
      const st = states[gi]!;
      w.ascii(c + entityNames.length === 0 ? '{"values":' : ',{"values":');
      const hasNull = rows === undefined ? false : w.column(rows.texts, rows.spans, st.hit, nf, f);
      if (rows === undefined) writeRepeated(w, 'null', n);
      w.ascii(',"statuses":');
      if (!hasNull && st.statusesAt >= 0) w.repeat(st.statusesAt, st.statusesEnd);
      else {
        const from = w.length;
        w.byte(OPEN);
        for (let slot = 0; slot < n; slot++) {
          if (slot > 0) w.byte(COMMA);
          const h = st.hit[slot]!;
          w.ascii(h >= 0 && rows!.spans[2 * (h * nf + f)]! < 0 ? '"NULL_VALUE"' : STATUS_TEXT[st.status[slot]!]!);
        }
        w.byte(CLOSE);
        if (!hasNull) {
          st.statusesAt = from;
          st.statusesEnd = w.length;
        }
      }
      w.ascii(',"event_timestamps":');
      if (st.stampsAt >= 0) w.repeat(st.stampsAt, st.stampsEnd);
      else {
        st.stampsAt = w.length;
        w.byte(OPEN);
        for (let slot = 0; slot < n; slot++) {
          if (slot > 0) w.byte(COMMA);
          const r = st.row[slot]!;
          w.ascii(r < 0 ? `"${EPOCH}"` : `"${isoSeconds(rows!.eventTs[r]!)}"`);
        }
        w.byte(CLOSE);
        st.stampsEnd = w.length;
      }
      w.ascii('}');
    }
    w.ascii(']}');
    return w.take();
  }

  private async plan(req: OnlineFeaturesRequest): Promise<Plan> {
    let refs: readonly string[];
    let field: string;
    if (req.featureService !== undefined) {
      if (req.features !== undefined) throw invalidParam('Give either features or feature_service, not both.', 'feature_service');
      const resolve = this.options.resolveFeatureService;
      const found = resolve === undefined ? undefined : await resolve(req.featureService);
      if (found === undefined) throw invalidParam(`No feature service named '${req.featureService}'.`, 'feature_service');
      refs = found;
      field = 'feature_service';
    } else {
      if (req.features === undefined || req.features.length === 0) throw invalidParam('features must list at least one `table:feature` reference.', 'features');
      refs = req.features;
      field = 'features';
    }
    const full = req.fullFeatureNames === true;
    const wall = Date.now();
    // Clients mostly repeat one request shape: compare with the last one before building a key.
    const last = this.last;
    if (last !== undefined && last.full === full && wall - last.plan.at < this.metaTtlMs && sameRefs(last.refs, refs)) return last.plan;
    const cacheKey = `${full ? 1 : 0}\n${refs.join('\n')}`;
    const cached = this.plans.get(cacheKey);
    if (cached !== undefined && wall - cached.at < this.metaTtlMs) {
      this.last = { refs: [...refs], full, plan: cached };
      return cached;
    }

    const groups = new Map<string, Group>();
    const names: string[] = [];
    const seen = new Map<string, string>();
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const at = `${field}[${i}]`;
      const colon = typeof ref === 'string' ? ref.indexOf(':') : -1;
      if (colon <= 0 || colon === ref.length - 1) throw invalidParam(`Invalid feature reference ${JSON.stringify(ref)} at ${at}: expected 'table:feature'.`, at);
      const tableName = ref.slice(0, colon);
      const feature = ref.slice(colon + 1);
      const table = await this.table(tableName);
      if (table === undefined) throw invalidParam(`Unknown feature table '${tableName}' at ${at}: it is not materialised in the online store.`, at);
      if (!table.features.has(feature)) {
        throw invalidParam(`Unknown feature '${feature}' of table '${tableName}' at ${at}; its features: ${table.spec.features.map((f) => f.name).join(', ')}.`, at);
      }
      const name = full ? `${tableName}__${feature}` : feature;
      const before = seen.get(name);
      if (before !== undefined) throw invalidParam(`Feature name '${name}' at ${at} is also requested as '${before}'; ${full ? 'remove the duplicate' : 'set full_feature_names'}.`, at);
      seen.set(name, ref);
      let g = groups.get(tableName);
      if (g === undefined) groups.set(tableName, (g = { table, keySignature: table.spec.keys.map((k) => `${k.name}:${k.type}`).join(','), features: [], out: [] }));
      g.features.push(feature);
      g.out.push(names.length);
      names.push(name);
    }
    const list = [...groups.values()];
    const columns = new Array<{ group: number; feature: number }>(names.length);
    list.forEach((g, gi) => g.out.forEach((o, f) => (columns[o] = { group: gi, feature: f })));
    const plan: Plan = { at: wall, names, namesJson: JSON.stringify(names).slice(1), groups: list, columns };
    if (this.plans.size >= 256) this.plans.clear();
    this.plans.set(cacheKey, plan);
    this.last = { refs: [...refs], full, plan };
    return plan;
  }

  private async table(name: string): Promise<TableInfo | undefined> {
    const wall = Date.now();
    const cached = this.tables.get(name);
    if (cached !== undefined && wall - cached.at < this.metaTtlMs) return cached.info;
    const state = await this.store.getTable(name);
    const info = state === undefined ? undefined : { spec: state.spec, features: new Set(state.spec.features.map((f) => f.name)) };
    if (this.tables.size >= 1024) this.tables.clear();
    this.tables.set(name, { at: wall, info });
    return info;
  }
}

interface Encoded {
  /** Encoded keys of the valid slots, in slot order. */
  keys: string[];
  /** The slot of each encoded key. */
  slots: number[];
  /** Slots whose key has a null part. */
  invalid: number[];
}

/** Encode the entity keys of one table's key columns, checking presence and types. */
function encodeKeys(spec: FeatureTableSpec, entities: Readonly<Record<string, readonly unknown[]>>, n: number): Encoded {
  const columns = spec.keys.map((k) => {
    const values = entities[k.name];
    if (values === undefined) {
      throw invalidParam(`Missing entity key '${k.name}' (needed by feature table '${spec.name}'; its keys: ${spec.keys.map((x) => x.name).join(', ')}).`, `entities.${k.name}`);
    }
    return values;
  });
  const out: Encoded = { keys: [], slots: [], invalid: [] };
  for (let i = 0; i < n; i++) {
    let key = '';
    let invalid = false;
    for (let c = 0; c < columns.length; c++) {
      const v = columns[c]![i];
      if (v === null || v === undefined) {
        invalid = true;
        break;
      }
      const part = encodePart(spec.keys[c]!.type, v, spec.keys[c]!.name, i);
      key = c === 0 ? part : `${key},${part}`;
    }
    if (invalid) out.invalid.push(i);
    else {
      out.keys.push(key);
      out.slots.push(i);
    }
  }
  return out;
}

/** The same encoding as `encodeEntityKey`, from request JSON: strings for string keys, integers (or integer strings) for long keys. */
function encodePart(type: 'string' | 'long', v: unknown, name: string, i: number): string {
  if (type === 'string') {
    if (typeof v === 'string') return JSON.stringify(v);
  } else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return String(v);
  } else if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) {
    return BigInt(v).toString();
  }
  throw invalidParam(`Invalid value ${JSON.stringify(v)} for entity key '${name}' at entities.${name}[${i}]: expected ${type === 'string' ? 'a string' : 'an integer'}.`, `entities.${name}`);
}

/** ISO-8601 in UTC, without milliseconds when they are zero (Feast's form). */
function isoSeconds(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}
