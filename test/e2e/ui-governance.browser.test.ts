import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeLogFixture } from '../../src/monitoring/monitors/test-data.js';
import { apiClient, createToken, describeInChromium, newPage, openChromium, poll, screenshot, startUiServer, type ApiCall, type UiServer } from '../support/browser.js';
import type { ServerProcess } from '../support/process.js';

/**
 * The governance, monitoring and data pages of the web UI in Chromium against a `hangar server`
 * process: a model version's transition request approved through the page (the stage change
 * checked through the API), a request filed and one rejected, the audit trail, a monitor with
 * results (chart with its threshold, windows, alerts, report links), a dataset with its profile,
 * and a feature table with a sensitive feature, its services and its online state.
 * Screenshots go to HANGAR_UI_SCREENSHOTS=<dir> when set.
 */
const MODEL = 'ui-gov-model';

describeInChromium('web UI governance, monitoring and data pages', () => {
  let ui: UiServer | undefined;
  let server: ServerProcess;
  let home: string;
  let api: ApiCall;
  let dir: string;
  let browser: Browser;
  let page: Page;
  let runId: string;
  let trainingSetId: string;
  let pageProblems: string[] = [];

  const stageOf = async (version: string) =>
    (await api<{ model_version: { current_stage: string } }>('GET', `model-versions/get?name=${MODEL}&version=${version}`)).model_version.current_stage;

  const shot = (name: string) => screenshot(page, `ui2-${name}`);

  beforeAll(async () => {
    ui = await startUiServer('hangar-e2e-ui2-');
    ({ server, home } = ui);
    api = apiClient(server.url);
    dir = mkdtempSync(join(tmpdir(), 'hangar-e2e-ui2-data-'));

    // A model with two versions; version 1 has an open request to Staging, version 2 one to Production.
    const { experiment_id: exp } = await api<{ experiment_id: string }>('POST', 'experiments/create', { name: 'ui2-training' });
    runId = (await api<{ run: { info: { run_id: string } } }>('POST', 'runs/create', { experiment_id: exp, run_name: 'ui2-train-run', start_time: Date.now() })).run.info.run_id;
    await api('POST', 'registered-models/create', { name: MODEL });
    await api('POST', 'model-versions/create', { name: MODEL, source: `mlflow-artifacts:/${exp}/${runId}/artifacts/model`, run_id: runId });
    await api('POST', 'model-versions/create', { name: MODEL, source: `mlflow-artifacts:/${exp}/${runId}/artifacts/model` });
    await api('POST', 'transition-requests/create', { name: MODEL, version: '1', stage: 'Staging', comment: 'offline metrics look good' });
    await api('POST', 'transition-requests/create', { name: MODEL, version: '2', stage: 'Production', comment: 'skip staging please' });
    await api('POST', 'comments/create', { name: MODEL, version: '1', comment: 'checked the feature lineage' });
    // Version 3 has a recorded compliance verdict (it has no model files, so some rules fail).
    await api('POST', 'model-versions/create', { name: MODEL, source: `mlflow-artifacts:/${exp}/${runId}/artifacts/model`, run_id: runId, description: 'with compliance' });
    await api('POST', '/api/2.0/hangar/validation/compliance/run', { name: MODEL, version: '3' });

    // A dataset registered from a CSV file on the server.
    writeFileSync(join(dir, 'flights.csv'), ['origin,day,delay', ...Array.from({ length: 40 }, (_, i) => `${['SFO', 'LAX', 'JFK', 'SFO'][i % 4]},2024-01-0${1 + (i % 5)},${(i * 7) % 60 - 10}`)].join('\n'));
    await api('POST', '/api/2.0/hangar/datasets/create', { name: 'ui2-flights', path: join(dir, 'flights.csv'), description: 'flights for the UI test', tags: [{ key: 'owner', value: 'data-eng' }] });

    // A feature table over it, with a sensitive feature, a feature service, computed and materialised online.
    await api('POST', '/api/2.0/hangar/features/tables/apply', {
      tables: [
        {
          name: 'ui2_origin_daily',
          keys: ['origin'],
          timestamp_key: 'day',
          features: [
            { name: 'avg_delay', type: 'double', description: 'mean departure delay' },
            { name: 'flights', type: 'long', tags: { pii: 'true' } },
          ],
          source: "select origin, day::TIMESTAMP as day, avg(delay)::DOUBLE as avg_delay, count(*) as flights from dataset('ui2-flights') group by all",
          ttl: '7d',
          owner: 'data-eng',
          tags: { domain: 'flights' },
        },
      ],
      services: [{ name: 'ui2_delay_model_v1', features: ['ui2_origin_daily:*'], owner: 'ml' }],
    });
    await api('POST', '/api/2.0/hangar/features/tables/compute', { name: 'ui2_origin_daily', end: '2024-02-01T00:00:00Z' });
    writeFileSync(join(dir, 'labels.csv'), 'origin,day,late\nSFO,2024-01-03 12:00:00,1\nLAX,2024-01-04 12:00:00,0\n');
    trainingSetId = (
      await api<{ training_set: { training_set_id: string } }>('POST', '/api/2.0/hangar/features/training-sets/create', {
        labels: join(dir, 'labels.csv'),
        lookups: [{ table: 'ui2_origin_daily' }],
        run_id: runId,
      })
    ).training_set.training_set_id;
    await api('POST', '/api/2.0/hangar/features/online/materialize', { tables: ['ui2_origin_daily'], start: '2024-01-01T00:00:00Z', end: '2024-02-01T00:00:00Z' });

    // A monitor over the model's inference log: version 2 serves from day 4, accuracy collapses from day 6, so the alert fires.
    const day = join(home, 'artifacts', 'inference-log', MODEL, 'date=2026-05-01');
    mkdirSync(day, { recursive: true });
    await writeLogFixture(join(day, '1-0.parquet'), { start: '2026-05-01', days: 8, rowsPerDay: 60, driftFromDay: 6, version2FromDay: 4 });
    await api('POST', '/api/2.0/hangar/monitors/create', {
      name: 'ui2-quality',
      source: { inference_log: { model: MODEL } },
      profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
      alert_rules: [{ name: 'accuracy', metric: 'accuracy_score', direction: 'below', threshold: 0.7, num_evaluation_windows: 3, num_violation_windows: 2 }],
    });
    const { run } = await api<{ run: { status: string } }>('POST', '/api/2.0/hangar/monitors/run', { name: 'ui2-quality' });
    expect(run.status).toBe('SUCCEEDED');

    ({ browser, page, problems: pageProblems } = await openChromium());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('opens a version from the model page and approves its transition request with a comment', async () => {
    await page.goto(`${server.url}/models/${MODEL}`);
    await page.getByRole('table', { name: 'Model versions' }).getByRole('link', { name: 'Version 1' }).click();
    await poll(() => page.locator('h1').innerText()).toContain(`${MODEL} version 1`);
    expect(new URL(page.url()).pathname).toBe(`/models/${MODEL}/versions/1`);
    // The source run links to the run page.
    expect(await page.getByRole('link', { name: runId }).getAttribute('href')).toBe(`/runs/${runId}`);

    const requests = page.getByRole('table', { name: 'Transition requests' });
    await poll(() => requests.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/Staging\s+anonymous[\s\S]*offline metrics look good\s+OPEN/)]);
    const activities = page.getByRole('table', { name: 'Activities' });
    await poll(() => activities.innerText()).toContain('checked the feature lineage');
    await shot('version-open-request');

    expect(await stageOf('1')).toBe('None');
    await requests.getByRole('textbox', { name: /Comment on request/ }).fill('approved after review');
    await requests.getByRole('button', { name: 'Approve' }).click();
    await poll(() => page.getByLabel('Current stage').innerText()).toBe('Staging');
    expect(await stageOf('1')).toBe('Staging');
    await poll(() => page.getByText('No open transition requests.').count()).toBe(1);
    await poll(() => activities.locator('tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/APPROVED_REQUEST\s+anonymous\s+None → Staging\s+approved after review/),
      expect.stringMatching(/NEW_COMMENT\s+anonymous\s+checked the feature lineage/),
      expect.stringMatching(/REQUESTED_TRANSITION\s+anonymous\s+None → Staging\s+offline metrics look good/),
    ]);
    const acts = await api<{ activities: Array<{ activity_type: string; comment?: string }> }>('GET', `/api/2.0/hangar/activities/list?name=${MODEL}&version=1`);
    expect(acts.activities.find((a) => a.activity_type === 'APPROVED_REQUEST')?.comment).toBe('approved after review');
    await page.getByRole('textbox', { name: 'New comment' }).fill('watching the first week');
    await page.getByRole('button', { name: 'Comment' }).click();
    await poll(() => activities.locator('tbody tr').first().innerText()).toMatch(/NEW_COMMENT\s+anonymous\s+watching the first week/);
    const history = page.getByRole('table', { name: 'Promotion history' });
    await poll(() => history.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/Version 1\s+APPROVED_REQUEST\s+anonymous\s+None → Staging\s+approved after review/)]);
    await shot('version-approved');
  });

  it('rejects a request, files a new one, and shows the server error for a refused request', async () => {
    await page.goto(`${server.url}/models/${MODEL}/versions/2`);
    const requests = page.getByRole('table', { name: 'Transition requests' });
    await poll(() => requests.locator('tbody tr').count()).toBe(1);
    await requests.getByRole('textbox', { name: /Comment on request/ }).fill('go through staging first');
    await requests.getByRole('button', { name: 'Reject' }).click();
    await poll(() => page.getByText('No open transition requests.').count()).toBe(1);
    expect(await stageOf('2')).toBe('None');
    await poll(() => page.getByRole('table', { name: 'Activities' }).innerText()).toMatch(/REJECTED_REQUEST[\s\S]*go through staging first/);

    const form = page.getByRole('form', { name: 'Request a transition' });
    await form.getByLabel('Requested stage').selectOption('Staging');
    await form.getByRole('textbox', { name: 'Request comment' }).fill('now via staging');
    await form.getByRole('button', { name: 'Request transition' }).click();
    await poll(() => requests.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/Staging[\s\S]*now via staging\s+OPEN/)]);
    const open = await api<{ requests: Array<{ to_stage: string; comment?: string }> }>('GET', `transition-requests/list?name=${MODEL}&version=2`);
    expect(open.requests).toEqual([expect.objectContaining({ to_stage: 'Staging', comment: 'now via staging' })]);

    // A second request for the same stage by the same principal: the server's answer appears in the form.
    await form.getByRole('button', { name: 'Request transition' }).click();
    const alert = form.getByRole('alert');
    await poll(() => alert.count()).toBe(1);
    expect(await alert.locator('.error-code').innerText()).toBe('RESOURCE_ALREADY_EXISTS');
    expect(await alert.locator('.error-message').innerText()).toContain('already has an open request');
    await shot('version-request-error');
  });

  it('shows the recorded compliance checks of a version', async () => {
    await page.goto(`${server.url}/models/${MODEL}/versions/3`);
    const checks = page.getByRole('table', { name: 'Compliance checks' });
    const { results } = await api<{ results: { compliance: { status: string; checks: Array<{ rule: string; status: string }> } } }>('GET', `/api/2.0/hangar/validation/results/get?name=${MODEL}&version=3`);
    await poll(() => checks.locator('tbody tr').count()).toBe(results.compliance.checks.length);
    const rows = await checks.locator('tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t').slice(0, 2))).toEqual(results.compliance.checks.map((c) => [c.rule, c.status]));
    expect(await page.locator('dl.facts').nth(1).innerText()).toMatch(new RegExp(`Compliance\\s+${results.compliance.status}`));
    expect(await page.locator('dl.facts').nth(1).innerText()).toMatch(/Validation gate\s+never run/);
    await shot('version-compliance');
  });

  it('shows the audit trail, filters it by entity, and links entities to their pages', async () => {
    await page.goto(`${server.url}/audit`);
    const table = page.getByRole('table', { name: 'Audit entries' });
    await poll(() => table.locator('tbody tr').count()).toBeGreaterThan(5);
    await shot('audit');
    expect(await table.getByRole('link', { name: trainingSetId }).getAttribute('href')).toBe(`/training-sets/${trainingSetId}`);
    expect(await table.getByRole('link', { name: 'ui2-quality' }).first().getAttribute('href')).toBe('/monitors/ui2-quality');
    await page.getByRole('textbox', { name: 'Entity type' }).fill('model_version');
    await page.getByRole('textbox', { name: 'Entity ID' }).fill(`${MODEL}/1`);
    await page.getByRole('button', { name: 'Filter' }).click();
    // Not an empty table while the filtered page loads: `every` holds for no rows at all.
    await expect
      .poll(async () => {
        const shown = await table.locator('tbody tr').allInnerTexts();
        return shown.length > 0 && shown.every((r) => r.includes(`${MODEL}/1`));
      })
      .toBe(true);
    const rows = await table.locator('tbody tr').allInnerTexts();
    expect(rows.some((r) => r.includes('transition-requests/approve'))).toBe(true);
    expect(new URL(page.url()).searchParams.get('entity_id')).toBe(`${MODEL}/1`);
    await table.getByRole('link', { name: `${MODEL}/1` }).first().click();
    await poll(() => page.locator('h1').innerText()).toContain(`${MODEL} version 1`);
  });

  it('filters the audit trail by action, principal, outcome and time on the server, kept in the address', async () => {
    const create = 'POST /api/2.0/mlflow/registered-models/create';
    const audit = (q: string) => api<{ entries: Array<{ id: number; action: string; status: number }> }>('GET', `/api/2.0/hangar/audit/list?${q}`);
    const { entries: creates } = await audit(`action=${encodeURIComponent(create)}`);
    const { entries: newest } = await audit('max_results=5');
    // The models were created before everything else: only a server-side filter puts them on the first page of five.
    expect(creates.length).toBeGreaterThan(0);
    expect(newest.map((e) => e.id)).not.toContain(creates[0]!.id);

    await page.goto(`${server.url}/audit?size=5`);
    const table = page.getByRole('table', { name: 'Audit entries' });
    const actions = () => table.locator('tbody tr td:nth-child(3)').allInnerTexts();
    await poll(actions).toEqual(newest.map((e) => e.action));
    await page.getByRole('combobox', { name: 'Action' }).fill(create);
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await poll(actions).toEqual(creates.slice(0, 5).map((e) => e.action));
    expect(new URL(page.url()).searchParams.get('action')).toBe(create);
    // The page approved through /ajax-api, the UI's prefix: the filter matches a route under either.
    await page.getByRole('combobox', { name: 'Action' }).fill('POST /api/2.0/mlflow/transition-requests/approve');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await poll(actions).toEqual(['POST /ajax-api/2.0/mlflow/transition-requests/approve']);

    // Failed requests (the duplicate transition request refused earlier), then clicking a principal adds it to the filters.
    const { entries: failed } = await audit('status=failed');
    expect(failed.map((e) => e.action)).toContain('POST /ajax-api/2.0/mlflow/transition-requests/create');
    await page.goto(`${server.url}/audit?status=failed`);
    await poll(actions).toEqual(failed.map((e) => e.action));
    expect(await page.getByRole('combobox', { name: 'Outcome' }).inputValue()).toBe('failed');
    await table.getByRole('button', { name: 'anonymous' }).first().click();
    await poll(() => new URL(page.url()).searchParams.get('principal')).toBe('anonymous');
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');
    await poll(actions).toEqual(failed.map((e) => e.action));
    await page.getByRole('textbox', { name: 'Principal' }).fill('nobody');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await poll(() => page.getByText('No audit entries match the filters.').count()).toBe(1);

    // A time range: nothing after 2099; a range that ends before it starts is the server's error, naming `to`.
    await page.goto(`${server.url}/audit?from=2099-01-01T00:00`);
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe('2099-01-01T00:00');
    await poll(() => page.getByText('No audit entries match the filters.').count()).toBe(1);
    await page.getByLabel('To', { exact: true }).fill('2000-01-01T00:00');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await poll(() => page.getByRole('alert').locator('.error-code').innerText()).toBe('INVALID_PARAMETER_VALUE');
    expect(await page.getByRole('alert').locator('.error-message').innerText()).toMatch(/^to must be after from/);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await poll(() => table.locator('tbody tr').count()).toBeGreaterThan(5);
    expect(new URL(page.url()).search).toBe('');
    await shot('audit-filtered');
  });

  it('pages through the audit trail with the page tokens of the server', async () => {
    const { entries } = await api<{ entries: Array<{ action: string; timestamp: number }> }>('GET', '/api/2.0/hangar/audit/list?max_results=10');
    expect(entries).toHaveLength(10);
    await page.goto(`${server.url}/audit?size=5`);
    const table = page.getByRole('table', { name: 'Audit entries' });
    const actions = () => table.locator('tbody tr td:nth-child(3)').allInnerTexts();
    await poll(actions).toEqual(entries.slice(0, 5).map((e) => e.action));
    await page.getByRole('button', { name: /Next/ }).click();
    await poll(actions).toEqual(entries.slice(5, 10).map((e) => e.action));
    expect(await page.getByText('Page 2').count()).toBe(1);
    await page.getByRole('button', { name: /Previous/ }).click();
    await poll(actions).toEqual(entries.slice(0, 5).map((e) => e.action));
  });

  it('lists monitors and shows one: chart with threshold, windows per version, alerts and report links', async () => {
    await page.goto(`${server.url}/monitors`);
    const list = page.getByRole('table', { name: 'Monitors' });
    await poll(() => list.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/ui2-quality\s+ACTIVE\s+model ui-gov-model\s+InferenceLog\s+1 day\s+accuracy/)]);
    await shot('monitors');
    await list.getByRole('link', { name: 'ui2-quality' }).click();
    await poll(() => page.locator('h1').innerText()).toContain('ui2-quality');

    const chart = page.locator('figure.chart').filter({ hasText: 'accuracy_score' });
    // One line per model version, as the rule reads them; the legend names them.
    await poll(() => chart.locator('path.line').count()).toBe(2);
    expect(await chart.locator('.legend').innerText()).toMatch(/version 1\s+version 2/);
    expect(await chart.locator('[data-series="version 1"] circle').count()).toBe(4);
    expect(await chart.locator('[data-series="version 2"] circle.violating').count()).toBe(2);
    expect(await chart.locator('.threshold text').textContent()).toBe('threshold 0.7');

    const windows = page.getByRole('table', { name: 'Windows' });
    await poll(() => windows.locator('tbody tr').count()).toBeGreaterThanOrEqual(8);
    const headers = await windows.locator('thead th').allInnerTexts();
    expect(headers).toEqual(expect.arrayContaining(['Window start', 'Model version', 'count', 'accuracy_score']));
    expect(await windows.getByRole('link', { name: '1' }).first().getAttribute('href')).toBe(`/models/${MODEL}/versions/1`);
    expect(await windows.getByRole('link', { name: '2' }).first().getAttribute('href')).toBe(`/models/${MODEL}/versions/2`);

    const alerts = page.getByRole('table', { name: 'Alerts' });
    await poll(() => alerts.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/accuracy\s+FIRED[\s\S]*\s0\s+2026-05-0\d [\d:]+\s+2 of 3 windows/)]);
    const report = page.getByRole('table', { name: 'Monitor runs' }).getByRole('link', { name: 'HTML report' });
    const href = (await report.getAttribute('href'))!;
    expect(href).toMatch(/^\/api\/2\.0\/hangar\/monitors\/runs\/report\?run_id=/);
    const res = await fetch(`${server.url}${href}`);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await page.getByRole('link', { name: MODEL }).first().getAttribute('href')).toBe(`/models/${MODEL}`);
    await shot('monitor');
  });

  it('lists datasets and shows one with versions, schema, digest and the column profile', async () => {
    await page.goto(`${server.url}/datasets`);
    const list = page.getByRole('table', { name: 'Datasets' });
    await poll(() => list.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/ui2-flights\s+v1\s+anonymous/)]);
    await shot('datasets');
    await list.getByRole('link', { name: 'ui2-flights' }).click();
    await poll(() => page.locator('h1').innerText()).toBe('ui2-flights');
    const versions = page.getByRole('table', { name: 'Dataset versions' });
    const { dataset_version: v } = await api<{ dataset_version: { digest: string } }>('GET', '/api/2.0/hangar/datasets/versions/get?name=ui2-flights&version=1');
    await poll(() => versions.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(new RegExp(`v1\\s+40\\s+3\\s+.*${v.digest}`))]);
    const profile = page.getByRole('table', { name: 'Schema and profile' });
    await poll(() => profile.locator('tbody tr').count()).toBe(3);
    const origin = profile.locator('tbody tr').filter({ hasText: 'origin' });
    expect(await origin.innerText()).toMatch(/origin\s+VARCHAR\s+40\s+0\s+3/);
    expect(await origin.locator('.bars .bar').count()).toBe(3);
    expect(await origin.locator('.bars').innerText()).toMatch(/SFO\s+20 \(50%\)/);
    expect(await profile.locator('tbody tr').filter({ hasText: 'delay' }).locator('svg.spread').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'ui2_origin_daily' }).getAttribute('href')).toBe('/features/ui2_origin_daily');
    await shot('dataset');
  });

  it('lists feature tables and services, and shows a table with sensitive features and its online state', async () => {
    await page.goto(`${server.url}/features`);
    const tables = page.getByRole('table', { name: 'Feature tables' });
    await poll(() => tables.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/ui2_origin_daily\s+origin\s+day\s+2 1 sensitive\s+1w\s+data-eng\s+v1\s+2024-02-01/)]);
    const services = page.getByRole('table', { name: 'Feature services' });
    await poll(() => services.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/ui2_delay_model_v1\s+v1\s+ui2_origin_daily:avg_delay\s*ui2_origin_daily:flights/)]);
    await shot('features');

    await tables.getByRole('link', { name: 'ui2_origin_daily' }).click();
    await poll(() => page.locator('h1').innerText()).toBe('ui2_origin_daily');
    const features = page.getByRole('table', { name: 'Features' });
    await poll(() => features.locator('tbody tr').count()).toBe(2);
    const flights = features.locator('tbody tr').filter({ hasText: 'flights' });
    expect(await flights.locator('.badge.sensitive').innerText()).toBe('sensitive');
    expect(await flights.locator('.chip.sensitive').innerText()).toContain('pii: true');
    expect(await features.locator('tbody tr').filter({ hasText: 'avg_delay' }).locator('.sensitive').count()).toBe(0);
    expect(await page.getByRole('table', { name: 'Feature table versions' }).locator('tbody tr').count()).toBe(1);
    await poll(() => page.getByLabel('Online store state').innerText()).toMatch(/Materialised\s+up to 2024-02-01/);
    expect(await page.getByRole('link', { name: 'ui2-flights' }).getAttribute('href')).toBe('/datasets/ui2-flights');
    await shot('feature-table');
  });

  it('shows a training set with links to its feature tables, labels run and schema', async () => {
    await page.goto(`${server.url}/training-sets/${trainingSetId}`);
    const lineage = page.getByRole('table', { name: 'Lineage' });
    await poll(() => lineage.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/ui2_origin_daily\s+v1\s+avg_delay, flights/)]);
    expect(await lineage.getByRole('link', { name: 'ui2_origin_daily' }).getAttribute('href')).toBe('/features/ui2_origin_daily');
    expect(await page.getByRole('link', { name: runId }).getAttribute('href')).toBe(`/runs/${runId}`);
    expect(await page.getByRole('table', { name: 'Training set schema' }).locator('tbody tr td:first-child').allInnerTexts()).toEqual(['origin', 'day', 'late', 'avg_delay', 'flights']);
    await shot('training-set');
  });

  it('shows empty states and the server error for a missing monitor, dataset and feature table', async () => {
    for (const [path, code] of [
      ['/monitors/ghost', 'RESOURCE_DOES_NOT_EXIST'],
      ['/datasets/ghost', 'RESOURCE_DOES_NOT_EXIST'],
      ['/features/ghost', 'RESOURCE_DOES_NOT_EXIST'],
      [`/models/${MODEL}/versions/99`, 'RESOURCE_DOES_NOT_EXIST'],
    ] as const) {
      await page.goto(`${server.url}${path}`);
      await poll(() => page.getByRole('alert').first().locator('.error-code').innerText()).toBe(code);
    }
    await page.goto(`${server.url}/datasets?q=nothing-matches`);
    await poll(() => page.getByText('No dataset matches.').count()).toBe(1);

    // A monitor that never ran, and a feature table never computed nor materialised.
    await api('POST', '/api/2.0/hangar/monitors/create', {
      name: 'ui2-idle',
      source: { inference_log: { model: MODEL } },
      profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
    });
    await page.goto(`${server.url}/monitors/ui2-idle`);
    await poll(() => page.getByText('The monitor has not run yet.').count()).toBe(1);
    await poll(() => page.getByText(/^No windows yet/).count()).toBe(1);
    expect(await page.getByText('No alerts have fired.').count()).toBe(1);
    expect(await page.getByRole('alert').count()).toBe(0);

    await api('POST', '/api/2.0/hangar/features/tables/apply', { tables: [{ name: 'ui2_idle', keys: ['origin'], features: { n: 'long' }, source: 'select 1', ttl: '0' }] });
    await page.goto(`${server.url}/features/ui2_idle`);
    await poll(() => page.getByText(/^Not computed yet/).count()).toBe(1);
    await poll(() => page.getByLabel('Online store state').innerText()).toMatch(/Materialised\s+not materialised/);
    expect(await page.getByRole('alert').count()).toBe(0);
    await shot('feature-table-idle');
  });

  it('ran every page without script errors or refused loads', () => {
    expect(pageProblems).toEqual([]);
  });

  it('on an --auth server, shows the refusal of an approval without the right token, and approves with one', async () => {
    let admin = '';
    let reader = '';
    const secured = await startUiServer('hangar-e2e-ui2-auth-', ['--auth'], (authHome) => {
      admin = createToken(authHome, 'gov-admin', true).token;
      reader = createToken(authHome, 'gov-reader', false).token;
    });
    const authPage = await newPage(browser);
    const call = apiClient(secured.server.url, admin);
    const stage = async () => (await call<{ model_version: { current_stage: string } }>('GET', 'model-versions/get?name=secured-model&version=1')).model_version.current_stage;
    try {
      await call('POST', 'registered-models/create', { name: 'secured-model' });
      await call('POST', 'model-versions/create', { name: 'secured-model', source: '/tmp/nowhere' });
      await call('POST', 'transition-requests/create', { name: 'secured-model', version: '1', stage: 'Staging', comment: 'please' });

      // Anonymous callers may read (the --auth default) but not approve.
      await authPage.goto(`${secured.server.url}/models/secured-model/versions/1`);
      const requests = authPage.getByRole('table', { name: 'Transition requests' });
      await poll(() => requests.locator('tbody tr').count()).toBe(1);
      await requests.getByRole('button', { name: 'Approve' }).click();
      const refused = requests.getByRole('alert');
      await poll(() => refused.locator('.error-code').innerText()).toBe('UNAUTHENTICATED');
      expect(await refused.innerText()).toContain('enter one in the token field');
      expect(await stage()).toBe('None');

      // A token without a grant on the model: PERMISSION_DENIED, with the server's message.
      await authPage.getByRole('textbox', { name: 'API token' }).fill(reader);
      await authPage.getByRole('button', { name: 'Use' }).click();
      await poll(() => requests.getByRole('button', { name: 'Approve' }).count()).toBe(1);
      await requests.getByRole('button', { name: 'Approve' }).click();
      await poll(() => requests.getByRole('alert').locator('.error-code').innerText()).toBe('PERMISSION_DENIED');
      expect(await requests.getByRole('alert').locator('.error-message').innerText()).toContain('gov-reader');
      // The hint tells a valid token without the permission from a token the server does not know.
      expect(await requests.getByRole('alert').innerText()).toContain('valid but lacks the permission');
      expect(await stage()).toBe('None');
      await screenshot(authPage, 'ui2-auth-refused');

      // An admin's token approves.
      await authPage.getByRole('button', { name: 'Sign out' }).click();
      await authPage.getByRole('textbox', { name: 'API token' }).fill(admin);
      await authPage.getByRole('button', { name: 'Use' }).click();
      // A new token forgets the refusal: the next try may be allowed.
      await poll(() => requests.getByRole('alert').count()).toBe(0);
      await requests.getByRole('textbox', { name: /Comment on request/ }).fill('ok by the admin');
      await requests.getByRole('button', { name: 'Approve' }).click();
      await poll(() => authPage.getByLabel('Current stage').innerText()).toBe('Staging');
      expect(await stage()).toBe('Staging');
      await poll(() => authPage.getByRole('table', { name: 'Activities' }).innerText()).toMatch(/APPROVED_REQUEST\s+gov-admin\s+None → Staging\s+ok by the admin/);
    } finally {
      await authPage.close();
      await secured.close();
    }
  });

  it('on an --auth server that refuses anonymous reads, opens a monitor report fetched with the token', async () => {
    let admin = '';
    let revoked = { token: '', tokenId: '' };
    const secured = await startUiServer('hangar-e2e-ui2-report-', ['--auth', '--default-permission', 'NO_PERMISSIONS'], (authHome) => {
      admin = createToken(authHome, 'report-admin', true).token;
      revoked = createToken(authHome, 'report-leaver', true);
    });
    const authPage = await newPage(browser);
    const problems: string[] = [];
    authPage.on('pageerror', (e) => problems.push(e.message));
    const api = apiClient(secured.server.url, admin);
    const call = (path: string, body: unknown) => api<{ run: { run_id: string; status: string } }>('POST', path, body);
    try {
      await call('/api/2.0/mlflow/registered-models/create', { name: 'secured-monitored' });
      const day = join(secured.home, 'artifacts', 'inference-log', 'secured-monitored', 'date=2026-05-01');
      mkdirSync(day, { recursive: true });
      await writeLogFixture(join(day, '1-0.parquet'), { start: '2026-05-01', days: 3, rowsPerDay: 20 });
      await call('/api/2.0/hangar/monitors/create', {
        name: 'secured-quality',
        source: { inference_log: { model: 'secured-monitored' } },
        profile: { type: 'InferenceLog', granularities: ['1 day'], problem_type: 'PROBLEM_TYPE_CLASSIFICATION' },
      });
      const { run } = await call('/api/2.0/hangar/monitors/run', { name: 'secured-quality' });
      expect(run.status).toBe('SUCCEEDED');
      // What a plain link gets: the server refuses the report without a token.
      const reportPath = `/api/2.0/hangar/monitors/runs/report?run_id=${encodeURIComponent(run.run_id)}`;
      expect((await fetch(`${secured.server.url}${reportPath}`)).status).toBe(401);

      await authPage.goto(`${secured.server.url}/monitors/secured-quality`);
      await authPage.getByRole('textbox', { name: 'API token' }).fill(admin);
      await authPage.getByRole('button', { name: 'Use' }).click();
      const link = authPage.getByRole('table', { name: 'Monitor runs' }).getByRole('link', { name: 'HTML report' });
      await poll(() => link.count()).toBe(1);
      expect(await link.getAttribute('href')).toBe(reportPath);
      const opened = authPage.context().waitForEvent('page');
      await link.click();
      const tab = await opened;
      await tab.waitForURL(/^blob:/);
      await poll(() => tab.locator('h1').innerText()).toBe('Monitor secured-quality');
      expect(await tab.title()).toBe(`Monitor secured-quality, run ${run.run_id}`);
      // The report's own stylesheet applies, though the tab keeps the UI's content security policy.
      await poll(() => tab.evaluate('getComputedStyle(document.body).marginLeft')).toBe('24px');
      await screenshot(tab, 'ui2-auth-report');
      await tab.close();
      expect(await authPage.getByRole('alert').count()).toBe(0);

      // A token revoked after the page loaded: the refusal shows under the link, and no tab stays open.
      await authPage.getByRole('button', { name: 'Sign out' }).click();
      await authPage.getByRole('textbox', { name: 'API token' }).fill(revoked.token);
      await authPage.getByRole('button', { name: 'Use' }).click();
      await poll(() => link.count()).toBe(1);
      await call('/api/2.0/hangar/tokens/revoke', { token_id: revoked.tokenId });
      await link.click();
      const refusal = authPage.getByRole('table', { name: 'Monitor runs' }).getByRole('alert');
      await poll(() => refusal.locator('.error-code').innerText()).toBe('UNAUTHENTICATED');
      await poll(() => authPage.context().pages().length).toBe(1);
      expect(problems).toEqual([]);
    } finally {
      await authPage.close();
      await secured.close();
    }
  });
});
