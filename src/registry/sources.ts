import { HangarError, invalidParam, isHangarError } from '../core/errors.js';
import type { Store } from '../store/port.js';
import type { ModelVersion } from '../store/types.js';
import { isModelUri, parseModelUri, type ModelUri } from './model-uri.js';

/** What a new model version records about where its files are. */
export interface ResolvedSource {
  /** Where `get-download-uri` sends clients: `source` itself, or what a `models:/` source points at. */
  storageLocation: string;
  /** The request's run id, or else the source LoggedModel's run. */
  runId: string | null;
}

/**
 * Reject `..` segments in a source URI or path. A version's source is handed back to clients as
 * the place to download from, so it must not be able to climb out of the location it names.
 */
export function checkSourcePath(source: string, field = 'source'): void {
  // Decode until stable so that double-encoded dots (`%252E%252E`) are caught too.
  let text = source;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(text.replaceAll('+', ' '));
    } catch {
      break; // a malformed escape is not a traversal
    }
    if (next === text) break;
    text = next;
  }
  const path = text.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, '').split(/[?#]/, 1)[0]!;
  if (path.includes('\0') || path.split(/[/\\]/).includes('..')) {
    throw invalidParam(`Invalid model version source: '${source}'. The source must not contain '..' path segments.`, field);
  }
}

/** The version a registry model URI points at now. */
async function versionOf(store: Store, uri: Exclude<ModelUri, { kind: 'logged-model' | 'run' }>): Promise<ModelVersion> {
  switch (uri.kind) {
    case 'version':
      return store.getModelVersion(uri.name, uri.version);
    case 'alias':
      return store.getModelVersionByAlias(uri.name, uri.alias);
    case 'stage':
    case 'latest': {
      const versions = await store.getLatestVersions(uri.name, uri.kind === 'stage' ? [uri.stage] : []);
      const best = versions.reduce<ModelVersion | null>((a, v) => (a === null || v.version > a.version ? v : a), null);
      if (best === null) {
        const where = uri.kind === 'stage' ? ` in stage ${uri.stage}` : '';
        throw new HangarError('RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${uri.name} has no versions${where}`);
      }
      return best;
    }
  }
}

/**
 * Work out a new version's storage location from its `source`, as MLflow's registry does:
 * - `models:/m-<id>`: the LoggedModel's artifact location, and its source run when the request
 *   names no run;
 * - `models:/<name>/<version>` (also `@alias`, `/<Stage>`, `/latest`, which MLflow rejects): the
 *   download location of that version now, so a copy keeps pointing at the same files after the
 *   original moves on;
 * - anything else: the source itself.
 * With a `modelId` and no run either way, the run comes from that LoggedModel.
 *
 * A `models:/` source that does not resolve throws INVALID_PARAMETER_VALUE naming `source` and
 * the reason (MLflow answers 500 here, which clients would retry for minutes).
 */
export async function resolveVersionSource(
  store: Store,
  input: { source: string; runId?: string | null | undefined; modelId?: string | null | undefined },
): Promise<ResolvedSource> {
  const { source } = input;
  let runId = input.runId === undefined || input.runId === '' ? null : input.runId;
  let storageLocation = source;
  checkSourcePath(source);

  if (isModelUri(source) && source.slice(0, 7).toLowerCase() === 'models:') {
    try {
      const uri = parseModelUri(source, 'source');
      if (uri.kind === 'logged-model') {
        const model = await store.getLoggedModel(uri.modelId);
        storageLocation = model.artifactLocation;
        runId ??= model.sourceRunId;
      } else if (uri.kind !== 'run') {
        storageLocation = (await versionOf(store, uri)).storageLocation;
      }
    } catch (e) {
      if (!isHangarError(e) || e.code === 'INTERNAL_ERROR') throw e;
      throw invalidParam(`Unable to fetch model from model URI source artifact location '${source}'. Error: ${e.message}`, 'source');
    }
  }
  if (runId === null && input.modelId !== undefined && input.modelId !== null && input.modelId !== '') {
    runId = (await store.getLoggedModel(input.modelId)).sourceRunId;
  }
  return { storageLocation, runId };
}
