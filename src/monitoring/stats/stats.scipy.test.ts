import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/random.js';
import { ksTwoSample, wasserstein } from './numeric.js';

/**
 * Large samples compared live against scipy (the fixtures keep only small ones): the
 * asymptotic KS p-value (over 10,000 values), ties, and Wasserstein at 200,000 values.
 * Skipped, with the reason, when /usr/bin/python3 with scipy is not there.
 */
const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import scipy, numpy'], { encoding: 'utf8' });
const skipReason = probe.status === 0 ? '' : `needs ${PYTHON} with numpy and scipy (${probe.error?.message ?? probe.stderr.trim()})`;
if (skipReason) console.warn(`skipping stats.scipy.test.ts: ${skipReason}`);

function normals(n: number, mean: number, seed: number, round = false): Float64Array {
  const u = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = mean + Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    out[i] = round ? Math.round(v * 20) / 20 : v;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'hangar-stats-scipy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** scipy's ks_2samp and wasserstein_distance for each pair, in one python process. */
function scipy(pairs: Array<[Float64Array, Float64Array]>): Array<{ ks: number; p: number; w: number }> {
  const files = pairs.flatMap(([a, b], i) =>
    [a, b].map((x, k) => {
      const f = join(dir, `${i}-${k}.f64`);
      writeFileSync(f, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      return f;
    }),
  );
  const code = `
import json, sys, numpy as np
from scipy import stats
out = []
for fa, fb in zip(sys.argv[1::2], sys.argv[2::2]):
    a = np.fromfile(fa, dtype='<f8'); b = np.fromfile(fb, dtype='<f8')
    r = stats.ks_2samp(a, b, method='auto')
    out.append({"ks": float(r.statistic), "p": float(r.pvalue), "w": float(stats.wasserstein_distance(a, b))})
print(json.dumps(out))`;
  const r = spawnSync(PYTHON, ['-c', code, ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<{ ks: number; p: number; w: number }>;
}

describe.skipIf(skipReason !== '')('statistics against scipy, live, on large samples', () => {
  const cases: Array<[string, Float64Array, Float64Array]> = [
    ['12,000 vs 15,000, same distribution (asymptotic, Pelz–Good region)', normals(12_000, 0, 1), normals(15_000, 0, 2)],
    ['50,000 vs 40,000, shifted by 0.02', normals(50_000, 0, 3), normals(40_000, 0.02, 4)],
    ['200,000 vs 200,000 with many ties, shifted by 0.01', normals(200_000, 0, 5, true), normals(200_000, 0.01, 6, true)],
    ['30 vs 20,000 (asymptotic with a small n)', normals(30, 0.3, 7), normals(20_000, 0, 8)],
    ['100,000 vs 100,000, shifted by 0.1 (p far below 1e-10)', normals(100_000, 0, 9), normals(100_000, 0.1, 10)],
  ];
  let wanted: Array<{ ks: number; p: number; w: number }> = [];
  beforeAll(() => {
    wanted = scipy(cases.map(([, a, b]) => [a, b]));
  });
  for (const [i, [name, a, b]] of cases.entries()) {
    it(name, () => {
      const want = wanted[i]!;
      const ks = ksTwoSample(a, b);
      expect(ks.method).toBe('asymp');
      expect(Math.abs(ks.statistic - want.ks)).toBeLessThanOrEqual(1e-12 * want.ks);
      // Within 1% of scipy's p-value, or both below 1e-100.
      if (want.p > 1e-100) expect(Math.abs(ks.pvalue - want.p), `p ${ks.pvalue} vs scipy ${want.p}`).toBeLessThanOrEqual(0.01 * want.p);
      else expect(ks.pvalue).toBeLessThan(1e-100);
      expect(Math.abs(wasserstein(a, b) - want.w)).toBeLessThanOrEqual(1e-9 * want.w);
    });
  }
});
