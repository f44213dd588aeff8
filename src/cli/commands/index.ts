import type { CommandContext } from './context.js';
import { registerModelCommands } from './models.js';
import { registerValidationCommands } from './validation.js';
import { registerGovernanceCommands } from './governance.js';
import { registerAuditCommands } from './audit.js';
import { registerDatasetCommands } from './datasets.js';
import { registerFeatureCommands } from './features.js';
import { registerMonitorCommands } from './monitor.js';
import { registerMonitorsCommands } from './monitors.js';
import { registerOnlineCommands } from './online.js';
import { registerServingCommands } from './serving.js';

export type { CommandContext } from './context.js';

/**
 * Command modules, one file per capability, so that each area adds its commands without
 * touching the others. Helpers for options and clients are exported from program.ts.
 */
export function registerCommandModules(ctx: CommandContext): void {
  registerModelCommands(ctx);
  registerValidationCommands(ctx);
  registerGovernanceCommands(ctx);
  registerAuditCommands(ctx);
  registerDatasetCommands(ctx);
  registerFeatureCommands(ctx);
  registerMonitorCommands(ctx);
  registerMonitorsCommands(ctx);
  registerOnlineCommands(ctx);
  registerServingCommands(ctx);
}
