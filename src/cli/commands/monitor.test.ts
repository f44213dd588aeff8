import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../program.js';
import { testIo } from '../test-support/cli.js';
import { parseOverrides } from './monitor.js';

const dir = mkdtempSync(join(tmpdir(), 'hangar-cli-drift-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, rows: number, shift: number): string {
  const lines = ['amount,plan'];
  for (let i = 0; i < rows; i++) lines.push(`${(i % 50) + shift},${shift > 0 && i % 2 === 0 ? 'pro' : ['free', 'basic'][i % 2]}`);
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

async function cli(args: string[]) {
  const t = testIo();
  const code = await runCli(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

describe('hangar monitor drift', () => {
  const base = file('base.csv', 400, 0);
  const cur = file('cur.csv', 300, 10);

  it('prints one row per column and the dataset verdict; exit 0 even on drift', async () => {
    const r = await cli(['monitor', 'drift', '--baseline', base, '--current', cur]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^column\s+type\s+method\s+statistic\s+p-value\s+threshold\s+verdict$/);
    expect(lines[1]).toMatch(/^amount\s+numeric\s+ks\s+\S+\s+\S+\s+0\.05\s+DRIFT$/);
    expect(lines[2]).toMatch(/^plan\s+categorical\s+chisquare\s+inf\s+0\s+0\.05\s+DRIFT$/);
    expect(lines[3]).toBe('Dataset drift: DETECTED — 2 of 2 columns drifted (100%; threshold 50%)');
    expect(r.err).toContain('columns 100% (2/2)');
  });

  it('--fail-on-drift exits 1 on drift, 0 without', async () => {
    expect((await cli(['monitor', 'drift', '--baseline', base, '--current', cur, '--fail-on-drift'])).code).toBe(1);
    expect((await cli(['monitor', 'drift', '--baseline', base, '--current', base, '--fail-on-drift'])).code).toBe(0);
  });

  it('--json with overrides, and --html writes the report', async () => {
    const html = join(dir, 'r.html');
    const r = await cli(['monitor', 'drift', '--baseline', base, '--current', cur, '--method', 'amount=psi', '--threshold', 'amount=50', '--json', '--html', html]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { drifted: boolean; columns: Array<Record<string, unknown>>; html: string };
    expect(j.columns[0]).toMatchObject({ column: 'amount', method: 'psi', threshold: 50, drifted: false, pvalue: null });
    expect(j.columns[1]).toMatchObject({ column: 'plan', statistic: 'Infinity', pvalue: 0, drifted: true });
    expect(j.drifted).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain('<svg ');
  });

  it('bad input names the problem and exits 1', async () => {
    const bad = await cli(['monitor', 'drift', '--baseline', base, '--current', cur, '--method', 'amount=nope']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("INVALID_PARAMETER_VALUE: --method 'amount=nope': unknown method 'nope'");
    const share = await cli(['monitor', 'drift', '--baseline', base, '--current', cur, '--drift-share', '2']);
    expect(share.err).toContain("--drift-share '2' must be a number in (0, 1]");
    const missing = await cli(['monitor', 'drift', '--baseline', join(dir, 'none.csv'), '--current', cur]);
    expect(missing.err).toContain('RESOURCE_DOES_NOT_EXIST: No such data file');
    const col = await cli(['monitor', 'drift', '--baseline', base, '--current', cur, '--threshold', 'nosuch=0.2']);
    expect(col.err).toContain("threshold override names column 'nosuch'");
  });

  it('--help explains the methods', async () => {
    const r = await cli(['monitor', 'drift', '--help']);
    expect(r.out).toContain('baseline > 1000 rows: numbers with > 5 values wasserstein');
  });
});

describe('parseOverrides', () => {
  it('splits [column=]value; the last = separates, so column names may contain =', () => {
    expect(parseOverrides({ method: ['psi', 'a=ks', 'x=y=chisquare'], threshold: ['0.2', 'a=0.01'] })).toEqual({
      method: 'psi',
      methods: { a: 'ks', 'x=y': 'chisquare' },
      threshold: 0.2,
      thresholds: { a: 0.01 },
    });
    expect(() => parseOverrides({ threshold: ['a=-1'] })).toThrow(/not a number ≥ 0/);
    expect(() => parseOverrides({ method: ['=psi'] })).toThrow(/column name before '=' is empty/);
  });
});
