import { describe, expect, it } from 'vitest';
import { MissingVariable, capturedVariables, match, materialize, referencedVariables, substitute, unknownMatchers, type Vars } from './match.js';

const ok = (expected: unknown, actual: unknown, vars: Vars = new Map()): void => {
  expect(match(expected, actual, vars)).toEqual([]);
};
const bad = (expected: unknown, actual: unknown, fragment: string, vars: Vars = new Map()): void => {
  const m = match(expected, actual, vars);
  expect(m.length).toBeGreaterThan(0);
  expect(m.map((x) => `${x.path}: ${x.message}`).join('\n')).toContain(fragment);
};

describe('literal values', () => {
  it('compare exactly', () => {
    ok({ a: 1, b: 'x', c: true, d: null }, { a: 1, b: 'x', c: true, d: null });
    bad({ a: 1 }, { a: 2 }, '$.a: expected 1, got 2');
    bad({ a: '1' }, { a: 1 }, '$.a');
    bad([1, 2], [1, 2, 3], 'expected 2 elements');
    bad([1, 2], [2, 1], '$[0]');
  });

  it('allow extra keys except in {} and $strict objects', () => {
    ok({ a: 1 }, { a: 1, b: 2 });
    ok({}, {});
    bad({}, { a: 1 }, 'unexpected keys a');
    bad({ $strict: true, a: 1 }, { a: 1, b: 2 }, 'unexpected keys b');
    bad({ a: {} }, { a: [] }, 'expected an object');
  });

  it('report a missing key', () => {
    bad({ a: 1 }, {}, '$.a: expected 1, got (absent)');
  });
});

describe('matchers', () => {
  it.each([
    ['$any', 0, undefined],
    ['$any_string', '', 1],
    ['$nonempty_string', 'x', ''],
    ['$hex32', 'a60d5ab0b5804c1f99188a897805fffd', 'A60D5AB0B5804C1F99188A897805FFFD'],
    ['$model_id', 'm-3168ceb7538044d282d74af667237a3a', '3168ceb7538044d282d74af667237a3a'],
    ['$int', 3, 3.5],
    ['$number', 3.5, '3.5'],
    ['$epoch_ms', 1795669665235, '1795669665235'],
    ['$bool', false, 'false'],
    ['$contains:lo w', 'hello world', 'hello'],
    ['$starts_with:Multipart upload is not supported', 'Multipart upload is not supported for x', 'No Multipart upload is not supported'],
    ['$regex:^\\d+\\.\\d+\\.\\d+', '2.12.2', 'v2'],
    ['$$literal', '$literal', '$$literal'],
  ])('%s accepts %j and rejects %j', (matcher, good, wrong) => {
    ok({ v: matcher }, { v: good });
    bad({ v: matcher }, { v: wrong }, '$.v');
  });

  it('$absent needs the key to be missing', () => {
    ok({ end_time: '$absent' }, { start_time: 1 });
    bad({ end_time: '$absent' }, { end_time: 0 }, 'expected $absent');
  });

  it('$empty_or_absent accepts the proto3 spellings of nothing', () => {
    for (const v of [undefined, [], {}, '']) ok({ tags: '$empty_or_absent' }, v === undefined ? {} : { tags: v });
    bad({ tags: '$empty_or_absent' }, { tags: [1] }, '$.tags');
    bad({ tags: '$empty_or_absent' }, { tags: 0 }, '$.tags');
  });

  it('throws on an unknown matcher rather than passing', () => {
    expect(() => match('$hexx32', 'a', new Map())).toThrow(/unknown matcher/);
  });
});

describe('captures and substitution', () => {
  it('captures a value and substitutes it later, keeping its type for whole references', () => {
    const vars: Vars = new Map();
    ok({ run: { id: '$capture:run_id:$hex32', n: '$capture:n' } }, { run: { id: 'a'.repeat(32), n: 7 } }, vars);
    expect(vars.get('run_id')).toBe('a'.repeat(32));
    ok({ uri: 'mlflow-artifacts:/1/${run_id}/artifacts', n: '${n}' }, { uri: `mlflow-artifacts:/1/${'a'.repeat(32)}/artifacts`, n: 7 }, vars);
    bad({ n: '${n}' }, { n: '7' }, 'expected 7', vars);
  });

  it('does not capture when the inner matcher fails', () => {
    const vars: Vars = new Map();
    bad({ id: '$capture:run_id:$hex32' }, { id: 'nope' }, '$hex32');
    expect(vars.has('run_id')).toBe(false);
  });

  it('fails loudly on a variable nobody captured', () => {
    expect(() => substitute('${nope}', new Map())).toThrow(MissingVariable);
    expect(() => match({ a: '${nope}' }, { a: 1 }, new Map())).toThrow(MissingVariable);
  });

  it('materialises repeats and repeated characters', () => {
    expect(materialize({ m: { $repeat: 3, item: { key: 'k${i}', v: '${repeat:x:3}' } } }, new Map())).toEqual({
      m: [
        { key: 'k0', v: 'xxx' },
        { key: 'k1', v: 'xxx' },
        { key: 'k2', v: 'xxx' },
      ],
    });
  });

  it('lists referenced and captured variables', () => {
    expect([...referencedVariables({ a: ['${x}/${y}', '${repeat:z:2}', '${i}'] })]).toEqual(['x', 'y']);
    expect([...capturedVariables({ a: '$capture:x:$hex32', b: ['$capture:y'] })]).toEqual(['x', 'y']);
  });
});

describe('array and object combinators', () => {
  it('$unordered needs the same elements in any order', () => {
    ok({ $unordered: [{ key: 'a' }, { key: 'b' }] }, [{ key: 'b', value: '2' }, { key: 'a', value: '1' }]);
    bad({ $unordered: [{ key: 'a' }, { key: 'b' }] }, [{ key: 'a' }], 'expected 2 elements in any order');
    bad({ $unordered: [{ key: 'a' }, { key: 'a' }] }, [{ key: 'a' }, { key: 'b' }], '$unordered');
  });

  it('$unordered backtracks instead of taking the first fit', () => {
    ok({ $unordered: [{ key: '$any_string' }, { key: 'a', value: '1' }] }, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
  });

  it('$contains needs each element somewhere', () => {
    ok({ $contains: [{ key: 'mlflow.runName', value: 'x' }] }, [{ key: 'a' }, { key: 'mlflow.runName', value: 'x' }]);
    bad({ $contains: [{ key: 'mlflow.runName' }] }, [{ key: 'a' }], 'nothing matches');
    bad({ $contains: [] }, 'not an array', 'expected an array');
  });

  it('$oneof takes any alternative', () => {
    ok({ v: { $oneof: [1.7976931348623157e308, 'Infinity'] } }, { v: 'Infinity' });
    bad({ v: { $oneof: [1, 2] } }, { v: 3 }, 'expected one of');
  });

  it('$json parses a string and matches inside', () => {
    ok({ $json: [{ name: 'm', version: 1 }] }, '[{"name": "m", "version": 1}]');
    bad({ $json: [{ version: 1 }] }, '[{"version": "1"}]', '<json>[0].version');
    bad({ $json: {} }, '{not json', 'holding JSON');
  });
});

describe('unknownMatchers', () => {
  it('finds misspelt matchers and combinators', () => {
    expect(unknownMatchers({ a: '$hex32', b: '$hexx', c: '$capture:x:$intt', d: { $unorderd: [] }, e: '${v}', f: '$$x' })).toEqual([
      '$hexx',
      '$intt',
      '$unorderd',
    ]);
  });
});
