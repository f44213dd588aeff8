import { useState, type FormEvent, type ReactNode } from 'react';
import { getToken, setToken } from '../lib/api.ts';
import { Link } from './Link.tsx';

const NAV = [
  { to: '/', label: 'Experiments', active: (p: string) => p === '/' || p.startsWith('/experiments') || p.startsWith('/runs') },
  { to: '/models', label: 'Models', active: (p: string) => p.startsWith('/models') },
  { to: '/monitors', label: 'Monitors', active: (p: string) => p.startsWith('/monitors') },
  { to: '/datasets', label: 'Datasets', active: (p: string) => p.startsWith('/datasets') },
  { to: '/features', label: 'Features', active: (p: string) => p.startsWith('/features') || p.startsWith('/training-sets') },
  { to: '/audit', label: 'Audit', active: (p: string) => p.startsWith('/audit') },
];

/** The API token field: saved in localStorage and sent as `Authorization: Bearer …`. */
function TokenField() {
  const [saved, setSaved] = useState(getToken);
  const [draft, setDraft] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setToken(draft.trim());
    setSaved(draft.trim());
    setDraft('');
  };
  if (saved !== '') {
    return (
      <div className="token">
        <span className="muted">token set</span>
        <button type="button" onClick={() => (setToken(''), setSaved(''))}>
          Sign out
        </button>
      </div>
    );
  }
  return (
    <form className="token" onSubmit={submit}>
      <input type="password" placeholder="API token (optional)" aria-label="API token" value={draft} onChange={(e) => setDraft(e.target.value)} autoComplete="off" />
      <button type="submit" disabled={draft.trim() === ''}>
        Use
      </button>
    </form>
  );
}

/** The page frame: header with the product name, navigation and the token field. */
export function Layout({ path, children }: { path: string; children: ReactNode }) {
  return (
    <>
      <header className="top">
        <Link to="/" className="brand">
          Hangar
        </Link>
        <nav>
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} className={n.active(path) ? 'active' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <TokenField />
      </header>
      <main>{children}</main>
    </>
  );
}
