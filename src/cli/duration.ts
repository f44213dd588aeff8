import { HangarError } from '../core/errors.js';

const UNIT_MS: Record<string, number> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/**
 * Parse a duration such as `30d`, `12h`, `1d2h30m` or `45s` into milliseconds (the form
 * `mlflow gc --older-than` takes, plus weeks). `0` means "no minimum age".
 */
export function parseDuration(text: string, field = 'older-than'): number {
  const s = text.trim().toLowerCase();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)([wdhms])/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (s === '' || consumed !== s.length) {
    throw new HangarError(
      'INVALID_PARAMETER_VALUE',
      `Invalid duration '${text}' for --${field}: use numbers with units w, d, h, m, s, e.g. 30d or 1d12h (or 0).`,
      { field },
    );
  }
  return total;
}
