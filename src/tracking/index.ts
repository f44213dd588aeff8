/** Tracking domain: the rules behind experiments, runs, params, metrics, tags and dataset inputs. */
export * from './limits.js';
export * from './validate.js';
export * from './runs.js';
