import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiClient, createToken, describeInChromium, logRun, newPage, openChromium, poll, screenshot, startUiServer, type ApiCall, type UiServer } from '../support/browser.js';
import type { ServerProcess } from '../support/process.js';

/**
 * The web UI in a real browser (Debian's Chromium driven by playwright-core) against a
 * `hangar server` process: experiments → runs table (search, sort, paging) → run page (metrics,
 * chart, params, tags, datasets, artifacts) → registered models → model page, plus error
 * display and the API token. Set HANGAR_UI_SCREENSHOTS=<dir> to keep a screenshot of each page.
 */
describeInChromium('web UI', () => {
  let ui: UiServer | undefined;
  let server: ServerProcess;
  let mlflow: ApiCall;
  let browser: Browser;
  let page: Page;
  let experimentId: string;
  const runs: Record<string, string> = {};
  let pageProblems: string[] = [];

  function createRun(name: string, params: Record<string, string>, metrics: Record<string, number[]>, finish: boolean): Promise<string> {
    const start = Date.now() - 60_000;
    return logRun(mlflow, experimentId, name, { start, params, metrics, tags: [{ key: 'team', value: 'vision' }], ...(finish ? { end: start + 42_000 } : {}) });
  }

  const shot = (name: string) => screenshot(page, `ui-${name}`);

  /** The texts of one column of the runs table, by its header text. */
  async function runsColumn(header: string): Promise<string[]> {
    const table = page.getByRole('table', { name: 'Runs' });
    const headers = await table.locator('thead tr:last-child th').allInnerTexts();
    const index = headers.findIndex((h) => h.replace(/[▲▼]/g, '').trim() === header);
    if (index < 0) throw new Error(`no column ${header} in ${JSON.stringify(headers)}`);
    return table.locator(`tbody tr td:nth-child(${index + 1})`).allInnerTexts();
  }

  beforeAll(async () => {
    ui = await startUiServer('hangar-e2e-ui-');
    server = ui.server;
    mlflow = apiClient(server.url);
    experimentId = (await mlflow<{ experiment_id: string }>('POST', 'experiments/create', { name: 'ui-e2e-vision' })).experiment_id;
    await mlflow('POST', 'experiments/create', { name: 'ui-e2e-other' });
    runs.alpha = await createRun('alpha-run', { lr: '0.1', model: 'tree' }, { rmse: [0.9, 0.7, 0.5, 0.45, 0.41], accuracy: [0.6, 0.7, 0.75] }, true);
    runs.beta = await createRun('beta-run', { lr: '0.01', model: 'linear' }, { rmse: [0.8, 0.5, 0.3, 0.25, 0.22] }, true);
    runs.gamma = await createRun('gamma-run', { lr: '0.5', model: 'tree' }, { rmse: [1.3] }, false);
    await mlflow('POST', 'runs/log-inputs', {
      run_id: runs.alpha,
      datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'flights-2024', digest: 'abc123', source_type: 'local', source: '/data/flights.parquet' } }],
    });
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runs.alpha}/artifacts/notes.txt`, { method: 'PUT', body: 'hello from the e2e test' });
    expect(put.status).toBe(200);
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><path d="M0 80 L120 0" stroke="black"/></svg>';
    const putSvg = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runs.alpha}/artifacts/plots/curve.svg`, { method: 'PUT', body: svg });
    expect(putSvg.status).toBe(200);
    await mlflow('POST', 'registered-models/create', { name: 'ui-e2e-model', description: 'flight delay regressor', tags: [{ key: 'owner', value: 'vision' }] });
    await mlflow('POST', 'model-versions/create', { name: 'ui-e2e-model', source: `mlflow-artifacts:/${experimentId}/${runs.alpha}/artifacts`, run_id: runs.alpha });
    await mlflow('POST', 'model-versions/create', { name: 'ui-e2e-model', source: `mlflow-artifacts:/${experimentId}/${runs.beta}/artifacts`, run_id: runs.beta });
    await mlflow('POST', 'model-versions/transition-stage', { name: 'ui-e2e-model', version: '1', stage: 'Staging', archive_existing_versions: false });
    await mlflow('POST', 'registered-models/alias', { name: 'ui-e2e-model', alias: 'candidate', version: '2' });
    await mlflow('POST', 'model-versions/set-tag', { name: 'ui-e2e-model', version: '2', key: 'validated', value: 'yes' });

    // Script errors and refused loads (the page's content security policy) fail the suite at the end.
    ({ browser, page, problems: pageProblems } = await openChromium());
  });

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
  });

  it('lists experiments and opens one on its runs table', async () => {
    await page.goto(`${server.url}/`);
    const experiments = page.getByRole('table', { name: 'Experiments' });
    await poll(() => experiments.locator('tbody tr').allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringContaining('ui-e2e-vision'), expect.stringContaining('ui-e2e-other'), expect.stringContaining('Default')]),
    );
    await shot('experiments');

    await page.getByRole('searchbox', { name: 'Search experiments' }).fill('vision');
    await page.getByRole('button', { name: 'Search' }).click();
    await poll(() => experiments.locator('tbody tr').count()).toBe(1);

    await page.getByRole('link', { name: 'ui-e2e-vision' }).click();
    await poll(() => page.locator('h1').innerText()).toBe('ui-e2e-vision');
    expect(new URL(page.url()).pathname).toBe(`/experiments/${experimentId}`);
    await poll(async () => (await runsColumn('Run name')).sort()).toEqual(['alpha-run', 'beta-run', 'gamma-run']);
    expect(await runsColumn('rmse')).toHaveLength(3);
    const byName = async (col: string) => {
      const names = await runsColumn('Run name');
      const values = await runsColumn(col);
      return Object.fromEntries(names.map((n, i) => [n, values[i]]));
    };
    expect(await byName('rmse')).toEqual({ 'alpha-run': '0.41', 'beta-run': '0.22', 'gamma-run': '1.3' });
    expect(await byName('accuracy')).toEqual({ 'alpha-run': '0.75', 'beta-run': '', 'gamma-run': '' });
    expect(await byName('lr')).toEqual({ 'alpha-run': '0.1', 'beta-run': '0.01', 'gamma-run': '0.5' });
    expect(await byName('Status')).toEqual({ 'alpha-run': 'FINISHED', 'beta-run': 'FINISHED', 'gamma-run': 'RUNNING' });
    expect(await byName('Duration')).toEqual({ 'alpha-run': '42.0s', 'beta-run': '42.0s', 'gamma-run': '' });
    await shot('runs');
  });

  it('sorts the runs by a metric, both ways', async () => {
    await page.goto(`${server.url}/experiments/${experimentId}`);
    const rmse = page.getByRole('table', { name: 'Runs' }).getByRole('button', { name: /^rmse/ });
    await rmse.click();
    await poll(() => runsColumn('Run name')).toEqual(['gamma-run', 'alpha-run', 'beta-run']);
    expect(new URL(page.url()).searchParams.get('order')).toBe('metrics.rmse DESC');
    await rmse.click();
    await poll(() => runsColumn('Run name')).toEqual(['beta-run', 'alpha-run', 'gamma-run']);
  });

  it('filters with MLflow search syntax and shows a bad filter as the server error', async () => {
    await page.goto(`${server.url}/experiments/${experimentId}`);
    const box = page.getByRole('searchbox', { name: 'Filter runs' });
    await box.fill("metrics.rmse < 1 and params.model = 'tree'");
    await box.press('Enter');
    await poll(() => runsColumn('Run name')).toEqual(['alpha-run']);
    expect(new URL(page.url()).searchParams.get('filter')).toBe("metrics.rmse < 1 and params.model = 'tree'");
    await shot('runs-filtered');

    await box.fill('metrics.rmse <<< 1');
    await box.press('Enter');
    const alert = page.getByRole('alert');
    await poll(() => alert.locator('.error-code').innerText()).toBe('INVALID_PARAMETER_VALUE');
    expect(await alert.locator('.error-message').innerText()).not.toBe('');
  });

  it('pages through the runs with page tokens', async () => {
    await page.goto(`${server.url}/experiments/${experimentId}?size=2`);
    await poll(() => runsColumn('Run name')).toHaveLength(2);
    const first = await runsColumn('Run name');
    await page.getByRole('button', { name: /Next/ }).click();
    await poll(() => runsColumn('Run name')).toHaveLength(1);
    const second = await runsColumn('Run name');
    expect([...first, ...second].sort()).toEqual(['alpha-run', 'beta-run', 'gamma-run']);
    expect(await page.getByRole('button', { name: /Next/ }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: /Previous/ }).click();
    await poll(() => runsColumn('Run name')).toEqual(first);
  });

  it('shows a run: metrics with a chart per metric, params, tags, datasets, artifacts', async () => {
    await page.goto(`${server.url}/experiments/${experimentId}`);
    await page.getByRole('link', { name: 'alpha-run' }).click();
    await poll(() => page.locator('h1').innerText()).toContain('alpha-run');
    expect(new URL(page.url()).pathname).toBe(`/experiments/${experimentId}/runs/${runs.alpha}`);

    const metrics = page.getByRole('table', { name: 'Metrics' });
    await poll(() => metrics.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^accuracy\s+0\.75\s+2/), expect.stringMatching(/^rmse\s+0\.41\s+4/)]);
    const charts = page.locator('figure.chart');
    await poll(() => charts.count()).toBe(2);
    const rmseChart = charts.filter({ hasText: 'rmse' });
    const d = await rmseChart.locator('path.line').getAttribute('d');
    // Five points: one move and four line segments.
    expect(d?.match(/[ML]/g)).toEqual(['M', 'L', 'L', 'L', 'L']);
    expect(await rmseChart.locator('.axis text').count()).toBeGreaterThan(4);
    const box = (await rmseChart.locator('svg').boundingBox())!;
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    await poll(() => rmseChart.locator('.hover text').textContent()).toBe('step 4: 0.41');

    expect(await page.getByRole('table', { name: 'Parameters' }).innerText()).toMatch(/lr\s+0\.1[\s\S]*model\s+tree/);
    expect(await page.getByRole('table', { name: 'Tags' }).innerText()).toMatch(/team\s+vision/);
    const datasets = await page.getByRole('table', { name: 'Datasets' }).locator('tbody tr').allInnerTexts();
    expect(datasets).toEqual([expect.stringMatching(/flights-2024\s+abc123\s+training\s+local\s+\/data\/flights\.parquet/)]);
    await poll(() => page.getByRole('table', { name: 'Registered model versions' }).innerText()).toMatch(/ui-e2e-model\s+Version 1\s+Staging/);
    expect(await page.title()).toBe('alpha-run · Hangar');

    // Artifacts: a text file opens below the list; a folder opens in place; an SVG shows as an image.
    const artifacts = page.getByRole('table', { name: 'Artifacts' });
    await artifacts.getByRole('button', { name: 'notes.txt' }).click();
    const preview = page.getByRole('region', { name: 'Preview of notes.txt' });
    await poll(() => preview.locator('pre').textContent()).toBe('hello from the e2e test');
    expect(await preview.getByRole('link', { name: 'Download' }).getAttribute('href')).toBe(`/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runs.alpha}/artifacts/notes.txt`);
    await shot('run');
    await artifacts.getByRole('button', { name: 'plots/' }).click();
    await artifacts.getByRole('button', { name: 'curve.svg' }).click();
    const image = page.getByRole('region', { name: 'Preview of curve.svg' }).locator('img');
    await poll(() => image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(120);
    expect(await image.getAttribute('src')).toMatch(/^blob:/);
  });

  it('lists registered models and shows a model with its versions, stages, aliases and source runs', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'Models' }).click();
    const models = page.getByRole('table', { name: 'Registered models' });
    await poll(() => models.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/ui-e2e-model\s+Version 2\s+Version 1\s+@candidate: v2/)]);
    await shot('models');

    await page.getByRole('link', { name: 'ui-e2e-model' }).click();
    await poll(() => page.locator('h1').innerText()).toBe('ui-e2e-model');
    const versions = page.getByRole('table', { name: 'Model versions' });
    await poll(() => versions.locator('tbody tr').count()).toBe(2);
    const rows = await versions.locator('tbody tr').allInnerTexts();
    expect(rows[0]).toMatch(/Version 2\s+None\s+@candidate\s+READY/);
    expect(rows[0]).toContain('validated: yes');
    expect(rows[1]).toMatch(/Version 1\s+Staging\s+READY/);
    expect(await page.getByText('flight delay regressor').count()).toBe(1);
    expect(await page.getByRole('table', { name: 'Model tags' }).innerText()).toMatch(/owner\s+vision/);
    await shot('model');

    await versions.locator('tbody tr').nth(1).getByRole('link', { name: runs.alpha!.slice(0, 8) }).click();
    await poll(() => page.locator('h1').innerText()).toContain('alpha-run');
    expect(new URL(page.url()).pathname).toBe(`/runs/${runs.alpha}`);
  });

  it('opens MLflow-style hash links (/#/experiments/<id>/runs/<run id>) on the same page', async () => {
    await page.goto(`${server.url}/#/experiments/${experimentId}/runs/${runs.beta}`);
    await poll(() => page.locator('h1').innerText()).toContain('beta-run');
    expect(new URL(page.url()).pathname).toBe(`/experiments/${experimentId}/runs/${runs.beta}`);
  });

  it('shows the server error for a missing experiment, and client routes survive a reload', async () => {
    await page.goto(`${server.url}/experiments/987654`);
    await poll(() => page.getByRole('alert').locator('.error-code').innerText()).toBe('RESOURCE_DOES_NOT_EXIST');
    await page.goto(`${server.url}/models/ui-e2e-model`);
    await page.reload();
    await poll(() => page.getByRole('table', { name: 'Model versions' }).locator('tbody tr').count()).toBe(2);
  });

  it('sends the API token the user entered as a bearer token, and forgets it on sign-out', async () => {
    const seen: Array<string | undefined> = [];
    page.on('request', (r) => {
      if (r.url().includes('/ajax-api/')) seen.push(r.headers().authorization);
    });
    await page.goto(`${server.url}/models`);
    await poll(() => page.getByRole('table', { name: 'Registered models' }).locator('tbody tr').count()).toBe(1);
    expect(seen.every((h) => h === undefined)).toBe(true);

    await page.getByRole('textbox', { name: 'API token' }).fill('not-a-real-token');
    await page.getByRole('button', { name: 'Use' }).click();
    // The server does not know the token: the page says so, with the hint about the token field.
    const alert = page.getByRole('alert');
    await poll(() => alert.locator('.error-code').innerText()).toBe('UNAUTHENTICATED');
    expect(await alert.innerText()).toContain('did not accept the saved API token');
    expect(seen).toContain('Bearer not-a-real-token');
    expect(await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('hangar.token'))).toBe('not-a-real-token');
    await shot('token-error');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await poll(() => page.getByRole('table', { name: 'Registered models' }).locator('tbody tr').count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('hangar.token'))).toBeNull();
  });

  it('ran every page without script errors or refused loads', () => {
    expect(pageProblems).toEqual([]);
  });

  it('reads a model on an --auth server only with a valid token entered in the header', async () => {
    let token = '';
    const secured = await startUiServer('hangar-e2e-ui-auth-', ['--auth', '--default-permission', 'NO_PERMISSIONS'], (home) => (token = createToken(home, 'ui-admin', true).token));
    const authPage = await newPage(browser);
    try {
      await apiClient(secured.server.url, token)('POST', 'registered-models/create', { name: 'ui-e2e-secret-model', description: 'only for token holders' });

      await authPage.goto(`${secured.server.url}/models/ui-e2e-secret-model`);
      const alert = authPage.getByRole('alert').first();
      await poll(() => alert.locator('.error-code').innerText()).toBe('UNAUTHENTICATED');
      expect(await alert.innerText()).toContain('enter one in the token field');

      await authPage.getByRole('textbox', { name: 'API token' }).fill(token);
      await authPage.getByRole('button', { name: 'Use' }).click();
      await poll(() => authPage.getByText('only for token holders').count()).toBe(1);
      expect(await authPage.getByRole('alert').count()).toBe(0);
    } finally {
      await authPage.close();
      await secured.close();
    }
  });
});
