export type { ArtifactEntry, ArtifactStore, Leftover, MultipartUploads, UploadedPart } from './port.js';
export { openArtifactStore, s3OptionsFromEnv, KNOWN_ARTIFACT_SCHEMES, type OpenArtifactStoreOptions } from './open.js';
export { LocalArtifactStore, openLocalArtifactStore } from './local-store.js';
export { S3ArtifactStore, openS3ArtifactStore, parseS3Uri, type S3ArtifactOptions } from './s3-store.js';
export { checkArtifactPath, joinArtifactPath, baseName, compareBytes, RESERVED_PREFIX } from './paths.js';
export { checkPartNumber, sortParts, MAX_PART_NUMBER } from './multipart.js';
export {
  MLFLOW_ARTIFACTS_SCHEME,
  isMlflowArtifactsUri,
  mlflowArtifactsUriToPath,
  pathToMlflowArtifactsUri,
  artifactUriToStorePath,
} from './uri.js';
export { guessContentType } from './content-type.js';
