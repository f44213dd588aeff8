import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gbdtLearner, linearLearner, withClassLabels, type FeatureFrame, type Learner } from '../learners/index.js';
import { inferSignatureFromFrame, saveModelPackage } from '../package/index.js';
import { loadModelFromDir, tabularPackage } from './index.js';

/** The real learners' models through the hangar.tabular flavor: save, load (default JSON reader), predict. */

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const n = 400;
const x = Float64Array.from({ length: n }, (_, i) => ((i * 37) % 100) / 10);
const codes = Int32Array.from({ length: n }, (_, i) => i % 3);
const frame: FeatureFrame = {
  rows: n,
  features: [
    { name: 'x', kind: 'numeric', values: x },
    { name: 'colour', kind: 'categorical', codes, categories: ['red', 'green', 'blue'] },
  ],
};
const labels = Float64Array.from({ length: n }, (_, i) => (x[i]! + (codes[i] === 1 ? 3 : 0) > 6 ? 1 : 0));

describe.each([
  ['linear', linearLearner as unknown as Learner, {}],
  ['gbdt', gbdtLearner as unknown as Learner, { max_iter: 10 }],
] as const)('%s model through the flavor', (_name, learner, params) => {
  it('predicts after loading exactly what the trained model predicts', async () => {
    const trained = withClassLabels(await learner.fit(frame, labels, { problem: 'binary', params, threads: 1 }), ['on_time', 'late']);
    const dir = await mkdtemp(join(tmpdir(), 'hangar-learner-flavor-'));
    dirs.push(dir);
    await saveModelPackage(dir, { ...tabularPackage(trained), signature: inferSignatureFromFrame(frame) });
    const loaded = await loadModelFromDir(dir);
    const rows = Array.from({ length: 20 }, (_, i) => ({ x: x[i], colour: ['red', 'green', 'blue'][codes[i]!] }));
    const p = await loaded.predict(rows);
    const direct = trained.predict({ rows: 20, features: [{ ...frame.features[0]!, values: x.slice(0, 20) } as FeatureFrame['features'][number], { ...frame.features[1]!, codes: codes.slice(0, 20) } as FeatureFrame['features'][number]] });
    expect(Array.from(p.values!)).toEqual(Array.from(direct));
    expect(p.classLabels).toEqual(['on_time', 'late']);
    expect(p.labels).toEqual(Array.from(direct, (v) => (v > 0.5 ? 'late' : 'on_time')));
    expect(Object.keys(loaded.featureImportance() ?? {}).sort()).toEqual(['colour', 'x']);
  });
});
