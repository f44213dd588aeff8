import type { ApiContext } from '../context.js';
import { installGovernance } from './auth.js';
import { registerHangarRoutes } from './routes.js';
import { registerMonitorRoutes } from './monitors-routes.js';
import { registerInferenceRoutes } from './inference-routes.js';
import { registerOnlineRoutes } from './online-routes.js';
import { registerDatasetRoutes } from './datasets-routes.js';
import { registerFeatureRoutes } from './features-routes.js';

export { principalOf, governanceOf } from './auth.js';
export { HANGAR_API, hangarRoute } from './routes.js';

/**
 * Governance on the server: authentication, permission checks, registry events, and Hangar's
 * routes under `/api/2.0/hangar`. Registered after the MLflow routes.
 */
export function registerHangar(ctx: ApiContext): void {
  installGovernance(ctx);
  registerHangarRoutes(ctx);
  registerInferenceRoutes(ctx);
  registerOnlineRoutes(ctx);
  registerDatasetRoutes(ctx);
  registerFeatureRoutes(ctx);
  registerMonitorRoutes(ctx);
}
