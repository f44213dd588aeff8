/**
 * Online feature look-up from TypeScript: the SDK side of `POST /api/2.0/hangar/features/online/get`
 * (docs/online-store.md). Its own small client over the same transport as {@link HangarClient},
 * so a serving process can hold one without the tracking client:
 *
 * ```ts
 * import { OnlineFeaturesClient } from 'hangar/client';
 * const online = new OnlineFeaturesClient({ trackingUri: 'http://127.0.0.1:5000' });
 * const r = await online.get({ features: ['origin_stats:delay_rate'], entities: { origin: ['SFO', 'JFK'] } });
 * online.rows(r); // [{ origin: 'SFO', delay_rate: 0.21 }, { origin: 'JFK', delay_rate: null }]
 * ```
 */
import type { Transport} from './http.js';
import { transportFor, type HangarClientOptions } from './http.js';

const ONLINE = '/api/2.0/hangar/features/online';

/** The status of one value. */
export type OnlineFeatureStatus = 'INVALID' | 'PRESENT' | 'NULL_VALUE' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE';

/** What to look up: feature references or a feature service, and the entities. */
export interface OnlineFeaturesQuery {
  /** `table:feature` references. */
  features?: string[];
  /** A feature service name, instead of `features`. */
  featureService?: string;
  /** Entity key values by key column; one value per entity in each list. */
  entities: Record<string, Array<string | number | null>>;
  /** Name features `table__feature`. Default false. */
  fullFeatureNames?: boolean;
}

/** The columnar answer, as the server sends it (Feast's JSON form). */
export interface OnlineFeaturesResult {
  metadata: { feature_names: string[] };
  results: Array<{ values: unknown[]; statuses: OnlineFeatureStatus[]; event_timestamps: string[] }>;
}

/** What one table's materialisation covered. */
export interface MaterializeInfo {
  table: string;
  /** Window start, epoch ms; absent when the window starts at the beginning of the data. */
  start?: number;
  /** Window end (exclusive), epoch ms. */
  end: number;
  /** Entity keys whose latest row in the window was found. */
  rows: number;
  /** Of those, how many replaced the stored row (the rest were older). */
  stored: number;
}

/** Options of a materialisation request. */
export interface MaterializeRequest {
  /** Tables to materialise; default every registered feature table. */
  tables?: string[];
  /** Only report the tables and windows a run would cover. */
  dryRun?: boolean;
}

/** One table the online store holds. */
export interface OnlineTableInfo {
  name: string;
  keys: Array<{ name: string; type: string }>;
  features: Array<{ name: string; type: string }>;
  ttlMs: number;
  /** End of the last materialisation, epoch ms. */
  materializedEnd?: number;
  updatedAt: number;
}

export class OnlineFeaturesClient {
  private readonly http: Transport;

  constructor(options: string | HangarClientOptions) {
    // Look-ups sit on a serving path and fail fast; materialising large tables takes seconds.
    this.http = transportFor(options, { maxRetries: 2, backoffMs: 50, maxBackoffMs: 1000, timeoutMs: 60_000, userAgent: 'hangar-client/online' });
  }

  /**
   * Look features up for a batch of entities. The answer has one column per entity key and
   * feature, one slot per entity, each with a status; values past their table's TTL come back
   * null with `OUTSIDE_MAX_AGE`. Bad references or keys fail with INVALID_PARAMETER_VALUE.
   */
  get(query: OnlineFeaturesQuery): Promise<OnlineFeaturesResult> {
    const body: Record<string, unknown> = { entities: query.entities };
    if (query.features !== undefined) body.features = query.features;
    if (query.featureService !== undefined) body.feature_service = query.featureService;
    if (query.fullFeatureNames !== undefined) body.full_feature_names = query.fullFeatureNames;
    // A look-up changes nothing, so it is safe to retry.
    return this.http.json<OnlineFeaturesResult>('POST', `${ONLINE}/get`, { json: body, idempotent: true });
  }

  /**
   * Materialise, per entity key, the latest offline row with `start ≤ ts < end` into the
   * server's online store (semantics §e). Times are epoch ms or ISO-8601 strings.
   */
  async materialize(start: number | string, end: number | string, options: MaterializeRequest = {}): Promise<MaterializeInfo[]> {
    return this.materializeCall({ start, end, ...this.materializeOptions(options) });
  }

  /** Materialise each table from its previous end (the first time from `end − ttl`, or the beginning when the TTL is 0) to `end`. */
  async materializeIncremental(end: number | string, options: MaterializeRequest = {}): Promise<MaterializeInfo[]> {
    return this.materializeCall({ end, incremental: true, ...this.materializeOptions(options) });
  }

  private materializeOptions(options: MaterializeRequest): Record<string, unknown> {
    return { ...(options.tables === undefined ? {} : { tables: options.tables }), ...(options.dryRun === undefined ? {} : { dry_run: options.dryRun }) };
  }

  private async materializeCall(body: Record<string, unknown>): Promise<MaterializeInfo[]> {
    // The same window materialised twice gives the same rows, so a retry is safe.
    const r = await this.http.json<{ results?: MaterializeInfo[] }>('POST', `${ONLINE}/materialize`, { json: body, idempotent: true });
    return r.results ?? [];
  }

  /** The tables the online store holds, with their materialisation end. */
  async tables(): Promise<{ storeType: string; tables: OnlineTableInfo[] }> {
    const r = await this.http.json<{ store_type: string; tables?: Array<Record<string, unknown>> }>('GET', `${ONLINE}/tables`, { idempotent: true });
    return {
      storeType: r.store_type,
      tables: (r.tables ?? []).map((t) => ({
        name: String(t.name),
        keys: t.keys as OnlineTableInfo['keys'],
        features: t.features as OnlineTableInfo['features'],
        ttlMs: Number(t.ttl_ms),
        ...(t.materialized_end === undefined ? {} : { materializedEnd: Number(t.materialized_end) }),
        updatedAt: Number(t.updated_at),
      })),
    };
  }

  /** The columnar answer as one object per entity (`{key…, feature…}`); statuses are dropped. */
  rows(result: OnlineFeaturesResult): Array<Record<string, unknown>> {
    const names = result.metadata.feature_names;
    const n = result.results[0]?.values.length ?? 0;
    const out: Array<Record<string, unknown>> = [];
    for (let i = 0; i < n; i++) {
      const row: Record<string, unknown> = {};
      names.forEach((name, c) => (row[name] = result.results[c]!.values[i] ?? null));
      out.push(row);
    }
    return out;
  }
}
