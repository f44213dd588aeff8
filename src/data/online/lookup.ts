/**
 * Online look-up (semantics §e): feature values for a batch of entity keys, answered in Feast's
 * columnar form — one `results` entry per column (entity keys first, then features, in
 * `metadata.feature_names` order), one slot per entity, each with a status. Hangar enforces the
 * TTL here, at read time: a value older than its table's TTL answers null with
 * `OUTSIDE_MAX_AGE` (Feast answers it as PRESENT).
 *
 * The hot path reads each table once for the whole batch; table specs and parsed feature lists
 * are cached (for `metaTtlMs`, so a materialisation by another process shows within a second).
 */
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { invalidParam } from '../../core/errors.js';
import type { FeatureTableSpec } from '../features/spec.js';
import type { OnlineStore, OnlineValue } from './port.js';

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
  /** Features read from the table, in output order. */
  features: string[];
  /** Where each feature goes in the output (index among feature columns). */
  out: number[];
}

interface Plan {
  at: number;
  names: string[];
  groups: Group[];
}

/** Serves online look-ups from one online store. */
export class OnlineFeatures {
  private readonly clock: Clock;
  private readonly metaTtlMs: number;
  private readonly maxEntities: number;
  private readonly tables = new Map<string, { at: number; info: TableInfo | undefined }>();
  private readonly plans = new Map<string, Plan>();

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
  }

  /**
   * Look features up. INVALID_PARAMETER_VALUE naming the field for an unknown table or feature,
   * a malformed reference, a missing entity key, an entity value of the wrong type, or entity
   * lists of different lengths. A null entity value answers INVALID in its slot.
   */
  async get(req: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse> {
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

    const results: OnlineFeatureColumn[] = new Array<OnlineFeatureColumn>(entityNames.length + plan.names.length);
    const epochs = new Array<string>(n).fill(EPOCH);
    entityNames.forEach((name, i) => {
      results[i] = { values: [...req.entities[name]!], statuses: new Array<FeatureStatus>(n).fill('PRESENT'), event_timestamps: epochs };
    });
    const now = this.clock.now();
    const encodedByKeys = new Map<string, Encoded>();
    await Promise.all(
      plan.groups.map(async (g) => {
        const spec = g.table.spec;
        const signature = spec.keys.map((k) => `${k.name}:${k.type}`).join(',');
        let encoded = encodedByKeys.get(signature);
        if (encoded === undefined) {
          encoded = encodeKeys(spec, req.entities, n);
          encodedByKeys.set(signature, encoded);
        }
        const hits = encoded.keys.length === 0 ? [] : await this.store.read(spec.name, encoded.keys, g.features);
        const ttl = spec.ttlMs;
        // Every feature of one table comes from the same row, so its columns share one
        // timestamp list (serialised once per column all the same).
        const stamps = new Array<string>(n).fill(EPOCH);
        const cols = g.features.map((): OnlineFeatureColumn => ({ values: new Array<unknown>(n).fill(null), statuses: new Array<FeatureStatus>(n).fill('NOT_FOUND'), event_timestamps: stamps }));
        for (const slot of encoded.invalid) for (const c of cols) c.statuses[slot] = 'INVALID';
        for (let h = 0; h < hits.length; h++) {
          const hit = hits[h];
          if (hit === undefined) continue;
          const slot = encoded.slots[h]!;
          stamps[slot] = isoSeconds(hit.eventTs);
          const expired = ttl > 0 && now - hit.eventTs > ttl;
          for (let f = 0; f < cols.length; f++) {
            const c = cols[f]!;
            if (expired) {
              c.statuses[slot] = 'OUTSIDE_MAX_AGE';
              continue;
            }
            const v: OnlineValue = hit.values[f]!;
            if (v === null) c.statuses[slot] = 'NULL_VALUE';
            else {
              c.values[slot] = v;
              c.statuses[slot] = 'PRESENT';
            }
          }
        }
        for (let f = 0; f < cols.length; f++) results[entityNames.length + g.out[f]!] = cols[f]!;
      }),
    );
    return { metadata: { feature_names: [...entityNames, ...plan.names] }, results };
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
    const cacheKey = `${full ? 1 : 0}\n${refs.join('\n')}`;
    const wall = Date.now();
    const cached = this.plans.get(cacheKey);
    if (cached !== undefined && wall - cached.at < this.metaTtlMs) return cached;

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
      if (g === undefined) groups.set(tableName, (g = { table, features: [], out: [] }));
      g.features.push(feature);
      g.out.push(names.length);
      names.push(name);
    }
    const plan: Plan = { at: wall, names, groups: [...groups.values()] };
    if (this.plans.size >= 256) this.plans.clear();
    this.plans.set(cacheKey, plan);
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

/**
 * The answer as JSON text, equal to `JSON.stringify(response)` but faster: columns of one table
 * share their timestamp list (and entity keys share theirs), so each shared list is serialised
 * once and reused; for 100 entities × 50 features that is nearly half the text.
 */
export function serializeOnlineResponse(response: OnlineFeaturesResponse): string {
  const shared = new Map<readonly string[], string>();
  let out = `{"metadata":{"feature_names":${JSON.stringify(response.metadata.feature_names)}},"results":[`;
  for (let i = 0; i < response.results.length; i++) {
    const c = response.results[i]!;
    let stamps = shared.get(c.event_timestamps);
    if (stamps === undefined) {
      stamps = JSON.stringify(c.event_timestamps);
      shared.set(c.event_timestamps, stamps);
    }
    out += `${i === 0 ? '' : ','}{"values":${JSON.stringify(c.values)},"statuses":${JSON.stringify(c.statuses)},"event_timestamps":${stamps}}`;
  }
  return `${out}]}`;
}
