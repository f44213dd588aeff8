import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangarClient } from '../../client/index.js';
import { loadConfig } from '../../core/config.js';
import { governanceFor } from '../../governance/index.js';
import { train } from '../../models/index.js';
import { startServer, type RunningServer } from '../../cli/serve.js';

/**
 * `/api/2.0/hangar/validation/…` through the SDK against a live server with `--auth`: the server
 * loads the models, evaluates on a file it reads, records the verdicts, and checks permissions.
 */

let home: string;
let server: RunningServer;
let admin: HangarClient;
let alice: HangarClient;
let bob: HangarClient;
let csv: string;
let receiver: Server;
const received: string[] = [];
const MODEL = 'val-routes';

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'hangar-validation-routes-'));
  // Loopback delivery is off by default (SSRF guard); this server allows it for the test receiver.
  server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent', auth: true, webhookAllowPrivateHosts: true }));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const gov = governanceFor(server.store);
  const token = async (principal: string, isAdmin = false) => (await gov.createToken({ principal, isAdmin })).token;
  admin = new HangarClient({ trackingUri: server.url, token: await token('root', true), maxRetries: 0 });
  alice = new HangarClient({ trackingUri: server.url, token: await token('alice'), maxRetries: 0 });
  bob = new HangarClient({ trackingUri: server.url, token: await token('bob'), maxRetries: 0 });

  // y = 1 when 2x + noise > 0: a linear model learns it well.
  let seed = 11;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const rows = ['x,colour,label'];
  for (let i = 0; i < 300; i++) {
    const x = rand() * 2 - 1;
    rows.push(`${x.toFixed(4)},${rand() < 0.5 ? 'red' : 'blue'},${2 * x + (rand() - 0.5) > 0 ? 1 : 0}`);
  }
  csv = join(home, 'labelled.csv');
  await writeFile(csv, `${rows.join('\n')}\n`);
  // alice trains and registers two versions, so she holds Can Manage on the model.
  for (let i = 0; i < 2; i++) {
    await train({ client: alice, data: csv, target: 'label', learner: 'linear', problem: 'binary', register: MODEL, experiment: 'val-routes-training', threads: 1 });
  }
  await alice.setRegisteredModelAlias(MODEL, 'champion', 1);
  await alice.setModelVersionTag(MODEL, 2, 'owner', 'alice');
  await alice.updateModelVersion(MODEL, 2, 'Linear delay classifier.');
  await alice.governance.createWebhook({ name: 'gate', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['validation.completed'], modelName: MODEL });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await new Promise((r) => receiver?.close(r));
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

describe('POST /api/2.0/hangar/validation/compliance/run', () => {
  it('checks the version on the server and records the verdict as tags', async () => {
    const { report, recorded } = await alice.validation.runCompliance(MODEL, 2, { rules: { required_tags: ['owner', 'use_case'], environment: false } });
    expect(recorded).toBe(true);
    expect(report).toMatchObject({ modelUri: `models:/${MODEL}/2`, name: MODEL, version: 2, passed: false });
    expect(report.checks.map((c) => `${c.rule}:${c.status}`)).toEqual([
      'required_tags:FAIL',
      'description:PASS',
      'signature:PASS',
      'input_example:PASS',
      'required_metrics:PASS',
      'dataset_lineage:PASS',
      'environment:SKIP',
      'sensitive_features:SKIP',
    ]);
    expect(report.checks[0]!.reason).toBe('missing version tags: use_case');
    const tags = Object.fromEntries((await admin.getModelVersion(MODEL, 2)).tags.map((t) => [t.key, t.value]));
    expect(tags.compliance_status).toBe('failed');
    expect(tags['compliance.required_tags']).toBe('FAIL: missing version tags: use_case');

    const results = await bob.validation.getResults(MODEL, 2);
    expect(results.compliance?.status).toBe('failed');
    expect(results.compliance?.checks.map((c) => c.rule)).toEqual(['required_tags', 'description', 'signature', 'input_example', 'required_metrics', 'dataset_lineage']);

    // Passing now: the verdict on the version follows.
    const again = await alice.validation.runCompliance(MODEL, 2, { rules: { required_tags: ['owner'] } });
    expect(again.report.passed).toBe(true);
    expect((await bob.validation.getResults(MODEL, 2)).compliance?.status).toBe('passed');
  });

  it('names the field of a bad rule, and refuses recording to a reader', async () => {
    await expect(alice.validation.runCompliance(MODEL, 2, { rules: { required_tags: 'owner' } as never })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining("'rules.required_tags'"),
    });
    await expect(alice.validation.runCompliance(MODEL, 2, { rules: { colour: true } as never })).rejects.toMatchObject({
      message: expect.stringContaining("'rules.colour'"),
    });
    await expect(bob.validation.runCompliance(MODEL, 2)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const dry = await bob.validation.runCompliance(MODEL, 1, { record: false });
    expect(dry.recorded).toBe(false);
    expect((await admin.getModelVersion(MODEL, 1)).tags.some((t) => t.key === 'compliance_status')).toBe(false);
  });
});

describe('POST /api/2.0/hangar/validation/gate/run', () => {
  const thresholds = { roc_auc: { threshold: 0.8, min_relative_change: 0, greater_is_better: true } };

  it('evaluates candidate and champion on the same file in one run, records the verdict and sets challenger', async () => {
    const result = await alice.validation.runGate({ name: MODEL, version: 2, data: csv, target: 'label', mode: 'enabled', thresholds });
    expect(result).toMatchObject({ mode: 'enabled', passed: true, blocking: false, status: 'approved', skippedComparisons: [] });
    expect(result.candidate?.version).toBe(2);
    expect(result.baseline).toMatchObject({ version: 1, uri: `models:/${MODEL}@champion` });
    expect(result.candidate!.metrics.roc_auc).toBeGreaterThan(0.8);
    // Same learner, same data: the two scores agree, so min_relative_change 0 passes.
    expect(result.candidate!.metrics.roc_auc).toBeCloseTo(result.baseline!.metrics.roc_auc!, 10);
    expect(result.validation!.metrics[0]).toMatchObject({ metric: 'roc_auc', passed: true, threshold: { threshold: 0.8, minRelativeChange: 0, greaterIsBetter: true } });
    expect(result.runLink).toBe(`${server.url}/#/experiments/${(await admin.getRun(result.runId!)).info.experimentId}/runs/${result.runId}`);

    const run = await admin.getRun(result.runId!);
    expect(run.data.metrics.map((m) => m.key)).toEqual(expect.arrayContaining(['roc_auc', 'baseline_roc_auc']));
    expect(run.data.params.find((p) => p.key === 'validation_data')?.value).toBe(csv);
    const version = await admin.getModelVersion(MODEL, 2);
    expect(version.tags.find((t) => t.key === 'validation_status')?.value).toBe('approved');
    expect((await admin.getModelVersionByAlias(MODEL, 'challenger')).version).toBe(2);
    expect(version.description).toContain('Model Validation Status: SUCCESS');

    // The writes were made as alice, through the same governed routes as a client's.
    const audit = await admin.audit.list({ entityType: 'model_version' });
    expect(audit.items.some((e) => e.principal === 'alice' && e.action === 'POST /api/2.0/hangar/validation/gate/run')).toBe(true);

    const recorded = await bob.validation.getResults(MODEL, 2);
    expect(recorded.gate).toMatchObject({ status: 'approved', runId: result.runId });
    expect(recorded.gate?.result).toEqual(result);

    // The server raised validation.completed for the model's webhook.
    await governanceFor(server.store).webhooks.idle();
    const events = received.map((b) => JSON.parse(b) as { entity: string; data: { status: string; runId: string } });
    expect(events.filter((e) => e.entity === 'validation').map((e) => [e.data.status, e.data.runId])).toEqual([['approved', result.runId]]);
  });

  it('a worse candidate fails in enabled mode: recorded, blocking, no challenger', async () => {
    const result = await alice.validation.runGate({
      name: MODEL,
      version: 2,
      data: csv,
      target: 'label',
      mode: 'enabled',
      thresholds: { roc_auc: { min_absolute_change: 0.05, greater_is_better: true } },
    });
    expect(result).toMatchObject({ passed: false, blocking: true, status: 'failed' });
    expect(result.validation!.message).toContain('Metric roc_auc minimum absolute change check failed');
    expect((await bob.validation.getResults(MODEL, 2)).gate?.status).toBe('failed');
  });

  it('resolves dataset:NAME[@VERSION] on the server, evaluates on it and records the version as the run input', async () => {
    const dataset = 'val-routes-holdout';
    const { version: registered } = await alice.datasets.register({ name: dataset, file: csv });
    const fromFile = await alice.validation.runGate({ name: MODEL, version: 2, data: csv, target: 'label', mode: 'dry_run', thresholds });
    const result = await alice.validation.runGate({ name: MODEL, version: 2, data: `dataset:${dataset}@${registered.version}`, target: 'label', mode: 'dry_run', thresholds });
    expect(result).toMatchObject({ passed: true, status: 'approved' });
    // The same rows as the file: the same scores.
    expect(result.candidate!.metrics.roc_auc).toBeCloseTo(fromFile.candidate!.metrics.roc_auc!, 12);
    expect(result.baseline!.metrics.roc_auc).toBeCloseTo(fromFile.baseline!.metrics.roc_auc!, 12);

    const run = await admin.getRun(result.runId!);
    expect(run.data.params.find((p) => p.key === 'validation_data')?.value).toBe(`dataset:${dataset}@${registered.version}`);
    // One input: the dataset version (not the cached Parquet file the server read).
    const inputs = run.inputs?.datasetInputs ?? [];
    expect(inputs.map((d) => [d.dataset.name, d.dataset.digest, d.tags?.find((t) => t.key === 'mlflow.data.context')?.value])).toEqual([[dataset, registered.digest, 'evaluation']]);
    expect(JSON.parse(inputs[0]!.dataset.source!)).toEqual({ uri: registered.uri });
    expect(JSON.parse(inputs[0]!.dataset.profile!)).toMatchObject({ num_rows: 300 });

    // Without a version: the latest, pinned in the label.
    const latest = await alice.validation.runGate({ name: MODEL, version: 2, data: `dataset:${dataset}`, target: 'label', mode: 'dry_run', thresholds });
    expect((await admin.getRun(latest.runId!)).data.params.find((p) => p.key === 'validation_data')?.value).toBe(`dataset:${dataset}@${registered.version}`);
  });

  it('answers errors naming the field, and checks permissions', async () => {
    const base = { name: MODEL, version: 2, target: 'label', mode: 'enabled' as const, thresholds };
    await expect(alice.validation.runGate({ ...base, data: 'labelled.csv' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'data' must be an absolute path") });
    await expect(alice.validation.runGate({ ...base, data: join(home, 'nope.csv') })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', message: expect.stringContaining("'data'") });
    await expect(alice.validation.runGate({ ...base, data: `select * from '${csv}'` })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'data'") });
    await expect(alice.validation.runGate({ ...base, data: 'dataset:no-such-dataset@3' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(alice.validation.runGate({ ...base, data: 'dataset:two words' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'data'") });
    await expect(alice.validation.runGate({ ...base, data: csv, thresholds: { roc_auc: { threshold: 0.8 } as never } })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: 'thresholds.roc_auc.greater_is_better is required and must be true or false.',
    });
    await expect(alice.validation.runGate({ ...base, data: csv, mode: 'sometimes' as never })).rejects.toMatchObject({ message: expect.stringContaining("'mode'") });
    await expect(alice.validation.runGate({ ...base, data: csv, thresholds: {} })).rejects.toMatchObject({ message: expect.stringContaining('no thresholds') });
    await expect(bob.validation.runGate({ ...base, data: csv })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const anonymous = new HangarClient({ trackingUri: server.url, maxRetries: 0 });
    await expect(anonymous.validation.runGate({ ...base, data: csv })).rejects.toMatchObject({ status: 401 });
    // Disabled writes nothing, so a reader may run it.
    expect(await bob.validation.runGate({ ...base, data: 'anything', mode: 'disabled' })).toMatchObject({ mode: 'disabled', status: null, runId: null });
    await expect(bob.validation.getResults(MODEL, 99)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
