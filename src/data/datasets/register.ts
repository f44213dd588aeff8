/**
 * Registering a dataset version: read the source once into DuckDB, check the expectations,
 * digest the content, profile it, write it as Parquet, upload the file, and only then commit the
 * version row. A failure at any step leaves no row and no file behind.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { invalidParam } from '../../core/errors.js';
import { DataStore } from '../../store/data-store.js';
import type { DataContext } from '../context.js';
import { fileRelation, sqlIdent, sqlString } from '../table.js';
import { describeRelation, queryRows, runUserSql, withDuck, type DuckConnection } from './duck.js';
import { checkExpectations, expectationError, type ExpectationReport, type Expectations } from './expectations.js';
import { artifactUri, cacheDirOf, localCopy, versionArtifactPath } from './files.js';
import { profileRelation } from './profile.js';
import { resolveDataset, versionFromRow } from './resolve.js';
import type { DatasetColumn, DatasetVersion } from './types.js';

/** Dataset names: letters, digits, `_`, `.`, `-`, starting with a letter or digit, at most 128 characters. */
export const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** INVALID_PARAMETER_VALUE unless `name` is a valid dataset name. */
export function checkDatasetName(name: string, field = 'name'): string {
  if (!DATASET_NAME.test(name)) {
    throw invalidParam(`Invalid dataset name '${name}': use letters, digits, '_', '.' and '-', starting with a letter or digit, at most 128 characters.`, field);
  }
  return name;
}

/** Where a version's rows come from: a file, SQL, or a file uploaded to the artifact store. */
export type DatasetSource =
  /** A `.parquet` or `.csv` file on the machine doing the registration. */
  | { path: string }
  /** SQL over files and registered datasets: `dataset('name')` or `dataset('name', 3)` reads a version. */
  | { sql: string }
  /** A `.parquet` or `.csv` file already in the artifact store (an SDK upload); `fileName` keeps its original name. */
  | { artifactPath: string; fileName?: string | undefined };

/** A registration step, for progress displays. */
export interface RegisterProgress {
  phase: 'reading' | 'checking' | 'digesting' | 'profiling' | 'writing' | 'uploading' | 'committing';
  message: string;
}

export interface RegisterDatasetInput {
  name: string;
  source: DatasetSource;
  /** Checked before anything is published; a violation fails with DATA_EXPECTATION_FAILED. */
  expectations?: Expectations | null | undefined;
  /** The dataset's description (set on creation, replaced when given later). */
  description?: string | null | undefined;
  /** Merged into the dataset's tags. */
  tags?: Record<string, string> | undefined;
  /** Who registers it (the request's principal). */
  createdBy?: string | null | undefined;
  onProgress?: ((p: RegisterProgress) => void) | undefined;
}

export interface RegisterDatasetResult {
  version: DatasetVersion;
  /** False when a version with identical content existed: it is returned and nothing was written. */
  created: boolean;
  /** The expectation report (passed), or null when none were declared. */
  expectations: ExpectationReport | null;
}

const DATASET_REF = /\bdataset\(\s*'((?:[^']|'')+)'\s*(?:,\s*(\d+)\s*)?\)/gi;

/** Replace `dataset('name'[, version])` in SQL by a read of that version's local Parquet file. */
export async function expandDatasetRefs(ctx: DataContext, text: string): Promise<string> {
  const refs = [...text.matchAll(DATASET_REF)];
  let out = '';
  let last = 0;
  for (const m of refs) {
    const resolved = await resolveDataset(ctx, m[1]!.replaceAll("''", "'"), m[2] === undefined ? undefined : Number(m[2]));
    out += `${text.slice(last, m.index)}read_parquet(${sqlString(resolved.localPath)})`;
    last = m.index + m[0].length;
  }
  return out + text.slice(last);
}

const UINT64 = '18446744073709551616';

/**
 * The content digest of table `table` (a DuckDB table, so `rowid` is each row's position):
 * the first 32 hex characters of SHA-256 over the column names and types, the row count, and
 * the sum modulo 2^64 of DuckDB's 64-bit `hash(rowid, column values…)` over all rows. Equal
 * rows in the same order give the same digest whether they came from CSV, Parquet or SQL.
 */
export async function contentDigest(con: DuckConnection, table: string, schema: DatasetColumn[], rowCount: number): Promise<string> {
  const args = ['rowid', ...schema.map((c) => sqlIdent(c.name))].join(', ');
  const rows = await queryRows(con, `select (coalesce(sum(hash(${args})::HUGEINT), 0) % ${UINT64})::VARCHAR as h from ${table}`);
  const content = String(rows[0]?.h ?? '0');
  const canonical = JSON.stringify({ digest: 'hangar-dataset-1', columns: schema.map((c) => [c.name, c.type]), rows: rowCount, content });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

interface SourceRelation {
  /** The DuckDB table expression that reads the source. */
  relation: string;
  /** Words that name the source in errors. */
  what: string;
  sourceType: DatasetVersion['sourceType'];
  sourceText: string;
  /** A private snapshot of a Parquet source: read, then stored as it is, so no rewrite is needed. */
  parquet?: string;
}

const isParquet = (path: string): boolean => /\.(parquet|pq)$/i.test(path);

/**
 * The relation a source reads. A Parquet file is first copied into the scratch folder, so the
 * rows that are checked and digested are exactly the bytes that get stored, even if the
 * original changes meanwhile; CSV and SQL results are written out as Parquet later.
 */
async function sourceRelation(ctx: DataContext, source: DatasetSource, scratch: string): Promise<SourceRelation> {
  if ('sql' in source) {
    if (source.sql.trim() === '') throw invalidParam('The SQL is empty.', 'sql');
    return { relation: `(${await expandDatasetRefs(ctx, source.sql)}) as q`, what: 'the query', sourceType: 'sql', sourceText: source.sql };
  }
  let local: string;
  let out: Omit<SourceRelation, 'relation'>;
  if ('path' in source) {
    local = source.path;
    out = { what: `'${source.path}'`, sourceType: 'file', sourceText: source.path };
  } else {
    const name = source.fileName ?? basename(source.artifactPath);
    local = await localCopy(ctx, source.artifactPath, `uploads/${basename(scratch)}/${name}`);
    out = { what: `the upload '${name}'`, sourceType: 'upload', sourceText: name };
  }
  const relation = fileRelation(local); // checks that the file exists and has a known format
  if (!isParquet(local)) return { ...out, relation };
  const snapshot = join(scratch, 'source.parquet');
  await copyFile(local, snapshot);
  return { ...out, relation: fileRelation(snapshot), parquet: snapshot };
}

/**
 * Register a new version of dataset `name` from `source` (creating the dataset on first use).
 * Identical content returns the existing version (`created: false`). Errors:
 * INVALID_PARAMETER_VALUE (bad name, unreadable data, bad SQL), RESOURCE_DOES_NOT_EXIST (a missing
 * file or dataset reference), DATA_EXPECTATION_FAILED (the expectations report, per column).
 */
export async function registerDataset(ctx: DataContext, input: RegisterDatasetInput): Promise<RegisterDatasetResult> {
  const name = checkDatasetName(input.name);
  const store = DataStore.for(ctx.store);
  const progress = input.onProgress ?? (() => undefined);
  await mkdir(cacheDirOf(ctx), { recursive: true });
  const scratch = await mkdtemp(join(cacheDirOf(ctx), 'register-'));
  try {
    return await withDuck(async (con) => {
      // Tables larger than memory spill here, not into the working directory.
      await con.run(`set temp_directory = ${sqlString(join(scratch, 'spill'))}`);
      const src = await sourceRelation(ctx, input.source, scratch);
      progress({ phase: 'reading', message: `reading ${src.what}` });
      await runUserSql(con, `create temp table src as select * from ${src.relation}`, src.what, 'sql' in input.source ? 'sql' : 'source');
      const schema = await describeRelation(con, 'src');
      if (schema.length === 0) throw invalidParam(`${src.what} has no columns.`, 'source');
      const rowCount = Number((await queryRows(con, 'select count(*)::DOUBLE as n from src'))[0]?.n ?? 0);

      let report: ExpectationReport | null = null;
      if (input.expectations) {
        progress({ phase: 'checking', message: `checking expectations on ${rowCount} rows` });
        report = await checkExpectations(con, 'src', input.expectations);
        if (!report.passed) throw expectationError(`Dataset '${name}'`, report);
      }

      progress({ phase: 'digesting', message: 'computing the content digest' });
      const digest = await contentDigest(con, 'src', schema, rowCount);
      const existing = await store.findByDigest(name, digest);
      if (existing) return { version: versionFromRow(existing), created: false, expectations: report };

      progress({ phase: 'profiling', message: `profiling ${schema.length} columns` });
      const profile = await profileRelation(con, 'src', schema, rowCount);

      progress({ phase: 'writing', message: src.parquet === undefined ? 'writing Parquet' : 'storing the Parquet file as read' });
      let file = src.parquet;
      if (file === undefined) {
        file = join(scratch, 'data.parquet');
        await con.run(`copy src to ${sqlString(file)} (format parquet, compression zstd)`);
      }
      const sizeBytes = (await stat(file)).size;

      const artifactPath = versionArtifactPath(name, digest);
      progress({ phase: 'uploading', message: `storing ${sizeBytes} bytes at ${artifactPath}` });
      let added;
      try {
        await ctx.artifacts.put(artifactPath, createReadStream(file));
        progress({ phase: 'committing', message: 'committing the version' });
        added = await store.addVersion({
          name,
          digest,
          rowCount,
          schema: JSON.stringify(schema),
          profile: JSON.stringify(profile),
          sourceType: src.sourceType,
          source: src.sourceText,
          uri: artifactUri(ctx, artifactPath),
          artifactPath,
          sizeBytes,
          expectations: input.expectations ? JSON.stringify(input.expectations) : null,
          createdBy: input.createdBy ?? null,
          description: input.description,
          tags: input.tags,
        });
      } catch (e) {
        // No row points at this file (the digest is unique per dataset, and no version had it), so it goes too.
        // A concurrent registration of the same content may have committed meanwhile: its file stays.
        const winner = await store.findByDigest(name, digest).catch(() => null);
        if (winner === null) await ctx.artifacts.delete(artifactPath).catch(() => undefined);
        throw e;
      }
      return { version: versionFromRow(added.version), created: added.created, expectations: report };
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
    if ('artifactPath' in input.source) await rm(join(cacheDirOf(ctx), 'uploads', basename(scratch)), { recursive: true, force: true });
  }
}
