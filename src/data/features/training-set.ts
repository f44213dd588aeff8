/**
 * Training sets: a label table joined point-in-time with any number of feature lookups
 * (`pit.ts`), written as Parquet, with its lineage (which feature-table versions fed it)
 * recorded and, when a run is given, logged to it as dataset inputs so MLflow clients see it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HangarError, invalidParam } from '../../core/errors.js';
import type { LineageEntry, TrainingSetRecord } from '../../store/features-store.js';
import type { DatasetInput } from '../../store/types.js';
import type { DataContext } from '../context.js';
import { resolveDataset } from '../datasets/index.js';
import { sqlString, fileRelation, isQuery } from '../table.js';
import { withDuck, type Duck } from './duck.js';
import { artifactUri, fileDigest, putFile } from './files.js';
import { pitQuery, type PitLookup } from './pit.js';
import { sensitiveFeatures } from './sensitive.js';
import { expandDatasets, featureStoreOf, loadFeatureTableVersion } from './tables.js';

/** One feature lookup of a training set (Databricks' FeatureLookup). */
export interface FeatureLookup {
  /** The feature table. */
  table: string;
  /** Features to take (default: all). */
  features?: string[];
  /** Output names: `{feature: newName}`. */
  rename?: Record<string, string>;
  /** Label columns matching the table's keys in order (default: the keys' own names). */
  lookupKey?: string | string[];
  /** The label column with each row's timestamp (default: the table's timestamp key name). */
  timestampLookupKey?: string;
  /** A fixed table version (default: the latest). */
  version?: number;
}

/** Where the labels come from: a Parquet/CSV path, SQL over files and `dataset('name')`, or a registered dataset. */
export type LabelsSource = string | { dataset: string; version?: number };

export interface TrainingSetRequest {
  labels: LabelsSource;
  lookups: FeatureLookup[];
  /** Columns left out of the result (label or feature columns). */
  exclude?: string[];
}

export interface CreateTrainingSetOptions {
  /** Also (or only) write the Parquet result to this local path (temp then rename). */
  out?: string;
  /** Keep the result under the artifact root (`training-sets/<id>/data.parquet`). Default: true unless `out` is given. */
  persist?: boolean;
  /** Log the lineage to this run as dataset inputs. */
  runId?: string;
  onProgress?: (message: string) => void;
}

/** A training set as created or read back. */
export interface TrainingSet extends TrainingSetRecord {
  /** The artifact URI of the stored result, if persisted. */
  uri: string | null;
}

const lookupSchema = z
  .object({
    table: z.string().min(1),
    features: z.array(z.string().min(1)).optional(),
    rename: z.record(z.string(), z.string().min(1)).optional(),
    lookupKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    timestampLookupKey: z.string().min(1).optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict();

/** zod schema of a training-set request (the REST body and `feature_spec.yaml` share it). */
export const trainingSetRequestSchema = z
  .object({
    labels: z.union([z.string().min(1), z.object({ dataset: z.string().min(1), version: z.number().int().min(1).optional() }).strict()]),
    lookups: z.array(lookupSchema).min(1),
    exclude: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** Parse `TABLE[:feat,feat]` (the CLI's `--lookup`) into a lookup. */
export function parseLookupArg(arg: string): FeatureLookup {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::(.*))?$/.exec(arg.trim());
  if (m === null) throw invalidParam(`--lookup '${arg}' must be TABLE or TABLE:feature,feature`, 'lookup');
  const out: FeatureLookup = { table: m[1]! };
  if (m[2] !== undefined) {
    const feats = m[2].split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (feats.length === 0) throw invalidParam(`--lookup '${arg}' names no feature after ':'`, 'lookup');
    out.features = feats;
  }
  return out;
}

async function labelsRelation(ctx: DataContext, labels: LabelsSource): Promise<{ relation: string; describe: string }> {
  if (typeof labels !== 'string') {
    const d = await resolveDataset(ctx, labels.dataset, labels.version);
    return { relation: `read_parquet(${sqlString(d.localPath)})`, describe: `dataset ${d.name} v${d.version}` };
  }
  if (isQuery(labels) || /\bdataset\(/i.test(labels)) {
    const { sql } = await expandDatasets(ctx, labels);
    return { relation: isQuery(sql) ? `(${sql})` : sql, describe: 'query' };
  }
  return { relation: fileRelation(labels), describe: resolve(labels) };
}

/**
 * Resolve every lookup to its table version and files, with features, renames and keys checked.
 * The lineage names, per table, the result columns that come from sensitive features (the
 * columns in `exclude` are not in the result, so they are left out).
 */
export async function resolveLookups(ctx: DataContext, lookups: FeatureLookup[], exclude: string[] = []): Promise<{ pit: PitLookup[]; lineage: LineageEntry[]; sources: Array<{ table: string; version: number; digest: string; uri: string; schema: Array<{ name: string; type: string }> }> }> {
  const pit: PitLookup[] = [];
  const lineage: LineageEntry[] = [];
  const sources: Array<{ table: string; version: number; digest: string; uri: string; schema: Array<{ name: string; type: string }> }> = [];
  for (const [i, l] of lookups.entries()) {
    const { spec, files, record } = await loadFeatureTableVersion(ctx, l.table, l.version);
    const declared = new Set(spec.features.map((f) => f.name));
    const chosen = l.features ?? spec.features.map((f) => f.name);
    for (const f of chosen) if (!declared.has(f)) throw invalidParam(`lookup ${l.table}: no feature '${f}'; it has ${[...declared].join(', ')}`, `lookups[${i}].features`);
    for (const k of Object.keys(l.rename ?? {})) if (!chosen.includes(k)) throw invalidParam(`lookup ${l.table}: rename names '${k}', which is not a chosen feature`, `lookups[${i}].rename`);
    const lookupKeys = l.lookupKey === undefined ? spec.keys.map((k) => k.name) : typeof l.lookupKey === 'string' ? [l.lookupKey] : l.lookupKey;
    const features = chosen.map((name) => ({ name, as: l.rename?.[name] ?? name }));
    const p: PitLookup = {
      relation: `read_parquet([${files.map(sqlString).join(', ')}])`,
      table: l.table,
      keys: spec.keys.map((k) => k.name),
      keyTypes: spec.keys.map((k) => (k.type === 'long' ? 'BIGINT' : 'VARCHAR')),
      lookupKeys,
      ttlMs: spec.ttlMs,
      features,
    };
    if (spec.timestampKey !== undefined) {
      p.timestampKey = spec.timestampKey;
      p.timestampLookupKey = l.timestampLookupKey ?? spec.timestampKey;
    }
    if (spec.createdTimestampKey !== undefined) p.createdTimestampKey = spec.createdTimestampKey;
    pit.push(p);
    const sensitive = new Map(sensitiveFeatures(spec).map((s) => [s.feature, s]));
    const dropped = new Set(exclude);
    lineage.push({
      table: l.table,
      version: record.version,
      digest: record.digest,
      features: features.map((f) => f.as),
      sensitive: features.flatMap((f) => {
        const s = sensitive.get(f.name);
        return s === undefined || dropped.has(f.as) ? [] : [{ column: f.as, feature: s.ref, tag: s.tag.key, value: s.tag.value, on: s.on }];
      }),
    });
    sources.push({ table: l.table, version: record.version, digest: record.digest, uri: artifactUri(ctx, record.path), schema: record.schema });
  }
  return { pit, lineage, sources };
}

/** MLflow-style column spec text of DuckDB columns. */
function colspec(cols: Array<{ name: string; type: string }>): string {
  const type = (t: string): string => (/^(TIMESTAMP|DATE)/.test(t) ? 'datetime' : /^BOOLEAN/.test(t) ? 'boolean' : /^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|U)/.test(t) ? 'long' : /^(DOUBLE|FLOAT|DECIMAL|REAL)/.test(t) ? 'double' : 'string');
  return JSON.stringify({ mlflow_colspec: cols.map((c) => ({ type: type(c.type), name: c.name, required: false })) });
}

/**
 * Run the point-in-time join of `labels` with `lookups` in `duck` and write it to `file` as
 * Parquet. Returns the row count and output schema. Shared by training sets and scoring.
 */
export async function writePointInTime(duck: Duck, labels: string, lookups: PitLookup[], exclude: string[], file: string): Promise<{ rows: number; schema: Array<{ name: string; type: string }> }> {
  await duck.run(`create temp table __hangar_labels as select * from ${labels}`, 'Cannot read the labels');
  const { sql } = await pitQuery(duck, '__hangar_labels', lookups, exclude);
  await duck.run(`create temp view __hangar_joined as ${sql}`, 'Point-in-time join');
  await duck.run(`copy __hangar_joined to ${sqlString(file)} (format parquet)`, 'Point-in-time join');
  const [count] = await duck.all<{ n: number }>(`select count(*)::DOUBLE as n from read_parquet(${sqlString(file)})`);
  const schema = await duck.describe(`read_parquet(${sqlString(file)})`);
  return { rows: count?.n ?? 0, schema };
}

/**
 * Build a point-in-time-correct training set (semantics §e) and record it with its lineage.
 * The result is written to a temp file and renamed into place (`out`) or uploaded under the
 * artifact root; the training-set row is written last. Errors name the field: an unknown table
 * or feature, a missing label key or timestamp column, an output name used twice, an unknown
 * `exclude` column.
 */
export async function createTrainingSet(ctx: DataContext, request: TrainingSetRequest, options: CreateTrainingSetOptions = {}): Promise<TrainingSet> {
  const parsed = trainingSetRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.') || 'request';
    throw invalidParam(`${field}: ${issue.message}`, field);
  }
  const progress = options.onProgress ?? (() => undefined);
  const id = `ts_${randomBytes(8).toString('hex')}`;
  const persist = options.persist ?? options.out === undefined;
  const { pit, lineage, sources } = await resolveLookups(ctx, request.lookups, request.exclude ?? []);
  const labels = await labelsRelation(ctx, request.labels);

  const work = await mkdtemp(join(tmpdir(), 'hangar-training-set-'));
  const outPath = options.out === undefined ? undefined : resolve(options.out);
  // Beside the target, so the final rename stays on one file system.
  const tmpFile = outPath === undefined ? join(work, 'data.parquet') : join(dirname(outPath), `.${randomBytes(6).toString('hex')}.parquet.tmp`);
  let artifactPath: string | null = null;
  try {
    if (outPath !== undefined) {
      await mkdir(dirname(outPath), { recursive: true });
      if ((await stat(outPath).catch(() => null))?.isDirectory() === true) throw invalidParam(`--out ${options.out} is a directory`, 'out');
    }
    progress(`joining ${labels.describe} with ${pit.length} feature table(s) point-in-time`);
    const { rows, schema } = await withDuck((duck) => writePointInTime(duck, labels.relation, pit, request.exclude ?? [], tmpFile));
    const digest = await fileDigest(tmpFile);
    if (persist) {
      progress(`storing ${rows} rows`);
      artifactPath = `training-sets/${id}/data.parquet`;
      await putFile(ctx, artifactPath, tmpFile);
    }
    if (outPath !== undefined) await rename(tmpFile, outPath);
    const record = await featureStoreOf(ctx).addTrainingSet({
      id,
      spec: parsed.data as Record<string, unknown>,
      path: artifactPath,
      output: outPath ?? null,
      rowCount: rows,
      digest,
      schema,
      lineage,
      runId: options.runId ?? null,
    });
    if (options.runId !== undefined) {
      const inputs: DatasetInput[] = [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: {
            name: `training_set_${id}`,
            digest: digest.slice(0, 8),
            sourceType: 'hangar-training-set',
            source: JSON.stringify({ training_set_id: id, uri: artifactPath === null ? null : artifactUri(ctx, artifactPath), path: outPath ?? null }),
            schema: colspec(schema),
            profile: JSON.stringify({ num_rows: rows, num_elements: rows * schema.length }),
          },
        },
        ...sources.map((s) => ({
          tags: [{ key: 'mlflow.data.context', value: 'feature_table' }],
          dataset: {
            name: `${s.table}@v${s.version}`,
            digest: s.digest.slice(0, 8),
            sourceType: 'hangar-feature-table',
            source: JSON.stringify({ feature_table: s.table, version: s.version, uri: s.uri }),
            schema: colspec(s.schema),
          },
        })),
      ];
      await ctx.store.logInputs(options.runId, inputs);
    }
    return { ...record, uri: artifactPath === null ? null : artifactUri(ctx, artifactPath) };
  } catch (e) {
    if (artifactPath !== null) await ctx.artifacts.delete(`training-sets/${id}`).catch(() => undefined);
    throw e;
  } finally {
    await rm(tmpFile, { force: true });
    await rm(work, { recursive: true, force: true });
  }
}

/** A stored training set; RESOURCE_DOES_NOT_EXIST when unknown. */
export async function getTrainingSet(ctx: DataContext, id: string): Promise<TrainingSet> {
  const r = await featureStoreOf(ctx).getTrainingSet(id);
  return { ...r, uri: r.path === null ? null : artifactUri(ctx, r.path) };
}

// --- the feature spec a model carries ---------------------------------------------------------------

/** File name of the feature spec inside a model package, next to `MLmodel`. */
export const FEATURE_SPEC_FILE = 'feature_spec.yaml';

/** What a model trained from a training set records, so scoring can look its features up again. */
export interface ModelFeatureSpec {
  /** The lookups, as in the training-set request (without fixed versions: scoring uses the latest). */
  lookups: FeatureLookup[];
  /** Columns the training set dropped. */
  exclude: string[];
  /** The training set it came from. */
  trainingSetId?: string;
  /** Feature-table versions used in training. */
  lineage?: LineageEntry[];
}

/** The feature spec of a training set, as YAML for `feature_spec.yaml`. */
export function featureSpecYaml(ts: Pick<TrainingSetRecord, 'id' | 'spec' | 'lineage'>): string {
  const spec = trainingSetRequestSchema.parse(ts.spec);
  const lookups = spec.lookups.map(({ version: _v, ...rest }) => rest);
  return toYaml({ version: 1, training_set_id: ts.id, lookups, exclude: spec.exclude ?? [], lineage: ts.lineage });
}

/** Parse `feature_spec.yaml`. INVALID_PARAMETER_VALUE naming the field when it is malformed. */
export function parseFeatureSpec(text: string): ModelFeatureSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `${FEATURE_SPEC_FILE} is not valid YAML: ${(e as Error).message}`, { field: FEATURE_SPEC_FILE, cause: e });
  }
  const parsed = z
    .object({ lookups: z.array(lookupSchema).min(1), exclude: z.array(z.string()).optional(), training_set_id: z.string().optional(), lineage: z.array(z.any()).optional() })
    .passthrough()
    .safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidParam(`${FEATURE_SPEC_FILE}: ${issue.path.join('.')}: ${issue.message}`, FEATURE_SPEC_FILE);
  }
  const out: ModelFeatureSpec = { lookups: parsed.data.lookups, exclude: parsed.data.exclude ?? [] };
  if (parsed.data.training_set_id !== undefined) out.trainingSetId = parsed.data.training_set_id;
  if (parsed.data.lineage !== undefined) out.lineage = parsed.data.lineage as LineageEntry[];
  return out;
}

