import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBackendStoreUri } from '../core/config.js';
import { runDemoScenario, type DemoResult } from '../demo/scenario.js';
import { runCli } from './program.js';
import { testIo } from './test-support/cli.js';
import { startLiveServer, type LiveServer } from './test-support/live-server.js';

/** The `hangar` command tree, driven in-process with recorded output. */

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const t = testIo(env);
  const code = await runCli(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

const temps: string[] = [];
async function tempHome(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hangar-cli-'));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('help and usage', () => {
  it('prints help with examples and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['server', 'db', 'gc', 'experiments', 'runs', 'models', 'demo', 'Examples:']) expect(r.out).toContain(word);
    const sub = await cli(['runs', 'search', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.out).toContain('--order-by');
    expect(sub.out).toContain('hangar runs search --experiment-ids 1');
  });

  it('prints the version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects unknown commands and bad option values with a non-zero code', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    const bad = await cli(['server', '--port', 'abc']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('Not a whole number');
  });
});

describe('hangar server', () => {
  it('starts on a fresh home, logs its URL, serves, and stops on a signal', async () => {
    const home = await tempHome();
    const t = testIo();
    const done = runCli(['server', '--home', home, '--port', '0', '--log-level', 'silent'], t.io);
    const out = await t.waitForOutput('listening on');
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    expect(out).toContain(`backend store  ${defaultBackendStoreUri(home)}`);
    expect(await (await fetch(`${url}/health`)).text()).toBe('OK');
    const exp = await fetch(`${url}/api/2.0/mlflow/experiments/get?experiment_id=0`);
    expect(((await exp.json()) as { experiment: { name: string } }).experiment.name).toBe('Default');
    t.shutdown('SIGINT');
    expect(await done).toBe(0);
    expect(t.out()).toContain('SIGINT: shutting down');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('reads HANGAR_HOME when --home is absent', async () => {
    const home = await tempHome();
    const t = testIo({ HANGAR_HOME: home });
    t.shutdown();
    expect(await runCli(['server', '--port', '0', '--log-level', 'silent'], t.io)).toBe(0);
    expect(t.out()).toContain(defaultBackendStoreUri(home));
  });

  it('refuses a database whose schema does not match, naming what to do, without a stack trace', async () => {
    const home = await tempHome();
    const first = testIo();
    first.shutdown();
    expect(await runCli(['server', '--home', home, '--port', '0', '--log-level', 'silent'], first.io)).toBe(0);
    // Pretend a newer Hangar migrated this database.
    const db = new Database(join(home, 'hangar.db'));
    db.prepare("insert into hangar_migration (name, timestamp) values ('9999-future', '2030-01-01T00:00:00.000Z')").run();
    db.close();
    const r = await cli(['server', '--home', home, '--port', '0', '--log-level', 'silent']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^SCHEMA_OUT_OF_DATE: The database schema is at version 9999, newer than this Hangar/);
    expect(r.err).not.toContain('    at ');
  });

  it('says which port is taken', async () => {
    const live = await startLiveServer();
    try {
      const r = await cli(['server', '--home', await tempHome(), '--port', String(live.server.port), '--log-level', 'silent']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`INVALID_PARAMETER_VALUE: Port ${live.server.port} on 127.0.0.1 is already in use`);
    } finally {
      await live.close();
    }
  });
});

describe('hangar db upgrade', () => {
  it('migrates a fresh database, then has nothing to do', async () => {
    const home = await tempHome();
    const uri = defaultBackendStoreUri(home);
    const first = await cli(['db', 'upgrade', '--backend-store-uri', uri]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^Schema upgraded from version 0 to \d+/);
    const second = await cli(['db', 'upgrade', '--home', home]);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^Schema already at version \d+; nothing to do/);
  });

  it('names the known schemes for an unknown URI', async () => {
    const r = await cli(['db', 'upgrade', '--backend-store-uri', 'mysql://x/y']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^INVALID_PARAMETER_VALUE: Unsupported backend store URI .*sqlite:\/\//);
  });
});

describe('read commands against a live server', () => {
  let live: LiveServer;
  let demo: DemoResult;
  beforeAll(async () => {
    live = await startLiveServer('hangar-cli-read-');
    demo = await runDemoScenario(live.client, { experimentName: 'cli-exp', modelName: 'cli-model', epochs: 5 });
    await live.client.setRegisteredModelAlias('cli-model', 'challenger', demo.modelVersion.version);
  });
  afterAll(async () => {
    await live?.close();
  });
  const at = (): string[] => ['--tracking-uri', live.url];

  it('experiments list: a table, or JSON', async () => {
    const table = await cli(['experiments', 'list', ...at()]);
    expect(table.code).toBe(0);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STAGE\s+ARTIFACT LOCATION\s+CREATED \(UTC\)$/);
    expect(lines.some((l) => /^\d+\s+cli-exp\s+active\s+mlflow-artifacts:\/\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(l))).toBe(true);
    expect(lines.some((l) => /^0\s+Default\s+active/.test(l))).toBe(true);
    const json = await cli(['experiments', 'list', ...at(), '--json']);
    const parsed = JSON.parse(json.out) as Array<{ name: string; experimentId: string }>;
    expect(parsed.map((e) => e.name).sort()).toEqual(['Default', 'cli-exp']);
  });

  it('takes the server from MLFLOW_TRACKING_URI', async () => {
    const r = await cli(['experiments', 'list', '--json'], { MLFLOW_TRACKING_URI: live.url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toHaveLength(2);
  });

  it('runs search: filters, orders and limits', async () => {
    const second = await live.client.createRun(demo.experiment.experimentId, { runName: 'second' });
    await live.client.logMetric(second.info.runId, 'val_rmse', 99);
    const table = await cli(['runs', 'search', ...at(), '--filter', 'metrics.val_rmse < 10']);
    expect(table.code).toBe(0);
    expect(table.out).toContain(demo.run.info.runId);
    expect(table.out).not.toContain(second.info.runId);
    expect(table.out.split('\n')[0]).toMatch(/^RUN ID\s+NAME\s+EXP\s+STATUS/);
    expect(table.out).toContain('FINISHED');

    const ordered = await cli(['runs', 'search', ...at(), '--experiment-ids', demo.experiment.experimentId, '--order-by', 'metrics.val_rmse DESC', '--json']);
    const runs = JSON.parse(ordered.out) as Array<{ info: { runId: string } }>;
    expect(runs.map((r) => r.info.runId)).toEqual([second.info.runId, demo.run.info.runId]);

    const limited = await cli(['runs', 'search', ...at(), '--max-results', '1', '--json']);
    expect(JSON.parse(limited.out)).toHaveLength(1);

    const none = await cli(['runs', 'search', ...at(), '--filter', "params.model_type = 'none'"]);
    expect(none.out).toBe('No runs matched.\n');
  });

  it('runs search: a bad filter is the server\'s INVALID_PARAMETER_VALUE', async () => {
    const r = await cli(['runs', 'search', ...at(), '--filter', 'metrics.x <<< 1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^INVALID_PARAMETER_VALUE: /);
  });

  it('models list and models show', async () => {
    const list = await cli(['models', 'list', ...at()]);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/cli-model\s+v1 Staging\s+challenger→v1/);
    const show = await cli(['models', 'show', 'cli-model', ...at()]);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/^Name\s+cli-model$/m);
    expect(show.out).toMatch(/^Aliases\s+challenger→v1$/m);
    expect(show.out).toMatch(new RegExp(`^1\\s+Staging\\s+challenger\\s+READY\\s+${demo.run.info.runId}`, 'm'));
    const json = JSON.parse((await cli(['models', 'show', 'cli-model', ...at(), '--json'])).out) as { model: { name: string }; versions: unknown[] };
    expect(json.model.name).toBe('cli-model');
    expect(json.versions).toHaveLength(1);
  });

  it('models resolve', async () => {
    const r = await cli(['models', 'resolve', 'models:/cli-model/Staging', ...at()]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Version\s+1$/m);
    expect(r.out).toMatch(/^Stage\s+Staging$/m);
    expect(r.out).toContain(`Artifact URI  ${demo.run.info.artifactUri}/model`);
    const json = JSON.parse((await cli(['models', 'resolve', 'models:/cli-model@challenger', ...at(), '--json'])).out) as { modelVersion: { version: number } };
    expect(json.modelVersion.version).toBe(1);
  });

  it('prints error_code: message and exits 1, without a stack trace', async () => {
    const missing = await cli(['models', 'show', 'no-such-model', ...at()]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('RESOURCE_DOES_NOT_EXIST: Registered Model with name=no-such-model not found\n');
    expect(missing.out).toBe('');
    const badUri = await cli(['models', 'resolve', 'models:/cli-model', ...at()]);
    expect(badUri.err).toMatch(/^INVALID_PARAMETER_VALUE: Not a model URI: 'models:\/cli-model'/);
    const down = await cli(['experiments', 'list', '--tracking-uri', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^TEMPORARILY_UNAVAILABLE: Cannot reach the tracking server at http:\/\/127\.0\.0\.1:1/);
    expect(down.err).not.toContain('    at ');
  });
});
