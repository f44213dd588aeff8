import { describe, expect, it } from 'vitest';
import { dateParts, inferProblem, toFeatureFrame, type Column, type Table } from './index.js';

const num = (name: string, v: number[]): Column => ({ name, type: 'number', values: Float64Array.from(v) });
const str = (name: string, categories: string[], codes: number[]): Column => ({ name, type: 'string', categories, codes: Int32Array.from(codes) });
const table = (...columns: Column[]): Table => ({ rows: columns[0]!.type === 'string' ? columns[0]!.codes.length : columns[0]!.values.length, columns, source: 'test' });

describe('inferProblem', () => {
  it('binary for booleans, two-valued and string targets with two values', () => {
    expect(inferProblem({ name: 'b', type: 'boolean', values: Float64Array.of(0, 1, NaN) })).toBe('binary');
    expect(inferProblem(num('y', [0, 1, 1, 0, NaN]))).toBe('binary');
    expect(inferProblem(num('y', [3.5, 7.25]))).toBe('binary');
    expect(inferProblem(str('y', ['no', 'yes', 'unused'], [0, 1, 1]))).toBe('binary');
  });
  it('multiclass for strings with more values and small whole-number sets; regression otherwise', () => {
    expect(inferProblem(str('y', ['a', 'b', 'c'], [0, 1, 2]))).toBe('multiclass');
    expect(inferProblem(num('y', [0, 1, 2, 3, 2, 1]))).toBe('multiclass');
    expect(inferProblem(num('y', Array.from({ length: 21 }, (_, i) => i)))).toBe('regression');
    expect(inferProblem(num('y', [0, 1, 2.5]))).toBe('regression');
  });
});

describe('dateParts', () => {
  it('matches Date in UTC for hour, weekday, month and day, before and after 1970 and on leap days', () => {
    const stamps = [Date.UTC(2001, 0, 1, 0), Date.UTC(2001, 5, 30, 23, 59), Date.UTC(1969, 11, 31, 13), Date.UTC(2024, 1, 29, 7), Date.UTC(2000, 11, 31, 12), Date.UTC(1900, 2, 1, 5)];
    const p = dateParts(Float64Array.from([...stamps, NaN]));
    stamps.forEach((ms, i) => {
      const d = new Date(ms);
      expect([p.hour[i], p.weekday[i], p.month[i], p.day[i]]).toEqual([d.getUTCHours(), d.getUTCDay(), d.getUTCMonth() + 1, d.getUTCDate()]);
    });
    expect([p.hour[6], p.weekday[6], p.month[6], p.day[6]]).toEqual([NaN, NaN, NaN, NaN]);
  });
});

describe('toFeatureFrame', () => {
  const t = table(
    num('x', [1, 2, NaN, 4, 5]),
    str('city', ['LAX', 'SFO'], [0, 1, 1, -1, 0]),
    { name: 'when', type: 'timestamp', values: Float64Array.of(Date.UTC(2001, 5, 1, 8), Date.UTC(2001, 5, 2, 9), Date.UTC(2001, 5, 3, 10), Date.UTC(2001, 5, 4, 11), Date.UTC(2001, 5, 5, 12)) },
    str('label', ['no', 'yes'], [1, 0, -1, 1, 0]),
    num('id', [10, 11, 12, 13, 14]),
  );

  it('turns columns into features (timestamps into date parts), drops rows without a target, and labels classes in order', () => {
    const p = toFeatureFrame(t, { target: 'label', exclude: ['id'] });
    expect(p.problem).toBe('binary');
    expect(p.classLabels).toEqual(['no', 'yes']);
    expect(p.droppedRows).toBe(1);
    expect(p.frame.rows).toBe(4);
    expect(Array.from(p.labels)).toEqual([1, 0, 1, 0]);
    expect(p.frame.features.map((f) => `${f.name}:${f.kind}`)).toEqual(['x:numeric', 'city:categorical', 'when_hour:numeric', 'when_weekday:numeric', 'when_month:numeric', 'when_day:numeric']);
    const x = p.frame.features[0]!;
    expect(x.kind === 'numeric' && Array.from(x.values)).toEqual([1, 2, 4, 5]);
    const city = p.frame.features[1]!;
    expect(city.kind === 'categorical' && Array.from(city.codes)).toEqual([0, 1, -1, 0]);
    const hour = p.frame.features[2]!;
    expect(hour.kind === 'numeric' && Array.from(hour.values)).toEqual([8, 9, 11, 12]);
  });

  it('leaves out derived date parts named in exclude', () => {
    const p = toFeatureFrame(t, { target: 'label', exclude: ['id', 'when_month', 'when_day'] });
    expect(p.frame.features.map((f) => f.name)).toEqual(['x', 'city', 'when_hour', 'when_weekday']);
    expect(() => toFeatureFrame(t, { target: 'label', exclude: ['x_month'] })).toThrow(/No column 'x_month'/);
  });

  it('encodes with given categories and class labels, as for a holdout of a trained model', () => {
    const p = toFeatureFrame(t, { target: 'label', exclude: ['id'], categories: { city: ['SFO', 'JFK'] }, classLabels: ['yes', 'no'] });
    const city = p.frame.features.find((f) => f.name === 'city')!;
    expect(city.kind === 'categorical' && [city.categories, Array.from(city.codes)]).toEqual([['SFO', 'JFK'], [-1, 0, -1, -1]]);
    expect(Array.from(p.labels)).toEqual([0, 1, 0, 1]);
    expect(() => toFeatureFrame(t, { target: 'label', classLabels: ['yes'] })).toThrow(/holds class 'no', which the model does not know/);
  });

  it('refuses an unknown target or excluded column, a text regression target and too many classes for binary', () => {
    expect(() => toFeatureFrame(t, { target: 'nope' })).toThrow(/No column 'nope'/);
    expect(() => toFeatureFrame(t, { target: 'label', exclude: ['nope'] })).toThrow(/No column 'nope'/);
    expect(() => toFeatureFrame(t, { target: 'city', problem: 'regression' })).toThrow(/regression target must be numeric/);
    expect(() => toFeatureFrame(t, { target: 'id', problem: 'binary' })).toThrow(/has 5 classes .*binary needs at most 2/);
    const r = toFeatureFrame(t, { target: 'id' });
    expect(r.problem).toBe('multiclass');
    expect(r.classLabels).toEqual(['10', '11', '12', '13', '14']);
  });
});
