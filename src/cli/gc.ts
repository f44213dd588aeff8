import { HangarError } from '../core/errors.js';
import { formatTime } from './table.js';
import { artifactUriToStorePath, type ArtifactStore, type Leftover } from '../artifacts/index.js';
import type { Experiment, RunInfo, Store } from '../store/index.js';

export interface GcOptions {
  /** Only what was deleted at least this long ago (ms). 0 takes everything deleted. */
  olderThanMs: number;
  /** Purge only these runs (each must be deleted and old enough). */
  runIds?: string[] | undefined;
  /** Purge only these experiments (each must be deleted and old enough). */
  experimentIds?: string[] | undefined;
  /**
   * Sweep multipart uploads and temp files that interrupted writes left in the artifact store
   * and that have not changed for this long (ms). Default 24 h. Skipped when `runIds` or
   * `experimentIds` narrow the purge.
   */
  uploadsOlderThanMs?: number | undefined;
  /** Find and report everything, remove nothing. */
  dryRun?: boolean | undefined;
  /** The current time in epoch ms; tests pass their own. */
  now?: number;
}

/** The default of {@link GcOptions.uploadsOlderThanMs}: a day. */
export const DEFAULT_UPLOADS_OLDER_THAN_MS = 86_400_000;

export interface GcResult {
  /** Runs permanently removed. */
  runs: string[];
  /** Experiments permanently removed (with their runs and logged models). */
  experiments: string[];
  /** Artifact URIs that were left alone because the artifact store does not hold them. */
  skippedArtifacts: string[];
  /** Abandoned multipart uploads and temp files removed (with `dryRun`, found), oldest first. */
  leftovers: Leftover[];
}

/**
 * Permanently remove runs and experiments that were soft-deleted long enough ago, artifacts
 * first and metadata second, as `mlflow gc` does. Deleting the files first means an
 * interrupted gc leaves metadata pointing at missing files, which the next gc finishes, rather
 * than files no metadata points at, which nothing would ever find again.
 *
 * With `runIds` and/or `experimentIds` only those are purged; naming one that is not deleted,
 * or was deleted too recently, fails before anything is removed.
 *
 * Without them, what crashed or abandoned writes left in the artifact store (multipart uploads
 * never completed, temp files of atomic writes) goes too, once untouched for
 * `uploadsOlderThanMs`. With `dryRun` nothing is removed and the result lists what would be.
 */
export async function collectGarbage(store: Store, artifacts: ArtifactStore, opts: GcOptions): Promise<GcResult> {
  const now = opts.now ?? Date.now();
  const cutoff = now - opts.olderThanMs;
  const deleted = await store.listDeletedBefore(cutoff);
  const selective = opts.runIds !== undefined || opts.experimentIds !== undefined;

  const runs = selective ? await pick(store, deleted.runs, opts.runIds ?? [], 'run') : deleted.runs;
  const experiments = selective ? await pick(store, deleted.experiments, opts.experimentIds ?? [], 'experiment') : deleted.experiments;

  const dryRun = opts.dryRun === true;
  const uploadsOlderThanMs = opts.uploadsOlderThanMs ?? DEFAULT_UPLOADS_OLDER_THAN_MS;
  if (!Number.isFinite(uploadsOlderThanMs) || uploadsOlderThanMs < 0) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Invalid uploads age ${uploadsOlderThanMs}: expected milliseconds >= 0.`, { field: 'uploads-older-than' });
  }
  const result: GcResult = { runs: [], experiments: [], skippedArtifacts: [], leftovers: [] };
  const purgedWithExperiment = new Set(experiments.map((e) => e.experimentId));
  for (const run of runs) {
    // The experiment's purge takes these along; purging them first would only repeat the work.
    if (purgedWithExperiment.has(run.experimentId)) continue;
    await deleteArtifacts(artifacts, runArtifactDir(run), run.artifactUri, result, dryRun);
    if (!dryRun) await store.purgeRun(run.runId);
    result.runs.push(run.runId);
  }
  for (const exp of experiments) {
    await deleteArtifacts(artifacts, exp.artifactLocation, exp.artifactLocation, result, dryRun);
    if (!dryRun) await store.purgeExperiment(exp.experimentId);
    result.experiments.push(exp.experimentId);
  }
  if (!selective && artifacts.sweepLeftovers !== undefined) {
    result.leftovers = await artifacts.sweepLeftovers({ before: now - uploadsOlderThanMs, dryRun });
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

async function deleteArtifacts(artifacts: ArtifactStore, uri: string, shown: string, result: GcResult, dryRun: boolean): Promise<void> {
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
  if (!dryRun) await artifacts.delete(path);
}

/** What `hangar gc` prints: the cutoffs it used, then one line per thing removed (or found, with `dryRun`). */
export function gcReport(r: GcResult, run: { now: number; olderThanMs: number; uploadsOlderThanMs: number; dryRun: boolean; json: boolean }): string {
  const deletedBefore = run.now - run.olderThanMs;
  const uploadsBefore = run.now - run.uploadsOlderThanMs;
  if (run.json) {
    return `${JSON.stringify(
      {
        dry_run: run.dryRun,
        deleted_before: deletedBefore,
        uploads_before: uploadsBefore,
        runs: r.runs,
        experiments: r.experiments,
        skipped_artifacts: r.skippedArtifacts,
        leftovers: r.leftovers.map((l) => ({
          kind: l.kind,
          path: l.path,
          ...(l.uploadId === undefined ? {} : { upload_id: l.uploadId }),
          last_modified: l.lastModified,
          ...(l.bytes === undefined ? {} : { bytes: l.bytes }),
        })),
      },
      null,
      2,
    )}\n`;
  }
  const verb = run.dryRun ? 'Would purge' : 'Purged';
  const uploads = r.leftovers.filter((l) => l.kind === 'upload').length;
  const temps = r.leftovers.length - uploads;
  let out =
    `${verb} ${plural(r.runs.length, 'run')} and ${plural(r.experiments.length, 'experiment')} deleted before ${formatTime(deletedBefore)} UTC.\n` +
    `${run.dryRun ? 'Would remove' : 'Removed'} ${plural(uploads, 'abandoned upload')} and ${plural(temps, 'temp file')} untouched since ${formatTime(uploadsBefore)} UTC.\n`;
  for (const id of r.runs) out += `  run ${id}\n`;
  for (const id of r.experiments) out += `  experiment ${id}\n`;
  for (const l of r.leftovers) {
    const size = l.bytes === undefined ? '' : `, ${l.bytes} bytes`;
    out +=
      l.kind === 'upload'
        ? `  upload ${l.uploadId ?? ''} for ${l.path === '' ? '(unknown path)' : l.path} (last change ${formatTime(l.lastModified)} UTC${size})\n`
        : `  temp file ${l.path} (last change ${formatTime(l.lastModified)} UTC${size})\n`;
  }
  for (const uri of r.skippedArtifacts) out += `  kept artifacts outside the artifact store: ${uri}\n`;
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
