import { pathToFileURL } from 'node:url';
import { invalidParam } from '../core/errors.js';
import { checkArtifactPath } from './paths.js';

/**
 * Artifact URIs the metadata store hands out, and the store paths they name. A server that
 * proxies artifacts gives experiments `mlflow-artifacts:/<experiment_id>` and runs
 * `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts`; the path after the scheme is the
 * path in the server's artifact store.
 */

export const MLFLOW_ARTIFACTS_SCHEME = 'mlflow-artifacts:';

/** True for `mlflow-artifacts:` URIs in any of their forms. */
export function isMlflowArtifactsUri(uri: string): boolean {
  return uri.toLowerCase().startsWith(MLFLOW_ARTIFACTS_SCHEME);
}

/**
 * The store path an `mlflow-artifacts:` URI names: `mlflow-artifacts:/1/abc/artifacts` →
 * `1/abc/artifacts`. Also accepts the bare root `mlflow-artifacts:` (→ `''`) and the form with an
 * authority that clients build, `mlflow-artifacts://host:port/1/abc`. A trailing `/` is dropped.
 * Throws INVALID_PARAMETER_VALUE for another scheme or a path that breaks the rules of
 * `checkArtifactPath` (`..`, backslashes, ...).
 */
export function mlflowArtifactsUriToPath(uri: string, field = 'artifact_uri'): string {
  if (!isMlflowArtifactsUri(uri)) {
    throw invalidParam(`Artifact URI '${uri}' is not an ${MLFLOW_ARTIFACTS_SCHEME} URI.`, field);
  }
  let rest = uri.slice(MLFLOW_ARTIFACTS_SCHEME.length);
  const cut = rest.search(/[?#]/);
  if (cut >= 0) rest = rest.slice(0, cut);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  const path = rest.replace(/^\/+/, '').replace(/\/+$/, '');
  return checkArtifactPath(path, { allowRoot: true, field });
}

/** The `mlflow-artifacts:` URI of a store path (`''` → `mlflow-artifacts:/`). */
export function pathToMlflowArtifactsUri(path: string): string {
  return `${MLFLOW_ARTIFACTS_SCHEME}/${checkArtifactPath(path, { allowRoot: true })}`;
}

/**
 * The store path of any artifact URI this server can serve: an `mlflow-artifacts:` URI, or a
 * URI under the artifact store's own root (`s3://bucket/prefix/1/abc` for a store at
 * `s3://bucket/prefix`; a `file://` URI or absolute path under a local root). Null when the URI
 * points somewhere the server's store does not reach. Throws INVALID_PARAMETER_VALUE when the
 * path it names breaks the path rules.
 */
export function artifactUriToStorePath(uri: string, storeRootUri: string, field = 'artifact_uri'): string | null {
  if (isMlflowArtifactsUri(uri)) return mlflowArtifactsUriToPath(uri, field);
  const normalized = uri.startsWith('/') ? pathToFileURL(uri).href : uri;
  const root = storeRootUri.replace(/\/+$/, '');
  let rest: string;
  if (normalized === root) rest = '';
  else if (normalized.startsWith(`${root}/`)) rest = normalized.slice(root.length + 1).replace(/\/+$/, '');
  else return null;
  if (root.startsWith('file:')) {
    try {
      rest = rest.split('/').map(decodeURIComponent).join('/');
    } catch {
      throw invalidParam(`Artifact URI '${uri}' is not a valid file URI.`, field);
    }
  }
  return checkArtifactPath(rest, { allowRoot: true, field });
}
