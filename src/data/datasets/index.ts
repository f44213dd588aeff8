/** Versioned datasets: registration, profiles, expectations at ingestion, resolution (issue 4). */
export { resolveDataset } from './resolve.js';
export type { ResolvedDataset, DatasetColumn } from './types.js';
