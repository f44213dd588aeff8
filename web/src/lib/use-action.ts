/** Run a form's action against the server: a busy flag while it runs and the error it ends with. */
import { useEffect, useState } from 'react';

export interface Action {
  /** True while an action runs (its buttons are disabled). */
  busy: boolean;
  /** The last action's error (shown by ErrorBox); undefined after a success or a new API token. */
  error: unknown;
  /** Run `action`, keeping its error instead of throwing it. */
  run(action: () => Promise<void>): Promise<void>;
}

/**
 * The state of a form that calls the server. The error is forgotten when the API token changes,
 * since the next try may be allowed.
 */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    const clear = () => setError(undefined);
    window.addEventListener('hangar-token', clear);
    return () => window.removeEventListener('hangar-token', clear);
  }, []);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
