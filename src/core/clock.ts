/** A source of epoch milliseconds; tests replace it to make time deterministic. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
