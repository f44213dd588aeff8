/** Redis specifics the behaviour suite cannot see: the row layout and rows older versions wrote. */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { redisSkipReason, redisUrl } from '../../../test/support/services.js';
import type { FeatureTableSpec } from '../features/spec.js';
import { openOnlineStore } from './open.js';
import { encodeEntityKey } from './port.js';

const spec: FeatureTableSpec = {
  name: 'origin_stats',
  keys: [{ name: 'origin', type: 'string' }],
  timestampKey: 'ts',
  features: [{ name: 'rate', type: 'double' }],
  source: { kind: 'sql', sql: 'select 1' },
  ttlMs: 0,
};

describe.skipIf(redisUrl === null)(`Redis online store rows${redisUrl === null ? ` (skipped: ${redisSkipReason})` : ''}`, () => {
  it('keeps one string per row, and deleting a table also removes the hashes older versions wrote', async () => {
    const prefix = `hangar-test:${randomBytes(6).toString('hex')}:`;
    const { Redis } = await import('ioredis');
    const r = new Redis(redisUrl!);
    const store = await openOnlineStore({ type: 'redis', url: redisUrl!, keyPrefix: prefix }, { home: tmpdir() });
    try {
      await store.registerTable(spec, 0);
      await store.write('origin_stats', [{ key: encodeEntityKey(['SFO']), eventTs: -5, createdTs: 7, values: '{"rate":0.5}' }]);
      expect(await r.get(`${prefix}j:origin_stats:"SFO"`)).toBe('-5 7 {"rate":0.5}');
      // The guard reads negative event times back: an older row is refused, a newer one kept.
      expect(await store.write('origin_stats', [{ key: encodeEntityKey(['SFO']), eventTs: -6, createdTs: 9, values: { rate: 1 } }])).toBe(0);
      expect(await store.write('origin_stats', [{ key: encodeEntityKey(['SFO']), eventTs: -5, createdTs: 8, values: { rate: 2 } }])).toBe(1);
      expect(await store.read('origin_stats', [encodeEntityKey(['SFO'])], ['rate'])).toEqual([{ eventTs: -5, values: [2] }]);
      await r.hset(`${prefix}r:origin_stats:"LAX"`, '#ts', '1', '#c', '1', 'rate', '0.1');
      await store.deleteTable('origin_stats');
      expect(await r.keys(`${prefix}*`)).toEqual([]);
    } finally {
      await store.close();
      const left = await r.keys(`${prefix}*`);
      if (left.length > 0) await r.del(...left);
      await r.quit();
    }
  });
});
