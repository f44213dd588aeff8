import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateParts } from '../data/index.js';
import { column, gbdtLearner, saveModelPackage, tabularPackage, type FeatureFrame } from '../models/index.js';
import { loadServingModel, type ScoreResult } from './model.js';
import { rng } from './test-support/models.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hangar-serving-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the one-row fast path', () => {
  it('derives date parts from a datetime column exactly as the batch path does', async () => {
    // A model trained on date parts of `date` (what `hangar train` makes of a timestamp column).
    const r = rng(5);
    const n = 3000;
    const ms = Float64Array.from({ length: n }, () => Date.UTC(2001, 0, 1) + Math.floor(r() * 365 * 86_400_000));
    const parts = dateParts(ms);
    const frame: FeatureFrame = {
      rows: n,
      features: [
        { name: 'date_hour', kind: 'numeric', values: parts.hour },
        { name: 'date_weekday', kind: 'numeric', values: parts.weekday },
        { name: 'date_month', kind: 'numeric', values: parts.month },
        { name: 'date_day', kind: 'numeric', values: parts.day },
      ],
    };
    const labels = Float64Array.from({ length: n }, (_, i) => (parts.hour[i]! > 16 || parts.weekday[i] === 5 || parts.day[i]! < 5 || parts.month[i] === 7 ? 1 : 0));
    const model = await gbdtLearner.fit(frame, labels, { problem: 'binary', params: { ...gbdtLearner.defaults, max_iter: 20, early_stopping: false, min_samples_leaf: 5 }, threads: 1 });
    const pkg = join(dir, 'dates');
    await saveModelPackage(pkg, { ...tabularPackage(model), signature: { inputs: [column('date', 'datetime')] } });
    const served = await loadServingModel(pkg, { name: 'dates', version: '1', warmup: 10 });
    const dates = ['2001-07-06T18:30:00Z', '2001-03-03 02:05:00', '2001-12-31T23:59:59Z', '2001-02-04T00:00:00+02:00'];
    // Two rows take the batch path; one row the fast path. Both must agree, row by row.
    const batch = (await served.score({ rows: dates.length, columns: new Map([['date', dates]]), positional: false })) as ScoreResult;
    for (let i = 0; i < dates.length; i++) {
      const one = (await served.score({ rows: 1, columns: new Map([['date', [dates[i]]]]), positional: false })) as ScoreResult;
      expect(one.proba![0]).toBe(batch.proba![i]);
      expect(one.predictions[0]).toEqual(batch.predictions[i]);
    }
    const missing = (await served.score({ rows: 1, columns: new Map([['date', [null]]]), positional: false })) as ScoreResult;
    expect(missing.rows).toBe(1);
    await expect(Promise.resolve().then(() => served.score({ rows: 1, columns: new Map([['date', [true]]]), positional: false }))).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'date' });
    await served.close();
  });
});
