import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/random.js';
import { JsonWriter } from './json-writer.js';

describe('JsonWriter', () => {
  it('writes columns, ASCII and UTF-8 text exactly as JSON.stringify would, growing from a tiny buffer', () => {
    const random = mulberry32(11);
    const values: unknown[] = [0.5, -12, 'plain', 'é ✈ 𝄞 mixed', 'a "q" \\ \n', true, 12345678901234, ''];
    for (let trial = 0; trial < 200; trial++) {
      const w = new JsonWriter(16);
      const n = Math.floor(random() * 40);
      // Rows: a text holding JSON values of two features each (f0, f1), some rows missing.
      const texts: string[] = [];
      const spans: number[] = [];
      const expected: unknown[][] = [[], []];
      const rows: number[] = [];
      for (let slot = 0; slot < n; slot++) {
        if (random() < 0.2) {
          rows.push(-1);
          expected[0]!.push(null);
          expected[1]!.push(null);
          continue;
        }
        const a = values[Math.floor(random() * values.length)];
        const b = random() < 0.2 ? null : values[Math.floor(random() * values.length)];
        const ta = JSON.stringify(a);
        const tb = JSON.stringify(b);
        const text = `{"f0":${ta},"f1":${tb}}`;
        const h = texts.length;
        texts.push(text);
        spans.push(6, 6 + ta.length, b === null ? -1 : 12 + ta.length, 12 + ta.length + tb.length);
        rows.push(h);
        expected[0]!.push(a);
        expected[1]!.push(b);
      }
      w.ascii('[');
      const nulls0 = w.column(texts, spans, rows, 2, 0);
      w.text(',');
      const nulls1 = w.column(texts, spans, rows, 2, 1);
      w.ascii(']');
      const out = w.take();
      expect(out.toString('utf8')).toBe(JSON.stringify(expected));
      expect(nulls0).toBe(false);
      expect(nulls1).toBe(expected[1]!.some((v, slot) => v === null && rows[slot]! >= 0));
    }
  });

  it('hands out a copy, so the next answer does not overwrite one still being sent', () => {
    const w = new JsonWriter(8);
    w.ascii('{"a":1}');
    const first = w.take();
    w.reset();
    w.ascii('{"b":2}');
    expect(first.toString()).toBe('{"a":1}');
    w.repeat(0, 7);
    expect(w.take().toString()).toBe('{"b":2}{"b":2}');
  });
});
