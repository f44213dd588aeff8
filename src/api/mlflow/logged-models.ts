import type { ApiContext } from '../context.js';

export function registerLoggedModelRoutes(_ctx: ApiContext): void {}
