/**
 * The `hangar.tabular` flavor: Hangar's TypeScript learners, saved as readable JSON.
 *
 * ```yaml
 * flavors:
 *   hangar.tabular: {model: model.json, kind: gbdt, problem: binary, class_labels: ['false', 'true'], format_version: 1}
 * ```
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HangarError } from '../../core/errors.js';
import type { TabularModel } from '../learners/types.js';
import { tableToFrame } from '../package/index.js';
import { classify, type Flavor, type LoadedFlavor, type LoadFlavorOptions, type Predictions } from './types.js';

export const TABULAR_FLAVOR = 'hangar.tabular';
const MODEL_FILE = 'model.json';

/** The flavor configuration and files that save a TabularModel. */
export function tabularPackage(model: TabularModel): { flavors: Record<string, Record<string, unknown>>; files: Record<string, string> } {
  const conf: Record<string, unknown> = { model: MODEL_FILE, kind: model.kind, problem: model.problem, format_version: 1 };
  if (model.classLabels !== undefined) conf.class_labels = [...model.classLabels];
  return { flavors: { [TABULAR_FLAVOR]: conf }, files: { [MODEL_FILE]: `${JSON.stringify(model.toJSON())}\n` } };
}

// Loaded on first use: scoring an ONNX model never needs the learners (or their worker pool).
async function defaultFromJSON(json: Record<string, unknown>): Promise<TabularModel> {
  const { tabularModelFromJSON } = await import('../learners/index.js');
  return tabularModelFromJSON(json);
}

/** Wrap a TabularModel (loaded or freshly trained) as a LoadedFlavor. */
export function tabularLoaded(model: TabularModel): LoadedFlavor {
  const classLabels = model.problem === 'regression' ? undefined : (model.classLabels ?? (model.problem === 'binary' ? ['0', '1'] : undefined));
  return {
    flavor: TABULAR_FLAVOR,
    problem: model.problem,
    classLabels,
    async predict(table): Promise<Predictions> {
      const frame = tableToFrame(table, model.schema);
      const scores = model.predict(frame);
      const rows = frame.rows;
      if (model.problem === 'regression') return { problem: 'regression', rows, values: scores };
      if (model.problem === 'binary') {
        const probs = new Float64Array(rows * 2);
        for (let i = 0; i < rows; i++) {
          probs[i * 2] = 1 - scores[i]!;
          probs[i * 2 + 1] = scores[i]!;
        }
        return classify('binary', probs, rows, classLabels!);
      }
      const k = rows === 0 ? (classLabels?.length ?? 0) : scores.length / rows;
      return classify('multiclass', scores, rows, classLabels ?? Array.from({ length: k }, (_, j) => String(j)));
    },
    featureImportance: () => model.featureImportance(),
    close: async () => {},
  };
}

export const tabularFlavor: Flavor = {
  name: TABULAR_FLAVOR,
  async load(pkg, conf, options: LoadFlavorOptions) {
    const file = typeof conf.model === 'string' ? conf.model : MODEL_FILE;
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(await readFile(join(pkg.dir, file), 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new HangarError('INVALID_PARAMETER_VALUE', `The ${TABULAR_FLAVOR} model file '${file}' is missing or not JSON.`, { field: 'flavors', cause: e });
    }
    const model = await (options.tabularModelFromJSON ?? defaultFromJSON)(json);
    return tabularLoaded(model);
  },
};
