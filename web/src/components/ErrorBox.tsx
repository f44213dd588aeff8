import { ApiError, getToken } from '../lib/api.ts';

/** An error from the server, with its `error_code` and message; a hint for auth errors. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const code = error instanceof ApiError ? error.errorCode : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  const auth = error instanceof ApiError && (error.status === 401 || error.status === 403);
  return (
    <div className="error" role="alert">
      <strong className="error-code">{code}</strong> <span className="error-message">{message}</span>
      {auth && (
        <div className="hint">
          {getToken() === ''
            ? 'This server needs an API token: enter one in the token field at the top right.'
            : 'The server did not accept the saved API token for this: sign out (top right) and enter another token.'}
        </div>
      )}
    </div>
  );
}
