import type { FeatureFrame, Problem, TabularModel } from '../../learners/types.js';

/**
 * A tiny hand-checkable TabularModel for tests: score = bias + Σ weight·x over numeric features
 * (missing counts as 0) + the offset of each categorical feature's category (missing: 0);
 * binary models return sigmoid(score).
 */
export interface TinySpec {
  problem: Problem;
  bias: number;
  numeric: Record<string, number>;
  categorical?: Record<string, Record<string, number>>;
  classLabels?: string[];
}

export class TinyModel implements TabularModel {
  readonly kind = 'tiny';
  readonly problem: Problem;
  readonly schema: TabularModel['schema'];
  readonly classLabels?: string[];

  constructor(readonly spec: TinySpec) {
    this.problem = spec.problem;
    this.schema = [
      ...Object.keys(spec.numeric).map((name) => ({ name, kind: 'numeric' as const })),
      ...Object.entries(spec.categorical ?? {}).map(([name, offsets]) => ({ name, kind: 'categorical' as const, categories: Object.keys(offsets) })),
    ];
    if (spec.classLabels !== undefined) this.classLabels = spec.classLabels;
  }

  predict(frame: FeatureFrame): Float64Array {
    const out = new Float64Array(frame.rows).fill(this.spec.bias);
    for (const f of frame.features) {
      for (let i = 0; i < frame.rows; i++) {
        if (f.kind === 'numeric') {
          const x = f.values[i]!;
          if (!Number.isNaN(x)) out[i]! += this.spec.numeric[f.name]! * x;
        } else {
          const c = f.codes[i]!;
          if (c >= 0) out[i]! += this.spec.categorical![f.name]![f.categories[c]!]!;
        }
      }
    }
    if (this.problem === 'binary') for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-out[i]!));
    return out;
  }

  featureImportance(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.spec.numeric).map(([k, w]) => [k, Math.abs(w)]));
  }

  toJSON(): Record<string, unknown> {
    return { kind: this.kind, spec: this.spec };
  }
}

export const tinyFromJSON = (json: Record<string, unknown>): TabularModel => new TinyModel(json.spec as TinySpec);
