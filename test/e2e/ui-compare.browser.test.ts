import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiClient, describeInChromium, logRun, openChromium, poll, screenshot, startUiServer, type ApiCall, type UiServer } from '../support/browser.js';
import type { ServerProcess } from '../support/process.js';

/**
 * Comparing runs in a real browser against a `hangar server` process: tick runs in the runs
 * table across pages and sorts, open the comparison, read the marked differences, hide the
 * equal rows, and check the overlaid history charts and the scatter plot. Set
 * HANGAR_UI_SCREENSHOTS=<dir> to keep screenshots (ui3-*.png).
 */
/** The browser's getComputedStyle, for code run in the page (the tests compile without the DOM types). */
type Styles = { getComputedStyle(el: unknown): { backgroundColor: string; stroke: string } };

describeInChromium('run comparison', () => {
  let ui: UiServer | undefined;
  let server: ServerProcess;
  let mlflow: ApiCall;
  let browser: Browser;
  let page: Page;
  let experimentId: string;
  const runs: Record<string, string> = {};
  let pageProblems: string[] = [];

  const createRun = (name: string, start: number, params: Record<string, string>, metrics: Record<string, number[]>) => logRun(mlflow, experimentId, name, { start, params, metrics, end: start + 30_000 });

  const shot = (name: string) => screenshot(page, `ui3-${name}`);

  const runsTable = () => page.getByRole('table', { name: 'Runs' });
  const compareTable = () => page.getByRole('table', { name: 'Run comparison' });
  /** The names of the runs table's rows, in order (the name cell holds the checkbox and the link). */
  const runNames = () => runsTable().locator('tbody tr td:first-child a').allInnerTexts();
  const tick = (name: string) => runsTable().getByRole('checkbox', { name: `Select ${name}` });
  /** Each parameter or metric row of the comparison: its name and whether it is marked as differing. */
  async function markedRows(): Promise<Record<string, string | null>> {
    const rows = compareTable().locator('tbody tr[data-differs]');
    const names = await rows.locator('th').allInnerTexts();
    const marks = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-differs') + (tr.classList.contains('differs') ? '+class' : '')));
    return Object.fromEntries(names.map((n, i) => [n.trim(), marks[i] ?? null]));
  }

  beforeAll(async () => {
    ui = await startUiServer('hangar-e2e-ui-compare-');
    server = ui.server;
    mlflow = apiClient(server.url);
    experimentId = (await mlflow<{ experiment_id: string }>('POST', 'experiments/create', { name: 'ui-compare-e2e' })).experiment_id;
    const t0 = Date.now() - 600_000;
    runs.base = await createRun('base-run', t0, { lr: '0.1', model: 'tree', seed: '42' }, { loss: [1.0, 0.6, 0.4, 0.3], acc: [0.5, 0.7, 0.8], epochs: [5] });
    runs.lone = await createRun('lone-run', t0 + 1000, { lr: '0.5', model: 'linear', seed: '42', depth: '3' }, { loss: [0.8], epochs: [5] });
    runs.other = await createRun('other-run', t0 + 2000, { lr: '0.2', model: 'tree', seed: '7' }, { loss: [0.9, 0.1] });
    runs.wide = await createRun('wide-run', t0 + 3000, { lr: '0.01', model: 'tree', seed: '42' }, { loss: [1.2, 0.9, 0.5, 0.35, 0.2], acc: [0.4, 0.6], epochs: [5] });

    ({ browser, page, problems: pageProblems } = await openChromium());
  });

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
  });

  it('keeps ticked runs across pages, sorts and a reload, and opens the comparison', async () => {
    await page.goto(`${server.url}/experiments/${experimentId}?size=2&order=${encodeURIComponent('attributes.run_name ASC')}`);
    await poll(runNames).toEqual(['base-run', 'lone-run']);
    const compare = page.getByRole('button', { name: /^Compare \(/ });
    expect(await compare.innerText()).toBe('Compare (0)');
    expect(await compare.isDisabled()).toBe(true);

    await tick('base-run').check();
    await poll(() => compare.innerText()).toBe('Compare (1)');
    expect(await compare.isDisabled()).toBe(true);
    await tick('lone-run').check();
    await poll(() => compare.innerText()).toBe('Compare (2)');
    expect(await compare.isDisabled()).toBe(false);
    expect(await runsTable().getByRole('checkbox', { name: 'Select the runs on this page' }).isChecked()).toBe(true);

    await page.getByRole('button', { name: /Next/ }).click();
    await poll(runNames).toEqual(['other-run', 'wide-run']);
    expect(await tick('other-run').isChecked()).toBe(false);
    await tick('wide-run').check();
    await poll(() => compare.innerText()).toBe('Compare (3)');
    const headerBox = runsTable().getByRole('checkbox', { name: 'Select the runs on this page' });
    expect(await headerBox.isChecked()).toBe(false);
    expect(await headerBox.evaluate((el) => (el as unknown as { indeterminate: boolean }).indeterminate)).toBe(true);
    expect(new URL(page.url()).searchParams.get('selected')?.split(',')).toEqual([runs.base, runs.lone, runs.wide]);

    // Sorting starts again at the first page; the ticks stay.
    await runsTable().getByRole('button', { name: /^Run name/ }).click();
    await poll(runNames).toEqual(['wide-run', 'other-run']);
    expect(await tick('wide-run').isChecked()).toBe(true);
    expect(await tick('other-run').isChecked()).toBe(false);
    expect(await compare.innerText()).toBe('Compare (3)');
    await page.reload();
    await poll(runNames).toEqual(['wide-run', 'other-run']);
    expect(await tick('wide-run').isChecked()).toBe(true);
    expect(await compare.innerText()).toBe('Compare (3)');
    await shot('runs-selected');

    // Unticking one and ticking it again leaves the count where it was.
    await tick('wide-run').uncheck();
    await poll(() => compare.innerText()).toBe('Compare (2)');
    await tick('wide-run').check();
    await poll(() => compare.innerText()).toBe('Compare (3)');

    await compare.click();
    await poll(() => page.locator('h1').innerText()).toBe('Comparing 3 runs');
    const url = new URL(page.url());
    expect(url.pathname).toBe('/compare');
    expect(url.searchParams.get('runs')?.split(',')).toEqual([runs.base, runs.lone, runs.wide]);

    // Back in the runs table the ticks are still there, until cleared.
    await page.goBack();
    await poll(runNames).toEqual(['wide-run', 'other-run']);
    expect(await compare.innerText()).toBe('Compare (3)');
    await page.getByRole('button', { name: 'Clear selection' }).click();
    await poll(() => compare.innerText()).toBe('Compare (0)');
    expect(await tick('wide-run').isChecked()).toBe(false);
    expect(new URL(page.url()).searchParams.has('selected')).toBe(false);
  });

  it('shows the runs side by side, marks the differing rows, and hides the equal ones on request', async () => {
    await page.goto(`${server.url}/compare?runs=${runs.base},${runs.lone},${runs.wide}`);
    await poll(() => compareTable().locator('thead th').allInnerTexts()).toEqual(['Run', 'base-run', 'lone-run', 'wide-run']);
    expect(await compareTable().getByRole('link', { name: 'lone-run' }).getAttribute('href')).toBe(`/experiments/${experimentId}/runs/${runs.lone}`);
    const row = (name: string) => compareTable().locator('tbody tr').filter({ has: page.locator(`th:text-is("${name}")`) });
    expect(await row('Status').locator('td').allInnerTexts()).toEqual(['FINISHED', 'FINISHED', 'FINISHED']);
    expect(await row('Duration').locator('td').allInnerTexts()).toEqual(['30.0s', '30.0s', '30.0s']);

    expect(await markedRows()).toEqual({
      depth: 'true+class',
      lr: 'true+class',
      model: 'true+class',
      seed: 'false',
      acc: 'true+class',
      epochs: 'false',
      loss: 'true+class',
    });
    expect(await row('lr').locator('td').allInnerTexts()).toEqual(['0.1', '0.5', '0.01']);
    expect(await row('depth').locator('td').allInnerTexts()).toEqual(['—', '3', '—']);
    expect(await row('loss').locator('td').allInnerTexts()).toEqual(['0.3', '0.8', '0.2']);
    expect(await compareTable().locator('tr.section').allInnerTexts()).toEqual([
      expect.stringMatching(/^Parameters\s+3 of 4 differ$/i),
      expect.stringMatching(/^Metrics\s+2 of 3 differ$/i),
    ]);
    // The marked rows look different from the equal ones.
    const bg = (name: string) => row(name).locator('td').first().evaluate((td) => (globalThis as unknown as Styles).getComputedStyle(td).backgroundColor);
    expect(await bg('lr')).not.toBe(await bg('seed'));
    await shot('compare');

    await page.getByRole('checkbox', { name: 'Show only differences' }).check();
    await poll(async () => Object.keys(await markedRows())).toEqual(['depth', 'lr', 'model', 'acc', 'loss']);
    expect(await row('seed').count()).toBe(0);
    expect(await row('Status').count()).toBe(1);
    await shot('compare-differences');
    await page.getByRole('checkbox', { name: 'Show only differences' }).uncheck();
    await poll(async () => Object.keys(await markedRows())).toHaveLength(7);
  });

  it('overlays each metric history with one line per run, in the same colour on every chart', async () => {
    await page.goto(`${server.url}/compare?runs=${runs.base},${runs.lone},${runs.wide}`);
    const charts = page.locator('figure.chart').filter({ has: page.locator('path.line') });
    // loss and acc were logged more than once; epochs only once per run, so it has no chart.
    await poll(() => charts.locator('figcaption').allInnerTexts()).toEqual(['acc', 'loss']);
    const loss = charts.filter({ has: page.locator('figcaption:text-is("loss")') });
    const acc = charts.filter({ has: page.locator('figcaption:text-is("acc")') });
    expect(await loss.locator('path.line').count()).toBe(3);
    expect(await acc.locator('path.line').count()).toBe(2);
    const segments = async (chart: typeof loss, name: string) => (await chart.locator(`g[data-series="${name}"] path.line`).getAttribute('d'))?.match(/[ML]/g)?.length;
    expect(await segments(loss, 'base-run')).toBe(4);
    expect(await segments(loss, 'lone-run')).toBe(1);
    expect(await segments(loss, 'wide-run')).toBe(5);
    expect(await loss.locator('.legend').innerText()).toMatch(/base-run\s+lone-run\s+wide-run/);
    expect(await acc.locator('.legend').innerText()).toMatch(/base-run\s+wide-run/);

    const stroke = (chart: typeof loss, name: string) => chart.locator(`g[data-series="${name}"] path.line`).evaluate((p) => (globalThis as unknown as Styles).getComputedStyle(p).stroke);
    const lossColours = [await stroke(loss, 'base-run'), await stroke(loss, 'lone-run'), await stroke(loss, 'wide-run')];
    expect(new Set(lossColours).size).toBe(3);
    expect(await stroke(acc, 'base-run')).toBe(lossColours[0]);
    expect(await stroke(acc, 'wide-run')).toBe(lossColours[2]);
    const swatch = await compareTable()
      .locator('thead th')
      .filter({ hasText: 'wide-run' })
      .locator('.swatch')
      .evaluate((s) => (globalThis as unknown as Styles).getComputedStyle(s).backgroundColor);
    expect(swatch).toBe(lossColours[2]);

    // Hover names the run of the nearest point: wide-run's last point (step 4) is the only one at the right edge.
    const box = (await loss.locator('svg').boundingBox())!;
    await page.mouse.move(box.x + box.width - 16, box.y + box.height * 0.75);
    await poll(() => loss.locator('.hover text').textContent()).toBe('wide-run · step 4: 0.2');
    await shot('compare-charts');
  });

  it('plots one param or metric against another across the runs', async () => {
    await page.goto(`${server.url}/compare?runs=${runs.base},${runs.lone},${runs.wide}`);
    const scatter = page.locator('figure.chart.scatter');
    // Unless picked, x is the parameter and y the metric that most runs have a number for.
    await poll(() => scatter.locator('figcaption').innerText()).toBe('metric loss against param lr');
    await page.getByRole('combobox', { name: 'X axis' }).selectOption('p:depth');
    await poll(() => scatter.locator('circle.dot').count()).toBe(1);
    await page.getByRole('combobox', { name: 'X axis' }).selectOption('p:lr');
    await page.getByRole('combobox', { name: 'Y axis' }).selectOption('m:loss');
    await poll(() => scatter.locator('figcaption').innerText()).toBe('metric loss against param lr');
    expect(await scatter.locator('circle.dot').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-label')))).toEqual(['base-run', 'lone-run', 'wide-run']);
    // The largest lr is the rightmost dot; the lowest loss the lowest one (largest y on screen).
    const centre = async (label: string) => {
      const c = scatter.locator(`circle[data-label="${label}"]`);
      return { x: Number(await c.getAttribute('cx')), y: Number(await c.getAttribute('cy')) };
    };
    const [b, l, w] = [await centre('base-run'), await centre('lone-run'), await centre('wide-run')];
    expect(l.x).toBeGreaterThan(b.x);
    expect(b.x).toBeGreaterThan(w.x);
    expect(w.y).toBeGreaterThan(b.y);
    expect(b.y).toBeGreaterThan(l.y);

    await page.getByRole('combobox', { name: 'Y axis' }).selectOption('m:acc');
    await poll(() => scatter.locator('circle.dot').count()).toBe(2);
    expect(await page.getByText('1 of 3 runs left out: they lack a number for one axis or both.').count()).toBe(1);
    await shot('compare-scatter');
  });

  it("opens MLflow's /#/compare-runs?runs=[…] form, and names a run it cannot read", async () => {
    await page.goto(`${server.url}/#/compare-runs?runs=${encodeURIComponent(JSON.stringify([runs.other, runs.wide]))}&experiments=${encodeURIComponent(JSON.stringify([experimentId]))}`);
    await poll(() => compareTable().locator('thead th').allInnerTexts()).toEqual(['Run', 'other-run', 'wide-run']);
    expect(new URL(page.url()).pathname).toBe('/compare-runs');

    const unknown = 'f'.repeat(32);
    await page.goto(`${server.url}/compare?runs=${runs.base},${unknown},${runs.lone}`);
    await poll(() => compareTable().locator('thead th').allInnerTexts()).toEqual(['Run', 'base-run', 'lone-run']);
    expect(await page.getByRole('alert').locator('.error-code').innerText()).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await page.locator('p .mono', { hasText: unknown }).count()).toBe(1);
  });

  it('draws only the rows in view of a long runs page, and scrolling and ticking still reach every run', async () => {
    const longId = (await mlflow<{ experiment_id: string }>('POST', 'experiments/create', { name: 'ui-compare-long' })).experiment_id;
    const count = 400;
    const names = Array.from({ length: count }, (_, i) => `long-${String(i).padStart(3, '0')}`);
    const t0 = Date.now() - 3_600_000;
    const longRuns: string[] = [];
    for (let i = 0; i < count; i += 50) {
      const made = await Promise.all(
        names.slice(i, i + 50).map((name, j) => mlflow<{ run: { info: { run_id: string } } }>('POST', 'runs/create', { experiment_id: longId, run_name: name, start_time: t0 + (i + j) * 1000 })),
      );
      longRuns.push(...made.map((m) => m.run.info.run_id));
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.url}/experiments/${longId}?size=${count}&order=${encodeURIComponent('attributes.run_name ASC')}`);
    const table = runsTable();
    await poll(() => table.getAttribute('aria-rowcount')).toBe(String(count + 2));
    // The table holds all 400 runs, but the DOM only the ones near the view.
    const drawn = await runNames();
    expect(drawn[0]).toBe('long-000');
    expect(drawn.length).toBeGreaterThan(20);
    expect(drawn.length).toBeLessThan(150);
    // The page is as tall as all the rows: scrolling to the end shows the last run, in place.
    await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
    await poll(async () => (await runNames()).at(-1)).toBe('long-399');
    expect(await table.getByRole('link', { name: 'long-399', exact: true }).isVisible()).toBe(true);
    const lastDrawn = await runNames();
    expect(lastDrawn.length).toBeLessThan(150);
    expect(lastDrawn).not.toContain('long-000');
    // The rows drawn after a scroll line up with their places: each has its index among all rows.
    const indexes = await table.locator('tbody tr[aria-rowindex]').evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('aria-rowindex'))));
    expect(indexes.at(-1)).toBe(count + 2);
    expect(lastDrawn.map((n) => Number(n.slice(5)) + 3)).toEqual(indexes);
    // A box ticked far down the page stays ticked, and the header box ticks every run of the page.
    await tick('long-390').check();
    await poll(() => page.getByRole('button', { name: /^Compare \(/ }).innerText()).toBe('Compare (1)');
    await page.evaluate('window.scrollTo(0, 0)');
    await poll(async () => (await runNames())[0]).toBe('long-000');
    await table.getByRole('checkbox', { name: 'Select the runs on this page' }).check();
    await poll(() => page.getByRole('button', { name: /^Compare \(/ }).innerText()).toBe(`Compare (${count})`);
    await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
    await poll(async () => (await runNames()).at(-1)).toBe('long-399');
    expect(await tick('long-390').isChecked()).toBe(true);
    await shot('runs-long');

    // Runs of two experiments: the ones the first run's experiment search misses are read one by one, in the order asked.
    await page.goto(`${server.url}/compare?runs=${runs.base},${longRuns[5]},${runs.lone}`);
    await poll(() => compareTable().locator('thead th').allInnerTexts()).toEqual(['Run', 'base-run', 'long-005', 'lone-run']);
    const experimentRow = compareTable().locator('tbody tr').filter({ has: page.locator('th:text-is("Experiment")') });
    expect(await experimentRow.locator('td').allInnerTexts()).toEqual(['ui-compare-e2e', 'ui-compare-long', 'ui-compare-e2e']);
  });

  it('ran every page without script errors or refused loads', () => {
    expect(pageProblems).toEqual([]);
  });
});
