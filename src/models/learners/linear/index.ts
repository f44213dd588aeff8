/**
 * The `linear` learner: ridge regression and binary / multinomial logistic regression on
 * standardised numeric and one-hot categorical features, fitted with L-BFGS.
 */
export { linearLearner, resolveLinearParams, LINEAR_DEFAULTS, type LinearParams } from './learner.js';
export { LinearModel, linearFromJSON, type LinearModelJSON, type LinearTerm, type LinearNumericTerm, type LinearCategoricalTerm } from './model.js';
export { lbfgs, type LbfgsOptions, type LbfgsResult } from './lbfgs.js';
