/** Histogram gradient-boosted trees for the `hangar.tabular` flavor. */
export { gbdtLearner } from './learner.js';
export { GBDT_DEFAULTS, resolveGbdtParams, type GbdtParams } from './params.js';
export { GbdtModel, gbdtFromJSON, type GbdtJson, type GbdtJsonNode } from './tree-model.js';
