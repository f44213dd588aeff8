import { HangarError } from '../core/errors.js';
import { artifactUriToStorePath, type ArtifactStore } from '../artifacts/index.js';
import type { Experiment, RunInfo, Store } from '../store/index.js';

export interface GcOptions {
  /** Only what was deleted at least this long ago (ms). 0 takes everything deleted. */
  olderThanMs: number;
  /** Purge only these runs (each must be deleted and old enough). */
  runIds?: string[] | undefined;
  /** Purge only these experiments (each must be deleted and old enough). */
  experimentIds?: string[] | undefined;
  /** The current time in epoch ms; tests pass their own. */
  now?: number;
}

export interface GcResult {
  /** Runs permanently removed. */
  runs: string[];
  /** Experiments permanently removed (with their runs and logged models). */
  experiments: string[];
  /** Artifact URIs that were left alone because the artifact store does not hold them. */
  skippedArtifacts: string[];
}

/**
 * Permanently remove runs and experiments that were soft-deleted long enough ago, artifacts
 * first and metadata second, as `mlflow gc` does. Deleting the files first means an
 * interrupted gc leaves metadata pointing at missing files, which the next gc finishes, rather
 * than files no metadata points at, which nothing would ever find again.
 *
 * With `runIds` and/or `experimentIds` only those are purged; naming one that is not deleted,
 * or was deleted too recently, fails before anything is removed.
 */
export async function collectGarbage(store: Store, artifacts: ArtifactStore, opts: GcOptions): Promise<GcResult> {
  const now = opts.now ?? Date.now();
  const cutoff = now - opts.olderThanMs;
  const deleted = await store.listDeletedBefore(cutoff);
  const selective = opts.runIds !== undefined || opts.experimentIds !== undefined;

  const runs = selective ? await pick(store, deleted.runs, opts.runIds ?? [], 'run') : deleted.runs;
  const experiments = selective ? await pick(store, deleted.experiments, opts.experimentIds ?? [], 'experiment') : deleted.experiments;

  const result: GcResult = { runs: [], experiments: [], skippedArtifacts: [] };
  const purgedWithExperiment = new Set(experiments.map((e) => e.experimentId));
  for (const run of runs) {
    // The experiment's purge takes these along; purging them first would only repeat the work.
    if (purgedWithExperiment.has(run.experimentId)) continue;
    await deleteArtifacts(artifacts, runArtifactDir(run), run.artifactUri, result);
    await store.purgeRun(run.runId);
    result.runs.push(run.runId);
  }
  for (const exp of experiments) {
    await deleteArtifacts(artifacts, exp.artifactLocation, exp.artifactLocation, result);
    await store.purgeExperiment(exp.experimentId);
    result.experiments.push(exp.experimentId);
  }
  return result;
}

async function pick<T extends RunInfo | Experiment>(store: Store, candidates: T[], ids: string[], kind: 'run' | 'experiment'): Promise<T[]> {
  const byId = new Map(candidates.map((c) => [idOf(c), c]));
  const out: T[] = [];
  for (const id of ids) {
    const c = byId.get(id);
    if (c !== undefined) {
      out.push(c);
      continue;
    }
    // Say why: unknown, still active, or deleted too recently.
    const entity = kind === 'run' ? (await store.getRun(id)).info : await store.getExperiment(id);
    if (entity.lifecycleStage !== 'deleted') {
      throw new HangarError('INVALID_PARAMETER_VALUE', `The ${kind} ${id} is not in the deleted lifecycle stage; only deleted ${kind}s can be purged.`);
    }
    throw new HangarError('INVALID_PARAMETER_VALUE', `The ${kind} ${id} was deleted more recently than --older-than allows.`);
  }
  return out;
}

function idOf(c: RunInfo | Experiment): string {
  return 'runId' in c ? c.runId : c.experimentId;
}

/**
 * A run's files live under `<exp>/<run>/artifacts`; removing `<exp>/<run>` leaves no empty
 * folder behind. Runs whose URI has another shape lose exactly their artifact URI.
 */
function runArtifactDir(run: RunInfo): string {
  const uri = run.artifactUri.replace(/\/+$/, '');
  const suffix = `/${run.runId}/artifacts`;
  return uri.endsWith(suffix) ? uri.slice(0, -'/artifacts'.length) : uri;
}

async function deleteArtifacts(artifacts: ArtifactStore, uri: string, shown: string, result: GcResult): Promise<void> {
  // URIs outside the server's store (another bucket, a client-side path) are not ours to delete.
  let path: string | null;
  try {
    path = artifactUriToStorePath(uri, artifacts.rootUri);
  } catch {
    path = null; // a URI that breaks the path rules names nothing the store holds
  }
  // Never delete the whole store because a URI mapped to its root.
  if (path === null || path === '') {
    if (shown !== '') result.skippedArtifacts.push(shown);
    return;
  }
  await artifacts.delete(path);
}
