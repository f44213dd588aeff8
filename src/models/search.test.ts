import { describe, expect, it } from 'vitest';
import { gridTrials, parseParamArgs, randomTrials, rankingMetric } from './search.js';

describe('search spaces', () => {
  it('grid: every combination, first parameter slowest', () => {
    expect(gridTrials({ a: ['1', '2'], b: ['x', 'y', 'z'] })).toEqual([
      { a: '1', b: 'x' },
      { a: '1', b: 'y' },
      { a: '1', b: 'z' },
      { a: '2', b: 'x' },
      { a: '2', b: 'y' },
      { a: '2', b: 'z' },
    ]);
    expect(gridTrials({})).toEqual([{}]);
  });

  it('random: distinct draws from the grid, repeatable by seed, all of a small grid', () => {
    const space = { lr: ['0.01', '0.05', '0.1', '0.2'], leaves: ['7', '15', '31', '63'], depth: ['3', '6'] };
    const a = randomTrials(space, 5, 42);
    expect(a).toHaveLength(5);
    expect(new Set(a.map((t) => JSON.stringify(t))).size).toBe(5);
    for (const t of a) expect(Object.keys(t)).toEqual(['lr', 'leaves', 'depth']);
    expect(randomTrials(space, 5, 42)).toEqual(a);
    expect(randomTrials(space, 5, 43)).not.toEqual(a);
    const all = randomTrials({ a: ['1', '2'], b: ['3'] }, 10, 0);
    expect(all.map((t) => t.a).sort()).toEqual(['1', '2']);
  });

  it('--param arguments: comma lists are candidates only when searching', () => {
    expect(parseParamArgs(['lr=0.05,0.1', 'max_iter=10', 'flag = true'], true)).toEqual({ fixed: { max_iter: '10', flag: 'true' }, space: { lr: ['0.05', '0.1'] } });
    expect(() => parseParamArgs(['lr=0.05,0.1'], false)).toThrow(/lists several values; add --search/);
    expect(() => parseParamArgs(['lr'], false)).toThrow(/--param takes KEY=VALUE/);
    expect(() => parseParamArgs(['lr=1', 'lr=2'], false)).toThrow(/--param lr is given twice/);
  });

  it('ranks by AUC (higher) for binary, log loss (lower) for multiclass, RMSE (lower) for regression', () => {
    expect(rankingMetric('binary')).toEqual({ name: 'auc', greaterIsBetter: true });
    expect(rankingMetric('multiclass')).toEqual({ name: 'log_loss', greaterIsBetter: false });
    expect(rankingMetric('regression')).toEqual({ name: 'rmse', greaterIsBetter: false });
  });
});
