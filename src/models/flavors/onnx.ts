/**
 * The `onnx` flavor: models trained anywhere (PyTorch, scikit-learn through a converter) run
 * with onnxruntime-node, loaded lazily so that nothing native loads until an ONNX model does.
 *
 * Configuration as MLflow's onnx flavor writes it (`data`, `onnx_version`, `providers`), plus
 * Hangar's `problem` and `class_labels` when known:
 *
 * ```yaml
 * flavors:
 *   onnx: {data: model.onnx, providers: [CPUExecutionProvider], problem: binary, class_labels: ['0', '1']}
 * ```
 *
 * Inputs: a graph with one input receives every signature column, in signature order, as one
 * `[rows, columns]` tensor; a graph with several inputs receives each column as the input of
 * the same name (`[rows, 1]`, or `[rows]` when the input has rank 1).
 * Outputs: `label`/`output_label` and `probabilities`/`output_probability` (sklearn-onnx with
 * `zipmap=False`) make a classifier; with sklearn-onnx's default ZipMap probabilities (not a
 * tensor, which onnxruntime-node cannot return) the labels alone are read. Otherwise the first
 * output is the prediction (binary models with one `[rows]`/`[rows, 1]` output give P(class 1)).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { HangarError } from '../../core/errors.js';
import type { Problem } from '../learners/types.js';
import { isColumnSchema, type InputTable } from '../package/index.js';
import { classify, type Flavor, type LoadedFlavor, type Predictions } from './types.js';

export const ONNX_FLAVOR = 'onnx';
const MODEL_FILE = 'model.onnx';

export interface OnnxPackageOptions {
  /** The problem the model solves; inferred from the outputs when absent. */
  problem?: Problem;
  /** Class labels in probability-column order. */
  classLabels?: string[];
}

/**
 * The flavor configuration and files that save an ONNX model. A `python_function` flavor
 * pointing at `mlflow.onnx` is written too, as `mlflow.onnx.save_model` writes it, so MLflow's
 * Python client can `mlflow.pyfunc.load_model` a model Hangar logged.
 */
export function onnxPackage(bytes: Uint8Array, options: OnnxPackageOptions = {}): { flavors: Record<string, Record<string, unknown>>; files: Record<string, Uint8Array> } {
  const conf: Record<string, unknown> = { data: MODEL_FILE, providers: ['CPUExecutionProvider'], code: null };
  if (options.problem !== undefined) conf.problem = options.problem;
  if (options.classLabels !== undefined) conf.class_labels = options.classLabels;
  const pyfunc = { loader_module: 'mlflow.onnx', data: MODEL_FILE };
  return { flavors: { [ONNX_FLAVOR]: conf, python_function: pyfunc }, files: { [MODEL_FILE]: bytes } };
}

let ortModule: Promise<typeof Ort> | undefined;
function ort(): Promise<typeof Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

type TensorType = 'float32' | 'float64' | 'int64' | 'int32';

function tensorType(meta: Ort.InferenceSession.ValueMetadata | undefined): TensorType {
  if (meta === undefined || !meta.isTensor) return 'float32';
  const t = meta.type as string;
  return t === 'float64' || t === 'int64' || t === 'int32' ? t : 'float32';
}

function numericValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (v === null || v === undefined) return NaN;
  throw new HangarError('INVALID_PARAMETER_VALUE', `ONNX models take numeric inputs; got ${typeof v} ${JSON.stringify(v)}.`);
}

function makeTensor(o: typeof Ort, type: TensorType, values: ArrayLike<unknown>[], rows: number, dims: number[]): Ort.Tensor {
  const cols = values.length;
  const n = rows * cols;
  const data = type === 'float64' ? new Float64Array(n) : type === 'int64' ? new BigInt64Array(n) : type === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let j = 0; j < cols; j++) {
    const col = values[j]!;
    for (let i = 0; i < rows; i++) {
      const x = numericValue(col[i]);
      if (data instanceof BigInt64Array) data[i * cols + j] = BigInt(Math.trunc(Number.isNaN(x) ? 0 : x));
      else data[i * cols + j] = x;
    }
  }
  return new o.Tensor(type, data, dims);
}

function toFloat64(data: Ort.Tensor['data']): Float64Array {
  if (data instanceof Float64Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, (x) => Number(x));
  return Float64Array.from(data as ArrayLike<number>);
}

export const onnxFlavor: Flavor = {
  name: ONNX_FLAVOR,
  async load(pkg, conf) {
    const o = await ort();
    const file = typeof conf.data === 'string' ? conf.data : MODEL_FILE;
    let session: Ort.InferenceSession;
    try {
      session = await o.InferenceSession.create(await readFile(join(pkg.dir, file)));
    } catch (e) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `Cannot load the ONNX model '${file}': ${(e as Error).message}`, { field: 'flavors', cause: e });
    }
    const sig = pkg.mlmodel.signature?.inputs;
    const columnOrder = sig !== undefined && isColumnSchema(sig) ? sig.map((c) => c.name).filter((n): n is string => n !== undefined) : undefined;
    // onnxruntime-node returns tensors only: a ZipMap output (sklearn-onnx's default for
    // probabilities, a sequence of maps) is left out, and the labels alone are read.
    const outNames = session.outputMetadata.filter((m) => m.isTensor).map((m) => m.name);
    if (outNames.length === 0) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `None of the ONNX model's outputs (${session.outputNames.join(', ')}) is a tensor; Hangar reads tensor outputs only.`, { field: 'flavors' });
    }
    const labelOut = outNames.find((n) => n === 'label' || n === 'output_label');
    const probOut = outNames.find((n) => n === 'probabilities' || n === 'output_probability');
    let problem = conf.problem as Problem | undefined;
    let classLabels = Array.isArray(conf.class_labels) ? conf.class_labels.map(String) : undefined;
    if (problem === undefined && (probOut !== undefined || labelOut !== undefined)) problem = classLabels !== undefined && classLabels.length > 2 ? 'multiclass' : 'binary';

    const feeds = (table: InputTable): Record<string, Ort.Tensor> => {
      const names = columnOrder ?? [...table.columns.keys()];
      const inputs = session.inputNames;
      const meta = session.inputMetadata;
      if (inputs.length === 1) {
        const values = names.map((n) => table.columns.get(n) ?? new Array<unknown>(table.rows).fill(null));
        return { [inputs[0]!]: makeTensor(o, tensorType(meta[0]), values, table.rows, [table.rows, values.length]) };
      }
      const out: Record<string, Ort.Tensor> = {};
      inputs.forEach((name, k) => {
        const col = table.columns.get(name);
        if (col === undefined) {
          throw new HangarError('INVALID_PARAMETER_VALUE', `The ONNX model needs input '${name}'; the input has no such column.`, { field: name });
        }
        const m = meta[k];
        const rank = m !== undefined && m.isTensor ? m.shape.length : 2;
        out[name] = makeTensor(o, tensorType(m), [col], table.rows, rank === 1 ? [table.rows] : [table.rows, 1]);
      });
      return out;
    };

    const loaded: LoadedFlavor = {
      flavor: ONNX_FLAVOR,
      problem,
      classLabels,
      async predict(table): Promise<Predictions> {
        const rows = table.rows;
        const result = await session.run(feeds(table), outNames);
        if (probOut !== undefined) {
          const probs = toFloat64(result[probOut]!.data);
          const k = rows === 0 ? (classLabels?.length ?? 2) : probs.length / rows;
          classLabels ??= Array.from({ length: k }, (_, j) => String(j));
          return classify(problem ?? (k > 2 ? 'multiclass' : 'binary'), probs, rows, classLabels);
        }
        if (labelOut !== undefined) {
          // Labels without probabilities: class indices (int64) or the labels themselves (strings).
          const data = result[labelOut]!.data;
          const labels = Array.isArray(data) ? data.map(String) : Array.from(toFloat64(data), (v) => classLabels?.[v] ?? String(v));
          const out: Predictions = { problem: problem ?? 'multiclass', rows, labels };
          if (classLabels !== undefined) out.classLabels = classLabels;
          return out;
        }
        const first = result[outNames[0]!]!;
        const values = toFloat64(first.data);
        if (problem === 'binary' && values.length === rows) {
          const probs = new Float64Array(rows * 2);
          for (let i = 0; i < rows; i++) {
            probs[i * 2] = 1 - values[i]!;
            probs[i * 2 + 1] = values[i]!;
          }
          return classify('binary', probs, rows, (classLabels ??= ['0', '1']));
        }
        if (problem === 'multiclass' && rows > 0) {
          const k = values.length / rows;
          return classify('multiclass', values, rows, (classLabels ??= Array.from({ length: k }, (_, j) => String(j))));
        }
        if (values.length !== rows) {
          throw new HangarError('INVALID_PARAMETER_VALUE', `The ONNX output '${outNames[0]}' has ${values.length} values for ${rows} rows; set the flavor's problem to read it.`);
        }
        return { problem: 'regression', rows, values };
      },
      featureImportance: () => undefined,
      close: () => session.release(),
    };
    return loaded;
  },
};
