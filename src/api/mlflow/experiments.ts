import type { ApiContext } from '../context.js';

export function registerExperimentRoutes(_ctx: ApiContext): void {}
