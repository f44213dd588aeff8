import { HangarError } from '../core/errors.js';
import type { HangarClient } from '../client/index.js';
import type { Evaluator } from './gate.js';

/**
 * The gate's default evaluator: score a model URI on a data file with the models module's
 * evaluation engine. Both models are scored by the same function on the same rows.
 */
export async function dataEvaluator(_client: HangarClient, _data: string, _target: string): Promise<Evaluator> {
  throw new HangarError('NOT_IMPLEMENTED', 'The evaluation engine (src/models) is not available in this build; pass an evaluator to runGate().');
}
