/**
 * Which external services the test run may use. `scripts/test.js` (what `npm test` runs)
 * probes them and sets these variables; when a suite is run directly with vitest, the
 * defaults of this machine apply.
 */

/** PostgreSQL URL for store suites, or null with the reason in `pgSkipReason`. */
export const pgUrl: string | null =
  process.env.HANGAR_TEST_PG_URL === '' ? null : (process.env.HANGAR_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test');
export const pgSkipReason: string = process.env.HANGAR_TEST_PG_SKIP ?? '';

export const redisSkipReason: string = process.env.HANGAR_TEST_REDIS_SKIP ?? '';
/** Redis URL for Redis suites, or null (skipped, with the reason in `redisSkipReason`) when the probe found none. */
export const redisUrl: string | null = redisSkipReason !== '' ? null : (process.env.HANGAR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
export const chromiumSkipReason: string = process.env.HANGAR_TEST_CHROMIUM_SKIP ?? '';
