import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { formatFields, formatNumber, formatTable, formatTime } from './table.js';

describe('formatTable', () => {
  it('pads columns to the widest cell and trims trailing space', () => {
    expect(formatTable(['ID', 'NAME'], [['1', 'short'], ['22', 'a much longer name']])).toBe(
      'ID  NAME\n1   short\n22  a much longer name\n',
    );
  });

  it('cuts long cells, flattens newlines and shows empty values as blanks', () => {
    const out = formatTable(['A', 'B', 'C'], [['x'.repeat(10), 'line1\nline2', null]], { maxCellWidth: 6 });
    expect(out).toBe('A       B       C\nxxxxx…  line1…\n');
  });

  it('prints a message instead of an empty table', () => {
    expect(formatTable(['A'], [], { empty: 'No runs.' })).toBe('No runs.\n');
  });

  it('formats fields, times and numbers', () => {
    expect(formatFields([['Name', 'm'], ['Description', '']])).toBe('Name         m\nDescription\n');
    expect(formatTime(0)).toBe('1970-01-01 00:00:00');
    expect(formatTime(null)).toBe('');
    expect(formatNumber(0.123456789)).toBe('0.1235');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(NaN)).toBe('NaN');
  });
});

describe('parseDuration', () => {
  it.each([
    ['30d', 30 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['1d2h3m4s', 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000],
    ['2w', 14 * 86_400_000],
    ['1.5h', 5_400_000],
    ['0', 0],
    [' 45S ', 45_000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', 'd', '30 days', '1x', '-1d'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/Invalid duration/);
  });
});
