import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Column } from '../../data/index.js';
import { scanCsv, type CsvScanSpec } from './csv-scan.js';
import { analyseColumns, type DriftPool } from './pool.js';

/**
 * The worker-thread path needs the compiled worker program, so it runs against the build
 * (`npm test` builds before testing); without a build it is skipped, with the reason.
 */
const built = fileURLToPath(new URL('../../../dist/monitoring/drift/index.js', import.meta.url));
const workerFile = fileURLToPath(new URL('../../../dist/monitoring/drift/column-worker.js', import.meta.url));
const skipReason = existsSync(built) && existsSync(workerFile) ? '' : 'needs the build (dist/monitoring/drift): run `npm run build`';
if (skipReason) console.warn(`skipping the worker-thread drift tests: ${skipReason}`);

function columns(): Array<{ ref: Column; cur: Column; options: Record<string, never> }> {
  const num = (name: string, n: number, f: (i: number) => number): Column => ({ name, type: 'number', values: Float64Array.from({ length: n }, (_, i) => f(i)) });
  const str = (name: string, n: number, f: (i: number) => number): Column => ({ name, type: 'string', categories: ['a', 'b', 'c'], codes: Int32Array.from({ length: n }, (_, i) => f(i)) });
  return [
    { ref: num('x', 5000, (i) => Math.sin(i)), cur: num('x', 4000, (i) => Math.sin(i) + 0.3), options: {} },
    { ref: num('y', 800, (i) => i % 7), cur: num('y', 900, (i) => (i % 7) + (i % 2)), options: {} },
    { ref: str('s', 3000, (i) => i % 3), cur: str('s', 3000, (i) => (i % 4 === 0 ? -1 : i % 2)), options: {} },
  ];
}

describe.skipIf(skipReason !== '')('drift columns on worker threads (built package)', () => {
  it('gives the same results as the calling thread, in job order', async () => {
    const mod = (await import(built)) as { analyseColumns: typeof analyseColumns };
    const onThreads = await mod.analyseColumns(columns(), { threads: 2 });
    const inProcess = await analyseColumns(columns(), { threads: 1 });
    expect(onThreads.map((r) => r.drift.column)).toEqual(['x', 'y', 's']);
    expect(onThreads).toEqual(inProcess);
  });
  it('rethrows a worker error as the same HangarError', async () => {
    const mod = (await import(built)) as { analyseColumns: typeof analyseColumns };
    const jobs = columns();
    jobs[2]!.options = { method: 'ks' } as never;
    await expect(mod.analyseColumns(jobs, { threads: 2 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/needs a numeric column; 's'/) });
  });
});

describe.skipIf(skipReason !== '')('CSV files read on worker threads (built package)', () => {
  it('gives what the calling thread reads, with the arrays transferred back whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-drift-pool-'));
    try {
      const lines = ['x,n,s'];
      for (let i = 0; i < 5000; i++) lines.push(`${(i * 0.37) % 11},${i % 13},${i % 3 === 0 ? '' : `c${i % 7}`}`);
      const path = join(dir, 'a.csv');
      writeFileSync(path, `${lines.join('\n')}\n`);
      const spec: CsvScanSpec = { path, delimiter: ',', quoted: true, doubledQuote: true, kinds: ['double', 'bigint', 'string'] };
      const mod = (await import(built)) as { DriftPool: new (threads: number) => DriftPool };
      const pool = new mod.DriftPool(2);
      try {
        expect(pool.threads).toBe(2);
        const [a, b] = await Promise.all([pool.scan(spec), pool.scan(spec)]);
        expect(a).toEqual(scanCsv(spec));
        expect(b).toEqual(a);
        expect(a.ok && a.columns[0]!.kind === 'number' && a.columns[0]!.values.length).toBe(5000);
      } finally {
        await pool.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
