/**
 * Client-side routing on the History API: the address bar holds real paths (`/experiments/1`),
 * which the server answers with index.html, so links can be shared and reloaded.
 */
import { useEffect, useState } from 'react';

const CHANGE = 'hangar-navigate';

/** Go to `to` (a path with an optional query) without reloading the page. */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

/**
 * MLflow's UI uses hash routes (`/#/experiments/1/runs/<id>`), and links in that form exist in
 * descriptions and tools; they map onto the same paths here.
 */
function adoptHashRoute(): void {
  const hash = window.location.hash;
  if (window.location.pathname === '/' && hash.startsWith('#/')) window.history.replaceState(null, '', hash.slice(1));
}

function current(): Location {
  adoptHashRoute();
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

/** The current location; re-renders on back/forward and on `navigate`. */
export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc(current());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return loc;
}

/**
 * Match `path` against a pattern such as `/experiments/:id/runs/:runId`; the parameters come
 * back decoded, or undefined when the path does not match.
 */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter((s) => s !== '');
  const got = path.split('/').filter((s) => s !== '');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) {
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) return undefined;
  }
  return params;
}

/** A path with its query string, leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s === '' ? path : `${path}?${s}`;
}
