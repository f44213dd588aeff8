/**
 * The inference-log part of the SDK: ground-truth labels, the file index monitors read, the
 * retention policy, and scoring against a `hangar serve` endpoint.
 *
 * ```ts
 * import { InferenceClient } from 'hangar/client';
 * const inference = new InferenceClient({ trackingUri: 'http://127.0.0.1:5000' });
 * await inference.logLabels('flights', [{ requestId: 'a1b2-3', label: 1 }]);
 * ```
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { ApiError, errorFromResponse } from './errors.js';
import type { BodyInit, Transport } from './http.js';
import { transportFor, type HangarClientOptions } from './http.js';

const HANGAR = '/api/2.0/hangar';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';

/** One ground-truth label, joined to its prediction by request id. */
export interface LabelRecord {
  /** The `x-request-id` the scoring server answered with (for a batch: `<id>/<row>`). */
  requestId: string;
  /** The true value. */
  label: number | string | boolean;
  /** When it was observed, epoch ms; default: when the server receives it. */
  timestamp?: number;
}

/** An indexed inference-log file. */
export interface InferenceFileRecord {
  fileId: string;
  model: string;
  kind: 'predictions' | 'labels';
  /** UTC day `YYYY-MM-DD`. */
  day: string;
  minTs: number;
  maxTs: number;
  rows: number;
  /** Absolute path on the server's machine, or the file's artifact URI (`s3://…`) when the log is remote. */
  path: string;
  created: number;
}

/** A file to index (what a serving process registers after writing it). */
export interface NewInferenceFile {
  model: string;
  kind: 'predictions' | 'labels';
  day: string;
  minTs: number;
  maxTs: number;
  rows: number;
  /** Absolute path under the server's log root, or the artifact URI under its log URI (remote logs). */
  path: string;
}

/** Where a server keeps its inference log. */
export interface InferenceLogConfig {
  /** A local path on the server's machine: the log itself, or (remote logs) where the server stages label files. */
  logRoot: string;
  /**
   * Set when the log lives in a remote artifact store (`s3://bucket/prefix/inference-log`):
   * writers upload each file under it (`uploadLogFile`) and index it by its URI.
   */
  logUri?: string;
}

interface WireFile {
  file_id: string;
  model: string;
  kind: 'predictions' | 'labels';
  day: string;
  min_ts: number;
  max_ts: number;
  rows: number;
  path: string;
  created: number;
}

/** Labels, the file index and retention on a Hangar tracking server. */
export class InferenceClient {
  readonly #t: Transport;

  constructor(options: string | HangarClientOptions) {
    this.#t = transportFor(options, { userAgent: 'hangar-client/serving' });
  }

  /** Where the server keeps inference logs (a local path on its machine). */
  async logRoot(): Promise<string> {
    const r = await this.#t.json<{ log_root: string }>('GET', `${HANGAR}/inference/config`, { idempotent: true });
    return r.log_root;
  }

  /** Where the server keeps inference logs, and whether writers upload their files to it. */
  async config(): Promise<InferenceLogConfig> {
    const r = await this.#t.json<{ log_root: string; log_uri?: string }>('GET', `${HANGAR}/inference/config`, { idempotent: true });
    return { logRoot: r.log_root, ...(r.log_uri === undefined ? {} : { logUri: r.log_uri }) };
  }

  /**
   * Upload a local file to `artifactPath` under the server's artifact root (streamed, through
   * the artifact proxy). Idempotent: uploading again replaces the file.
   */
  async uploadLogFile(localPath: string, artifactPath: string): Promise<void> {
    await this.#t.send('PUT', `${ARTIFACTS}/${artifactPath.split('/').map(encodeURIComponent).join('/')}`, {
      body: () => Readable.toWeb(createReadStream(localPath)) as unknown as BodyInit,
      contentType: 'application/octet-stream',
      idempotent: true,
    });
  }

  /** Send labels for a model; they are written as a Parquet file per day and indexed. At most 100,000 per call. */
  async logLabels(model: string, labels: readonly LabelRecord[]): Promise<{ labels: number; files: Array<{ fileId: string; day: string; rows: number; path: string }> }> {
    const r = await this.#t.json<{ labels: number; files: Array<{ file_id: string; day: string; rows: number; path: string }> }>('POST', `${HANGAR}/inference/labels`, {
      json: { model, labels: labels.map((l) => ({ request_id: l.requestId, label: l.label, ...(l.timestamp === undefined ? {} : { timestamp: l.timestamp }) })) },
      idempotent: false,
    });
    return { labels: r.labels, files: r.files.map((f) => ({ fileId: f.file_id, day: f.day, rows: f.rows, path: f.path })) };
  }

  /** Indexed files of a model's log (`predictions` by default), oldest first; `from`/`to` in epoch ms. */
  async listFiles(model: string, options: { kind?: 'predictions' | 'labels'; from?: number; to?: number } = {}): Promise<InferenceFileRecord[]> {
    const r = await this.#t.json<{ files?: WireFile[] }>('GET', `${HANGAR}/inference/files/list`, {
      query: { model, kind: options.kind, from: options.from, to: options.to },
      idempotent: true,
    });
    return (r.files ?? []).map((f) => ({ fileId: f.file_id, model: f.model, kind: f.kind, day: f.day, minTs: f.min_ts, maxTs: f.max_ts, rows: f.rows, path: f.path, created: f.created }));
  }

  /** Index files a serving process wrote (all or none). */
  async registerFiles(files: readonly NewInferenceFile[]): Promise<string[]> {
    const r = await this.#t.json<{ file_ids: string[] }>('POST', `${HANGAR}/inference/files/register`, {
      json: { files: files.map((f) => ({ model: f.model, kind: f.kind, day: f.day, min_ts: f.minTs, max_ts: f.maxTs, rows: f.rows, path: f.path })) },
      idempotent: false,
    });
    return r.file_ids;
  }

  /** Apply the retention policy: delete files whose newest row is older than the given age (one model, or all for admins). */
  async prune(options: { olderThanDays?: number; olderThanMs?: number; model?: string }): Promise<{ files: number; rows: number }> {
    return this.#t.json<{ files: number; rows: number }>('POST', `${HANGAR}/inference/prune`, {
      json: { older_than_days: options.olderThanDays, older_than_ms: options.olderThanMs, model: options.model },
      idempotent: true,
    });
  }
}

/** The answer of a scoring endpoint. */
export interface ScoreResponse {
  /** `predictions` of the answer. */
  predictions: unknown[];
  /** The `x-request-id` to send labels with. */
  requestId: string | undefined;
  /** The model version that answered. */
  modelVersion: string | undefined;
}

/**
 * Score rows against a `hangar serve` (or `mlflow models serve`) endpoint with
 * `dataframe_records`. Errors are ApiErrors with the server's code.
 */
export async function scoreRecords(endpoint: string, rows: ReadonlyArray<Record<string, unknown>>, options: { requestId?: string; fetch?: typeof fetch } = {}): Promise<ScoreResponse> {
  const f = options.fetch ?? globalThis.fetch;
  const url = `${endpoint.replace(/\/+$/, '')}/invocations`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.requestId !== undefined) headers['x-request-id'] = options.requestId;
  const res = await f(url, { method: 'POST', headers, body: JSON.stringify({ dataframe_records: rows }) });
  const text = await res.text();
  if (!res.ok) throw errorFromResponse(res.status, text, `POST /invocations`);
  try {
    const body = JSON.parse(text) as { predictions: unknown[] };
    return { predictions: body.predictions, requestId: res.headers.get('x-request-id') ?? undefined, modelVersion: res.headers.get('x-model-version') ?? undefined };
  } catch (e) {
    throw new ApiError('INTERNAL_ERROR', 'The scoring server answered with a body that is not JSON.', { status: res.status, request: 'POST /invocations', cause: e });
  }
}
