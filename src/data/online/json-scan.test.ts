import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/random.js';
import { FieldMatcher, scanObject } from './json-scan.js';

/** The value of requested feature f as located by the scan, or undefined when absent/null. */
function located(text: string, features: string[], matcher = new FieldMatcher(features)): unknown[] {
  const spans = new Array<number>(2 * features.length).fill(-1);
  scanObject(text, 0, text.length, matcher, spans, 0);
  return features.map((_, f) => (spans[2 * f]! < 0 ? undefined : JSON.parse(text.slice(spans[2 * f], spans[2 * f + 1]))));
}

describe('scanObject', () => {
  it('locates the same values JSON.parse finds, whatever the key order, spacing and value types', () => {
    const random = mulberry32(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const names = ['a', 'rate', 'x_1', 'é', 'q"uote', 'back\\slash', 'long_feature_name_0'];
    const values = [0, -1.5, 1e300, 5e-324, 'text', 'a, "b" }{][', '', 'é ✈ 𝄞', true, false, null, [1, { x: '}' }], { y: [] }];
    const matcher = new FieldMatcher(['rate', 'é', 'missing', 'q"uote', 'back\\slash']);
    for (let trial = 0; trial < 500; trial++) {
      const obj: Record<string, unknown> = {};
      for (const n of names) if (random() < 0.7) obj[n] = pick(values);
      const keys = Object.keys(obj).sort(() => random() - 0.5);
      const space = random() < 0.5 ? '' : pick([' ', '\n', '\t ']);
      const text = `${space}{${space}${keys.map((k) => `${JSON.stringify(k)}${space}:${space}${JSON.stringify(obj[k])}`).join(`${space},${space}`)}${space}}${space}`;
      // One matcher across all trials: what it learnt from earlier rows must never mislead it.
      expect(located(text, matcher.features.slice(), matcher)).toEqual(matcher.features.map((f) => (obj[f] === null ? undefined : obj[f])));
    }
  });

  it('rejects text that is not a JSON object', () => {
    for (const bad of ['[1]', '{"a" 1}', '{"a":1', '{"a":"x}', '{a:1}']) expect(() => located(bad, ['a']), bad).toThrow(SyntaxError);
  });
});
