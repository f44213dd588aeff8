import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { chromiumSkipReason } from './services.js';
import { startServerProcess, type ServerProcess } from './process.js';

/**
 * What the web UI's browser tests (test/e2e/ui*.browser.test.ts) share: the Chromium skip rule,
 * a `hangar server` process over a temporary home, a JSON client for its API, API tokens, a
 * browser page that collects script errors, and screenshots.
 */

const chromiumPath = process.env.HANGAR_TEST_CHROMIUM ?? '/usr/bin/chromium';
/** Why the browser tests skip here ('' when they run): HANGAR_TEST_CHROMIUM_SKIP, or no Chromium. */
export const browserSkipReason = chromiumSkipReason || (existsSync(chromiumPath) ? '' : `${chromiumPath} not found (apt-get install -y chromium)`);
const webIndex = fileURLToPath(new URL('../../dist/web/index.html', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/hangar.js', import.meta.url));
const shots = process.env.HANGAR_UI_SCREENSHOTS;

/** A suite named `<title> in Chromium`, skipped (with the reason in its name) where Chromium is missing. */
export function describeInChromium(title: string, suite: () => void): void {
  describe.skipIf(browserSkipReason !== '')(`${title} in Chromium${browserSkipReason === '' ? '' : ` (skipped: ${browserSkipReason})`}`, suite);
}

/** Wait for the page to settle: generous, since `npm test` runs many suites on two cores at once. */
export function poll<T>(read: () => T | Promise<T>): ReturnType<typeof expect.poll<T | Promise<T>>> {
  return expect.poll(read, { timeout: 15_000, interval: 50 });
}

/** A `hangar server` process for the UI over its own home directory, `prefix` naming the directory. */
export interface UiServer {
  server: ServerProcess;
  home: string;
  /** Stops the server and removes its home. */
  close(): Promise<void>;
}

/**
 * Start `hangar server --home <new temp dir> ...args`, after `prepare` has had the home (to create
 * API tokens while no server holds the store). Fails when the built UI is missing (`npm run build`
 * writes it; `npm test` builds first).
 */
export async function startUiServer(prefix: string, args: string[] = [], prepare?: (home: string) => void): Promise<UiServer> {
  if (!existsSync(webIndex)) throw new Error('dist/web/index.html is missing: run `npm run build` (npm test does it first)');
  const home = mkdtempSync(join(tmpdir(), prefix));
  try {
    prepare?.(home);
    const server = await startServerProcess(['--home', home, ...args]);
    return {
      server,
      home,
      async close() {
        await server.stop();
        rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(home, { recursive: true, force: true });
    throw e;
  }
}

/** Calls the server's JSON API: a path starting with `/` as it is, any other under /api/2.0/mlflow/. */
export type ApiCall = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<T>;

/** A JSON client for the server at `url`, sending `token` as a bearer token when given; a status other than 2xx throws with the answer. */
export function apiClient(url: string, token?: string): ApiCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(path.startsWith('/') ? `${url}${path}` : `${url}/api/2.0/mlflow/${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/** What `logRun` logs: the run's start, params and metric histories (steps 0, 1, …, a second apart), tags, and its end. */
export interface RunToLog {
  start: number;
  params: Record<string, string>;
  metrics: Record<string, number[]>;
  tags?: Array<{ key: string; value: string }>;
  /** When given, the run ends FINISHED at this time; otherwise it stays RUNNING. */
  end?: number;
}

/** Create the run `name` in an experiment through the MLflow API and log `run` to it; returns the run ID. */
export async function logRun(api: ApiCall, experimentId: string, name: string, run: RunToLog): Promise<string> {
  const { start, params, metrics, tags, end } = run;
  const created = await api<{ run: { info: { run_id: string } } }>('POST', 'runs/create', { experiment_id: experimentId, run_name: name, start_time: start });
  const runId = created.run.info.run_id;
  const points = Object.entries(metrics).flatMap(([key, values]) => values.map((value, step) => ({ key, value, step, timestamp: start + step * 1000 })));
  await api('POST', 'runs/log-batch', { run_id: runId, params: Object.entries(params).map(([key, value]) => ({ key, value })), metrics: points, tags });
  if (end !== undefined) await api('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: end });
  return runId;
}

/** A browser with one page whose problems (collectPageProblems) are kept. */
export interface Chromium {
  browser: Browser;
  page: Page;
  /** The page's script and console errors, in order. */
  problems: string[];
}

/** Start Chromium with a 1280×900 page that collects its problems. */
export async function openChromium(): Promise<Chromium> {
  const browser = await launchChromium();
  const page = await newPage(browser);
  const problems: string[] = [];
  collectPageProblems(page, problems);
  return { browser, page, problems };
}

/** A new API token for `user` in the server home `home` (`hangar tokens create`), with its ID. */
export function createToken(home: string, user: string, admin: boolean): { token: string; tokenId: string } {
  const out = execFileSync(process.execPath, [bin, 'tokens', 'create', '--home', home, '--user', user, ...(admin ? ['--admin'] : []), '--json'], { encoding: 'utf8' });
  return JSON.parse(out) as { token: string; tokenId: string };
}

/** Start Chromium (headless, no sandbox, as in a container). */
function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A 1280×900 page of `browser`. */
export function newPage(browser: Browser): Promise<Page> {
  return browser.newPage({ viewport: { width: 1280, height: 900 } });
}

/**
 * Record the page's script errors and console errors, such as a load the content security policy
 * refuses, in `problems` (a test expects it empty at the end). "Failed to load resource" is left
 * out: it is how the console reports an error answer, which some tests ask for on purpose.
 */
function collectPageProblems(page: Page, problems: string[]): void {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
}

/** A full-page screenshot of `page` as `<name>.png` in HANGAR_UI_SCREENSHOTS, when that is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (shots === undefined) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}
