/**
 * Monitor schedules: an interval (`30m`, `1h`, `1d`) or a cron expression with five fields
 * (minute hour day-of-month month day-of-week, in UTC). The matcher is ours: it is a few dozen
 * lines, and the cron libraries on npm bring time-zone machinery a UTC scheduler does not need.
 */
import { invalidParam } from '../../core/errors.js';

/** A parsed schedule. */
export type Schedule = { kind: 'interval'; ms: number; text: string } | { kind: 'cron'; fields: CronFields; text: string };

/** Allowed values of each cron field, as sets. */
export interface CronFields {
  minute: ReadonlySet<number>;
  hour: ReadonlySet<number>;
  dayOfMonth: ReadonlySet<number>;
  month: ReadonlySet<number>;
  dayOfWeek: ReadonlySet<number>;
  /** Whether day-of-month / day-of-week were `*` (cron ORs the two day fields when both are restricted). */
  anyDayOfMonth: boolean;
  anyDayOfWeek: boolean;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The shortest interval a monitor may run at: one minute (the scheduler's resolution). */
export const MIN_INTERVAL_MS = 60_000;

/**
 * Parse `1h`, `30m`, `2d`, `1w` (at least one minute) or a 5-field cron expression (`*`, lists,
 * ranges, steps, month and weekday names; Sunday is 0 or 7). INVALID_PARAMETER_VALUE naming
 * `field` otherwise.
 */
export function parseSchedule(text: string, field = 'schedule'): Schedule {
  const t = text.trim();
  const interval = /^(\d+)\s*([smhdw])$/i.exec(t);
  if (interval !== null) {
    const ms = Number(interval[1]) * UNITS[interval[2]!.toLowerCase()]!;
    if (ms < MIN_INTERVAL_MS) throw invalidParam(`Schedule '${text}' is shorter than one minute.`, field);
    return { kind: 'interval', ms, text: t };
  }
  const parts = t.split(/\s+/);
  if (parts.length !== 5) {
    throw invalidParam(`Schedule '${text}' is neither an interval (e.g. '1h', '30m', '1d') nor a cron expression with 5 fields (minute hour day-of-month month day-of-week).`, field);
  }
  const [mi, h, dom, mo, dow] = parts as [string, string, string, string, string];
  const dayOfWeek = new Set([...cronField(dow, 0, 7, DAYS, field, 'day-of-week')].map((d) => d % 7));
  return {
    kind: 'cron',
    text: t,
    fields: {
      minute: cronField(mi, 0, 59, null, field, 'minute'),
      hour: cronField(h, 0, 23, null, field, 'hour'),
      dayOfMonth: cronField(dom, 1, 31, null, field, 'day-of-month'),
      month: cronField(mo, 1, 12, MONTHS, field, 'month'),
      dayOfWeek,
      anyDayOfMonth: dom === '*' || dom === '?',
      anyDayOfWeek: dow === '*' || dow === '?',
    },
  };
}

function cronField(text: string, min: number, max: number, names: readonly string[] | null, field: string, what: string): Set<number> {
  const out = new Set<number>();
  const bad = (why: string) => invalidParam(`Cron ${what} field '${text}': ${why}.`, field);
  const value = (s: string): number => {
    const lower = s.toLowerCase();
    if (names !== null) {
      const i = names.indexOf(lower);
      if (i >= 0) return i + (min === 1 ? 1 : 0);
    }
    if (!/^\d+$/.test(s)) throw bad(`'${s}' is not a number`);
    const n = Number(s);
    if (n < min || n > max) throw bad(`${n} is outside ${min}–${max}`);
    return n;
  };
  for (const item of text.split(',')) {
    const [range, stepText] = item.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw bad(`step '${stepText}' must be a positive whole number`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      lo = value(a);
      hi = value(b);
      if (lo > hi) throw bad(`range ${range} runs backwards`);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Whether a cron expression matches the UTC minute that contains `t`. */
export function cronMatches(fields: CronFields, t: number): boolean {
  const d = new Date(t);
  if (!fields.minute.has(d.getUTCMinutes()) || !fields.hour.has(d.getUTCHours()) || !fields.month.has(d.getUTCMonth() + 1)) return false;
  const domOk = fields.dayOfMonth.has(d.getUTCDate());
  const dowOk = fields.dayOfWeek.has(d.getUTCDay());
  // Vixie cron: when both day fields are restricted, either may match.
  if (fields.anyDayOfMonth || fields.anyDayOfWeek) return domOk && dowOk;
  return domOk || dowOk;
}

/**
 * The first time strictly after `after` when the schedule fires: `after + interval` for an
 * interval, the next matching minute for cron (searched minute by minute over at most five
 * years; an expression that never matches, like 30 February, is INVALID_PARAMETER_VALUE).
 */
export function nextRun(schedule: Schedule, after: number): number {
  if (schedule.kind === 'interval') return after + schedule.ms;
  let t = Math.floor(after / 60_000) * 60_000 + 60_000;
  const limit = t + 5 * 366 * 86_400_000;
  const f = schedule.fields;
  while (t < limit) {
    const d = new Date(t);
    // Skip whole days and hours that cannot match, so the search is fast.
    if (!f.month.has(d.getUTCMonth() + 1) || !dayMatches(f, d)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!f.hour.has(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (f.minute.has(d.getUTCMinutes())) return t;
    t += 60_000;
  }
  throw invalidParam(`Cron expression '${schedule.text}' never fires.`, 'schedule');
}

function dayMatches(f: CronFields, d: Date): boolean {
  const domOk = f.dayOfMonth.has(d.getUTCDate());
  const dowOk = f.dayOfWeek.has(d.getUTCDay());
  if (f.anyDayOfMonth || f.anyDayOfWeek) return domOk && dowOk;
  return domOk || dowOk;
}
