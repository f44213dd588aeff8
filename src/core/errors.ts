/**
 * One error type for the whole platform. Every failure a caller can act on is a HangarError
 * with a code from the closed union below; the HTTP status of each code lives in one table,
 * so a code without a status fails to compile. MLflow-compatible routes speak MLflow's codes
 * because its clients branch on them.
 */

export const ERROR_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  REQUEST_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  SCHEMA_OUT_OF_DATE: 503,
  DATA_EXPECTATION_FAILED: 400,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** What each code means, for the error catalogue in the documentation (kept in step by a test). */
export const ERROR_MEANING: Record<ErrorCode, string> = {
  INVALID_PARAMETER_VALUE: 'A request field is missing, has the wrong type or breaks a limit; the message names the field.',
  RESOURCE_ALREADY_EXISTS: 'An entity with that name or key exists already.',
  BAD_REQUEST: 'The request is malformed in a way that is not about one field.',
  UNAUTHENTICATED: 'The request carries no valid credentials.',
  PERMISSION_DENIED: 'The principal lacks the permission level the action needs.',
  RESOURCE_DOES_NOT_EXIST: 'The named experiment, run, model, version or artifact does not exist.',
  ENDPOINT_NOT_FOUND: 'No route matches the method and path.',
  RESOURCE_CONFLICT: 'The entity changed underneath the request; retry it.',
  PAYLOAD_TOO_LARGE: "The request body exceeds the server's size cap.",
  REQUEST_LIMIT_EXCEEDED: 'Too many requests.',
  INTERNAL_ERROR: 'An unexpected failure; the cause is logged on the server and not returned.',
  INVALID_STATE: 'The entity is in a state that does not allow the action.',
  NOT_IMPLEMENTED: 'The server does not support this operation with its current configuration.',
  TEMPORARILY_UNAVAILABLE: 'The server cannot serve the request right now.',
  SCHEMA_OUT_OF_DATE: 'The metadata database needs `hangar db upgrade`.',
  DATA_EXPECTATION_FAILED: 'Data broke an expectation declared with a dataset or feature table (schema, not-null, range, uniqueness, allowed values); the message names each column, and nothing was published.',
};

export class HangarError extends Error {
  readonly code: ErrorCode;
  /** The request field the error is about, when there is one. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HangarError';
    this.code = code;
    this.field = options?.field;
  }

  get httpStatus(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isHangarError(e: unknown): e is HangarError {
  return e instanceof HangarError;
}

/** Shorthand constructors for the codes domain code raises most. */
export const invalidParam = (message: string, field?: string): HangarError =>
  new HangarError('INVALID_PARAMETER_VALUE', message, field === undefined ? undefined : { field });
export const notFound = (message: string): HangarError => new HangarError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string): HangarError => new HangarError('RESOURCE_ALREADY_EXISTS', message);
