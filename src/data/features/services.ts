/**
 * Feature services (Feast's `FeatureService`): a named list of feature references that one model
 * uses, registered by `hangar features apply` after the tables, and resolved by online look-ups
 * that name `feature_service` instead of listing features.
 *
 * Apply checks each reference against the tables of the same apply and the registered ones,
 * expands `table:*` to every feature of the table (in the table's order), and stores the
 * expanded list: a service is its list of references, so `origin:*` and the same features
 * written out are the same service, and a feature added to a table later joins a `table:*`
 * service at its next apply (as a new version). Look-ups resolve services through
 * `service-resolver.ts`.
 */
import { invalidParam } from '../../core/errors.js';
import type { FeatureServiceRecord } from '../../store/features-store.js';
import type { DataContext } from '../context.js';
import { canonicalSpecJson, specDigest } from './define.js';
import type { FeatureServiceSpec, FeatureTableSpec } from './spec.js';
import { applyFeatureTables, featureStoreOf, parseStoredSpec, type ApplyOutcome } from './tables.js';

/** What `apply` did to one service. */
export interface ServiceApplyOutcome {
  name: string;
  status: 'created' | 'changed' | 'unchanged';
  /** The version the service has now (with `dryRun`, the one it would have). */
  version: number;
  /** The references it resolves to, `table:*` expanded. */
  features: string[];
}

/** A registered feature service: its spec (references expanded) and catalogue row. */
export interface FeatureServiceInfo {
  spec: FeatureServiceSpec;
  record: FeatureServiceRecord;
}

/** A service as the REST routes and `--json` output show it. */
export function featureServiceToWire(s: FeatureServiceInfo): Record<string, unknown> {
  return {
    name: s.spec.name,
    features: s.spec.features,
    description: s.record.description,
    owner: s.record.owner,
    tags: s.spec.tags ?? {},
    version: s.record.version,
    spec_digest: s.record.specDigest,
    creation_timestamp: s.record.creationTimestamp,
    last_updated_timestamp: s.record.lastUpdatedTimestamp,
  };
}

const parseService = (record: FeatureServiceRecord): FeatureServiceInfo => ({ spec: JSON.parse(record.specJson) as FeatureServiceSpec, record });

/**
 * The service with its references checked and `table:*` expanded. `tableOf` answers the table
 * a reference names (from the same apply or the registry), or undefined.
 * INVALID_PARAMETER_VALUE naming `<service>.features[i]` for an unknown table or feature, or a
 * feature the list already holds (`origin:*` and `origin:rate` together).
 */
async function resolveServiceSpec(spec: FeatureServiceSpec, tableOf: (name: string) => Promise<FeatureTableSpec | undefined>): Promise<FeatureServiceSpec> {
  const features: string[] = [];
  const at = new Map<string, number>();
  for (const [i, ref] of spec.features.entries()) {
    const field = `${spec.name}.features[${i}]`;
    const colon = ref.indexOf(':');
    const tableName = ref.slice(0, colon);
    const feature = ref.slice(colon + 1);
    const table = await tableOf(tableName);
    if (table === undefined) throw invalidParam(`${field}: no feature table '${tableName}' in this apply or the registry`, field);
    let names: string[];
    if (feature === '*') names = table.features.map((f) => f.name);
    else if (table.features.some((f) => f.name === feature)) names = [feature];
    else throw invalidParam(`${field}: feature table '${tableName}' has no feature '${feature}'; its features: ${table.features.map((f) => f.name).join(', ')}`, field);
    for (const n of names) {
      const full = `${tableName}:${n}`;
      const before = at.get(full);
      if (before !== undefined) throw invalidParam(`${field}: '${full}' is already in the service (from features[${before}])`, field);
      at.set(full, i);
      features.push(full);
    }
  }
  return { ...spec, features };
}

/**
 * Register or update feature services after the tables of the same apply (`tables`), as
 * `feast apply` does: each is created (version 1), changed (a new version) or unchanged. With
 * `dryRun` nothing is written. Services missing from `services` are left alone. Every service is
 * checked before any is written, so a bad reference registers none of them.
 */
export async function applyFeatureServices(ctx: DataContext, services: FeatureServiceSpec[], options: { tables?: FeatureTableSpec[]; dryRun?: boolean } = {}): Promise<ServiceApplyOutcome[]> {
  return writeServices(ctx, await resolveServices(ctx, services, options.tables ?? []), options.dryRun === true);
}

/**
 * Apply feature tables and then feature services (`hangar features apply`, `tables/apply`).
 * The services are checked against the tables of this apply and the registered ones before
 * anything is written, so a bad reference writes neither tables nor services.
 */
export async function applyFeatureDefinitions(
  ctx: DataContext,
  tables: FeatureTableSpec[],
  services: FeatureServiceSpec[],
  options: { dryRun?: boolean } = {},
): Promise<{ tables: ApplyOutcome[]; services: ServiceApplyOutcome[] }> {
  const dryRun = options.dryRun === true;
  const resolved = await resolveServices(ctx, services, tables);
  const tableResults = await applyFeatureTables(ctx, tables, { dryRun });
  return { tables: tableResults, services: await writeServices(ctx, resolved, dryRun) };
}

/** Each service checked and expanded (`resolveServiceSpec`) against `tables`, then the registry. */
async function resolveServices(ctx: DataContext, services: FeatureServiceSpec[], tables: FeatureTableSpec[]): Promise<FeatureServiceSpec[]> {
  if (services.length === 0) return [];
  const fs = featureStoreOf(ctx);
  const inApply = new Map(tables.map((t) => [t.name, t]));
  const registered = new Map<string, FeatureTableSpec | undefined>();
  const tableOf = async (name: string): Promise<FeatureTableSpec | undefined> => {
    const own = inApply.get(name);
    if (own !== undefined) return own;
    if (!registered.has(name)) {
      const record = await fs.findTable(name);
      registered.set(name, record === null ? undefined : parseStoredSpec(record.specJson));
    }
    return registered.get(name);
  };
  const resolved: FeatureServiceSpec[] = [];
  for (const s of services) resolved.push(await resolveServiceSpec(s, tableOf));
  return resolved;
}

/** Write services already resolved (with `dryRun`, only say what would happen). */
async function writeServices(ctx: DataContext, resolved: FeatureServiceSpec[], dryRun: boolean): Promise<ServiceApplyOutcome[]> {
  if (resolved.length === 0) return [];
  const fs = featureStoreOf(ctx);
  const out: ServiceApplyOutcome[] = [];
  for (const spec of resolved) {
    const digest = specDigest(spec);
    if (dryRun) {
      const existing = await fs.findService(spec.name);
      const status = existing === null ? 'created' : existing.specDigest === digest ? 'unchanged' : 'changed';
      out.push({ name: spec.name, status, version: existing === null ? 1 : existing.version + (status === 'changed' ? 1 : 0), features: spec.features });
      continue;
    }
    const r = await fs.upsertService({ name: spec.name, specJson: canonicalSpecJson(spec), specDigest: digest, description: spec.description ?? null, owner: spec.owner ?? null });
    out.push({ name: spec.name, status: r.status, version: r.service.version, features: spec.features });
  }
  return out;
}

/** A registered service; RESOURCE_DOES_NOT_EXIST when unknown. */
export async function getFeatureService(ctx: DataContext, name: string): Promise<FeatureServiceInfo> {
  return parseService(await featureStoreOf(ctx).getService(name));
}

/** Every registered service, by name. */
export async function listFeatureServices(ctx: DataContext): Promise<FeatureServiceInfo[]> {
  return (await featureStoreOf(ctx).listServices()).map(parseService);
}

/** Delete a registered service; RESOURCE_DOES_NOT_EXIST when unknown. */
export async function deleteFeatureService(ctx: DataContext, name: string): Promise<void> {
  await featureStoreOf(ctx).deleteService(name);
}
