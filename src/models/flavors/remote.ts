/**
 * Logging models to a run and loading them back through a Hangar (or MLflow) server: the
 * functions behind `hangar/models`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { HangarError } from '../../core/errors.js';
import type { HangarClient, ModelVersion, ResolvedModel } from '../../client/index.js';
import type { FeatureFrame, TabularModel } from '../learners/types.js';
import {
  inferSignatureFromFrame,
  inferSignatureFromRows,
  isColumnSchema,
  mlmodelToObject,
  saveModelPackage,
  toInputTable,
  column,
  type ColumnSpec,
  type MLmodel,
  type ModelInput,
  type ModelSignature,
} from '../package/index.js';
import { loadModelFromDir, type LoadedModel } from './load.js';
import { onnxPackage, type OnnxPackageOptions } from './onnx.js';
import { tabularPackage } from './tabular.js';
import type { LoadFlavorOptions } from './types.js';

export interface LogModelOptions {
  /** The run the model belongs to; its artifacts receive the package. */
  runId: string;
  /** A trained Hangar model (`hangar.tabular` flavor). Give this or `onnxPath` / `onnx`. */
  model?: TabularModel;
  /** Path of an `.onnx` file (`onnx` flavor). */
  onnxPath?: string;
  /** The bytes of an ONNX model (`onnx` flavor). */
  onnx?: Uint8Array;
  /** Problem and class labels of an ONNX model, when its outputs do not say. */
  onnxOptions?: OnnxPackageOptions;
  /** Where under the run's artifacts the package goes. Default `model`. */
  artifactPath?: string;
  /**
   * The signature. When absent it is inferred: from `trainingFrame`, else from a tabular
   * model's schema (date parts as one datetime column when the input example has it), else
   * from `inputExample` (whole numbers as double).
   */
  signature?: ModelSignature;
  /** The frame the model was trained on, to infer the signature from. */
  trainingFrame?: FeatureFrame;
  /** A few input rows (or columns), saved as `input_example.json`. */
  inputExample?: ModelInput;
  /** Register the logged model as a new version of this registered model (created when absent). */
  registeredModelName?: string;
  /** Free-form MLmodel metadata. */
  metadata?: Record<string, unknown>;
  /** Where the lockfile and git commit are looked up (default: the working directory). */
  projectDir?: string;
  /** Description of the new version, when registering. */
  versionDescription?: string;
  /** Tags of the new version, when registering. */
  versionTags?: Record<string, string>;
  /**
   * More files for the package, by relative path (e.g. `feature_spec.yaml`, which `hangar score`
   * reads to look features up). A path that would overwrite a file of the package, or leave its
   * folder, is refused.
   */
  extraFiles?: Record<string, string | Uint8Array>;
}

export interface LoggedModelResult {
  /** `runs:/<runId>/<artifactPath>`. */
  modelUri: string;
  /** The package's artifact URI (what a registered version's `source` is). */
  artifactUri: string;
  /** The MLmodel written. */
  mlmodel: MLmodel;
  /** The registered version, when `registeredModelName` was given. */
  modelVersion?: ModelVersion;
}

const DATE_PART = /^(.+)_(hour|weekday|month|day)$/;

function exampleRows(input: ModelInput): Array<Record<string, unknown>> {
  const t = toInputTable(input);
  return Array.from({ length: t.rows }, (_, i) => Object.fromEntries([...t.columns].map(([k, v]) => [k, v[i]])));
}

/**
 * A tabular model's signature from its schema (numeric → double, categorical → string). Date
 * parts (`c_hour`, `c_weekday`, `c_month`, `c_day`) become one datetime column `c` when the
 * input example carries `c`, since prediction derives the parts from it.
 */
function tabularSignature(model: TabularModel, example: ModelInput | undefined): ModelSignature {
  const exampleCols = example === undefined ? new Set<string>() : new Set(toInputTable(example).columns.keys());
  const inputs: ColumnSpec[] = [];
  const seen = new Set<string>();
  for (const f of model.schema) {
    const m = DATE_PART.exec(f.name);
    if (m !== null && !exampleCols.has(f.name) && exampleCols.has(m[1]!)) {
      if (!seen.has(m[1]!)) inputs.push(column(m[1]!, 'datetime'));
      seen.add(m[1]!);
      continue;
    }
    inputs.push(column(f.name, f.kind === 'numeric' ? 'double' : 'string'));
  }
  return { inputs };
}

/**
 * The signature a logged model gets (both layouts, run and LoggedModel): `options.signature`
 * when given, else inferred as `LogModelOptions.signature` describes; undefined when nothing
 * says (an ONNX model without an input example).
 */
export function inferLogSignature(options: LogModelOptions): ModelSignature | undefined {
  if (options.signature !== undefined) return options.signature;
  if (options.trainingFrame !== undefined) return inferSignatureFromFrame(options.trainingFrame);
  if (options.model !== undefined) return tabularSignature(options.model, options.inputExample);
  if (options.inputExample !== undefined) {
    // ONNX inputs are tensors of floats: whole numbers in an example are not a promise of integers.
    const sig = inferSignatureFromRows(exampleRows(options.inputExample));
    return { inputs: sig.inputs.map((c) => (c.kind === 'column' && (c.type === 'long' || c.type === 'integer') ? { ...c, type: 'double' } : c)) };
  }
  return undefined;
}

/**
 * The checked `artifactPath` of a log call (default `model`, without edge slashes).
 * INVALID_PARAMETER_VALUE unless exactly one of `model`, `onnxPath`, `onnx` is given.
 */
export function logArtifactPath(options: LogModelOptions): string {
  const given = [options.model, options.onnxPath, options.onnx].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw new HangarError('INVALID_PARAMETER_VALUE', 'Give exactly one of model, onnxPath or onnx.', { field: 'model' });
  }
  return (options.artifactPath ?? 'model').replace(/^\/+|\/+$/g, '');
}

/**
 * Write the package of a log call into `dir` (flavor, signature from `inferLogSignature`,
 * input example, environment files) and return its MLmodel; both layouts upload it from there.
 */
export async function writeLogPackage(dir: string, options: LogModelOptions, artifactPath: string): Promise<MLmodel> {
  const flavor =
    options.model !== undefined
      ? tabularPackage(options.model)
      : onnxPackage(options.onnx ?? (await readFile(options.onnxPath!)), options.onnxOptions);
  const mlmodel = await saveModelPackage(dir, {
    ...flavor,
    signature: inferLogSignature(options),
    inputExample: options.inputExample,
    runId: options.runId,
    artifactPath,
    metadata: options.metadata,
    projectDir: options.projectDir,
  });
  await writeExtraFiles(dir, options.extraFiles);
  return mlmodel;
}

/** Writes `extraFiles` into a saved package, refusing paths that escape it or overwrite its files. */
async function writeExtraFiles(dir: string, files: Record<string, string | Uint8Array> | undefined): Promise<void> {
  for (const [rel, content] of Object.entries(files ?? {})) {
    const target = resolve(dir, rel);
    if (rel === '' || isAbsolute(rel) || !target.startsWith(`${resolve(dir)}${sep}`)) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `extraFiles: '${rel}' must be a relative path inside the model package`, { field: 'extraFiles' });
    }
    if (existsSync(target)) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `extraFiles: '${rel}' is already a file of the model package`, { field: 'extraFiles' });
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/**
 * Log a model to a run as MLflow's `log_model` does: the package is uploaded under
 * `<artifactPath>` of the run's artifacts, `runs/log-model` records the MLmodel on the run, and
 * with `registeredModelName` a new version is created from the package's artifact URI.
 */
export async function logModel(client: HangarClient, options: LogModelOptions): Promise<LoggedModelResult> {
  const artifactPath = logArtifactPath(options);
  const dir = await mkdtemp(join(tmpdir(), 'hangar-log-model-'));
  try {
    const mlmodel = await writeLogPackage(dir, options, artifactPath);
    await client.logArtifacts({ runId: options.runId }, dir, artifactPath);
    await client.recordLoggedModel(options.runId, mlmodelToObject(mlmodel));
    const root = (await client.getRun(options.runId)).info.artifactUri.replace(/\/+$/, '');
    const result: LoggedModelResult = { modelUri: `runs:/${options.runId}/${artifactPath}`, artifactUri: `${root}/${artifactPath}`, mlmodel };
    if (options.registeredModelName !== undefined) {
      await client.getOrCreateRegisteredModel(options.registeredModelName);
      result.modelVersion = await client.createModelVersion({
        name: options.registeredModelName,
        source: result.artifactUri,
        runId: options.runId,
        ...(options.versionDescription === undefined ? {} : { description: options.versionDescription }),
        ...(options.versionTags === undefined ? {} : { tags: options.versionTags }),
      });
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A model loaded through a server, with where it came from. */
export interface RemoteLoadedModel extends LoadedModel {
  /** How the URI resolved (version, run, artifact URI); absent for a local directory. */
  resolved: ResolvedModel | undefined;
}

export interface LoadModelOptions extends LoadFlavorOptions {
  /** Download into this directory (kept) instead of a temp directory (removed by `close()`). */
  dest?: string;
}

const REMOTE = /^(models|runs):\//;

/**
 * Load a model from `models:/NAME/VERSION`, `models:/NAME/STAGE`, `models:/NAME@ALIAS`,
 * `models:/m-<id>`, `runs:/RUN/PATH` or a local package directory, ready to `predict`.
 * Call `close()` when done (it releases ONNX sessions and the downloaded copy).
 * INVALID_PARAMETER_VALUE naming the flavors Hangar runs when the model has none of them.
 */
export async function loadModel(client: HangarClient, uri: string, options: LoadModelOptions = {}): Promise<RemoteLoadedModel> {
  if (!REMOTE.test(uri)) {
    const dir = uri.startsWith('file://') ? new URL(uri).pathname : uri;
    return { ...(await loadModelFromDir(dir, options)), resolved: undefined };
  }
  const resolved = await client.resolveModelUri(uri);
  const dir = options.dest ?? (await mkdtemp(join(tmpdir(), 'hangar-model-')));
  const cleanup = async (): Promise<void> => {
    if (options.dest === undefined) await rm(dir, { recursive: true, force: true });
  };
  try {
    await client.downloadArtifacts(resolved.artifactUri, '', dir);
    const loaded = await loadModelFromDir(dir, options);
    return {
      ...loaded,
      resolved,
      async close() {
        await loaded.close();
        await cleanup();
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** True when the model's signature is column-based (what Hangar's flavors enforce). */
export function hasColumnSignature(model: LoadedModel): boolean {
  const inputs = model.metadata.signature?.inputs;
  return inputs !== undefined && isColumnSchema(inputs);
}

