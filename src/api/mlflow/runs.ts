import type { ApiContext } from '../context.js';

export function registerRunRoutes(_ctx: ApiContext): void {}
