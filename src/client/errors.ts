import { ERROR_STATUS, HangarError, type ErrorCode } from '../core/errors.js';

/**
 * An error answer from the server. It is a HangarError with the server's `error_code`, so code
 * can branch on `code` whether an error came from the network or from in-process code; the
 * HTTP status and the code exactly as the server spelled it are kept too.
 */
export class ApiError extends HangarError {
  /** HTTP status of the response (0 when the server was not reached). */
  readonly status: number;
  /** The `error_code` as the server sent it, even when Hangar has no code of that name. */
  readonly serverCode: string;
  /** Method and URL of the failed request, for diagnostics. */
  readonly request: string;

  constructor(code: ErrorCode, message: string, opts: { status: number; serverCode?: string; request: string; cause?: unknown }) {
    super(code, message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ApiError';
    this.status = opts.status;
    this.serverCode = opts.serverCode ?? code;
    this.request = opts.request;
  }

  override get httpStatus(): number {
    return this.status === 0 ? super.httpStatus : this.status;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

// MLflow servers answer a few codes Hangar does not define itself (mlflow-wire.md 1.6); map them
// to Hangar's nearest so callers can branch on one closed set.
const ALIASES: Record<string, ErrorCode> = {
  NOT_FOUND: 'RESOURCE_DOES_NOT_EXIST',
  ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  CUSTOMER_UNAUTHORIZED: 'UNAUTHENTICATED',
  ABORTED: 'RESOURCE_CONFLICT',
  RESOURCE_EXHAUSTED: 'REQUEST_LIMIT_EXCEEDED',
  DEADLINE_EXCEEDED: 'TEMPORARILY_UNAVAILABLE',
  DATA_LOSS: 'INTERNAL_ERROR',
};

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      // A 404 without an MLflow error body is a route the server does not have (an older server).
      return 'ENDPOINT_NOT_FOUND';
    case 409:
      return 'RESOURCE_CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 429:
      return 'REQUEST_LIMIT_EXCEEDED';
    case 501:
      return 'NOT_IMPLEMENTED';
    case 502:
    case 503:
    case 504:
      return 'TEMPORARILY_UNAVAILABLE';
    default:
      return status >= 400 && status < 500 ? 'BAD_REQUEST' : 'INTERNAL_ERROR';
  }
}

/** Turn a non-2xx response body into an ApiError. */
export function errorFromResponse(status: number, bodyText: string, request: string): ApiError {
  let serverCode: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(bodyText) as { error_code?: unknown; message?: unknown };
    if (typeof body.error_code === 'string') serverCode = body.error_code;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON (a proxy's HTML page, an older server's 404): fall through to the status.
  }
  const code: ErrorCode =
    serverCode !== undefined && serverCode in ERROR_STATUS
      ? (serverCode as ErrorCode)
      : serverCode !== undefined && ALIASES[serverCode] !== undefined
        ? ALIASES[serverCode]!
        : codeForStatus(status);
  const text = message ?? (bodyText.trim().length > 0 && bodyText.length < 300 && !bodyText.includes('<') ? bodyText.trim() : `HTTP ${status} from ${request}`);
  return new ApiError(code, text, { status, ...(serverCode === undefined ? {} : { serverCode }), request });
}
