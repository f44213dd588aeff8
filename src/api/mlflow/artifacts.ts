import type { ApiContext } from '../context.js';

export function registerArtifactRoutes(_ctx: ApiContext): void {}
