import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatTime, formatValue, plottable } from '../../web/src/lib/format.js';
import { nameContains, quoteKey, quoteValue } from '../../web/src/lib/search.js';
import { niceTicks } from '../../web/src/lib/ticks.js';

/** The web UI's pure helpers (formatting, search syntax, chart ticks), without a browser. */
describe('web UI helpers', () => {
  it('picks round chart ticks inside the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 133, 6)).toEqual([0, 50, 100]);
    expect(niceTicks(0.4, 0.9, 5)).toEqual([0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(niceTicks(0.1, 0.3, 2)).toEqual([0.1, 0.2, 0.3]);
    expect(niceTicks(-3, 3, 3)).toEqual([-2, 0, 2]);
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(niceTicks(1, 0, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, Infinity)).toEqual([]);
    expect(niceTicks(1e-9, 3e-9, 2)).toEqual([1e-9, 2e-9, 3e-9]);
    // Never runs away on a tiny step over a wide range.
    expect(niceTicks(0, 1e12, 1e6).length).toBeLessThanOrEqual(100);
  });

  it('formats metric values as MLflow sends them', () => {
    expect(formatValue(0.41)).toBe('0.41');
    expect(formatValue(0.123456789)).toBe('0.12346');
    expect(formatValue(42)).toBe('42');
    expect(formatValue(1e-7)).toBe('1e-7');
    expect(formatValue('NaN')).toBe('NaN');
    expect(formatValue(1.7976931348623157e308)).toBe('Infinity');
    expect(formatValue(-1.7976931348623157e308)).toBe('-Infinity');
    expect(formatValue(undefined)).toBe('');
    expect(plottable('NaN')).toBeUndefined();
    expect(plottable(1.7976931348623157e308)).toBeUndefined();
    expect(plottable(0.5)).toBe(0.5);
  });

  it('formats durations, times and sizes', () => {
    expect(formatDuration(0, 850)).toBe('850ms');
    expect(formatDuration(0, 42_000)).toBe('42.0s');
    expect(formatDuration(0, 245_000)).toBe('4m 05s');
    expect(formatDuration(0, 7_380_000)).toBe('2h 03m');
    expect(formatDuration(1000, undefined)).toBe('');
    expect(formatTime(undefined)).toBe('');
    expect(formatTime(Date.UTC(2026, 0, 2, 3, 4, 5))).toMatch(/^2026-01-0[12] \d\d:\d\d:05$/);
    expect(formatBytes(23)).toBe('23 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GB');
  });

  it('quotes keys and values for MLflow search strings', () => {
    expect(quoteKey('rmse')).toBe('rmse');
    expect(quoteKey('val loss')).toBe('`val loss`');
    expect(quoteKey('val.loss')).toBe('`val.loss`');
    expect(quoteValue('tree')).toBe("'tree'");
    expect(quoteValue("it's")).toBe('"it\'s"');
    expect(nameContains('  ')).toBeUndefined();
    expect(nameContains('vision')).toBe("name ILIKE '%vision%'");
  });
});
