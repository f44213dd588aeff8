/**
 * A model package on local disk, laid out as MLflow lays one out:
 *
 * ```
 * model/
 *   MLmodel              flavors, signature, run_id, model_uuid, utc_time_created, …
 *   model.json|.onnx     the flavor's files
 *   input_example.json   pandas "split" orient: {"columns": […], "data": [[…]]}
 *   hangar_env.json      Node version, platform, lockfile digest, git commit, dependency versions
 * ```
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HangarError } from '../../core/errors.js';
import { captureEnvironment, ENV_FILE, environmentFromJSON, environmentSummary, environmentToJSON, hangarVersion, type ExecutionEnvironment } from './environment.js';
import { toInputTable, type ModelInput } from './input.js';
import { formatUtc, MLFLOW_COMPAT_VERSION, parseMLmodel, stringifyMLmodel, type MLmodel } from './mlmodel.js';
import type { ModelSignature } from './signature.js';

export const MLMODEL_FILE = 'MLmodel';
export const INPUT_EXAMPLE_FILE = 'input_example.json';

export interface SavePackageOptions {
  /** Flavor name → configuration, as it goes into MLmodel. */
  flavors: Record<string, Record<string, unknown>>;
  /** The flavor's files, by path relative to the package directory. */
  files: Record<string, Uint8Array | string>;
  /** The signature to record. */
  signature?: ModelSignature | undefined;
  /** A few input rows (or columns), saved as `input_example.json`. */
  inputExample?: ModelInput | undefined;
  /** The run the model belongs to. */
  runId?: string | undefined;
  /** The package's path under the run's artifacts. */
  artifactPath?: string | undefined;
  /** Free-form metadata for MLmodel. */
  metadata?: Record<string, unknown> | undefined;
  /** Where to look up the lockfile and git commit (default: the working directory). */
  projectDir?: string | undefined;
  /** The environment to record instead of capturing the current one. */
  environment?: ExecutionEnvironment | undefined;
  /** Creation time (default: now). */
  now?: Date | undefined;
}

/** A package read from disk. */
export interface ModelPackage {
  /** The package directory. */
  dir: string;
  /** The parsed MLmodel. */
  mlmodel: MLmodel;
  /** The recorded execution environment, when the package has one. */
  environment?: ExecutionEnvironment;
}

/** Pandas' "split" orient, which MLflow uses for dataframe input examples. */
export interface SplitFrame {
  /** Column names. */
  columns: string[];
  /** Rows, each with one value per column. */
  data: unknown[][];
}

/** Rows or columns → the split form (Dates as ISO strings, typed arrays as plain numbers). */
export function toSplit(input: ModelInput): SplitFrame {
  const t = toInputTable(input);
  const columns = [...t.columns.keys()];
  const data: unknown[][] = [];
  for (let i = 0; i < t.rows; i++) {
    data.push(
      columns.map((c) => {
        const v = t.columns.get(c)![i];
        if (v instanceof Date) return v.toISOString();
        if (typeof v === 'number' && !Number.isFinite(v)) return null;
        if (typeof v === 'bigint') return Number(v);
        return v ?? null;
      }),
    );
  }
  return { columns, data };
}

/** The split form → rows. */
export function fromSplit(split: SplitFrame): Array<Record<string, unknown>> {
  return split.data.map((row) => Object.fromEntries(split.columns.map((c, i) => [c, row[i]])));
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

/**
 * Write a package into `dir` (created when absent). Returns the MLmodel written. The model's
 * files are written first so that `model_size_bytes` counts them, as MLflow counts them.
 */
export async function saveModelPackage(dir: string, options: SavePackageOptions): Promise<MLmodel> {
  await mkdir(dir, { recursive: true });
  for (const [rel, data] of Object.entries(options.files)) {
    if (rel === MLMODEL_FILE || rel.split(/[\\/]/).some((s) => s === '..')) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `A flavor may not write '${rel}'.`, { field: 'files' });
    }
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), data);
  }
  const env = options.environment ?? (await captureEnvironment(options.projectDir));
  await writeFile(join(dir, ENV_FILE), `${JSON.stringify(environmentToJSON(env), null, 2)}\n`);
  const mlmodel: MLmodel = {
    flavors: options.flavors,
    modelUuid: randomUUID().replaceAll('-', ''),
    utcTimeCreated: formatUtc(options.now ?? new Date()),
    mlflowVersion: MLFLOW_COMPAT_VERSION,
    hangarVersion: await hangarVersion(),
    hangarEnv: environmentSummary(env),
    extra: {},
  };
  if (options.artifactPath !== undefined) mlmodel.artifactPath = options.artifactPath;
  if (options.runId !== undefined) mlmodel.runId = options.runId;
  if (options.signature !== undefined) mlmodel.signature = options.signature;
  if (options.metadata !== undefined) mlmodel.metadata = options.metadata;
  if (options.inputExample !== undefined) {
    await writeFile(join(dir, INPUT_EXAMPLE_FILE), JSON.stringify(toSplit(options.inputExample)));
    mlmodel.savedInputExampleInfo = { artifactPath: INPUT_EXAMPLE_FILE, type: 'dataframe', pandasOrient: 'split' };
  }
  mlmodel.modelSizeBytes = await dirSize(dir);
  await writeFile(join(dir, MLMODEL_FILE), stringifyMLmodel(mlmodel));
  return mlmodel;
}

/** Read a package's MLmodel and environment. RESOURCE_DOES_NOT_EXIST when there is no MLmodel. */
export async function readModelPackage(dir: string): Promise<ModelPackage> {
  let text: string;
  try {
    text = await readFile(join(dir, MLMODEL_FILE), 'utf8');
  } catch {
    throw new HangarError('RESOURCE_DOES_NOT_EXIST', `No MLmodel file in '${dir}'; is this a model package?`);
  }
  const mlmodel = parseMLmodel(text);
  const pkg: ModelPackage = { dir, mlmodel };
  try {
    const file = typeof mlmodel.hangarEnv?.file === 'string' ? mlmodel.hangarEnv.file : ENV_FILE;
    pkg.environment = environmentFromJSON(JSON.parse(await readFile(join(dir, file), 'utf8')) as Record<string, unknown>);
  } catch {
    // Packages written by MLflow have no Node environment; that is not an error.
  }
  return pkg;
}

/** The saved input example as rows, when the package has one in the dataframe split form. */
export async function readInputExample(pkg: ModelPackage): Promise<Array<Record<string, unknown>> | undefined> {
  const info = pkg.mlmodel.savedInputExampleInfo;
  if (info === undefined) return undefined;
  const raw = JSON.parse(await readFile(join(pkg.dir, info.artifactPath), 'utf8')) as unknown;
  if (raw !== null && typeof raw === 'object' && 'columns' in raw && 'data' in raw) return fromSplit(raw as SplitFrame);
  if (Array.isArray(raw)) return raw as Array<Record<string, unknown>>;
  return undefined;
}
