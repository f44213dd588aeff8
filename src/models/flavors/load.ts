import { HangarError } from '../../core/errors.js';
import type { Problem } from '../learners/types.js';
import {
  enforceSignature,
  isColumnSchema,
  readInputExample,
  readModelPackage,
  toInputTable,
  type ExecutionEnvironment,
  type MLmodel,
  type ModelInput,
  type ModelPackage,
} from '../package/index.js';
import { onnxFlavor } from './onnx.js';
import { tabularFlavor } from './tabular.js';
import type { Flavor, LoadedFlavor, LoadFlavorOptions, Predictions } from './types.js';

/** The flavors Hangar runs, in the order it prefers them when a package has several. */
export const FLAVORS: readonly Flavor[] = [tabularFlavor, onnxFlavor];

/** Names of the flavors Hangar can run. */
export const RUNNABLE_FLAVORS: readonly string[] = FLAVORS.map((f) => f.name);

/** A model ready to predict, with its package metadata. */
export interface LoadedModel {
  /** The local package directory. */
  dir: string;
  /** The parsed MLmodel. */
  metadata: MLmodel;
  /** The execution environment recorded with the model, when there is one. */
  environment: ExecutionEnvironment | undefined;
  /** The flavor used to run it. */
  flavor: string;
  /** The problem, when known. */
  problem: Problem | undefined;
  /** Class labels, for classifiers. */
  classLabels: string[] | undefined;
  /**
   * Predict rows (`[{col: value}, …]`) or columns (`{col: [values]}`). The signature is enforced
   * first: a missing required column or a value of the wrong type is INVALID_PARAMETER_VALUE
   * naming the column; columns outside the signature are dropped.
   */
  predict(input: ModelInput): Promise<Predictions>;
  /** Feature importance by name, when the model has one. */
  featureImportance(): Record<string, number> | undefined;
  /** The saved input example as rows, when there is one. */
  inputExample(): Promise<Array<Record<string, unknown>> | undefined>;
  /** Release native resources. */
  close(): Promise<void>;
}

/** The flavor Hangar runs for a package. INVALID_PARAMETER_VALUE naming the flavors when there is none. */
export function pickFlavor(mlmodel: MLmodel): Flavor {
  const flavor = FLAVORS.find((f) => f.name in mlmodel.flavors);
  if (flavor === undefined) {
    const has = Object.keys(mlmodel.flavors);
    throw new HangarError(
      'INVALID_PARAMETER_VALUE',
      `Hangar cannot run this model: its flavors are ${has.length === 0 ? '(none)' : has.join(', ')}; Hangar runs ${RUNNABLE_FLAVORS.join(', ')}. ` +
        'The model stays stored and listed; log it with one of those flavors (e.g. export it to ONNX) to serve it.',
      { field: 'flavors' },
    );
  }
  return flavor;
}

/** Wrap a loaded flavor with signature enforcement. */
export function loadedModel(pkg: ModelPackage, loaded: LoadedFlavor): LoadedModel {
  const sig = pkg.mlmodel.signature?.inputs;
  const columns = sig !== undefined && isColumnSchema(sig) ? sig : undefined;
  const names = columns?.map((c) => c.name).filter((n): n is string => n !== undefined);
  return {
    dir: pkg.dir,
    metadata: pkg.mlmodel,
    environment: pkg.environment,
    flavor: loaded.flavor,
    problem: loaded.problem,
    classLabels: loaded.classLabels,
    async predict(input) {
      let table = toInputTable(input, names);
      if (columns !== undefined) table = enforceSignature(table, columns);
      return loaded.predict(table);
    },
    featureImportance: () => loaded.featureImportance(),
    inputExample: () => readInputExample(pkg),
    close: () => loaded.close(),
  };
}

/** Load a model package from a local directory. */
export async function loadModelFromDir(dir: string, options: LoadFlavorOptions = {}): Promise<LoadedModel> {
  const pkg = await readModelPackage(dir);
  const flavor = pickFlavor(pkg.mlmodel);
  const loaded = await flavor.load(pkg, pkg.mlmodel.flavors[flavor.name]!, options);
  return loadedModel(pkg, loaded);
}
