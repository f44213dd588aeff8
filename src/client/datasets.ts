/**
 * The datasets part of the SDK: register versions (uploading a local file through the artifact
 * proxy, or asking the server to read a path or run SQL), read the catalogue, download a
 * version's Parquet file, and record a version as a run input in MLflow's format, so lineage
 * reaches MLflow clients too. Reached as `client.datasets`; it shares the client's transport.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { HangarError } from '../core/errors.js';
import type { BodyInit, Query, Transport } from './http.js';
import type { ArtifactRoot, DatasetInput } from './types.js';

const HANGAR = '/api/2.0/hangar';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';

/** What the datasets client needs from the main client (kept structural to avoid an import cycle). */
export interface DatasetsHost {
  logInputs(runId: string, datasets: DatasetInput[]): Promise<void>;
  downloadArtifacts(root: ArtifactRoot, path: string, destDir: string): Promise<string>;
}

/** A registered dataset. */
export interface DatasetInfo {
  name: string;
  description: string | null;
  tags: Record<string, string>;
  /** The highest version number ever created. */
  latestVersion: number;
  createdBy: string | null;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
}

/** Statistics of one column (see docs/datasets.md for which fields each kind of column has). */
export interface DatasetColumnProfile {
  name: string;
  type: string;
  count: number;
  nulls: number;
  distinct?: number;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  stddev?: number | null;
  quantiles?: Record<string, number> | null;
  top?: Array<{ value: string | boolean; count: number }>;
}

/** One immutable dataset version. */
export interface DatasetVersionInfo {
  name: string;
  version: number;
  /** Content digest (32 hex characters). */
  digest: string;
  rowCount: number;
  /** Columns with DuckDB type names. */
  schema: Array<{ name: string; type: string }>;
  profile: { num_rows: number; num_elements: number; columns: DatasetColumnProfile[] };
  sourceType: 'file' | 'sql' | 'upload';
  source: string;
  /** Artifact URI of the Parquet file on the server's artifact store. */
  uri: string;
  /** Its path under the artifact root (reachable as `mlflow-artifacts:/<artifactPath>`). */
  artifactPath: string;
  sizeBytes: number;
  expectations: Record<string, unknown> | null;
  createdBy: string | null;
  creationTimestamp: number;
}

/** How to register a version: exactly one of `file`, `path`, `sql`. */
export interface RegisterDatasetOptions {
  name: string;
  /** A local `.parquet` or `.csv` file, uploaded through the artifact proxy. */
  file?: string;
  /** A file the server reads (admins only under `--auth`). */
  path?: string;
  /** SQL the server runs; `dataset('name')` / `dataset('name', 3)` reads a registered version (admins only under `--auth`). */
  sql?: string;
  /** Expectations checked before anything is published (docs/datasets.md). */
  expectations?: Record<string, unknown>;
  description?: string;
  tags?: Record<string, string>;
  /** Called as the upload and registration proceed. */
  onProgress?: (message: string) => void;
  /** Called as a `file` upload sends its bytes. */
  onUploadProgress?: (sentBytes: number, totalBytes: number) => void;
}

interface WireDataset {
  name: string;
  description: string | null;
  tags?: Array<{ key: string; value: string }>;
  latest_version: number;
  created_by: string | null;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

interface WireDatasetVersion {
  name: string;
  version: number;
  digest: string;
  row_count: number;
  schema: Array<{ name: string; type: string }>;
  profile: DatasetVersionInfo['profile'];
  source_type: DatasetVersionInfo['sourceType'];
  source: string;
  uri: string;
  artifact_path: string;
  size_bytes: number;
  expectations: Record<string, unknown> | null;
  created_by: string | null;
  creation_timestamp: number;
}

function datasetFromWire(w: WireDataset): DatasetInfo {
  return {
    name: w.name,
    description: w.description ?? null,
    tags: Object.fromEntries((w.tags ?? []).map((t) => [t.key, t.value])),
    latestVersion: Number(w.latest_version),
    createdBy: w.created_by ?? null,
    creationTimestamp: Number(w.creation_timestamp),
    lastUpdatedTimestamp: Number(w.last_updated_timestamp),
  };
}

function versionFromWire(w: WireDatasetVersion): DatasetVersionInfo {
  return {
    name: w.name,
    version: Number(w.version),
    digest: w.digest,
    rowCount: Number(w.row_count),
    schema: w.schema,
    profile: w.profile,
    sourceType: w.source_type,
    source: w.source,
    uri: w.uri,
    artifactPath: w.artifact_path,
    sizeBytes: Number(w.size_bytes),
    expectations: w.expectations ?? null,
    createdBy: w.created_by ?? null,
    creationTimestamp: Number(w.creation_timestamp),
  };
}

/** MLflow's column-spec type for a DuckDB type (MLflow's `mlflow_colspec` schema format). */
export function mlflowColumnType(duckType: string): string {
  const t = duckType.toUpperCase();
  if (t === 'BIGINT' || t === 'HUGEINT' || t === 'UBIGINT' || t === 'UINTEGER') return 'long';
  if (t === 'INTEGER' || t === 'SMALLINT' || t === 'TINYINT' || t === 'USMALLINT' || t === 'UTINYINT') return 'integer';
  if (t === 'FLOAT' || t === 'REAL') return 'float';
  if (t === 'DOUBLE' || t.startsWith('DECIMAL')) return 'double';
  if (t === 'BOOLEAN') return 'boolean';
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return 'datetime';
  if (t === 'BLOB') return 'binary';
  return 'string';
}

/** A `dataset:NAME[@VERSION]` reference, or null when `text` is not one. */
export function parseDatasetRef(text: string): { name: string; version?: number } | null {
  const m = /^dataset:([A-Za-z0-9][A-Za-z0-9_.-]*)(?:@(\d+))?$/.exec(text.trim());
  if (m === null) return null;
  return m[2] === undefined ? { name: m[1]! } : { name: m[1]!, version: Number(m[2]) };
}

/** Dataset calls on a Hangar server (`/api/2.0/hangar/datasets/…`). */
export class DatasetsClient {
  constructor(
    private readonly http: Transport,
    private readonly host: DatasetsHost,
  ) {}

  private read<T>(path: string, query: Query): Promise<T> {
    return this.http.json<T>('GET', `${HANGAR}${path}`, { query, idempotent: true });
  }

  /**
   * Register a version; identical content returns the existing version with `created: false`.
   * Errors: DATA_EXPECTATION_FAILED (the message lists each failing column),
   * INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST (a missing file or dataset reference).
   */
  async register(options: RegisterDatasetOptions): Promise<{ version: DatasetVersionInfo; created: boolean }> {
    const given = [options.file, options.path, options.sql].filter((v) => v !== undefined).length;
    if (given !== 1) throw new HangarError('INVALID_PARAMETER_VALUE', 'Give exactly one of file, path or sql.', { field: 'file' });
    const progress = options.onProgress ?? (() => undefined);
    const body: Record<string, unknown> = { name: options.name };
    if (options.file !== undefined) {
      const info = await stat(options.file).catch(() => null);
      if (!info?.isFile()) throw new HangarError('RESOURCE_DOES_NOT_EXIST', `No such data file: ${options.file}`, { field: 'file' });
      const name = basename(options.file);
      const path = `datasets/_uploads/${randomBytes(8).toString('hex')}/${name}`;
      progress(`uploading ${name} (${info.size} bytes)`);
      await this.upload(options.file, path, info.size, options.onUploadProgress);
      body.artifact_path = path;
      body.file_name = name;
    } else if (options.path !== undefined) body.path = options.path;
    else body.sql = options.sql;
    if (options.expectations !== undefined) body.expectations = options.expectations;
    if (options.description !== undefined) body.description = options.description;
    if (options.tags !== undefined) body.tags = Object.entries(options.tags).map(([key, value]) => ({ key, value }));
    progress(`registering ${options.name} (the server reads, checks, digests and profiles the data)`);
    const res = await this.http.json<{ dataset_version: WireDatasetVersion; created: boolean }>('POST', `${HANGAR}/datasets/create`, { json: body, idempotent: false });
    return { version: versionFromWire(res.dataset_version), created: res.created };
  }

  /** Stream a file to the artifact proxy, counting the bytes as they leave. */
  private async upload(file: string, path: string, total: number, onProgress?: (sent: number, total: number) => void): Promise<void> {
    await this.http.send('PUT', `${ARTIFACTS}/${path.split('/').map(encodeURIComponent).join('/')}`, {
      body: () => {
        let sent = 0;
        const counted = createReadStream(file).on('data', (chunk) => {
          sent += chunk.length;
          onProgress?.(sent, total);
        });
        return Readable.toWeb(counted) as unknown as BodyInit;
      },
      contentType: 'application/octet-stream',
      idempotent: true,
    });
  }

  /** The dataset `name`; RESOURCE_DOES_NOT_EXIST when unknown. */
  async get(name: string): Promise<DatasetInfo> {
    return datasetFromWire((await this.read<{ dataset: WireDataset }>('/datasets/get', { name })).dataset);
  }

  /** One page of datasets in name order. */
  async list(opts: { maxResults?: number; pageToken?: string; nameContains?: string } = {}): Promise<{ datasets: DatasetInfo[]; nextPageToken?: string }> {
    const res = await this.read<{ datasets?: WireDataset[]; next_page_token?: string }>('/datasets/list', {
      max_results: opts.maxResults,
      page_token: opts.pageToken,
      name_contains: opts.nameContains,
    });
    return { datasets: (res.datasets ?? []).map(datasetFromWire), ...(res.next_page_token === undefined ? {} : { nextPageToken: res.next_page_token }) };
  }

  /** Every version of `name`, newest first. */
  async listVersions(name: string): Promise<DatasetVersionInfo[]> {
    return ((await this.read<{ dataset_versions?: WireDatasetVersion[] }>('/datasets/versions/list', { name })).dataset_versions ?? []).map(versionFromWire);
  }

  /** A version by number (the latest when absent) or by content digest. */
  async getVersion(name: string, by: { version?: number | undefined; digest?: string | undefined } = {}): Promise<DatasetVersionInfo> {
    const res = await this.read<{ dataset_version: WireDatasetVersion }>('/datasets/versions/get', { name, version: by.version, digest: by.digest });
    return versionFromWire(res.dataset_version);
  }

  /** Delete one version, or the whole dataset when `version` is absent. Returns the deleted version numbers. */
  async delete(name: string, version?: number): Promise<number[]> {
    const res = await this.http.json<{ deleted_versions?: number[] }>('DELETE', `${HANGAR}/datasets/delete`, { json: { name, version }, idempotent: true });
    return res.deleted_versions ?? [];
  }

  /**
   * A local copy of a version's Parquet file under `cacheDir` (`<cacheDir>/<name>/<digest>.parquet`),
   * downloaded through the artifact proxy unless a copy of the right size is there. The download
   * goes to a temp folder and is renamed, so a partial copy is never used.
   */
  async download(version: DatasetVersionInfo, cacheDir: string): Promise<string> {
    const target = join(cacheDir, version.name, `${version.digest}.parquet`);
    const existing = await stat(target).catch(() => null);
    if (existing?.isFile() && existing.size === version.sizeBytes) return target;
    const tmp = join(cacheDir, version.name, `.download-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp, { recursive: true });
    try {
      const slash = version.artifactPath.lastIndexOf('/');
      const file = await this.host.downloadArtifacts(`mlflow-artifacts:/${version.artifactPath.slice(0, slash)}`, version.artifactPath.slice(slash + 1), tmp);
      await rename(file, target);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return target;
  }

  /**
   * The version as an MLflow run input: `{name, digest, source_type, source, schema, profile}` with
   * MLflow's JSON formats (`{"mlflow_colspec": […]}` schema, `{"num_rows", "num_elements"}` profile)
   * and the `mlflow.data.context` tag.
   */
  runInput(version: DatasetVersionInfo, context = 'training'): DatasetInput {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(version.uri)?.[1]?.toLowerCase();
    return {
      tags: [{ key: 'mlflow.data.context', value: context }],
      dataset: {
        name: version.name,
        digest: version.digest,
        sourceType: scheme === 's3' ? 's3' : scheme === 'file' ? 'local' : (scheme ?? 'local'),
        source: JSON.stringify({ uri: version.uri }),
        schema: JSON.stringify({ mlflow_colspec: version.schema.map((c) => ({ type: mlflowColumnType(c.type), name: c.name, required: false })) }),
        profile: JSON.stringify({ num_rows: version.profile.num_rows, num_elements: version.profile.num_elements }),
      },
    };
  }

  /** Record version `version` of `name` (the latest when absent) as an input of run `runId`. */
  async logInput(runId: string, name: string, opts: { version?: number | undefined; context?: string | undefined } = {}): Promise<{ version: DatasetVersionInfo; input: DatasetInput }> {
    const version = await this.getVersion(name, { version: opts.version });
    const input = this.runInput(version, opts.context ?? 'training');
    await this.host.logInputs(runId, [input]);
    return { version, input };
  }

  /**
   * Resolve `dataset:NAME[@VERSION]` to a local Parquet copy (under `cacheDir`) and the run input
   * that records it; null when `ref` is not a dataset reference (a path or SQL).
   */
  async resolveRef(ref: string, cacheDir: string, context = 'training'): Promise<{ localPath: string; version: DatasetVersionInfo; input: DatasetInput } | null> {
    const parsed = parseDatasetRef(ref);
    if (parsed === null) return null;
    const version = await this.getVersion(parsed.name, { version: parsed.version });
    return { localPath: await this.download(version, cacheDir), version, input: this.runInput(version, context) };
  }
}
