/**
 * Registering feature tables (`hangar features apply`), computing their offline versions
 * (`hangar features compute`) and handing their files to readers (`loadFeatureTable`).
 *
 * A version is computed in DuckDB from the table's source, checked (declared columns and
 * types, keys and timestamp not null, one row per primary key), written as Parquet to a
 * temp file, uploaded under a fresh artifact path, and only then recorded: the version row is
 * the last thing written, so a failure anywhere leaves the table as it was.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HangarError, invalidParam } from '../../core/errors.js';
import { FeatureStore, type FeatureTableRecord, type FeatureTableVersionRecord } from '../../store/features-store.js';
import type { DataContext } from '../context.js';
import { resolveDataset } from '../datasets/index.js';
import { sqlIdent, sqlString, fileRelation, isQuery } from '../table.js';
import { canonicalSpecJson, specDigest } from './define.js';
import { isIntegerType, isNumericType, isTimeType, withDuck, type Duck } from './duck.js';
import { fileDigest, localFile, putFile } from './files.js';
import type { FeatureTableSpec, FeatureType } from './spec.js';

/** What `apply` did to one definition. */
export interface ApplyOutcome {
  name: string;
  status: 'created' | 'changed' | 'unchanged';
}

/** A registered table: its spec and catalogue row. */
export interface FeatureTableInfo {
  spec: FeatureTableSpec;
  record: FeatureTableRecord;
}

/** The feature store of a data context. */
export const featureStoreOf = (ctx: DataContext): FeatureStore => FeatureStore.for(ctx.store);

/** Parse a stored spec (it was validated when applied). */
export const parseStoredSpec = (json: string): FeatureTableSpec => JSON.parse(json) as FeatureTableSpec;

/**
 * Register or update definitions, as `feast apply` does: each is created, changed (its spec
 * differs from the stored one) or unchanged. With `dryRun` nothing is written. Tables missing
 * from `specs` are left alone.
 */
export async function applyFeatureTables(ctx: DataContext, specs: FeatureTableSpec[], options: { dryRun?: boolean } = {}): Promise<ApplyOutcome[]> {
  const fs = featureStoreOf(ctx);
  const out: ApplyOutcome[] = [];
  for (const spec of specs) {
    const digest = specDigest(spec);
    if (options.dryRun === true) {
      const existing = await fs.findTable(spec.name);
      out.push({ name: spec.name, status: existing === null ? 'created' : existing.specDigest === digest ? 'unchanged' : 'changed' });
      continue;
    }
    const r = await fs.upsertTable({ name: spec.name, specJson: canonicalSpecJson(spec), specDigest: digest, description: spec.description ?? null, owner: spec.owner ?? null });
    out.push({ name: spec.name, status: r.status });
  }
  return out;
}

/** A registered table's spec and record; RESOURCE_DOES_NOT_EXIST when unknown. */
export async function getFeatureTable(ctx: DataContext, name: string): Promise<FeatureTableInfo> {
  const record = await featureStoreOf(ctx).getTable(name);
  return { spec: parseStoredSpec(record.specJson), record };
}

/** Every registered table. */
export async function listFeatureTables(ctx: DataContext): Promise<FeatureTableInfo[]> {
  return (await featureStoreOf(ctx).listTables()).map((record) => ({ spec: parseStoredSpec(record.specJson), record }));
}

/**
 * The latest computed version of `name`: its spec, local Parquet paths holding all its offline
 * rows, and the version number (the contract the online store materialises from).
 * RESOURCE_DOES_NOT_EXIST when the table is unknown or was never computed.
 */
export async function loadFeatureTable(ctx: DataContext, name: string): Promise<{ spec: FeatureTableSpec; files: string[]; version: number }> {
  const { spec } = await getFeatureTable(ctx, name);
  const v = await featureStoreOf(ctx).getVersion(name);
  return { spec, files: await Promise.all(v.files.map((p) => localFile(ctx, p))), version: v.version };
}

/** A version's local files plus its record. */
export async function loadFeatureTableVersion(ctx: DataContext, name: string, version?: number): Promise<{ spec: FeatureTableSpec; files: string[]; record: FeatureTableVersionRecord }> {
  const { spec } = await getFeatureTable(ctx, name);
  const record = await featureStoreOf(ctx).getVersion(name, version);
  return { spec, files: await Promise.all(record.files.map((p) => localFile(ctx, p))), record };
}

// --- compute ---------------------------------------------------------------------------------------

export interface ComputeOptions {
  /** Inclusive start (epoch ms) of a full compute; an incremental one starts at the previous end. */
  start?: number;
  /** Exclusive end (epoch ms); default now. */
  end?: number;
  /** Recompute everything (in [start, end)) instead of only the rows since the last end. */
  full?: boolean;
  /** The clock for the default end. */
  now?: () => number;
  /** Progress messages. */
  onProgress?: (message: string) => void;
}

export interface ComputeResult {
  version: FeatureTableVersionRecord;
  /** Why a full compute ran when incremental was possible, if it did. */
  reason?: string;
}

const DUCK_TYPE: Record<FeatureType | 'string' | 'long', string> = { double: 'DOUBLE', long: 'BIGINT', boolean: 'BOOLEAN', string: 'VARCHAR', timestamp: 'TIMESTAMP' };

function typeFits(declared: FeatureType, actual: string): boolean {
  switch (declared) {
    case 'double':
      return isNumericType(actual);
    case 'long':
      return isIntegerType(actual);
    case 'boolean':
      return /^BOOLEAN/i.test(actual);
    case 'string':
      return /^(VARCHAR|ENUM)/i.test(actual);
    case 'timestamp':
      return isTimeType(actual);
  }
}

const expectation = (message: string, column: string): HangarError => new HangarError('DATA_EXPECTATION_FAILED', message, { field: column });

/** Replace `dataset('name')` / `dataset('name', 3)` with the version's Parquet file. */
export async function expandDatasets(ctx: DataContext, sql: string): Promise<{ sql: string; datasets: Array<{ name: string; version: number; digest: string }> }> {
  const pattern = /\bdataset\(\s*'([^']+)'\s*(?:,\s*(\d+)\s*)?\)/gi;
  const found = [...sql.matchAll(pattern)];
  const datasets: Array<{ name: string; version: number; digest: string }> = [];
  const replacement = new Map<string, string>();
  for (const m of found) {
    if (replacement.has(m[0])) continue;
    const resolved = await resolveDataset(ctx, m[1]!, m[2] === undefined ? undefined : Number(m[2]));
    datasets.push({ name: resolved.name, version: resolved.version, digest: resolved.digest });
    replacement.set(m[0], `read_parquet(${sqlString(resolved.localPath)})`);
  }
  return { sql: sql.replace(pattern, (m) => replacement.get(m) ?? m), datasets };
}

/** A SQL table expression for `input`: SQL (with `dataset()` expanded), or a file path. */
async function relationOf(ctx: DataContext, input: string): Promise<string> {
  if (isQuery(input) || /\bdataset\(/i.test(input)) {
    const expanded = await expandDatasets(ctx, input);
    return isQuery(expanded.sql) ? `(${expanded.sql})` : expanded.sql;
  }
  return fileRelation(input);
}

/** Run a transform module over its input rows and load what it returns as a DuckDB table `src`. */
async function loadTransform(ctx: DataContext, duck: Duck, spec: FeatureTableSpec, source: Extract<FeatureTableSpec['source'], { kind: 'transform' }>, dir: string): Promise<void> {
  let input: Array<Record<string, unknown>> = [];
  if (source.input !== undefined) {
    const rel = await relationOf(ctx, source.input);
    // Timestamps as ISO text and BIGINTs as doubles, so a transform sees plain JS values.
    const cols = await duck.describe(rel, `Cannot read ${spec.name}.source.input`);
    const select = cols
      .map((c) => (isTimeType(c.type) ? `strftime(${sqlIdent(c.name)}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%gZ') as ${sqlIdent(c.name)}` : isIntegerType(c.type) ? `${sqlIdent(c.name)}::DOUBLE as ${sqlIdent(c.name)}` : sqlIdent(c.name)))
      .join(', ');
    input = await duck.all(`select ${select} from ${rel}`, `Cannot read ${spec.name}.source.input`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(source.module).href)) as Record<string, unknown>;
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `${spec.name}.source.transform: cannot load ${source.module}: ${(e as Error).message}`, { field: `${spec.name}.source`, cause: e });
  }
  const fn = mod[source.export ?? 'transform'] ?? (source.export === undefined ? mod.default : undefined);
  if (typeof fn !== 'function') throw invalidParam(`${spec.name}.source: ${source.module} exports no function '${source.export ?? 'transform'}'`, `${spec.name}.source`);
  const rows = (await (fn as (rows: unknown) => unknown)(input)) as unknown;
  if (!Array.isArray(rows)) throw invalidParam(`${spec.name}.source: the transform must return an array of rows`, `${spec.name}.source`);
  const timeCols = new Set([spec.timestampKey, spec.createdTimestampKey, ...spec.features.filter((f) => f.type === 'timestamp').map((f) => f.name)].filter((x): x is string => x !== undefined));
  const lines = (rows as Array<Record<string, unknown>>).map((r) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r ?? {})) o[k] = timeCols.has(k) && typeof v === 'number' ? new Date(v).toISOString() : v;
    return JSON.stringify(o);
  });
  const columns: Record<string, string> = {};
  for (const k of spec.keys) columns[k.name] = DUCK_TYPE[k.type];
  if (spec.timestampKey !== undefined) columns[spec.timestampKey] = 'TIMESTAMP';
  if (spec.createdTimestampKey !== undefined) columns[spec.createdTimestampKey] = 'TIMESTAMP';
  for (const f of spec.features) columns[f.name] = DUCK_TYPE[f.type];
  const file = join(dir, 'transform.ndjson');
  await writeFile(file, lines.join('\n'));
  const colSpec = `{${Object.entries(columns).map(([k, t]) => `${sqlString(k)}: ${sqlString(t)}`).join(', ')}}`;
  await duck.run(
    lines.length === 0
      ? `create temp table src as select ${Object.entries(columns).map(([k, t]) => `null::${t} as ${sqlIdent(k)}`).join(', ')} limit 0`
      : `create temp table src as select * from read_json(${sqlString(file)}, format = 'newline_delimited', columns = ${colSpec})`,
    `${spec.name}.source: the transform's rows do not match the declared columns`,
  );
}

/** Check the source's columns against the spec; DATA_EXPECTATION_FAILED naming the column. */
function checkColumns(spec: FeatureTableSpec, cols: Array<{ name: string; type: string }>): void {
  const types = new Map(cols.map((c) => [c.name, c.type]));
  const need = (name: string, role: string): string => {
    const t = types.get(name);
    if (t === undefined) throw expectation(`${spec.name}: the source has no ${role} column '${name}'; it has ${cols.map((c) => c.name).join(', ')}`, name);
    return t;
  };
  for (const k of spec.keys) {
    const t = need(k.name, 'key');
    if (!typeFits(k.type, t)) throw expectation(`${spec.name}: key '${k.name}' is ${t} in the source, declared ${k.type}`, k.name);
  }
  for (const [col, role] of [[spec.timestampKey, 'timestamp key'], [spec.createdTimestampKey, 'created timestamp']] as const) {
    if (col === undefined) continue;
    const t = need(col, role);
    if (!isTimeType(t)) throw expectation(`${spec.name}: ${role} '${col}' is ${t} in the source; it must be TIMESTAMP or DATE`, col);
  }
  for (const f of spec.features) {
    const t = need(f.name, 'feature');
    if (!typeFits(f.type, t)) throw expectation(`${spec.name}: feature '${f.name}' is ${t} in the source, declared ${f.type}`, f.name);
  }
}

const tsLiteral = (ms: number): string => `make_timestamp(${Math.round(ms)}::BIGINT * 1000)`;

/**
 * Compute a new version of `name` from its source: incrementally (rows with timestamp in
 * [previous end, end)) when a previous version exists with the same definition, else in full.
 * Errors: RESOURCE_DOES_NOT_EXIST for an unknown table; INVALID_PARAMETER_VALUE for a bad range
 * or a source DuckDB rejects; DATA_EXPECTATION_FAILED naming the column for missing or
 * mistyped columns, null keys, or a duplicate primary key at the same timestamp;
 * RESOURCE_CONFLICT when another compute of the table committed first.
 */
export async function computeFeatureTable(ctx: DataContext, name: string, options: ComputeOptions = {}): Promise<ComputeResult> {
  const fs = featureStoreOf(ctx);
  const { spec, record } = await getFeatureTable(ctx, name);
  const progress = options.onProgress ?? (() => undefined);
  const digest = specDigest(spec);
  const hasTs = spec.timestampKey !== undefined;
  if (!hasTs && (options.start !== undefined || options.end !== undefined)) {
    throw invalidParam(`${name} has no timestamp key, so it is always computed whole; drop --start/--end`, options.start !== undefined ? 'start' : 'end');
  }
  const previous = record.latestVersion > 0 ? await fs.getVersion(name, record.latestVersion) : null;
  let mode: 'full' | 'incremental' = 'full';
  let reason: string | undefined;
  if (hasTs && options.full !== true && previous !== null) {
    if (previous.specDigest !== digest) reason = 'the definition changed since the last version';
    else if (previous.endTs === null) reason = 'the last version has no end';
    else mode = 'incremental';
  }
  if (mode === 'incremental' && options.start !== undefined && options.start !== previous!.endTs) {
    throw invalidParam(`An incremental compute of ${name} starts at the previous end (${new Date(previous!.endTs!).toISOString()}); use --full to choose --start`, 'start');
  }
  const start = mode === 'incremental' ? previous!.endTs! : (options.start ?? null);
  const end = hasTs ? (options.end ?? (options.now ?? Date.now)()) : null;
  if (start !== null && end !== null && end <= start) {
    throw invalidParam(`end (${new Date(end).toISOString()}) must be after start (${new Date(start).toISOString()})`, 'end');
  }

  const dir = await mkdtemp(join(tmpdir(), 'hangar-features-'));
  const path = `features/${name}/v${record.latestVersion + 1}-${randomBytes(6).toString('hex')}.parquet`;
  let uploaded = false;
  try {
    const written = await withDuck(async (duck) => {
      progress(`reading the source of ${name}`);
      if (spec.source.kind === 'sql') {
        const { sql } = await expandDatasets(ctx, spec.source.sql);
        await duck.run(`create temp view src as ${isQuery(sql) ? sql : `select * from ${sql}`}`, `${name}.source`);
      } else {
        await loadTransform(ctx, duck, spec, spec.source, dir);
      }
      const cols = await duck.describe('src', `${name}.source`);
      checkColumns(spec, cols);

      const select = [
        ...spec.keys.map((k) => `${sqlIdent(k.name)}::${DUCK_TYPE[k.type]} as ${sqlIdent(k.name)}`),
        ...(spec.timestampKey === undefined ? [] : [`${sqlIdent(spec.timestampKey)}::TIMESTAMP as ${sqlIdent(spec.timestampKey)}`]),
        ...(spec.createdTimestampKey === undefined ? [] : [`${sqlIdent(spec.createdTimestampKey)}::TIMESTAMP as ${sqlIdent(spec.createdTimestampKey)}`]),
        ...spec.features.map((f) => `${sqlIdent(f.name)}::${DUCK_TYPE[f.type]} as ${sqlIdent(f.name)}`),
      ];
      const where: string[] = [];
      if (spec.timestampKey !== undefined) {
        const ts = `${sqlIdent(spec.timestampKey)}::TIMESTAMP`;
        if (start !== null) where.push(`${ts} >= ${tsLiteral(start)}`);
        if (end !== null) where.push(`${ts} < ${tsLiteral(end)}`);
      }
      progress(`computing ${name} (${mode}${start === null ? '' : ` from ${new Date(start).toISOString()}`}${end === null ? '' : ` to ${new Date(end).toISOString()}`})`);
      await duck.run(`create temp table out as select ${select.join(', ')} from src${where.length > 0 ? ` where ${where.join(' and ')}` : ''}`, `${name}.source`);

      // Keys and timestamps must be present; the primary key must be unique.
      for (const col of [...spec.keys.map((k) => k.name), ...(spec.timestampKey === undefined ? [] : [spec.timestampKey])]) {
        const [row] = await duck.all<{ n: number }>(`select count(*)::DOUBLE as n from out where ${sqlIdent(col)} is null`);
        if (row !== undefined && row.n > 0) throw expectation(`${name}: ${row.n} row(s) have a null ${col === spec.timestampKey ? 'timestamp key' : 'key'} '${col}'`, col);
      }
      const pk = [...spec.keys.map((k) => k.name), ...(spec.timestampKey === undefined ? [] : [spec.timestampKey]), ...(spec.createdTimestampKey === undefined ? [] : [spec.createdTimestampKey])];
      const dup = await duck.all<Record<string, unknown>>(
        `select ${pk.map((c) => `${sqlIdent(c)}::VARCHAR as ${sqlIdent(c)}`).join(', ')}, count(*)::DOUBLE as n from out group by all having count(*) > 1 limit 1`,
      );
      if (dup.length > 0) {
        const d = dup[0]!;
        const at = pk.map((c) => `${c}=${String(d[c])}`).join(', ');
        throw expectation(
          `${name}: duplicate primary key (${pk.join(', ')}): ${Number(d.n)} rows have ${at}${spec.timestampKey === undefined ? '' : ' (the same keys at the same timestamp)'}`,
          pk.join(','),
        );
      }
      const [count] = await duck.all<{ n: number }>(`select count(*)::DOUBLE as n from out`);
      const file = join(dir, 'data.parquet');
      progress(`writing ${count?.n ?? 0} rows`);
      await duck.run(`copy out to ${sqlString(file)} (format parquet, compression zstd)`, `Writing ${name}`);
      return { rows: count?.n ?? 0, file, schema: await duck.describe('out') };
    });

    const fileSha = await fileDigest(written.file);
    await putFile(ctx, path, written.file);
    uploaded = true;
    const files = mode === 'incremental' ? [...previous!.files, path] : [path];
    const version = await fs.addVersion(name, record.latestVersion, {
      mode,
      startTs: start,
      endTs: end,
      rowCount: written.rows,
      totalRows: mode === 'incremental' ? previous!.totalRows + written.rows : written.rows,
      path,
      files,
      digest: fileSha,
      schema: written.schema,
      specDigest: digest,
    });
    const result: ComputeResult = { version };
    if (reason !== undefined && options.full !== true) result.reason = reason;
    return result;
  } catch (e) {
    // The version row is written last: without it the uploaded file is unreferenced.
    if (uploaded) await ctx.artifacts.delete(path).catch(() => undefined);
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
