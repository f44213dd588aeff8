import { useState } from 'react';

/**
 * Page tokens followed so far: `token` is the current page's (undefined for the first page).
 * `reset` goes back to the first page, for a new search or order.
 */
export function usePageTokens() {
  const [stack, setStack] = useState<string[]>([]);
  return {
    page: stack.length,
    token: stack[stack.length - 1],
    next: (t: string) => setStack((s) => [...s, t]),
    prev: () => setStack((s) => s.slice(0, -1)),
    reset: () => setStack([]),
  };
}
