import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HangarError } from '../../core/errors.js';
import type { FilterClause } from '../types.js';
import {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseLoggedModelFilter,
  parseLoggedModelOrderBy,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
  parseRunFilter,
  parseRunOrderBy,
} from './index.js';

const filterParsers = [parseRunFilter, parseExperimentFilter, parseRegisteredModelFilter, parseModelVersionFilter, parseLoggedModelFilter];
const orderParsers = [parseRunOrderBy, parseExperimentOrderBy, parseRegisteredModelOrderBy, parseModelVersionOrderBy];

/** Succeeds, or fails with INVALID_PARAMETER_VALUE; anything else (TypeError, RangeError, a hang) is a bug. */
function onlyHangarErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof HangarError) || e.code !== 'INVALID_PARAMETER_VALUE') throw e;
  }
}

// Fragments of the grammar, so that random strings get deep into the parser rather than
// failing on the first character.
const fragment = fc.constantFrom(
  'metrics.', 'params.', 'tags.', 'attributes.', 'datasets.', 'run ', 'name', 'loss', 'run_id', 'created',
  ' = ', ' != ', '>', '>=', '<', '<=', ' LIKE ', ' ILIKE ', ' IN ', ' NOT IN ', ' NOT ', ' AND ', ' and ', ' OR ',
  "'", '"', '`', '\\', '(', ')', ',', ' ', '1', '-2.5e3', '.', "'x'", '"y"', 'constructor', '__proto__',
  'DESC', 'ASC', '\n', '\u0000', '😀',
);
const grammarish = fc.array(fc.oneof(fragment, fc.string({ maxLength: 3 })), { maxLength: 25 }).map((parts) => parts.join(''));

describe('the parser fails only with HangarError', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        for (const parse of filterParsers) onlyHangarErrors(() => parse(s));
        for (const parse of orderParsers) onlyHangarErrors(() => parse([s]));
        onlyHangarErrors(() => parseLoggedModelOrderBy([s, { field_name: s }]));
      }),
      { numRuns: 2000 },
    );
  });

  it('on strings built from grammar fragments', () => {
    fc.assert(
      fc.property(grammarish, (s) => {
        for (const parse of filterParsers) onlyHangarErrors(() => parse(s));
        for (const parse of orderParsers) onlyHangarErrors(() => parse([s]));
        onlyHangarErrors(() => parseLoggedModelOrderBy([{ field_name: s, ascending: false }]));
      }),
      { numRuns: 3000 },
    );
  });

  it('on arbitrary JSON where order_by lists are expected', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const parse of orderParsers) onlyHangarErrors(() => parse(v as string[]));
        onlyHangarErrors(() => parseLoggedModelOrderBy(v as string[]));
        onlyHangarErrors(() => parseRunFilter(v as string));
      }),
      { numRuns: 1000 },
    );
  });
});

// Valid clauses written out with random quoting and spacing parse back to what was written.
const safeKey = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/);
const anyKey = fc.string({ minLength: 1, maxLength: 12 });
const anyText = fc.string({ maxLength: 12 });

function quote(text: string, q: "'" | '"' | '`'): string {
  return q + text.replaceAll('\\', '\\\\').replaceAll(q, `\\${q}`) + q;
}

const ws = fc.constantFrom(' ', '  ', '\t', '\n ');
const keyText = fc.oneof(
  safeKey.map((k) => ({ k, text: k })),
  fc.tuple(anyKey, fc.constantFrom<'`' | '"'>('`', '"')).map(([k, q]) => ({ k, text: quote(k, q) })),
);

const clause: fc.Arbitrary<{ text: string; expected: FilterClause }> = fc.oneof(
  fc.tuple(keyText, fc.constantFrom('=', '!=', '>', '>=', '<', '<='), fc.double({ noNaN: true, noDefaultInfinity: true }), ws).map(
    ([key, op, value, w]) => ({
      text: `metrics.${key.text}${w}${op}${w}${String(value)}`,
      // String(-0) is "0", so -0 is written and read back as 0.
      expected: { entity: 'metric', key: key.k, op, value: value === 0 ? 0 : value } as FilterClause,
    }),
  ),
  fc.tuple(fc.constantFrom('params', 'tags'), keyText, fc.constantFrom('=', '!=', 'LIKE', 'ILIKE'), anyText, fc.constantFrom<"'" | '"'>("'", '"'), ws).map(
    ([prefix, key, op, value, q, w]) => ({
      text: `${prefix}.${key.text}${w}${op.toLowerCase()}${w}${quote(value, q)}`,
      expected: { entity: prefix === 'params' ? 'param' : 'tag', key: key.k, op, value } as FilterClause,
    }),
  ),
  fc.tuple(fc.constantFrom('run_id', 'status', 'user_id'), fc.constantFrom('IN', 'NOT IN'), fc.array(anyText, { minLength: 1, maxLength: 4 }), ws).map(
    ([attr, op, values, w]) => ({
      text: `attributes.${attr}${w}${op}${w}(${values.map((v) => quote(v, "'")).join(`,${w}`)})`,
      expected: { entity: 'attribute', key: attr, op, value: values } as FilterClause,
    }),
  ),
);

describe('round trip', () => {
  it('valid clauses joined by AND parse to the clauses written', () => {
    fc.assert(
      fc.property(fc.array(clause, { minLength: 1, maxLength: 5 }), fc.constantFrom(' AND ', ' and ', '\nAnd\t'), (clauses, and) => {
        const parsed = parseRunFilter(clauses.map((c) => c.text).join(and));
        expect(parsed).toEqual(clauses.map((c) => c.expected));
      }),
      { numRuns: 1000 },
    );
  });
});
