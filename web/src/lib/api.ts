/**
 * The one way the UI talks to the server: MLflow's REST routes under `/ajax-api/2.0/mlflow`
 * (the prefix MLflow's own UI uses), with the bearer token the user entered, and errors turned
 * into `ApiError` carrying the server's `error_code` and message.
 */

const PREFIX = '/ajax-api/2.0/mlflow';
const TOKEN_KEY = 'hangar.token';

/** An error answer from the server (or a network failure, as `NETWORK_ERROR`). */
export class ApiError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The saved API token, or '' when the user has none (calls are then anonymous). */
export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Save the API token ('' removes it). */
export function setToken(token: string): void {
  try {
    if (token === '') localStorage.removeItem(TOKEN_KEY);
    else localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage disabled: the token lasts until the page reloads.
  }
  window.dispatchEvent(new Event('hangar-token'));
}

type Query = Record<string, string | number | boolean | undefined | ReadonlyArray<string>>;

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

/** Call `path` (relative to the MLflow prefix, or absolute when it starts with `/api/`). */
export async function call<T>(method: 'GET' | 'POST', path: string, input: Query | object = {}): Promise<T> {
  const base = path.startsWith('/api/') ? path : `${PREFIX}${path}`;
  const url = method === 'GET' ? `${base}${queryString(input as Query)}` : base;
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token !== '') headers.authorization = `Bearer ${token}`;
  if (method !== 'GET') headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: method === 'GET' ? undefined : JSON.stringify(input) });
  } catch (e) {
    throw new ApiError('NETWORK_ERROR', `The server did not answer: ${(e as Error).message}`, 0);
  }
  const text = await res.text();
  let body: unknown = {};
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(res.ok ? 'BAD_RESPONSE' : `HTTP_${res.status}`, `${res.status} ${res.statusText}: ${text.slice(0, 200)}`, res.status);
    }
  }
  if (!res.ok) {
    const b = body as { error_code?: string; message?: string };
    throw new ApiError(b.error_code ?? `HTTP_${res.status}`, b.message ?? res.statusText, res.status);
  }
  return body as T;
}

// ---- MLflow wire types (docs/mlflow-wire.md); fields the server leaves out are optional. ----

export interface KeyValue {
  key: string;
  value: string;
}

/** A metric point. `value` is a number, or "NaN" as MLflow sends it. */
export interface Metric {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: KeyValue[];
}

export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage: string;
}

export interface DatasetInput {
  tags?: KeyValue[];
  dataset: { name: string; digest: string; source_type?: string; source?: string; schema?: string; profile?: string };
}

export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs?: { dataset_inputs?: DatasetInput[] };
}

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  tags?: KeyValue[];
  aliases?: string[];
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: KeyValue[];
  aliases?: Array<{ alias: string; version: string }>;
}

// ---- The calls the pages make. ----

export const api = {
  searchExperiments: (q: { filter?: string; max_results?: number; page_token?: string; order_by?: string[] }) =>
    call<{ experiments?: Experiment[]; next_page_token?: string }>('POST', '/experiments/search', { view_type: 'ACTIVE_ONLY', max_results: 100, ...q }),
  getExperiment: (experimentId: string) => call<{ experiment: Experiment }>('GET', '/experiments/get', { experiment_id: experimentId }),
  searchRuns: (q: { experiment_ids: string[]; filter?: string; max_results?: number; order_by?: string[]; page_token?: string }) =>
    call<{ runs?: Run[]; next_page_token?: string }>('POST', '/runs/search', { run_view_type: 'ACTIVE_ONLY', ...q }),
  getRun: (runId: string) => call<{ run: Run }>('GET', '/runs/get', { run_id: runId }),
  metricHistory: (runId: string, key: string) =>
    call<{ metrics?: Metric[] }>('GET', '/metrics/get-history', { run_id: runId, metric_key: key, max_results: 25000 }),
  listArtifacts: (runId: string, path?: string) =>
    call<{ root_uri?: string; files?: FileInfo[] }>('GET', '/artifacts/list', { run_id: runId, path }),
  searchModels: (q: { filter?: string; max_results?: number; page_token?: string; order_by?: string[] }) =>
    call<{ registered_models?: RegisteredModel[]; next_page_token?: string }>('GET', '/registered-models/search', { max_results: 100, ...q }),
  getModel: (name: string) => call<{ registered_model: RegisteredModel }>('GET', '/registered-models/get', { name }),
  searchVersions: (q: { filter: string; max_results?: number; page_token?: string; order_by?: string[] }) =>
    call<{ model_versions?: ModelVersion[]; next_page_token?: string }>('GET', '/model-versions/search', { max_results: 1000, ...q }),
};

/** GET a file's bytes (an artifact) with the saved token; errors as for `call`. */
export async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const token = getToken();
  let res: Response;
  try {
    res = await fetch(url, { headers: token === '' ? {} : { authorization: `Bearer ${token}` } });
  } catch (e) {
    throw new ApiError('NETWORK_ERROR', `The server did not answer: ${(e as Error).message}`, 0);
  }
  if (!res.ok) {
    const text = await res.text();
    let b: { error_code?: string; message?: string } = {};
    try {
      b = JSON.parse(text) as typeof b;
    } catch {
      // not an error envelope
    }
    throw new ApiError(b.error_code ?? `HTTP_${res.status}`, b.message ?? (text.slice(0, 200) || res.statusText), res.status);
  }
  return res.arrayBuffer();
}

/** The URL that downloads a run's artifact through the server's proxy, when the run's URI is proxied. */
export function artifactDownloadUrl(artifactUri: string | undefined, path: string): string | undefined {
  const m = /^mlflow-artifacts:\/*(.*)$/.exec(artifactUri ?? '');
  if (m === null) return undefined;
  const parts = [...(m[1] ?? '').split('/'), ...path.split('/')].filter((p) => p !== '').map(encodeURIComponent);
  return `/api/2.0/mlflow-artifacts/artifacts/${parts.join('/')}`;
}
