/**
 * The model registry domain: stage and alias rules, registry tag rules, model URIs and how a new
 * version's source resolves to files. The HTTP layer (`src/api/mlflow/registry.ts`) and the
 * SDK/CLI use it through this file only.
 */
export { ARCHIVABLE_STAGES, checkArchiveExisting, isStage, parseStage } from './stages.js';
export { MAX_ALIAS_LENGTH, validateAliasName } from './aliases.js';
export { formatModelUri, isModelUri, parseModelUri, type ModelUri } from './model-uri.js';
export {
  MAX_REGISTRY_TAG_KEY_LENGTH,
  MAX_REGISTRY_TAG_VALUE_LENGTH,
  dedupeTags,
  validateRegistryTag,
  validateTagKey,
} from './tags.js';
export { checkSourcePath, resolveVersionSource, type ResolvedSource } from './sources.js';
