/** Axis ticks for the chart component. */

/**
 * About `count` round tick values inside [min, max], 1, 2 or 5 times a power of ten apart
 * (0, 0.2, 0.4, … or 0, 50, 100, …). Empty for a non-finite range; one tick when min = max.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const ticks: number[] = [];
  // Multiplying (not adding up steps) keeps 0.1 + 0.2-style drift out of the labels.
  for (let i = first; i <= last && ticks.length < 100; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}
