import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logisticClassifierOnnx, logModel } from '../../models/index.js';
import { runCliAgainst } from '../test-support/cli.js';
import { startLiveServer, type LiveServer } from '../test-support/live-server.js';

/** `hangar evaluate` against an in-process server, on an ONNX model logged by the test. */

let live: LiveServer;
let dir: string;
let csv: string;
let modelUri: string;

beforeAll(async () => {
  live = await startLiveServer('hangar-evaluate-');
  dir = await mkdtemp(join(tmpdir(), 'hangar-evaluate-data-'));
  csv = join(dir, 'holdout.csv');
  // p = sigmoid(2x − 1): 0.269, 0.5, 0.731, 0.881, 0.953 for x = 0, 0.5, 1, 1.5, 2.
  await writeFile(csv, 'x,k\n0,early\n0.5,late\n1,early\n1.5,late\n2,late\n');
  const { experiment } = await live.client.getOrCreateExperiment('evaluate-cli');
  const run = await live.client.createRun(experiment.experimentId);
  const logged = await logModel(live.client, { runId: run.info.runId, onnx: logisticClassifierOnnx([2], -1), onnxOptions: { classLabels: ['early', 'late'] }, inputExample: { x: [0.5] } });
  modelUri = logged.modelUri;
});

afterAll(async () => {
  await live?.close();
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCliAgainst(live.url, args);

describe('hangar evaluate', () => {
  it('prints the metrics as JSON and logs them with the plots to a new run', async () => {
    const r = await cli(['evaluate', modelUri, '--data', csv, '--target', 'k', '--experiment', 'evaluate-cli', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { run_id: string; problem: string; rows: number; metrics: Record<string, number>; artifacts: string[] };
    expect(out.problem).toBe('binary');
    expect(out.rows).toBe(5);
    // Every late scores above every early except the pair (x = 0.5 late, x = 1 early): AUC 5/6.
    expect(out.metrics.auc).toBeCloseTo(5 / 6, 6);
    expect(out.metrics.roc_auc).toBe(out.metrics.auc);
    // Predicted late where p > 0.5 (x = 1, 1.5, 2; x = 0.5 gives exactly 0.5 → early): 3 of 5 right.
    expect(out.metrics.accuracy).toBeCloseTo(3 / 5, 12);
    expect([out.metrics.true_positives, out.metrics.false_positives, out.metrics.false_negatives, out.metrics.true_negatives]).toEqual([2, 1, 1, 1]);
    expect(out.artifacts).toContain('evaluation/roc_curve_plot.svg');
    const run = await live.client.getRun(out.run_id);
    expect(run.data.metrics.find((m) => m.key === 'roc_auc')?.value).toBeCloseTo(5 / 6, 6);
  });

  it('prints a table of the short metric names', async () => {
    const r = await cli(['evaluate', modelUri, '--data', csv, '--target', 'k']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Evaluated runs:\/\S+ on 5 rows \(binary\); logged to run [0-9a-f]{32}/);
    expect(r.out).toMatch(/^auc\s+0\.8333$/m);
    expect(r.out).not.toMatch(/^roc_auc/m);
    expect(r.out).toContain('Plots: evaluation/');
  });

  it('names a missing target column', async () => {
    const r = await cli(['evaluate', modelUri, '--data', csv, '--target', 'nope']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/INVALID_PARAMETER_VALUE: The data has no target column 'nope'/);
  });
});
