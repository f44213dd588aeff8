/** Display helpers: locale-independent, so pages read the same on every machine. */

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-26 14:05:09` in local time, or '' for no time. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `850ms`, `12.3s`, `4m 05s`, `2h 03m`; '' when the run has not ended. */
export function formatDuration(start: number | undefined, end: number | undefined): string {
  if (start === undefined || end === undefined) return '';
  const ms = Math.max(0, end - start);
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(Math.floor(s % 60))}s`;
  return `${Math.floor(m / 60)}h ${pad(m % 60)}m`;
}

/** A metric value: numbers to 5 significant digits; MLflow's "NaN" and ±DBL_MAX as words. */
export function formatValue(v: number | string | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (v >= 1.7976931348623157e308) return 'Infinity';
  if (v <= -1.7976931348623157e308) return '-Infinity';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(5)));
}

/** A metric value as a plottable number, or undefined for NaN and ±infinity. */
export function plottable(v: number | string): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) >= 1.7976931348623157e308) return undefined;
  return v;
}

/** `1.2 KB` style sizes. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
