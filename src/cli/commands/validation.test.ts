import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { HangarClient } from '../../client/index.js';
import { verifySignature } from '../../governance/index.js';
import { train } from '../../models/index.js';
import { startServer } from '../serve.js';
import { runCliAgainst, testIo } from '../test-support/cli.js';
import { startLiveServer, type LiveServer } from '../test-support/live-server.js';
import { registerValidationCommands, type EvaluatorFactory } from './validation.js';

/** `hangar validate`, `hangar gate` and `hangar deploy` against a live server. */

let live: LiveServer;
let dir: string;
beforeAll(async () => {
  live = await startLiveServer('hangar-cli-validation-');
  dir = await mkdtemp(join(tmpdir(), 'hangar-cli-validation-cfg-'));
});
afterAll(async () => {
  await live?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCliAgainst(live.url, args);

let n = 0;
/** A version with a complete package (MLmodel with signature, example and environment), a run with a metric and a dataset. */
async function packagedVersion(opts: { tags?: Record<string, string>; description?: string } = {}): Promise<string> {
  const c = live.client;
  const name = `cli-val-${++n}`;
  await c.createRegisteredModel(name);
  const { experiment } = await c.getOrCreateExperiment('cli-validation');
  const run = await c.createRun(experiment.experimentId);
  await c.logMetric(run.info.runId, 'roc_auc', 0.7);
  await c.logInputs(run.info.runId, [{ dataset: { name: 'flights', digest: 'abc', sourceType: 'local', source: '{}' } }]);
  await c.putArtifact(
    { runId: run.info.runId },
    'model/MLmodel',
    `flavors: {hangar.tabular: {}}\nsignature: {inputs: '[{"type": "double", "name": "distance"}]'}\n` +
      `saved_input_example_info: {artifact_path: input_example.json, type: dataframe}\nhangar_env: {node_version: v20.1.0, lockfile_digest: abc}\n`,
  );
  await c.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId, tags: opts.tags, description: opts.description });
  return name;
}

describe('hangar validate', () => {
  it('prints one line per rule, records the tags, exits 0 when every rule passes', async () => {
    const name = await packagedVersion({ tags: { owner: 'ml' }, description: 'Delay classifier.' });
    const cfg = join(dir, 'pass.yaml');
    await writeFile(cfg, 'compliance: { required_tags: [owner], required_metrics: [roc_auc] }\n');
    const r = await cli(['validate', `models:/${name}/1`, '--config', cfg]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines.slice(0, 8).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'PASS required_tags',
      'PASS description',
      'PASS signature',
      'PASS input_example',
      'PASS required_metrics',
      'PASS dataset_lineage',
      'PASS environment',
      'SKIP sensitive_features',
    ]);
    expect(lines[8]).toBe(`Compliance checks passed for models:/${name}/1.`);
    const tags = Object.fromEntries((await live.client.getModelVersion(name, 1)).tags.map((t) => [t.key, t.value]));
    expect(tags.compliance_status).toBe('passed');
    expect(tags['compliance.environment']).toBe('PASS: node 20.1.0, dependencies abc, no code commit');
    // The server ran the checks (its route is in the audit trail), not the CLI.
    const audit = await live.client.audit.list({ entityType: 'model_version', entityId: `${name}/1` });
    expect(audit.items.map((e) => e.action)).toContain('POST /api/2.0/hangar/validation/compliance/run');
  });

  it('exits 1 on a failed rule with the reason, records it, and --json gives the report', async () => {
    const name = await packagedVersion();
    const cfg = join(dir, 'fail.yaml');
    await writeFile(cfg, 'compliance: { required_tags: [owner] }\n');
    const r = await cli(['validate', `models:/${name}/1`, '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^FAIL {2}required_tags {7}missing version tags: owner$/m);
    expect(r.out).toMatch(/^FAIL {2}description {9}the version has no description$/m);
    expect(r.out).toContain('2 rules failed; promotion to Staging and Production is blocked.');
    expect((await live.client.getModelVersion(name, 1)).tags.find((t) => t.key === 'compliance_status')?.value).toBe('failed');

    const j = await cli(['validate', `models:/${name}/1`, '--config', cfg, '--json', '--no-record']);
    expect(j.code).toBe(1);
    const report = JSON.parse(j.out) as { passed: boolean; recorded: boolean; checks: Array<{ rule: string; status: string }> };
    expect(report.passed).toBe(false);
    expect(report.recorded).toBe(false);
    expect(report.checks.filter((c) => c.status === 'FAIL').map((c) => c.rule)).toEqual(['required_tags', 'description']);

    // The recorded failure blocks deployment.
    const d = await cli(['deploy', name, '1']);
    expect(d.code).toBe(1);
    expect(d.err).toContain('BAD_REQUEST: Model');
    expect(d.err).toContain('compliance check required_tags failed: missing version tags: owner');
  });

  it('a bad project file fails naming the field', async () => {
    const name = await packagedVersion();
    const cfg = join(dir, 'bad.yaml');
    await writeFile(cfg, 'validation: { thresholds: { auc: { threshold: 0.6 } } }\n');
    const r = await cli(['validate', `models:/${name}/1`, '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`INVALID_PARAMETER_VALUE: ${cfg}: validation.thresholds.auc.greater_is_better is required and must be true or false.\n`);
  });
});

describe('hangar gate and hangar deploy', () => {
  /** A program with only the validation commands and an evaluator scoring by version number. */
  async function gate(args: string[], scores: Record<number, Record<string, number>>, trackingUri = live.url) {
    const t = testIo();
    const program = new Command('hangar').exitOverride().configureOutput({ writeOut: (s) => t.io.out(s), writeErr: (s) => t.io.err(s) });
    const factory: EvaluatorFactory = async (_client, data, target) => {
      expect([data, target]).toEqual(['holdout.parquet', 'delayed']);
      return async (uri) => scores[Number(/\/(\d+)$/.exec(uri)![1])]!;
    };
    registerValidationCommands({ program, io: t.io, models: program.command('models') }, factory);
    let code = 0;
    try {
      await program.parseAsync(['gate', ...args, '--data', 'holdout.parquet', '--target', 'delayed', '--tracking-uri', trackingUri, '--evaluate-on', 'client'], { from: 'user' });
    } catch (e) {
      if (!(e instanceof CommanderError)) throw e;
      code = e.exitCode;
    }
    return { code, out: t.out(), err: t.err() };
  }

  it('enabled: passes → challenger; deploy makes it champion; a worse candidate fails with exit 1; dry run records but exits 0', async () => {
    const name = await packagedVersion();
    const cfg = join(dir, 'gate.yaml');
    await writeFile(cfg, 'validation: { mode: enabled, thresholds: { roc_auc: { threshold: 0.6, min_absolute_change: 0.01, greater_is_better: true } } }\n');
    const first = await gate([`models:/${name}/1`, '--config', cfg], { 1: { roc_auc: 0.65 } });
    expect(first.code).toBe(0);
    expect(first.out).toContain('baseline   none (no champion): change bounds skipped');
    expect(first.out).toMatch(/^PASS {2}roc_auc = 0\.65$/m);
    expect(first.out).toMatch(/Validation PASSED: alias challenger set; validation_status=approved; run http:\/\/127\.0\.0\.1:\d+\/#\/experiments\/\d+\/runs\/[0-9a-f]{32}\n$/);

    const d = await cli(['deploy', name, '1']);
    expect(d.code).toBe(0);
    expect(d.out).toBe(`champion → ${name} v1; challenger alias removed; stage Production\n`);

    const { experiment } = await live.client.getOrCreateExperiment('cli-validation');
    const run = await live.client.createRun(experiment.experimentId);
    await live.client.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId });
    const worse = await gate([`models:/${name}/2`, '--config', cfg], { 1: { roc_auc: 0.65 }, 2: { roc_auc: 0.655 } });
    expect(worse.code).toBe(1);
    expect(worse.out).toContain(`baseline   v1 (models:/${name}@champion)`);
    expect(worse.out).toMatch(/^FAIL {2}roc_auc = 0\.655 {2}baseline 0\.65$/m);
    expect(worse.out).toContain(
      'Metric roc_auc minimum absolute change check failed: candidate model roc_auc = 0.655, baseline model roc_auc = 0.65, roc_auc minimum absolute change threshold = 0.01.',
    );
    expect(worse.out).toContain('Validation FAILED: deployment blocked; validation_status=failed');

    const dry = await gate([`models:/${name}/2`, '--config', cfg, '--mode', 'dry_run', '--json'], { 1: { roc_auc: 0.65 }, 2: { roc_auc: 0.655 } });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out)).toMatchObject({ mode: 'dry_run', passed: false, blocking: false, status: 'dry_run_failed' });

    const off = await gate([`models:/${name}/2`, '--config', cfg, '--mode', 'disabled'], {});
    expect(off).toEqual({ code: 0, out: 'Validation gate disabled: nothing evaluated or recorded.\n', err: '' });
  });

  it('the verdict fires the signed validation.completed webhook event', async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const home = await mkdtemp(join(tmpdir(), 'hangar-cli-validation-hook-'));
    // Loopback delivery is off by default (SSRF guard); this server allows it for the receiver.
    const server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent', webhookAllowPrivateHosts: true }));
    try {
      const c = new HangarClient(server.url);
      await c.governance.createWebhook({
        name: 'ci',
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
        events: ['validation.completed'],
        secret: 's3cret',
      });
      await c.createRegisteredModel('hooked');
      await c.createModelVersion({ name: 'hooked', source: 'mlflow-artifacts:/0/none/artifacts/model' });
      const cfg = join(dir, 'hook.yaml');
      await writeFile(cfg, 'validation: { mode: enabled, thresholds: { roc_auc: { threshold: 0.6, greater_is_better: true } } }\n');
      const r = await gate(['models:/hooked/1', '--config', cfg], { 1: { roc_auc: 0.7 } }, server.url);
      expect(r.code).toBe(0);
      expect(r.out).not.toContain('event not sent');
      const deadline = Date.now() + 10_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      expect(received).toHaveLength(1);
      const { headers, body } = received[0]!;
      const payload = JSON.parse(body) as { entity: string; action: string; data: Record<string, unknown> };
      expect(payload).toMatchObject({ entity: 'validation', action: 'completed', data: { name: 'hooked', version: 1, mode: 'enabled', status: 'approved', baselineVersion: null } });
      expect(
        verifySignature({
          secret: 's3cret',
          deliveryId: String(headers['x-mlflow-delivery-id']),
          timestamp: String(headers['x-mlflow-timestamp']),
          body,
          signature: String(headers['x-mlflow-signature']),
        }),
      ).toBe(true);
    } finally {
      await server.close();
      await new Promise((r) => receiver.close(r));
      await rm(home, { recursive: true, force: true });
    }
  });

  it('with the real evaluator: both models scored on the same CSV, plots and baseline_ metrics in the validation run', async () => {
    // y = 1 when 2x + noise > 0; the linear model sees x, so it learns the rule well.
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const rows = ['x,colour,label'];
    for (let i = 0; i < 400; i++) {
      const x = rand() * 2 - 1;
      rows.push(`${x.toFixed(4)},${rand() < 0.5 ? 'red' : 'blue'},${2 * x + (rand() - 0.5) > 0 ? 1 : 0}`);
    }
    const csv = join(dir, 'labelled.csv');
    await writeFile(csv, `${rows.join('\n')}\n`);
    const c = live.client;
    for (const learner of ['linear', 'linear']) {
      await train({ client: c, data: csv, target: 'label', learner, problem: 'binary', register: 'real-gate', experiment: 'real-gate-training', threads: 1 });
    }
    await c.setRegisteredModelAlias('real-gate', 'champion', 1);
    const cfg = join(dir, 'real.yaml');
    await writeFile(cfg, 'validation: { mode: enabled, thresholds: { roc_auc: { threshold: 0.8, min_relative_change: 0, greater_is_better: true } } }\n');
    const r = await cli(['gate', 'models:/real-gate/2', '--data', csv, '--target', 'label', '--config', cfg, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as { status: string; runId: string; candidate: { metrics: Record<string, number> }; baseline: { version: number; metrics: Record<string, number> } };
    expect(result.status).toBe('approved');
    expect(result.baseline.version).toBe(1);
    // Same learner, same data, same evaluation rows: the two scores agree.
    expect(result.candidate.metrics.roc_auc).toBeGreaterThan(0.8);
    expect(result.candidate.metrics.roc_auc).toBeCloseTo(result.baseline.metrics.roc_auc!, 10);
    const run = await c.getRun(result.runId);
    const keys = run.data.metrics.map((m) => m.key);
    expect(keys).toEqual(expect.arrayContaining(['roc_auc', 'baseline_roc_auc', 'log_loss', 'baseline_log_loss']));
    const plots = (await c.listArtifacts({ runId: result.runId }, 'evaluation/candidate')).map((f) => f.path);
    expect(plots).toContain('evaluation/candidate/roc_curve_plot.svg');
    const basePlots = (await c.listArtifacts({ runId: result.runId }, 'evaluation/baseline')).map((f) => f.path);
    expect(basePlots).toContain('evaluation/baseline/baseline_roc_curve_plot.svg');
    // A local file and a server on this machine: auto sent it to the server.
    const audit = await c.audit.list({ entityType: 'model_version', entityId: 'real-gate/2' });
    expect(audit.items.map((e) => e.action)).toContain('POST /api/2.0/hangar/validation/gate/run');

    // --evaluate-on client scores here and records the same way.
    const local = await cli(['gate', 'models:/real-gate/2', '--data', csv, '--target', 'label', '--config', cfg, '--json', '--evaluate-on', 'client']);
    expect(local.code).toBe(0);
    const viaClient = JSON.parse(local.out) as typeof result;
    expect(viaClient.status).toBe('approved');
    expect(viaClient.candidate.metrics.roc_auc).toBeCloseTo(result.candidate.metrics.roc_auc!, 12);
    const after = await c.audit.list({ entityType: 'model_version', entityId: 'real-gate/2' });
    expect(after.items.filter((e) => e.action === 'POST /api/2.0/hangar/validation/gate/run')).toHaveLength(1);
    // Either way the last verdict reads back from the version and its validation run.
    const recorded = await c.validation.getResults('real-gate', 2);
    expect(recorded.gate).toMatchObject({ status: 'approved', runId: viaClient.runId });
    expect(recorded.gate?.result?.candidate?.metrics.roc_auc).toBeCloseTo(viaClient.candidate.metrics.roc_auc!, 12);

    // A registered dataset: read by the server (auto) or downloaded here (client); the same scores,
    // and each validation run records the version, with its digest, as its only input.
    const { version: ds } = await c.datasets.register({ name: 'real-gate-holdout', file: csv });
    for (const where of ['auto', 'client']) {
      const g = await cli(['gate', 'models:/real-gate/2', '--data', `dataset:real-gate-holdout@${ds.version}`, '--target', 'label', '--config', cfg, '--json', '--evaluate-on', where]);
      expect(g.err).toBe('');
      const onDataset = JSON.parse(g.out) as typeof result;
      expect(onDataset.status).toBe('approved');
      expect(onDataset.candidate.metrics.roc_auc).toBeCloseTo(result.candidate.metrics.roc_auc!, 12);
      const dsRun = await c.getRun(onDataset.runId);
      expect(dsRun.data.params.find((p) => p.key === 'validation_data')?.value).toBe(`dataset:real-gate-holdout@${ds.version}`);
      const inputs = dsRun.inputs?.datasetInputs ?? [];
      expect(inputs.map((d) => [d.dataset.name, d.dataset.digest, d.tags?.find((t) => t.key === 'mlflow.data.context')?.value])).toEqual([['real-gate-holdout', ds.digest, 'evaluation']]);
    }
    const gates = (await c.audit.list({ entityType: 'model_version', entityId: 'real-gate/2' })).items.filter((e) => e.action === 'POST /api/2.0/hangar/validation/gate/run');
    expect(gates).toHaveLength(2);
    const unknown = await cli(['gate', 'models:/real-gate/2', '--data', 'dataset:no-such-dataset', '--target', 'label', '--config', cfg, '--evaluate-on', 'client']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^RESOURCE_DOES_NOT_EXIST: /);
  });

  it('auto picks the client for SQL and for a local file a remote server cannot read', async () => {
    const { autoPlace } = await import('./validation.js');
    const here = join(dir, 'here.csv');
    await writeFile(here, 'x\n1\n');
    expect(autoPlace(`select * from '${here}'`, live.url)).toBe('client');
    expect(autoPlace(here, live.url)).toBe('server');
    expect(autoPlace(here, 'https://hangar.example.com')).toBe('client');
    expect(autoPlace('/srv/data/june.parquet', 'https://hangar.example.com')).toBe('server');
    expect(autoPlace('dataset:june@3', 'https://hangar.example.com')).toBe('server');
  });

  it('deploy refuses a version that is not a number', async () => {
    const r = await cli(['deploy', 'x', 'latest']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("INVALID_PARAMETER_VALUE: VERSION must be a version number, got 'latest'.\n");
  });
});
