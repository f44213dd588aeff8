import type { ReactNode } from 'react';
import { match, useLocation } from './lib/router.ts';
import { Layout } from './components/Layout.tsx';
import { Link } from './components/Link.tsx';
import { ExperimentsPage } from './pages/ExperimentsPage.tsx';
import { ExperimentRunsPage } from './pages/ExperimentRunsPage.tsx';
import { RunPage } from './pages/RunPage.tsx';
import { CompareRunsPage } from './pages/CompareRunsPage.tsx';
import { ModelsPage } from './pages/ModelsPage.tsx';
import { ModelPage } from './pages/ModelPage.tsx';
import { ModelVersionPage } from './pages/ModelVersionPage.tsx';
import { AuditPage } from './pages/AuditPage.tsx';
import { MonitorsPage } from './pages/MonitorsPage.tsx';
import { MonitorPage } from './pages/MonitorPage.tsx';
import { DatasetsPage } from './pages/DatasetsPage.tsx';
import { DatasetPage } from './pages/DatasetPage.tsx';
import { FeaturesPage } from './pages/FeaturesPage.tsx';
import { FeatureTablePage } from './pages/FeatureTablePage.tsx';
import { TrainingSetPage } from './pages/TrainingSetPage.tsx';

type Params = Record<string, string>;

/** The route table: a path pattern and the page it shows. New pages add a line here. */
const ROUTES: Array<[string, (p: Params, query: URLSearchParams) => ReactNode]> = [
  ['/', (_p, q) => <ExperimentsPage query={q} />],
  ['/experiments', (_p, q) => <ExperimentsPage query={q} />],
  ['/experiments/:id', (p, q) => <ExperimentRunsPage key={p.id} experimentId={p.id as string} query={q} />],
  ['/experiments/:id/runs/:runId', (p) => <RunPage key={p.runId} runId={p.runId as string} />],
  ['/runs/:runId', (p) => <RunPage key={p.runId} runId={p.runId as string} />],
  ['/compare', (_p, q) => <CompareRunsPage key={q.get('runs') ?? ''} query={q} />],
  ['/compare-runs', (_p, q) => <CompareRunsPage key={q.get('runs') ?? ''} query={q} />],
  ['/models', (_p, q) => <ModelsPage query={q} />],
  ['/models/:name', (p) => <ModelPage key={p.name} name={p.name as string} />],
  ['/models/:name/versions/:version', (p) => <ModelVersionPage key={`${p.name}/${p.version}`} name={p.name as string} version={p.version as string} />],
  ['/audit', (_p, q) => <AuditPage key={q.toString()} query={q} />],
  ['/monitors', () => <MonitorsPage />],
  ['/monitors/:name', (p) => <MonitorPage key={p.name} name={p.name as string} />],
  ['/datasets', (_p, q) => <DatasetsPage key={q.get('q') ?? ''} query={q} />],
  ['/datasets/:name', (p, q) => <DatasetPage key={p.name} name={p.name as string} query={q} />],
  ['/features', () => <FeaturesPage />],
  ['/features/:table', (p) => <FeatureTablePage key={p.table} name={p.table as string} />],
  ['/training-sets/:id', (p) => <TrainingSetPage key={p.id} id={p.id as string} />],
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
