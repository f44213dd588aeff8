import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyseColumn } from './column-task.js';
import { chartSvg, reportHtml, reportJson, writeReportHtml } from './report.js';
import { runDrift } from './run-drift.js';

const dir = mkdtempSync(join(tmpdir(), 'hangar-drift-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CSV with `rows` rows: x (shifted by `shift`), y (never shifted), city (mix by `shift`), flag. */
function csv(name: string, rows: number, shift: number): string {
  const lines = ['x,y,city,count'];
  for (let i = 0; i < rows; i++) {
    const x = ((i * 7919) % 1000) / 100 + shift;
    const y = ((i * 104729) % 997) / 10;
    const city = shift > 0 && i % 3 === 0 ? 'LAX' : ['SFO', 'JFK', 'ORD'][i % 3];
    lines.push(`${x},${y},${city},${i % 4}`);
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('runDrift over two CSV files', () => {
  const base = csv('base.csv', 3000, 0);
  const same = csv('same.csv', 2500, 0);
  const moved = csv('moved.csv', 2500, 1.5);

  it('finds no drift between samples of one distribution', async () => {
    const r = await runDrift({ baseline: base, current: same, threads: 1 });
    expect(r.columns.map((c) => [c.column, c.type, c.method, c.drifted])).toEqual([
      ['x', 'numeric', 'wasserstein', false],
      ['y', 'numeric', 'wasserstein', false],
      ['city', 'categorical', 'jensenshannon', false],
      ['count', 'numeric', 'jensenshannon', false],
    ]);
    expect(r).toMatchObject({ drifted: false, driftedColumns: 0, baseline: { rows: 3000, columns: 4 }, current: { rows: 2500 } });
    expect(r.charts[0]).toMatchObject({ kind: 'histogram' });
    expect(r.charts[2]).toMatchObject({ kind: 'bars', labels: ['SFO', 'JFK', 'ORD'] });
    expect(r.charts[3]).toMatchObject({ kind: 'bars', labels: ['0', '1', '2', '3'] });
  });

  it('finds drift in the shifted columns and the dataset verdict at the 0.5 share', async () => {
    const r = await runDrift({ baseline: base, current: moved, threads: 1 });
    expect(r.columns.filter((c) => c.drifted).map((c) => c.column)).toEqual(['x', 'city']);
    expect(r.drifted).toBe(true);
    const strict = await runDrift({ baseline: base, current: moved, threads: 1, driftShare: 0.75 });
    expect(strict.drifted).toBe(false);
  });

  it('applies a method to all columns, per-column overrides and the column list', async () => {
    const r = await runDrift({ baseline: base, current: moved, columns: ['y', 'x'], method: 'psi', thresholds: { x: 100 }, threads: 1 });
    expect(r.columns.map((c) => [c.column, c.method, c.threshold, c.drifted])).toEqual([
      ['y', 'psi', 0.1, false],
      ['x', 'psi', 100, false],
    ]);
  });

  it('bad input: missing file, unknown column, numeric-only method on categories', async () => {
    await expect(runDrift({ baseline: join(dir, 'nope.csv'), current: same })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(runDrift({ baseline: base, current: same, columns: ['x', 'zz'] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(runDrift({ baseline: base, current: same, methods: { city: 'ks' }, threads: 1 })).rejects.toThrow(/needs a numeric column; 'city'/);
  });

  it('an HTML report with the table and one inline SVG per column, written atomically', async () => {
    const r = await runDrift({ baseline: base, current: moved, threads: 1 });
    const html = reportHtml(r, new Date(0));
    expect(html).toContain('<h2 class="bad">Dataset drift: DETECTED — 2 of 4 columns drifted (50%; threshold 50%)</h2>');
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).not.toMatch(/<script|<link|src="http/);
    const out = join(dir, 'report.html');
    await writeReportHtml(out, r);
    expect(readFileSync(out, 'utf8')).toContain('<td><a href="#col-0">x</a></td>');
    await expect(writeReportHtml(join(dir, 'no-such-dir', 'r.html'), r)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'html' });
    const json = reportJson(r) as { columns: Array<{ column: string; pvalue: unknown }> };
    expect(json.columns[0]).toMatchObject({ column: 'x', pvalue: null });
  });
});

describe('charts', () => {
  it('escapes category labels in the HTML', () => {
    const a = analyseColumn(
      { name: '<b>', type: 'string', codes: Int32Array.from([0, 1]), categories: ['<x>', 'a&b'] },
      { name: '<b>', type: 'string', codes: Int32Array.from([0, 0]), categories: ['<x>'] },
    );
    expect(a.chart).toMatchObject({ kind: 'bars', labels: ['<x>', 'a&b'], ref: [0.5, 0.5], cur: [1, 0] });
    const svg = chartSvg('<b>', a.chart!);
    expect(svg).toContain('<title>&#60;b&#62;: baseline and current distributions</title>');
    expect(svg).toContain('&#60;x&#62; baseline 50.00%');
    expect(svg).toContain('a&#38;b current 0.00%');
  });
  it('folds categories past the twentieth into (other)', () => {
    const cats = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const codes = Int32Array.from({ length: 300 }, (_, i) => i % 30);
    const a = analyseColumn({ name: 'c', type: 'string', codes, categories: cats }, { name: 'c', type: 'string', codes: codes.slice(), categories: cats });
    expect(a.chart).toMatchObject({ kind: 'bars', folded: 11 });
    expect(a.chart!.kind === 'bars' && a.chart!.labels.at(-1)).toBe('(other)');
  });
});
