import { ApiError, getToken } from '../lib/api.ts';

/** An error from the server, with its `error_code` and message; a hint for auth errors. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const code = error instanceof ApiError ? error.errorCode : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  // 401: no token, or one the server does not know; 403: a valid token without the permission.
  const status = error instanceof ApiError ? error.status : 0;
  return (
    <div className="error" role="alert">
      <strong className="error-code">{code}</strong> <span className="error-message">{message}</span>
      {status === 401 && (
        <div className="hint">
          {getToken() === ''
            ? 'This server needs an API token: enter one in the token field at the top right.'
            : 'The server did not accept the saved API token: sign out (top right) and enter another token.'}
        </div>
      )}
      {status === 403 && (
        <div className="hint">
          {getToken() === ''
            ? 'Anonymous callers may not do this here: enter an API token with the permission in the token field at the top right.'
            : 'The saved API token is valid but lacks the permission for this: ask an admin for it, or sign out and enter another token.'}
        </div>
      )}
    </div>
  );
}
