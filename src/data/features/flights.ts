/**
 * The flights feature tables for code that computes them from another source than the
 * registered dataset (`npm run bench -- features` reads the Parquet file directly). Their one
 * definition is the example users read, `examples/flights/features.ts` (what `npm start`
 * applies); this module loads it, as `hangar features apply` would, with the source swapped.
 *
 * Each row is stamped at the start of its day and summarises the seven days before it, so a
 * flight's own label (delay > 15) never feeds its features; no TTL.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HangarError } from '../../core/errors.js';
import { importTranspiled, toFeatureTableSpecs } from './define.js';
import type { FeatureTableSpec } from './spec.js';
import type { LabelsSource, TrainingSetRequest } from './training-set.js';

/** The example's folder, from `src/data/features` and `dist/data/features` alike. */
export function flightsExampleDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'flights');
}

/** The tables of `examples/flights/features.ts` over `source`, a DuckDB table expression such as `read_parquet('…/flights-3m.parquet')`. */
export async function flightsFeatureTables(source: string): Promise<FeatureTableSpec[]> {
  const file = join(flightsExampleDir(), 'features.ts');
  const mod = await importTranspiled(file);
  const make = mod.flightsFeatureTables;
  if (typeof make !== 'function') throw new HangarError('INTERNAL_ERROR', `${file} no longer exports flightsFeatureTables(source).`);
  return toFeatureTableSpecs((make as (s: string) => unknown[])(source), dirname(file));
}

/** The training-set request joining flights labels (with `origin`, `destination`, `date`) to the three tables, as of the departure. */
export function flightsTrainingSetRequest(labels: LabelsSource): TrainingSetRequest {
  return {
    labels,
    lookups: [
      { table: 'origin_delays_7d', timestampLookupKey: 'date' },
      { table: 'destination_delays_7d', timestampLookupKey: 'date' },
      { table: 'route_delays_7d', timestampLookupKey: 'date' },
    ],
  };
}
