import { describe, expect, it } from 'vitest';
import { cronMatches, nextRun, parseSchedule } from './schedule.js';

const at = (iso: string): number => Date.parse(iso);

describe('monitor schedules', () => {
  it('parses intervals and refuses ones under a minute', () => {
    expect(parseSchedule('1h')).toMatchObject({ kind: 'interval', ms: 3_600_000 });
    expect(parseSchedule('30m')).toMatchObject({ kind: 'interval', ms: 1_800_000 });
    expect(nextRun(parseSchedule('2d'), 1000)).toBe(1000 + 2 * 86_400_000);
    expect(() => parseSchedule('10s')).toThrow(/shorter than one minute/);
  });

  it('finds the next cron time in UTC: MLOps Stacks refreshes at 08:00 and checks at 18:00', () => {
    const daily = parseSchedule('0 18 * * *');
    expect(nextRun(daily, at('2026-05-01T17:59:30Z'))).toBe(at('2026-05-01T18:00:00Z'));
    expect(nextRun(daily, at('2026-05-01T18:00:00Z'))).toBe(at('2026-05-02T18:00:00Z'));
    expect(nextRun(parseSchedule('*/15 * * * *'), at('2026-05-01T10:07:00Z'))).toBe(at('2026-05-01T10:15:00Z'));
    // Mondays to Fridays at 08:00: Saturday 2 May 2026 → Monday 4 May.
    expect(nextRun(parseSchedule('0 8 * * mon-fri'), at('2026-05-02T09:00:00Z'))).toBe(at('2026-05-04T08:00:00Z'));
    // First of each quarter month.
    expect(nextRun(parseSchedule('0 0 1 jan,apr,jul,oct *'), at('2026-05-01T00:00:00Z'))).toBe(at('2026-07-01T00:00:00Z'));
    // Sunday may be 7.
    expect(nextRun(parseSchedule('30 6 * * 7'), at('2026-05-01T00:00:00Z'))).toBe(at('2026-05-03T06:30:00Z'));
  });

  it('ORs the day fields when both are restricted, as cron does', () => {
    const f = parseSchedule('0 0 13 * fri');
    if (f.kind !== 'cron') throw new Error('expected cron');
    expect(cronMatches(f.fields, at('2026-05-13T00:00:00Z'))).toBe(true); // a Wednesday, the 13th
    expect(cronMatches(f.fields, at('2026-05-15T00:00:00Z'))).toBe(true); // a Friday
    expect(cronMatches(f.fields, at('2026-05-14T00:00:00Z'))).toBe(false);
  });

  it('rejects malformed expressions naming the field', () => {
    expect(() => parseSchedule('0 25 * * *')).toThrow(/hour field '25': 25 is outside 0–23/);
    expect(() => parseSchedule('* * *')).toThrow(/5 fields/);
    expect(() => parseSchedule('0 0 30 feb *')).not.toThrow();
    expect(() => nextRun(parseSchedule('0 0 30 feb *'), 0)).toThrow(/never fires/);
    expect(() => parseSchedule('*/0 * * * *')).toThrow(/step/);
    try {
      parseSchedule('x y z a b', 'monitor.schedule');
    } catch (e) {
      expect((e as { field?: string }).field).toBe('monitor.schedule');
    }
  });
});
