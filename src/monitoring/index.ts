/**
 * Monitoring: drift statistics (stats/), the two-file drift report behind `hangar monitor
 * drift` (drift/), and monitors over inference logs and tables (monitors/).
 */
export * from './stats/index.js';
export * from './drift/index.js';
export * from './monitors/index.js';
