/**
 * Every endpoint of the wire contract the Hangar server must answer: mlflow-wire.md §3 (the 28
 * endpoints the MLflow 2.12 client called), §4.1–4.3 (the rest of the REST 2.0 surface, without
 * the MLflow 3 GenAI APIs, registry webhooks and the Databricks transition-request, comment and
 * registry-webhook extras), mlflow3-wire.md (LoggedModel endpoints and runs/outputs), plus
 * `/health` and `/version`. fixtures.test.ts checks that each one is exercised by a fixture.
 *
 * Path templates: `{name}` is one path segment, `{name+}` one or more (artifact paths, tag keys).
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Endpoint {
  method: Method;
  /** Full path template, e.g. `/api/2.0/mlflow/logged-models/{model_id}`. */
  path: string;
  /** The section of the contract that defines it. */
  source: string;
}

const M = '/api/2.0/mlflow';
const A = '/api/2.0/mlflow-artifacts';
const W2 = 'mlflow-wire.md';
const W3 = 'mlflow3-wire.md';

const e = (method: Method, path: string, source: string): Endpoint => ({ method, path, source });

export const ENDPOINTS: readonly Endpoint[] = [
  e('GET', '/health', `${W2} §1.1`),
  e('GET', '/version', `${W2} §1.1`),

  // §3 Experiments
  e('GET', `${M}/experiments/get-by-name`, `${W2} §3`),
  e('POST', `${M}/experiments/create`, `${W2} §3`),
  e('GET', `${M}/experiments/get`, `${W2} §3`),
  e('POST', `${M}/experiments/search`, `${W2} §3`),
  // §3 Runs
  e('POST', `${M}/runs/create`, `${W2} §3`),
  e('GET', `${M}/runs/get`, `${W2} §3`),
  e('POST', `${M}/runs/update`, `${W2} §3`),
  e('POST', `${M}/runs/search`, `${W2} §3`),
  e('POST', `${M}/runs/log-parameter`, `${W2} §3`),
  e('POST', `${M}/runs/set-tag`, `${W2} §3`),
  e('POST', `${M}/runs/log-model`, `${W2} §3`),
  // §3 Metrics
  e('POST', `${M}/runs/log-metric`, `${W2} §3`),
  e('POST', `${M}/runs/log-batch`, `${W2} §3`),
  e('GET', `${M}/metrics/get-history`, `${W2} §3`),
  // §3 Registered models
  e('POST', `${M}/registered-models/create`, `${W2} §3`),
  e('GET', `${M}/registered-models/get`, `${W2} §3`),
  e('GET', `${M}/registered-models/search`, `${W2} §3`),
  e('POST', `${M}/registered-models/get-latest-versions`, `${W2} §3`),
  // §3 Model versions
  e('POST', `${M}/model-versions/create`, `${W2} §3`),
  e('POST', `${M}/model-versions/transition-stage`, `${W2} §3`),
  e('GET', `${M}/model-versions/search`, `${W2} §3`),
  e('GET', `${M}/model-versions/get-download-uri`, `${W2} §3`),
  // §3 Aliases
  e('POST', `${M}/registered-models/alias`, `${W2} §3`),
  e('GET', `${M}/registered-models/alias`, `${W2} §3`),
  e('DELETE', `${M}/registered-models/alias`, `${W2} §3`),
  // §3 Artifact proxy
  e('PUT', `${A}/artifacts/{artifact_path+}`, `${W2} §3`),
  e('GET', `${A}/artifacts`, `${W2} §3`),
  e('GET', `${A}/artifacts/{artifact_path+}`, `${W2} §3`),

  // §4.1 Tracking
  e('POST', `${M}/experiments/update`, `${W2} §4.1`),
  e('POST', `${M}/experiments/delete`, `${W2} §4.1`),
  e('POST', `${M}/experiments/restore`, `${W2} §4.1`),
  e('POST', `${M}/experiments/set-experiment-tag`, `${W2} §4.1`),
  e('POST', `${M}/experiments/delete-experiment-tag`, `${W2} §4.1`),
  e('GET', `${M}/experiments/search`, `${W2} §4.1`),
  e('POST', `${M}/runs/delete`, `${W2} §4.1`),
  e('POST', `${M}/runs/restore`, `${W2} §4.1`),
  e('POST', `${M}/runs/delete-tag`, `${W2} §4.1`),
  e('POST', `${M}/runs/log-inputs`, `${W2} §4.1`),
  e('GET', `${M}/metrics/get-history-bulk-interval`, `${W2} §4.1`),
  e('GET', `${M}/artifacts/list`, `${W2} §4.1`),
  e('POST', `${M}/databricks/runs/delete-runs`, `${W2} §4.1`),
  e('POST', `${M}/databricks/runs/restore-runs`, `${W2} §4.1`),
  // §4.1 and mlflow3-wire.md: LoggedModels and run outputs
  e('POST', `${M}/runs/outputs`, `${W3} §4.6`),
  e('POST', `${M}/logged-models`, `${W3} §4.1`),
  e('GET', `${M}/logged-models/{model_id}`, `${W3} §4.2`),
  e('PATCH', `${M}/logged-models/{model_id}`, `${W3} §4.3`),
  e('DELETE', `${M}/logged-models/{model_id}`, `${W3} §6`),
  e('PATCH', `${M}/logged-models/{model_id}/tags`, `${W3} §4.4`),
  e('DELETE', `${M}/logged-models/{model_id}/tags/{tag_key+}`, `${W3} §6`),
  e('POST', `${M}/logged-models/{model_id}/params`, `${W3} §6`),
  e('GET', `${M}/logged-models/{model_id}/artifacts/directories`, `${W3} §6`),
  e('POST', `${M}/logged-models/search`, `${W3} §4.7`),

  // §4.2 Model registry
  e('POST', `${M}/registered-models/rename`, `${W2} §4.2`),
  e('PATCH', `${M}/registered-models/update`, `${W2} §4.2`),
  e('DELETE', `${M}/registered-models/delete`, `${W2} §4.2`),
  e('POST', `${M}/registered-models/set-tag`, `${W2} §4.2`),
  e('DELETE', `${M}/registered-models/delete-tag`, `${W2} §4.2`),
  e('GET', `${M}/registered-models/get-latest-versions`, `${W2} §4.2`),
  e('GET', `${M}/model-versions/get`, `${W2} §4.2`),
  e('PATCH', `${M}/model-versions/update`, `${W2} §4.2`),
  e('DELETE', `${M}/model-versions/delete`, `${W2} §4.2`),
  e('POST', `${M}/model-versions/set-tag`, `${W2} §4.2`),
  e('DELETE', `${M}/model-versions/delete-tag`, `${W2} §4.2`),

  // §4.3 Artifact proxy
  e('DELETE', `${A}/artifacts/{artifact_path+}`, `${W2} §4.3`),
  e('POST', `${A}/mpu/create/{artifact_path+}`, `${W2} §4.3`),
  e('POST', `${A}/mpu/complete/{artifact_path+}`, `${W2} §4.3`),
  e('POST', `${A}/mpu/abort/{artifact_path+}`, `${W2} §4.3`),
];

/** A regex for an endpoint's path template. */
export function endpointPattern(endpoint: Endpoint): RegExp {
  const body = endpoint.path
    .split(/(\{[a-z_]+\+?\})/)
    .map((part) => {
      if (/^\{[a-z_]+\+\}$/.test(part)) return '.+';
      if (/^\{[a-z_]+\}$/.test(part)) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * The endpoint a request goes to, or undefined. The UI prefix `/ajax-api/2.0/` serves the same
 * handlers, so it maps to the same endpoint. `${var}` placeholders in fixture paths stand for
 * one value each.
 */
export function findEndpoint(method: string, path: string): Endpoint | undefined {
  const concrete = path
    .split('?', 1)[0]!
    .replace(/\$\{[^}]+\}/g, 'X')
    .replace(/^\/ajax-api\/2\.0\//, '/api/2.0/');
  const matches = ENDPOINTS.filter((ep) => ep.method === method && endpointPattern(ep).test(concrete));
  // A fixed path wins over a template (`/logged-models/search` is not a model id).
  return matches.find((ep) => !ep.path.includes('{')) ?? matches[0];
}

/** `GET /api/2.0/mlflow/runs/get` */
export const endpointName = (ep: Endpoint): string => `${ep.method} ${ep.path}`;
