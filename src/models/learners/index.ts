import { invalidParam } from '../../core/errors.js';
import { gbdtFromJSON, gbdtLearner, resolveGbdtParams } from './gbdt/index.js';
import { linearFromJSON, linearLearner, resolveLinearParams } from './linear/index.js';
import type { Learner, TabularModel } from './types.js';

/** The TypeScript learners of the `hangar.tabular` flavor, and loading their saved models. */
export * from './types.js';
export { gbdtLearner, gbdtFromJSON, GBDT_DEFAULTS, resolveGbdtParams, GbdtModel, type GbdtParams, type GbdtJson } from './gbdt/index.js';
export { linearLearner, linearFromJSON, LINEAR_DEFAULTS, resolveLinearParams, LinearModel, type LinearParams, type LinearModelJSON } from './linear/index.js';

/** The learners by the name `hangar train --learner` takes. */
export const LEARNERS: Readonly<Record<string, Learner>> = Object.freeze({
  gbdt: gbdtLearner as unknown as Learner,
  linear: linearLearner as unknown as Learner,
});

/** The learner named `name`; INVALID_PARAMETER_VALUE listing the known ones otherwise. */
export function learnerByName(name: string): Learner {
  const learner = Object.hasOwn(LEARNERS, name) ? LEARNERS[name] : undefined;
  if (!learner) throw invalidParam(`Unknown learner '${name}'; known: ${Object.keys(LEARNERS).join(', ')}`, 'learner');
  return learner;
}

/**
 * The learner's hyperparameters: its defaults merged with `params` (strings parsed), checked.
 * INVALID_PARAMETER_VALUE naming the key for an unknown key or a bad value.
 */
export function resolveLearnerParams(name: string, params: Record<string, unknown>): Record<string, unknown> {
  learnerByName(name);
  const resolved = name === 'gbdt' ? resolveGbdtParams(params) : resolveLinearParams(params);
  return { ...resolved };
}

/**
 * A model back from its `toJSON()` form, by its `kind`: `gbdt`, or `linear` / `logistic`.
 * INVALID_PARAMETER_VALUE for another kind or malformed JSON.
 */
export function tabularModelFromJSON(json: Record<string, unknown>): TabularModel {
  switch (json.kind) {
    case 'gbdt':
      return gbdtFromJSON(json);
    case 'linear':
    case 'logistic':
      return linearFromJSON(json);
    default:
      throw invalidParam(`Unknown tabular model kind ${JSON.stringify(json.kind)}; known: gbdt, linear, logistic`, 'kind');
  }
}

/**
 * The same model with its class labels set (learners see class indices only, so the trainer,
 * who knows the labels, puts them in). Goes through the JSON form of the model's kind.
 */
export function withClassLabels(model: TabularModel, classLabels: string[]): TabularModel {
  const json = model.toJSON();
  // gbdt spells JSON keys in snake_case; so does linear.
  return tabularModelFromJSON({ ...json, class_labels: [...classLabels] });
}
