import type { Readable } from 'node:stream';

/** One entry of a directory listing; `path` is the bare name relative to the listed directory. */
export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  /** Bytes; present for files only. */
  fileSize?: number;
}

/**
 * The artifact store port. Paths are relative to the store's root, use `/` separators, and
 * never start with `/` or contain `..` segments (adapters reject such paths with
 * INVALID_PARAMETER_VALUE). One adapter per backend (local disk, S3-compatible), chosen by URI
 * scheme; both pass the same behaviour suite.
 */
export interface ArtifactStore {
  /** The root URI this store writes under, e.g. `file:///…/artifacts` or `s3://bucket/prefix`. */
  readonly rootUri: string;
  /** Write a file, creating parent directories; an existing file is replaced atomically. */
  put(path: string, body: Buffer | Readable): Promise<void>;
  /** Read a file; RESOURCE_DOES_NOT_EXIST when it is missing or is a directory. */
  get(path: string): Promise<Readable>;
  /** Size and kind of a path, or null when nothing is there. */
  stat(path: string): Promise<{ isDir: boolean; size?: number } | null>;
  /**
   * Direct children of a directory, sorted by name in byte order; null when `path` is a file
   * or does not exist. `''` lists the root.
   */
  list(path: string): Promise<ArtifactEntry[] | null>;
  /** Delete a file or a directory tree; deleting nothing is not an error. */
  delete(path: string): Promise<void>;
  /** Close clients and release resources. */
  close(): Promise<void>;
}
