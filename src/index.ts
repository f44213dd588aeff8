/**
 * `hangar`: the platform as a library. Start a server in-process (what `hangar server` and
 * `hangar demo` do), or talk to one with the SDK (also published alone as `hangar/client`).
 *
 * ```ts
 * import { loadConfig, startServer, HangarClient } from 'hangar';
 * const server = await startServer(loadConfig({ home: './.hangar', port: 0 }));
 * const client = new HangarClient(server.url);
 * ```
 */
export { loadConfig, defaultBackendStoreUri, defaultArtifactsDestination, type Config, type ConfigInput } from './core/config.js';
export { HangarError, isHangarError, ERROR_STATUS, ERROR_MEANING, type ErrorCode } from './core/errors.js';
export { createServer, HANGAR_VERSION, MLFLOW_COMPAT_VERSION, type ServerDeps } from './api/server.js';
export { startServer, openCheckedStore, type RunningServer, type StartServerOptions } from './cli/serve.js';
export { collectGarbage, type GcOptions, type GcResult } from './cli/gc.js';
export { runCli, createProgram, type CliIo } from './cli/program.js';
export { runDemoScenario, type DemoOptions, type DemoResult } from './demo/scenario.js';
export { runMainJob, type MainJobOptions, type MainJobResult } from './demo/main-job.js';
export * from './validation/index.js';
export { HangarClient, ApiError, isApiError, parseModelUri, type HangarClientOptions } from './client/index.js';
export type { Store } from './store/index.js';
export type { ArtifactStore } from './artifacts/index.js';
