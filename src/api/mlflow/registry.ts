import type { ApiContext } from '../context.js';

export function registerRegistryRoutes(_ctx: ApiContext): void {}
