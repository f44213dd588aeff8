import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HangarError, invalidParam } from '../core/errors.js';
import { LocalArtifactStore } from './local-store.js';
import type { ArtifactStore } from './port.js';
import { S3ArtifactStore, type S3ArtifactOptions } from './s3-store.js';

/** The URI forms `openArtifactStore` understands, for error messages and docs. */
export const KNOWN_ARTIFACT_SCHEMES = ['file://', 's3://', 'a plain directory path'] as const;

export interface OpenArtifactStoreOptions {
  /** Options of the S3 adapter, used when the URI is `s3://…`. */
  s3?: S3ArtifactOptions;
}

/**
 * Open the artifact store a URI names, choosing the adapter by scheme: `file:///abs/dir` or a
 * plain path (relative paths resolve against the working directory) → local disk;
 * `s3://bucket/prefix` → S3. Any other scheme fails with INVALID_PARAMETER_VALUE listing the
 * known ones.
 */
export async function openArtifactStore(uri: string, options: OpenArtifactStoreOptions = {}): Promise<ArtifactStore> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1];
  // A single letter is a Windows drive (`C:\…`), not a scheme.
  if (scheme === undefined || scheme.length === 1) {
    if (uri === '') throw invalidParam('The artifact destination is empty.', 'artifacts_destination');
    return LocalArtifactStore.open(resolve(uri));
  }
  switch (scheme.toLowerCase()) {
    case 'file': {
      let path: string;
      try {
        path = fileURLToPath(uri);
      } catch (e) {
        throw new HangarError('INVALID_PARAMETER_VALUE', `Invalid file URI '${uri}': ${(e as Error).message}`, {
          field: 'artifacts_destination',
          cause: e,
        });
      }
      return LocalArtifactStore.open(path);
    }
    case 's3':
      return S3ArtifactStore.open(uri, options.s3);
    default:
      throw invalidParam(
        `Unsupported artifact destination '${uri}': the scheme '${scheme}:' is unknown; use one of ${KNOWN_ARTIFACT_SCHEMES.join(', ')}.`,
        'artifacts_destination',
      );
  }
}

/**
 * S3 adapter options from environment variables, the way AWS tools and MLflow read them:
 * `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, `AWS_REGION` (or
 * `AWS_DEFAULT_REGION`), and the endpoint from `MLFLOW_S3_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`,
 * `AWS_ENDPOINT_URL`). A custom endpoint switches to path-style addressing, which MinIO and
 * other S3-compatible servers expect. Only the CLI calls this, with `process.env`; the adapter
 * itself never reads the environment.
 */
export function s3OptionsFromEnv(env: Readonly<Record<string, string | undefined>>): S3ArtifactOptions {
  const nonEmpty = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const endpoint = nonEmpty('MLFLOW_S3_ENDPOINT_URL') ?? nonEmpty('AWS_ENDPOINT_URL_S3') ?? nonEmpty('AWS_ENDPOINT_URL');
  const region = nonEmpty('AWS_REGION') ?? nonEmpty('AWS_DEFAULT_REGION');
  const accessKeyId = nonEmpty('AWS_ACCESS_KEY_ID');
  const secretAccessKey = nonEmpty('AWS_SECRET_ACCESS_KEY');
  const sessionToken = nonEmpty('AWS_SESSION_TOKEN');
  const options: S3ArtifactOptions = {};
  if (endpoint !== undefined) {
    options.endpoint = endpoint;
    options.forcePathStyle = true;
  }
  if (region !== undefined) options.region = region;
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    options.credentials = { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
  }
  return options;
}
