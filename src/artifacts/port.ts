import type { Readable } from 'node:stream';

/** One entry of a directory listing; `path` is the bare name relative to the listed directory. */
export interface ArtifactEntry {
  /** The entry's name, without the listed directory in front. */
  path: string;
  /** True for a directory (a key prefix on S3). */
  isDir: boolean;
  /** Bytes; present for files only. */
  fileSize?: number;
}

/** A part of a multipart upload as the client reports it on completion. */
export interface UploadedPart {
  /** 1-based position of the part in the file (1 to 10000). */
  partNumber: number;
  /** The ETag `uploadPart` returned for it; surrounding quotes are ignored. */
  etag: string;
}

/**
 * Multipart uploads: a large file arrives as numbered parts, each its own request, and appears
 * at its path only when the upload completes (atomically: readers see the old file or the whole
 * new one). Adapters stage the parts where their backend can (a staging directory on local
 * disk, S3's own multipart upload), so no presigned URLs are needed.
 */
export interface MultipartUploads {
  /**
   * Start an upload to `path` (a file path; parents are created on completion) and return its
   * id. INVALID_PARAMETER_VALUE for a bad path.
   */
  create(path: string): Promise<string>;
  /**
   * Stage part `partNumber` (1 to 10000) of an upload and return its ETag. Uploading a part
   * number again replaces it. RESOURCE_DOES_NOT_EXIST when the upload is unknown, finished, or
   * was created for another path (as S3 ties an upload id to its key).
   */
  uploadPart(path: string, uploadId: string, partNumber: number, body: Buffer | Readable): Promise<string>;
  /**
   * Assemble the listed parts, in part-number order, into the file at `path` and discard the
   * staging. INVALID_PARAMETER_VALUE when the list is empty, repeats a part number, names a part
   * that was not uploaded or an ETag that does not match; RESOURCE_DOES_NOT_EXIST when the upload
   * is unknown, finished or for another path.
   */
  complete(path: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
  /** Discard an upload and its staged parts. An unknown or finished upload is not an error. */
  abort(path: string, uploadId: string): Promise<void>;
}

/** Something an interrupted write left behind, found (and removed) by `sweepLeftovers`. */
export interface Leftover {
  /**
   * `upload`: a multipart upload that was never completed or aborted, with its staged parts.
   * `temp`: the temp file of an atomic write that never reached its rename (local disk only).
   */
  kind: 'upload' | 'temp';
  /** For an upload, the store path it was for; for a temp file, its own path under the root. */
  path: string;
  /** The upload's id; absent for temp files. */
  uploadId?: string;
  /**
   * Epoch ms the age is measured from: the last change to the upload or temp file on local
   * disk; on S3, when the upload was started (S3 lists no later time, and its own lifecycle
   * rule for incomplete uploads counts from there too).
   */
  lastModified: number;
  /** Bytes staged, where the backend says without extra calls (local disk). */
  bytes?: number;
}

/**
 * The artifact store port. Paths are relative to the store's root, use `/` separators, and
 * never start with `/` or contain `..` segments (adapters reject such paths with
 * INVALID_PARAMETER_VALUE; the full rules are in `paths.ts`). One adapter per backend (local
 * disk, S3-compatible), chosen by URI scheme; both pass the same behaviour suite.
 */
export interface ArtifactStore {
  /** The root URI this store writes under, e.g. `file:///…/artifacts` or `s3://bucket/prefix`. */
  readonly rootUri: string;
  /**
   * Write a file, creating parent directories; an existing file is replaced atomically (a
   * reader sees the old bytes or the new ones, never a mix). A stream is consumed as it
   * arrives; if it fails, nothing is written. INVALID_PARAMETER_VALUE when a directory is at
   * `path` (local disk; S3 has no such conflict).
   */
  put(path: string, body: Buffer | Readable): Promise<void>;
  /** Read a file as a stream; RESOURCE_DOES_NOT_EXIST when it is missing or is a directory. */
  get(path: string): Promise<Readable>;
  /** Size and kind of a path, or null when nothing is there. `''` is the root, always a directory. */
  stat(path: string): Promise<{ isDir: boolean; size?: number } | null>;
  /**
   * Direct children of a directory, sorted by name in byte order; null when `path` is a file
   * or does not exist. `''` lists the root (an empty store lists as `[]`).
   */
  list(path: string): Promise<ArtifactEntry[] | null>;
  /**
   * Delete a file or a directory tree; deleting nothing is not an error. Directories left
   * empty are removed too, so local disk and S3 (where directories are only key prefixes)
   * agree on what exists. The root cannot be deleted (INVALID_PARAMETER_VALUE).
   */
  delete(path: string): Promise<void>;
  /**
   * Multipart uploads, when the backend can stage parts; absent otherwise, and the API then
   * answers `mpu/create` with NOT_IMPLEMENTED so MLflow clients fall back to one PUT.
   */
  readonly multipart?: MultipartUploads;
  /**
   * Find what interrupted writes left behind and last changed before `before` (epoch ms), and
   * remove it unless `dryRun`. Committed files are never touched, nor anything younger. Returns
   * what was (or, with `dryRun`, would be) removed, oldest first. Absent on stores that leave
   * nothing behind.
   */
  sweepLeftovers?(options: { before: number; dryRun?: boolean }): Promise<Leftover[]>;
  /** Close clients and release resources. */
  close(): Promise<void>;
}
