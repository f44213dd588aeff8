import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangarClient } from '../../client/index.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { runCliAgainst, testIo } from '../test-support/cli.js';

let server: TestServer;
let dir: string;
let n = 0;
const unique = (p: string): string => `${p}-${process.pid}-${++n}`;
const CSV = 'id,origin,delay\n1,SFO,10\n2,LAX,-5\n3,SFO,30\n';

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'hangar-datasets-cli-'));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCliAgainst(server.url, args);

/** A command that needs no server. */
async function local(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { runCli } = await import('../program.js');
  const t = testIo();
  const code = await runCli(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

describe('hangar datasets', () => {
  it('registers with expectations and tags, shows the profile, lists versions, exports CSV', async () => {
    const name = unique('flights');
    const data = join(dir, `${name}.csv`);
    writeFileSync(data, CSV);
    const expect_ = join(dir, `${name}.yaml`);
    writeFileSync(expect_, 'columns:\n  id: { unique: true, not_null: true }\n  delay: { type: integer, min: -60 }\n');
    const reg = await cli(['datasets', 'register', name, '--from', data, '--expectations', expect_, '--tag', 'team=data', '--description', 'three flights']);
    expect(reg.code, reg.err).toBe(0);
    expect(reg.out).toMatch(new RegExp(`^Registered ${name} version 1 \\(3 rows, digest [0-9a-f]{32}\\)`));
    expect(reg.err).toContain('uploading');
    expect(reg.err).toContain('  upload 100%\n');

    const again = await cli(['datasets', 'register', name, '--from', data, '--json']);
    expect(JSON.parse(again.out)).toMatchObject({ created: false, dataset_version: { version: 1 } });

    const show = await cli(['datasets', 'show', `${name}@1`]);
    expect(show.code, show.err).toBe(0);
    expect(show.out).toContain('expectations  passed');
    expect(show.out).toMatch(/delay\s+BIGINT\s+3\s+0\s+3\s+-5\s+30/);
    expect(show.out).toContain('SFO (2)');

    const list = await cli(['datasets', 'list', '--name-contains', name, '--json']);
    expect(JSON.parse(list.out)).toMatchObject([{ name, latestVersion: 1, tags: { team: 'data' }, description: 'three flights' }]);
    const versions = await cli(['datasets', 'versions', name]);
    expect(versions.out).toMatch(/VERSION\s+DIGEST/);

    const out = join(dir, 'out', `${name}.csv`);
    const exp = await cli(['datasets', 'export', name, '--out', out]);
    expect(exp.code, exp.err).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(CSV);
  });

  it('fails with the failing columns and exit code 1 when expectations break', async () => {
    const name = unique('bad');
    const data = join(dir, `${name}.csv`);
    writeFileSync(data, CSV);
    const expect_ = join(dir, `${name}.json`);
    writeFileSync(expect_, JSON.stringify({ columns: { delay: { min: 0 } } }));
    const r = await cli(['datasets', 'register', name, '--from', data, '--expectations', expect_]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('DATA_EXPECTATION_FAILED');
    expect(r.err).toContain("column 'delay': 1 values outside [0, ∞]");
    const bad = join(dir, `${name}-bad.yaml`);
    writeFileSync(bad, 'columns: { delay: { minimum: 0 } }\n');
    const r2 = await cli(['datasets', 'register', name, '--from', data, '--expectations', bad]);
    expect(r2.code).toBe(1);
    expect(r2.err).toContain('expectations.columns.delay');
  });

  it('records a version as a run input', async () => {
    const name = unique('input');
    const data = join(dir, `${name}.csv`);
    writeFileSync(data, CSV);
    expect((await cli(['datasets', 'register', name, '--from', data])).code).toBe(0);
    const client = new HangarClient(server.url);
    const { experiment } = await client.getOrCreateExperiment(unique('exp'));
    const run = await client.createRun(experiment.experimentId, {});
    const r = await cli(['datasets', 'log-input', `${name}@1`, '--run-id', run.info.runId, '--context', 'evaluation']);
    expect(r.code, r.err).toBe(0);
    const inputs = (await client.getRun(run.info.runId)).inputs.datasetInputs;
    expect(inputs.map((i) => [i.dataset.name, i.tags[0]?.value])).toEqual([[name, 'evaluation']]);
    const del = await cli(['datasets', 'delete', name, '--json']);
    expect(JSON.parse(del.out)).toEqual({ name, deleted_versions: [1] });
  });

  it('hangar train --data dataset:NAME@V trains on the registered version and logs it as the run input', async () => {
    const name = unique('train');
    const data = join(dir, `${name}.csv`);
    const rows = Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 13) % 50},${i % 3 === 0 ? 1 : 0}`);
    writeFileSync(data, `x,y,late\n${rows.join('\n')}\n`);
    const reg = await cli(['datasets', 'register', name, '--from', data, '--json']);
    const digest = (JSON.parse(reg.out) as { dataset_version: { digest: string } }).dataset_version.digest;
    const r = await cli(['train', '--data', `dataset:${name}@1`, '--target', 'late', '--learner', 'linear', '--experiment', unique('exp'), '--json']);
    expect(r.code, r.err).toBe(0);
    const runId = (JSON.parse(r.out) as { run_id: string }).run_id;
    const inputs = (await new HangarClient(server.url).getRun(runId)).inputs.datasetInputs;
    expect(inputs.map((i) => [i.dataset.name, i.dataset.digest, i.tags[0]?.value])).toEqual([[name, digest, 'training']]);
    const missing = await cli(['train', '--data', `dataset:${unique('nope')}`, '--target', 'late']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('RESOURCE_DOES_NOT_EXIST');
  });

  it('check reports expectations on a local file without registering, exit 1 on failure; usage errors say why', async () => {
    const name = unique('check');
    const data = join(dir, `${name}.csv`);
    writeFileSync(data, CSV);
    const good = join(dir, `${name}-good.yaml`);
    writeFileSync(good, 'columns:\n  id: { unique: true }\n');
    const bad = join(dir, `${name}-bad.yaml`);
    writeFileSync(bad, 'columns:\n  origin: { allowed: [SFO] }\nunique: [[origin]]\n');
    const ok = await local(['datasets', 'check', '--from', data, '--expectations', good]);
    expect([ok.code, ok.out]).toEqual([0, 'All expectations hold on 3 rows.\n']);
    const failed = await local(['datasets', 'check', '--sql', `select * from '${data}'`, '--expectations', bad]);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/origin\s+allowed\s+1\s+column 'origin': 1 values not in the allowed list/);
    expect(failed.out).toMatch(/origin\s+unique\s+2\s+/);
    const both = await cli(['datasets', 'register', name, '--from', data, '--sql', 'select 1']);
    expect([both.code, both.err]).toEqual([1, 'INVALID_PARAMETER_VALUE: Give exactly one of --from PATH or --sql SQL.\n']);
    const ref = await cli(['datasets', 'show', `${name}@0`]);
    expect(ref.err).toContain("Expected NAME or NAME@VERSION, got '" + name + "@0'");
    expect((await cli(['datasets', 'list', '--name-contains', name, '--json'])).out).toBe('[]\n');
  });
});
