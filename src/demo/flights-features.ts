import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FeaturesClient, OnlineFeaturesClient, type FeatureLookupInput, type FeatureTableDefinition, type HangarClient, type TrainingSetInfo } from '../client/index.js';
import { featureSpecYaml, flightsExampleDir, loadDefinitions, type FeatureTableSpec } from '../data/index.js';

/**
 * The data half of the main job (issue 4): the flights file becomes a versioned dataset checked
 * against expectations, the feature tables of `examples/flights/features.ts` are applied and
 * computed from it, the training and holdout sets are joined point-in-time, and the latest
 * features are materialised online. Everything goes through the SDK, as a data engineer's job
 * would against any Hangar server.
 */

/** The holdout's first day and the day after its last: the weeks before the replayed May. */
export const HOLDOUT_START = '2001-04-16T00:00:00Z';
const HOLDOUT_END = '2001-05-01T00:00:00Z';

/** The dataset the feature tables read (`dataset('flights')`). */
export const FLIGHTS_DATASET = 'flights';

/** Expectations the flights file must meet before a version is published (docs/datasets.md). */
export const FLIGHTS_EXPECTATIONS = {
  columns: {
    date: { type: 'timestamp', not_null: true, min: '2001-01-01', max: '2001-07-02' },
    delay: { type: 'integer', not_null: true, min: -1440, max: 2880 },
    distance: { type: 'number', not_null: true, min: 1 },
    origin: { type: 'string', not_null: true },
    destination: { type: 'string', not_null: true },
  },
  strict: true,
};

/** A validated spec back in the shape `FeaturesClient.apply` sends. */
function definitionOf(spec: FeatureTableSpec): FeatureTableDefinition {
  if (spec.source.kind !== 'sql') throw new Error(`${spec.name}: the demo's feature tables are SQL`);
  const d: FeatureTableDefinition = {
    name: spec.name,
    keys: spec.keys.map((k) => ({ name: k.name, type: k.type })),
    features: spec.features.map((f) => ({ name: f.name, type: f.type })),
    source: spec.source.sql,
    ttl: spec.ttlMs,
  };
  if (spec.timestampKey !== undefined) d.timestampKey = spec.timestampKey;
  if (spec.description !== undefined) d.description = spec.description;
  if (spec.owner !== undefined) d.owner = spec.owner;
  if (spec.tags !== undefined) d.tags = spec.tags;
  return d;
}

/**
 * Label rows: sampled flights of the given months with the label (`delay > 15`) and the
 * features computed on the row itself (hour and weekday of the departure, distance, the airports).
 * The delay itself is the label's source, so it is left out.
 */
export function labelsSql(where: string, every: number, remainder = 0): string {
  return (
    `select date, origin, destination, distance, hour(date) as hour, dayofweek(date) as weekday, delay > 15 as delayed ` +
    `from dataset('${FLIGHTS_DATASET}') where ${where} and hash(date, origin, destination, distance) % ${every} = ${remainder}`
  );
}

/** A training set's Parquet as a local file (see `localCopy`), for training and evaluating on it. */
export async function trainingSetFile(client: HangarClient, ts: TrainingSetInfo): Promise<string> {
  return localCopy(client, ts);
}

/**
 * The tables the demo's models look up. The example also declares `destination_delays_7d`, which
 * is computed and materialised like the others but not used: on the April 16–30 holdout its two
 * features lowered the trees' AUC (0.653 without them, 0.643 with them, 2026-11-26), and a model
 * picks its features from the catalogue rather than taking every table.
 */
export const MODEL_TABLES = ['origin_delays_7d', 'route_delays_7d'] as const;

/** The look-ups a training set and a scored request make for `tables`, as of the departure time. */
export function flightLookups(tables: readonly string[]): FeatureLookupInput[] {
  return tables.map((table) => ({ table, timestampLookupKey: 'date' }));
}

export interface FlightsData {
  /** The dataset version the features were computed from. */
  datasetVersion: number;
  /** The feature tables applied, with the version each compute left. */
  tables: Array<{ name: string; version: number; rows: number }>;
  /** Training set (Jan 1–Apr 15 labels) and holdout set (Apr 16–30 labels), joined point-in-time. */
  train: TrainingSetInfo & { localPath: string };
  holdout: TrainingSetInfo & { localPath: string };
  /** `feature_spec.yaml` text for models trained from `train`. */
  featureSpec: string;
  /** Entity keys written to the online store per table. */
  online: Array<{ table: string; rows: number }>;
}

const secs = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** A training set's Parquet as a local file: the artifact itself on a local root, else a download. */
async function localCopy(client: HangarClient, ts: TrainingSetInfo): Promise<string> {
  if (ts.uri === null) throw new Error(`training set ${ts.id} kept no file`);
  if (ts.uri.startsWith('file:')) return fileURLToPath(ts.uri);
  if (ts.uri.startsWith('/')) return ts.uri;
  const dir = await mkdtemp(join(tmpdir(), 'hangar-demo-ts-'));
  return client.downloadArtifacts(ts.uri.replace(/\/data\.parquet$/, ''), 'data.parquet', dir);
}

/**
 * Ingest, define, compute, join and materialise. `every` samples the label rows (one in `every`
 * of January 1–April 15 for training, and of April 16–30 for the holdout: nothing after April,
 * so the replay of May–June stays unseen); the features are computed from every flight.
 * `onlineEnd` is the end (exclusive) of the online materialisation (default: the end of the data).
 */
export async function prepareFlightsData(
  client: HangarClient,
  opts: { dataPath: string; every: number; onlineEnd?: string; log: (line: string) => void },
): Promise<FlightsData> {
  const { log, every } = opts;
  const features = new FeaturesClient({ trackingUri: client.trackingUri, maxRetries: 2, backoffMs: 100 });
  const online = new OnlineFeaturesClient({ trackingUri: client.trackingUri, maxRetries: 2, backoffMs: 100 });

  let t0 = performance.now();
  const { version: dsv, created } = await client.datasets.register({
    name: FLIGHTS_DATASET,
    path: opts.dataPath,
    expectations: FLIGHTS_EXPECTATIONS,
    description: 'US domestic flights, January–June 2001 (vega-datasets flights-3m.parquet).',
    tags: { owner: 'data-eng', source: 'vega-datasets' },
  });
  const ex = Object.keys(FLIGHTS_EXPECTATIONS.columns).length;
  log(
    `dataset     ${FLIGHTS_DATASET} v${dsv.version} (${created ? 'new' : 'unchanged, reused'}): ${dsv.rowCount.toLocaleString('en-US')} rows, digest ${dsv.digest.slice(0, 12)}…, ` +
      `expectations on ${ex} columns passed (${secs(t0)})`,
  );

  t0 = performance.now();
  const { specs, services } = await loadDefinitions(flightsExampleDir());
  const applied = await features.applyAll({ tables: specs.map(definitionOf), services: services.map((s) => ({ ...s, features: [...s.features] })) });
  log(
    `features    examples/flights/features.ts: ${applied.tables.map((a) => `${a.name} ${a.status}`).join(', ')}; ` +
      `${applied.services.map((a) => `service ${a.name} v${a.version} ${a.status} (${a.features.length} features)`).join(', ')}`,
  );
  const tables: FlightsData['tables'] = [];
  for (const spec of specs) {
    t0 = performance.now();
    const { version, reason } = await features.compute(spec.name);
    tables.push({ name: spec.name, version: version.version, rows: version.totalRows });
    log(
      `compute     ${spec.name} v${version.version} (${version.mode}${reason === undefined ? '' : `, ${reason}`}): ${version.totalRows.toLocaleString('en-US')} daily rows, ` +
        `each the 7 days before its day (${secs(t0)})`,
    );
  }

  const lookups = flightLookups(MODEL_TABLES.filter((t) => specs.some((s) => s.name === t)));
  t0 = performance.now();
  const trainSet = await features.createTrainingSet({ labels: labelsSql(`date < '${HOLDOUT_START}'::TIMESTAMP`, every), lookups });
  const holdoutSet = await features.createTrainingSet({ labels: labelsSql(`date >= '${HOLDOUT_START}'::TIMESTAMP and date < '${HOLDOUT_END}'::TIMESTAMP`, every), lookups });
  const train = { ...trainSet, localPath: await localCopy(client, trainSet) };
  const holdout = { ...holdoutSet, localPath: await localCopy(client, holdoutSet) };
  log(
    `training    set ${trainSet.id.slice(0, 10)}…: ${trainSet.rowCount.toLocaleString('en-US')} labelled flights (Jan 1–Apr 15, 1 in ${every}) + ` +
      `${holdoutSet.rowCount.toLocaleString('en-US')} (holdout Apr 16–30, 1 in ${every}), point-in-time from ` +
      `${trainSet.lineage.map((l) => `${l.table}@v${l.version}`).join(', ')} (${secs(t0)})`,
  );

  t0 = performance.now();
  const materialised = await online.materialize('2001-01-01T00:00:00Z', opts.onlineEnd ?? '2001-07-02T00:00:00Z', { tables: specs.map((s) => s.name) });
  log(`online      materialised the latest row per key before ${(opts.onlineEnd ?? '2001-07-02').slice(0, 10)}: ${materialised.map((m) => `${m.table} ${m.rows.toLocaleString('en-US')} keys`).join(', ')} (${secs(t0)})`);

  return {
    datasetVersion: dsv.version,
    tables,
    train,
    holdout,
    featureSpec: featureSpecYaml({ id: trainSet.id, spec: trainSet.request as never, lineage: trainSet.lineage as never }),
    online: materialised.map((m) => ({ table: m.table, rows: m.rows })),
  };
}
