import type { ReactNode } from 'react';
import { match, useLocation } from './lib/router.ts';
import { Layout } from './components/Layout.tsx';
import { Link } from './components/Link.tsx';
import { ExperimentsPage } from './pages/ExperimentsPage.tsx';
import { ExperimentRunsPage } from './pages/ExperimentRunsPage.tsx';
import { RunPage } from './pages/RunPage.tsx';
import { ModelsPage } from './pages/ModelsPage.tsx';
import { ModelPage } from './pages/ModelPage.tsx';

type Params = Record<string, string>;

/** The route table: a path pattern and the page it shows. New pages add a line here. */
const ROUTES: Array<[string, (p: Params, query: URLSearchParams) => ReactNode]> = [
  ['/', (_p, q) => <ExperimentsPage query={q} />],
  ['/experiments', (_p, q) => <ExperimentsPage query={q} />],
  ['/experiments/:id', (p, q) => <ExperimentRunsPage key={p.id} experimentId={p.id as string} query={q} />],
  ['/experiments/:id/runs/:runId', (p) => <RunPage key={p.runId} runId={p.runId as string} />],
  ['/runs/:runId', (p) => <RunPage key={p.runId} runId={p.runId as string} />],
  ['/models', (_p, q) => <ModelsPage query={q} />],
  ['/models/:name', (p) => <ModelPage key={p.name} name={p.name as string} />],
];

function NotFound({ path }: { path: string }) {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <span className="mono">{path}</span>. Go to the <Link to="/">experiments</Link> or the <Link to="/models">models</Link>.
      </p>
    </section>
  );
}

export function App() {
  const { path, query } = useLocation();
  let page: ReactNode = <NotFound path={path} />;
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params !== undefined) {
      page = render(params, query);
      break;
    }
  }
  return <Layout path={path}>{page}</Layout>;
}
