/**
 * The MLmodel file: reading and writing MLflow's YAML format (semantics.md §d), so that a model
 * Hangar logs opens in MLflow's UI and client, and a model MLflow logs opens in Hangar.
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { HangarError } from '../../core/errors.js';
import { signatureFromWire, signatureToWire, type ModelSignature } from './signature.js';

/** MLflow's `saved_input_example_info`. */
export interface InputExampleInfo {
  /** File name inside the package, normally `input_example.json`. */
  artifactPath: string;
  /** `dataframe` (pandas split orient) or `ndarray` (tf-serving). */
  type: string;
  /** `split` for dataframes. */
  pandasOrient?: string;
  /** `tf-serving` for ndarrays. */
  format?: string;
}

/** A parsed MLmodel file. Unknown top-level keys are kept in `extra` and written back unchanged. */
export interface MLmodel {
  /** Path of the package under the run's artifact root (e.g. `model`). */
  artifactPath?: string;
  /** Flavor name → its configuration, exactly as stored. */
  flavors: Record<string, Record<string, unknown>>;
  /** The signature, when one was saved. */
  signature?: ModelSignature;
  /** Where the input example is and how it is encoded. */
  savedInputExampleInfo?: InputExampleInfo;
  /** The run that logged the model. */
  runId?: string;
  /** 32 hex characters, unique per saved package. */
  modelUuid?: string;
  /** MLflow MLmodel field (MLflow 3): the LoggedModel id. */
  modelId?: string;
  /** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, as MLflow writes it. */
  utcTimeCreated?: string;
  /** The MLflow version the format follows (written by MLflow; Hangar writes the version it is compatible with). */
  mlflowVersion?: string;
  /** The Hangar version that wrote the package. */
  hangarVersion?: string;
  /** Total size of the package's files in bytes. */
  modelSizeBytes?: number;
  /** Free-form metadata. */
  metadata?: Record<string, unknown>;
  /**
   * Hangar's execution-environment summary: `file` (the full record, `hangar_env.json`),
   * `node_version`, `platform`, `hangar_version`, `lockfile_digest`, `git_commit`.
   */
  hangarEnv?: Record<string, unknown>;
  /** Other top-level keys, kept for round trips (e.g. `databricks_runtime`). */
  extra: Record<string, unknown>;
}

/** The MLflow format version Hangar writes (the wire contract it follows). */
export const MLFLOW_COMPAT_VERSION = '2.12.2';

const KNOWN = new Set([
  'artifact_path',
  'flavors',
  'signature',
  'saved_input_example_info',
  'run_id',
  'model_uuid',
  'model_id',
  'utc_time_created',
  'mlflow_version',
  'hangar_version',
  'model_size_bytes',
  'metadata',
  'hangar_env',
]);

function bad(message: string, field?: string): HangarError {
  return new HangarError('INVALID_PARAMETER_VALUE', message, field === undefined ? undefined : { field });
}

const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** An MLmodel from its parsed (YAML or JSON) object form. */
export function mlmodelFromObject(o: unknown): MLmodel {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw bad('The MLmodel file must be a YAML mapping.');
  const d = o as Record<string, unknown>;
  const flavors = d.flavors;
  if (flavors === null || typeof flavors !== 'object' || Array.isArray(flavors)) {
    throw bad('The MLmodel file has no "flavors" mapping.', 'flavors');
  }
  const m: MLmodel = { flavors: {}, extra: {} };
  for (const [name, conf] of Object.entries(flavors as Record<string, unknown>)) {
    m.flavors[name] = conf !== null && typeof conf === 'object' ? (conf as Record<string, unknown>) : {};
  }
  const set = <K extends keyof MLmodel>(k: K, v: MLmodel[K] | undefined): void => {
    if (v !== undefined) m[k] = v;
  };
  set('artifactPath', str(d.artifact_path));
  set('signature', signatureFromWire(d.signature));
  set('runId', str(d.run_id));
  set('modelUuid', str(d.model_uuid));
  set('modelId', str(d.model_id));
  // YAML may read an unquoted timestamp as a string already; a Date would mean a hand edit.
  set('utcTimeCreated', d.utc_time_created instanceof Date ? formatUtc(d.utc_time_created) : str(d.utc_time_created));
  set('mlflowVersion', str(d.mlflow_version));
  set('hangarVersion', str(d.hangar_version));
  if (d.hangar_env !== null && typeof d.hangar_env === 'object' && !Array.isArray(d.hangar_env)) m.hangarEnv = d.hangar_env as Record<string, unknown>;
  if (d.model_size_bytes !== undefined && d.model_size_bytes !== null) m.modelSizeBytes = Number(d.model_size_bytes);
  if (d.metadata !== null && typeof d.metadata === 'object') m.metadata = d.metadata as Record<string, unknown>;
  const ex = d.saved_input_example_info as Record<string, unknown> | null | undefined;
  if (ex !== null && typeof ex === 'object' && typeof ex.artifact_path === 'string') {
    const info: InputExampleInfo = { artifactPath: ex.artifact_path, type: String(ex.type ?? 'dataframe') };
    if (ex.pandas_orient !== undefined) info.pandasOrient = String(ex.pandas_orient);
    if (ex.format !== undefined) info.format = String(ex.format);
    m.savedInputExampleInfo = info;
  }
  for (const [k, v] of Object.entries(d)) if (!KNOWN.has(k)) m.extra[k] = v;
  return m;
}

/**
 * The MLmodel as MLflow's `Model.to_dict()` shapes it (snake_case keys, signature parts as JSON
 * strings): what goes into the YAML file and, serialised, into `runs/log-model`'s `model_json`.
 */
export function mlmodelToObject(m: MLmodel): Record<string, unknown> {
  const d: Record<string, unknown> = { ...m.extra };
  if (m.artifactPath !== undefined) d.artifact_path = m.artifactPath;
  d.flavors = m.flavors;
  if (m.hangarEnv !== undefined) d.hangar_env = m.hangarEnv;
  if (m.hangarVersion !== undefined) d.hangar_version = m.hangarVersion;
  if (m.metadata !== undefined) d.metadata = m.metadata;
  if (m.mlflowVersion !== undefined) d.mlflow_version = m.mlflowVersion;
  if (m.modelId !== undefined) d.model_id = m.modelId;
  if (m.modelSizeBytes !== undefined) d.model_size_bytes = m.modelSizeBytes;
  if (m.modelUuid !== undefined) d.model_uuid = m.modelUuid;
  if (m.runId !== undefined) d.run_id = m.runId;
  if (m.savedInputExampleInfo !== undefined) {
    const i = m.savedInputExampleInfo;
    const info: Record<string, unknown> = { artifact_path: i.artifactPath, type: i.type };
    if (i.pandasOrient !== undefined) info.pandas_orient = i.pandasOrient;
    if (i.format !== undefined) info.format = i.format;
    d.saved_input_example_info = info;
  }
  if (m.signature !== undefined) d.signature = signatureToWire(m.signature);
  if (m.utcTimeCreated !== undefined) d.utc_time_created = m.utcTimeCreated;
  return d;
}

/** Parse the text of an MLmodel file (YAML, as MLflow writes it; JSON is YAML too). */
export function parseMLmodel(text: string): MLmodel {
  let o: unknown;
  try {
    // YAML 1.1 (PyYAML's dialect) keeps MLflow's unquoted values typed as Python wrote them.
    o = parseYaml(text, { version: '1.1' });
  } catch (e) {
    throw bad(`The MLmodel file is not valid YAML: ${(e as Error).message}`);
  }
  return mlmodelFromObject(o);
}

/** The YAML text of an MLmodel file, keys sorted as PyYAML's `safe_dump` sorts them. */
export function stringifyMLmodel(m: MLmodel): string {
  // YAML 1.1 output quotes what PyYAML would otherwise read as a timestamp or a boolean
  // (utc_time_created, class labels such as 'yes'), so MLflow reads back strings.
  return stringifyYaml(mlmodelToObject(m), { version: '1.1', sortMapEntries: true, lineWidth: 0 });
}

/** `YYYY-MM-DD HH:MM:SS.ffffff`, the form of Python's `str(datetime.utcnow())` that MLflow stores. */
export function formatUtc(d: Date): string {
  const iso = d.toISOString(); // 2026-11-26T05:07:47.081Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}
