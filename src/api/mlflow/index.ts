import type { ApiContext } from '../context.js';
import { registerExperimentRoutes } from './experiments.js';
import { registerRunRoutes } from './runs.js';
import { registerRegistryRoutes } from './registry.js';
import { registerLoggedModelRoutes } from './logged-models.js';
import { registerArtifactRoutes } from './artifacts.js';
import { registerGovernanceRoutes } from './governance.js';

/** All MLflow REST 2.0 routes. */
export function registerMlflowRoutes(ctx: ApiContext): void {
  registerExperimentRoutes(ctx);
  registerRunRoutes(ctx);
  registerRegistryRoutes(ctx);
  registerLoggedModelRoutes(ctx);
  registerArtifactRoutes(ctx);
  registerGovernanceRoutes(ctx);
}
