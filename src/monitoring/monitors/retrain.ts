/**
 * Retraining triggers: when an alert fires, the rule's configured command is launched as a child
 * process (argv, no shell) and recorded as an MLflow run in the rule's experiment: tags link it
 * to the monitor, the monitor run and the alert; stdout and stderr are saved as the run's
 * artifacts; its status follows the exit code (FINISHED for 0, FAILED otherwise or on timeout).
 * The child gets `HANGAR_MONITOR`, `HANGAR_MONITOR_RUN_ID`, `HANGAR_ALERT_ID` and
 * `HANGAR_RETRAIN_RUN_ID` in its environment, so a training script can tag what it produces.
 */
import { spawn } from 'node:child_process';
import { newRunId } from '../../core/ids.js';
import { artifactUriToStorePath, type ArtifactStore } from '../../artifacts/index.js';
import type { Store } from '../../store/index.js';
import type { RetrainSpec } from './spec.js';

/** Most output kept per stream; beyond it the artifact ends with a note of what was cut. */
const OUTPUT_CAP = 4 * 1024 * 1024;

export interface RetrainContext {
  store: Store;
  artifacts: ArtifactStore;
  monitor: string;
  monitorRunId: string;
  alertId: string;
  rule: string;
  /** Extra environment for the child (the server's own environment is passed through). */
  baseEnv?: NodeJS.ProcessEnv;
  log?: (message: string, detail?: unknown) => void;
}

/** A launched retraining: its MLflow run id now, and a promise of its end. */
export interface LaunchedRetrain {
  runId: string;
  done: Promise<{ exitCode: number | null; status: 'FINISHED' | 'FAILED' }>;
}

async function experimentId(store: Store, name: string): Promise<string> {
  const found = await store.getExperimentByName(name);
  if (found !== null) return found.experimentId;
  try {
    return await store.createExperiment({ name, tags: [{ key: 'hangar.purpose', value: 'retraining triggered by monitor alerts' }] });
  } catch (e) {
    // Another trigger created it at the same moment.
    const again = await store.getExperimentByName(name);
    if (again !== null) return again.experimentId;
    throw e;
  }
}

/** Start the command and record it as a run; resolves once the run exists (the child keeps running). */
export async function launchRetraining(spec: RetrainSpec, ctx: RetrainContext): Promise<LaunchedRetrain> {
  const expId = await experimentId(ctx.store, spec.experiment_name);
  const runId = newRunId();
  const run = await ctx.store.createRun({
    runId,
    experimentId: expId,
    userId: 'hangar-monitor',
    runName: `retrain-${ctx.monitor}`,
    startTime: Date.now(),
    tags: [
      { key: 'hangar.monitor', value: ctx.monitor },
      { key: 'hangar.monitor_run_id', value: ctx.monitorRunId },
      { key: 'hangar.alert_id', value: ctx.alertId },
      { key: 'hangar.alert_rule', value: ctx.rule },
      { key: 'hangar.trigger', value: 'monitor_alert' },
      { key: 'mlflow.source.type', value: 'LOCAL' },
      { key: 'mlflow.source.name', value: spec.command[0]! },
    ],
  });
  await ctx.store.logBatch(runId, { params: [{ key: 'command', value: JSON.stringify(spec.command).slice(0, 6000) }] });
  const artifactDir = artifactUriToStorePath(run.info.artifactUri, ctx.artifacts.rootUri);

  const done = new Promise<{ exitCode: number | null; status: 'FINISHED' | 'FAILED' }>((resolvePromise) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const sizes = { out: 0, err: 0 };
    const keep = (list: Buffer[], key: 'out' | 'err') => (chunk: Buffer) => {
      if (sizes[key] < OUTPUT_CAP) list.push(chunk.subarray(0, OUTPUT_CAP - sizes[key]));
      sizes[key] += chunk.length;
    };
    let timedOut = false;
    let spawnError: string | null = null;
    const child = spawn(spec.command[0]!, spec.command.slice(1), {
      cwd: spec.cwd ?? undefined,
      env: {
        ...(ctx.baseEnv ?? process.env),
        ...(spec.env ?? {}),
        HANGAR_MONITOR: ctx.monitor,
        HANGAR_MONITOR_RUN_ID: ctx.monitorRunId,
        HANGAR_ALERT_ID: ctx.alertId,
        HANGAR_RETRAIN_RUN_ID: runId,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', keep(out, 'out'));
    child.stderr.on('data', keep(err, 'err'));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, spec.timeout_seconds * 1000);
    timer.unref();
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const note = (size: number) => (size > OUTPUT_CAP ? `\n[hangar: output cut at ${OUTPUT_CAP} of ${size} bytes]\n` : '');
      if (spawnError !== null) err.push(Buffer.from(`[hangar: could not start ${spec.command[0]}: ${spawnError}]\n`));
      if (timedOut) err.push(Buffer.from(`[hangar: stopped after the ${spec.timeout_seconds} s timeout]\n`));
      const status = code === 0 && !timedOut && spawnError === null ? 'FINISHED' : 'FAILED';
      void (async () => {
        try {
          if (artifactDir !== null) {
            await ctx.artifacts.put(`${artifactDir}/stdout.txt`, Buffer.concat([...out, Buffer.from(note(sizes.out))]));
            await ctx.artifacts.put(`${artifactDir}/stderr.txt`, Buffer.concat([...err, Buffer.from(note(sizes.err))]));
          }
          await ctx.store.logBatch(runId, { tags: [{ key: 'hangar.exit_code', value: code === null ? 'none' : String(code) }] });
          await ctx.store.updateRun(runId, { status, endTime: Date.now() });
        } catch (e) {
          ctx.log?.(`recording retraining run ${runId} failed`, e);
        }
        resolvePromise({ exitCode: code, status });
      })();
    });
  });
  return { runId, done };
}
