import { describe, expect, it } from 'vitest';
import { HangarError } from '../../core/errors.js';
import {
  parseExperimentFilter,
  parseLoggedModelFilter,
  parseModelVersionFilter,
  parseRegisteredModelFilter,
  parseRunFilter,
} from './index.js';

/** Runs `fn`, expects INVALID_PARAMETER_VALUE on `filter` whose message holds every fragment. */
function expectInvalid(fn: () => unknown, ...fragments: string[]): HangarError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HangarError);
  const err = caught as HangarError;
  expect(err.code).toBe('INVALID_PARAMETER_VALUE');
  expect(err.field).toBe('filter');
  for (const f of fragments) expect(err.message).toContain(f);
  return err;
}

describe('empty filters', () => {
  it.each([undefined, null, '', '   ', '\n\t '])('%j parses to no clauses', (f) => {
    expect(parseRunFilter(f)).toEqual([]);
    expect(parseLoggedModelFilter(f)).toEqual([]);
  });
});

describe('runs: the documented example', () => {
  it('parses metrics, params and quoted tag keys joined by lower-case and', () => {
    expect(
      parseRunFilter(`metrics.rmse < 1 and params.model_class = 'LogisticRegression' and tags."user-name" LIKE 'a%'`),
    ).toEqual([
      { entity: 'metric', key: 'rmse', op: '<', value: 1 },
      { entity: 'param', key: 'model_class', op: '=', value: 'LogisticRegression' },
      { entity: 'tag', key: 'user-name', op: 'LIKE', value: 'a%' },
    ]);
  });
});

describe('AND', () => {
  it.each(['AND', 'and', 'And', 'aNd'])('joins clauses with %s', (and) => {
    expect(parseRunFilter(`metrics.a > 1 ${and} metrics.b < 2 ${and} tags.t = 'x'`)).toHaveLength(3);
  });

  it('accepts any whitespace around clauses', () => {
    expect(parseRunFilter("\n metrics.a>1\tAND\nparams.p='x'  ")).toEqual([
      { entity: 'metric', key: 'a', op: '>', value: 1 },
      { entity: 'param', key: 'p', op: '=', value: 'x' },
    ]);
  });

  it('needs AND between clauses', () => {
    expectInvalid(() => parseRunFilter("metrics.a > 1 params.p = 'x'"), "Expected 'AND'", "'metrics.a > 1'", "found 'params.p'");
  });

  it('needs a word boundary after AND', () => {
    expectInvalid(() => parseRunFilter('metrics.a > 1 ANDmetrics.b < 2'), "Expected 'AND'");
  });

  it('rejects a trailing AND', () => {
    expectInvalid(() => parseRunFilter('metrics.a > 1 AND'), 'Expected a key', 'the end of the text');
    expectInvalid(() => parseRunFilter('metrics.a > 1 AND   '), 'Expected a key');
  });

  it('rejects a leading AND as a clause without a comparator', () => {
    expectInvalid(() => parseRunFilter('AND metrics.a > 1'), 'comparator');
  });
});

describe('OR and parentheses', () => {
  it.each(["metrics.a > 1 OR metrics.b < 2", "params.p = 'x' or params.q = 'y'", "status = 'FINISHED' Or status = 'FAILED'"])(
    'rejects OR in %j',
    (f) => {
      expectInvalid(() => parseRunFilter(f), "'OR' is not supported", "join clauses with 'AND'");
    },
  );

  it('reports OR before looking at unknown keys', () => {
    expectInvalid(() => parseRunFilter('a = 1 OR b = 2'), "'OR' is not supported");
  });

  it.each([
    '(metrics.a > 1)',
    '(metrics.a > 1) AND metrics.b < 2',
    'metrics.a > 1 AND (metrics.b < 2 OR metrics.c > 3)',
    'metrics.a > 1)',
  ])('rejects parentheses in %j', (f) => {
    expectInvalid(() => parseRunFilter(f), 'Parentheses are not supported');
  });

  it('rejects a value list after a comparator other than IN', () => {
    expectInvalid(() => parseRunFilter("attributes.status = ('FINISHED')"), "('FINISHED')", "only allowed after 'IN' or 'NOT IN'");
  });
});

describe('string values', () => {
  it.each([
    [`tags.t = 'single'`, 'single'],
    [`tags.t = "double"`, 'double'],
    [`tags.t = ''`, ''],
    [`tags.t = 'has "double" inside'`, 'has "double" inside'],
    [`tags.t = "has 'single' inside"`, "has 'single' inside"],
    [`tags.t = 'it\\'s'`, "it's"],
    [`tags.t = 'it''s'`, "it's"],
    [`tags.t = "say \\"hi\\""`, 'say "hi"'],
    [`tags.t = "say ""hi"""`, 'say "hi"'],
    [`tags.t = 'back\\\\slash'`, 'back\\slash'],
    [`tags.t LIKE '50\\%'`, '50\\%'],
    [`tags.t = 'AND OR ( ) = > metrics.x'`, 'AND OR ( ) = > metrics.x'],
    [`tags.t = 'ünïcødé ✓'`, 'ünïcødé ✓'],
  ])('%s → %j', (f, value) => {
    expect(parseRunFilter(f)).toEqual([{ entity: 'tag', key: 't', op: f.includes('LIKE') ? 'LIKE' : '=', value }]);
  });

  it('rejects an unterminated string', () => {
    expectInvalid(() => parseRunFilter("tags.t = 'open"), 'Unterminated', "'open");
    expectInvalid(() => parseRunFilter("tags.t = 'ends with escape\\'"), 'Unterminated');
  });

  it('rejects a backtick-quoted value', () => {
    expectInvalid(() => parseRunFilter('tags.t = `x`'), 'Expected a quoted string value', '`x`');
  });
});

describe('numeric values', () => {
  it.each([
    ['1', 1],
    ['-1', -1],
    ['+2', 2],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['-.25', -0.25],
    ['3.', 3],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['-2.5e+2', -250],
    ['1795669665235', 1795669665235],
  ])('metrics.m > %s → %d', (text, value) => {
    expect(parseRunFilter(`metrics.m > ${text}`)).toEqual([{ entity: 'metric', key: 'm', op: '>', value }]);
  });

  it.each(['1.2.3', '1e', '12abc', '--1', '0x10'])('rejects the malformed number %s', (text) => {
    expect(() => parseRunFilter(`metrics.m > ${text}`)).toThrow(HangarError);
  });

  it('rejects a missing value', () => {
    expectInvalid(() => parseRunFilter('metrics.m >'), 'Missing value');
    expectInvalid(() => parseRunFilter('metrics.m > AND metrics.n < 1'), "Missing value before 'AND'");
    expectInvalid(() => parseRunFilter("tags.t = or tags.u = 'x'"), "Missing value before 'or'");
  });
});

describe('keys', () => {
  it.each([
    ['params.`batch size` = \'32\'', 'param', 'batch size'],
    ['params."batch size" = \'32\'', 'param', 'batch size'],
    ["params.'batch size' = '32'", 'param', 'batch size'],
    ['tags."user-name" = \'x\'', 'tag', 'user-name'],
    ["tags.mlflow.runName = 'x'", 'tag', 'mlflow.runName'],
    ["tags.`mlflow.source.type` = 'LOCAL'", 'tag', 'mlflow.source.type'],
    ['metrics.train/loss < 1', 'metric', 'train/loss'],
    ['metrics.val-acc > 0', 'metric', 'val-acc'],
    ['metrics.`weird ``name` > 0', 'metric', 'weird `name'],
    ['metrics.Loss > 0', 'metric', 'Loss'],
  ])('%s', (f, entity, key) => {
    const [clause] = parseRunFilter(f);
    expect(clause).toMatchObject({ entity, key });
  });

  it('rejects a prefix without a key', () => {
    expectInvalid(() => parseRunFilter('metrics. > 1'), "Missing key after 'metrics.'");
    expectInvalid(() => parseRunFilter("params.'' = 'x'"), "Missing key after 'params.'");
  });

  it('rejects something that is not a key', () => {
    expectInvalid(() => parseRunFilter("= 'x'"), 'Expected a key', "found '='");
    expectInvalid(() => parseRunFilter("1 = 'x'"), 'Expected a key', "found '1'");
  });

  it('rejects an unknown entity type and lists the valid ones', () => {
    expectInvalid(
      () => parseRunFilter('metricz.loss < 1'),
      "Invalid entity type 'metricz' in 'metricz.loss'",
      "'metrics', 'params', 'tags', 'attributes', 'datasets'",
    );
  });

  it("does not take Object's own properties for entity or attribute names", () => {
    expectInvalid(() => parseRunFilter('constructor.x = 1'), "Invalid entity type 'constructor'");
    expectInvalid(() => parseRunFilter("toString = 'x'"), "Invalid attribute key 'toString'");
    expectInvalid(() => parseRunFilter("__proto__ = 'x'"), "Invalid attribute key '__proto__'");
    expectInvalid(() => parseRunFilter("datasets.hasOwnProperty = 'x'"), "Invalid dataset key 'hasOwnProperty'");
  });
});

describe('entity aliases', () => {
  it.each([
    ['metric.m > 1', 'metric'],
    ['metrics.m > 1', 'metric'],
    ["param.m = '1'", 'param'],
    ["params.m = '1'", 'param'],
    ["parameter.m = '1'", 'param'],
    ["parameters.m = '1'", 'param'],
    ["tag.m = '1'", 'tag'],
    ["tags.m = '1'", 'tag'],
    ["Tags.m = '1'", 'tag'],
  ])('%s → %s', (f, entity) => {
    expect(parseRunFilter(f)[0]).toMatchObject({ entity, key: 'm' });
  });

  it.each(['attributes', 'attribute', 'attr', 'run', 'ATTRIBUTES'])('%s.status names the status attribute', (prefix) => {
    expect(parseRunFilter(`${prefix}.status = 'FINISHED'`)).toEqual([
      { entity: 'attribute', key: 'status', op: '=', value: 'FINISHED' },
    ]);
  });

  it.each(['datasets', 'dataset'])('%s.name names the dataset name', (prefix) => {
    expect(parseRunFilter(`${prefix}.name = 'iris'`)).toEqual([{ entity: 'dataset', key: 'name', op: '=', value: 'iris' }]);
  });
});

describe('run attributes', () => {
  it.each([
    ["attributes.run_name = 'a'", 'run_name'],
    ["run_name = 'a'", 'run_name'],
    ["attributes.`run name` = 'a'", 'run_name'],
    ['attributes."Run Name" = \'a\'', 'run_name'],
    ["`run name` = 'a'", 'run_name'],
    ["run name = 'a'", 'run_name'],
    ["Run  Name = 'a'", 'run_name'],
    ["run_id = 'a'", 'run_id'],
    ["user_id = 'a'", 'user_id'],
    ["artifact_uri LIKE 'mlflow-artifacts:/1/%'", 'artifact_uri'],
    ["STATUS = 'a'", 'status'],
  ])('%s → %s', (f, key) => {
    expect(parseRunFilter(f)[0]).toMatchObject({ entity: 'attribute', key });
  });

  it.each([
    ['created > 5', 'start_time'],
    ['attributes.created > 5', 'start_time'],
    ['Created > 5', 'start_time'],
    ['start_time >= 5', 'start_time'],
    ['attributes.end_time < 5', 'end_time'],
  ])('%s → %s (numeric)', (f, key) => {
    expect(parseRunFilter(f)[0]).toMatchObject({ entity: 'attribute', key, value: 5 });
  });

  it('rejects an unknown attribute and lists the valid ones', () => {
    expectInvalid(
      () => parseRunFilter("attributes.colour = 'red'"),
      "Invalid attribute key 'colour'",
      "'run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'end_time'",
    );
    expectInvalid(() => parseRunFilter("run.lifecycle_stage = 'deleted'"), "Invalid attribute key 'lifecycle_stage'");
  });

  it('takes the word after "run" as the comparator when it is not "name"', () => {
    expectInvalid(() => parseRunFilter("run named = 'x'"), 'Invalid comparator', "'named'");
  });
});

describe('IN and NOT IN', () => {
  it('parses a list of strings for run attributes', () => {
    expect(parseRunFilter(`attributes.run_id IN ('a', "b",'c')`)).toEqual([
      { entity: 'attribute', key: 'run_id', op: 'IN', value: ['a', 'b', 'c'] },
    ]);
    expect(parseRunFilter(`status not   in ('FAILED')`)).toEqual([
      { entity: 'attribute', key: 'status', op: 'NOT IN', value: ['FAILED'] },
    ]);
    expect(parseRunFilter(`datasets.digest in ('x1')`)).toEqual([{ entity: 'dataset', key: 'digest', op: 'IN', value: ['x1'] }]);
  });

  it('keeps commas and parentheses inside list strings', () => {
    expect(parseRunFilter(`run_name IN ('a,b', '(c)')`)[0]).toMatchObject({ value: ['a,b', '(c)'] });
  });

  it('needs a list after IN', () => {
    expectInvalid(() => parseRunFilter("run_id IN 'a'"), "Expected a parenthesised list of quoted strings after 'IN'", "'a'");
    expectInvalid(() => parseRunFilter('run_id NOT IN 3'), "after 'NOT IN'");
  });

  it('rejects an empty list, numbers in the list and a missing separator', () => {
    expectInvalid(() => parseRunFilter('run_id IN ()'), "Empty value list '()'");
    expectInvalid(() => parseRunFilter('run_id IN (1, 2)'), 'Expected a quoted string in the value list', "'1,'");
    expectInvalid(() => parseRunFilter("run_id IN ('a' 'b')"), "Expected ',' or ')'", "'b'");
    expectInvalid(() => parseRunFilter("run_id IN ('a',)"), 'Expected a quoted string in the value list');
    expectInvalid(() => parseRunFilter("run_id IN ('a'"), "Expected ',' or ')'", 'the end of the text');
  });

  it('is only valid for string attributes and datasets', () => {
    expectInvalid(
      () => parseRunFilter("params.p IN ('a')"),
      "Invalid comparator 'IN' for param 'p'. Only '=', '!=', 'LIKE', 'ILIKE' are supported.",
    );
    expectInvalid(() => parseRunFilter("tags.t NOT IN ('a')"), "Invalid comparator 'NOT IN' for tag 't'");
    expectInvalid(() => parseRunFilter("start_time IN ('1')"), "Invalid comparator 'IN' for attribute 'start_time'");
    expectInvalid(() => parseRunFilter("metrics.m IN ('1')"), "Invalid comparator 'IN' for metric 'm'");
  });

  it('rejects NOT without IN', () => {
    expectInvalid(() => parseRunFilter("tags.t NOT LIKE 'a'"), "Invalid comparator 'NOT'");
    expectInvalid(() => parseRunFilter("tags.t NOT 'a'"), "Invalid comparator 'NOT'");
  });
});

describe('comparators', () => {
  it.each(['=', '!=', '>', '>=', '<', '<='])('metrics accept %s', (op) => {
    expect(parseRunFilter(`metrics.m ${op} 1`)).toEqual([{ entity: 'metric', key: 'm', op, value: 1 }]);
  });

  it.each(['=', '!=', 'LIKE', 'ILIKE'])('params and tags accept %s', (op) => {
    expect(parseRunFilter(`params.p ${op} 'x' and tags.t ${op.toLowerCase()} 'y'`)).toEqual([
      { entity: 'param', key: 'p', op, value: 'x' },
      { entity: 'tag', key: 't', op, value: 'y' },
    ]);
  });

  it('reads comparators written without spaces', () => {
    expect(parseRunFilter("metrics.m>=1 AND params.p!='a'")).toEqual([
      { entity: 'metric', key: 'm', op: '>=', value: 1 },
      { entity: 'param', key: 'p', op: '!=', value: 'a' },
    ]);
  });

  it.each(['LIKE', 'ILIKE'])('metrics reject %s', (op) => {
    expectInvalid(
      () => parseRunFilter(`metrics.loss ${op} '1'`),
      `Invalid comparator '${op}' for metric 'loss'. Only '=', '!=', '>', '>=', '<', '<=' are supported.`,
    );
  });

  it.each(['>', '>=', '<', '<='])('params reject %s with MLflow-like wording', (op) => {
    expectInvalid(
      () => parseRunFilter(`params.alpha ${op} '0.1'`),
      `Invalid comparator '${op}' for param 'alpha'. Only '=', '!=', 'LIKE', 'ILIKE' are supported.`,
    );
  });

  it('tags reject numeric comparators', () => {
    expectInvalid(() => parseRunFilter("tags.t > 'a'"), "Invalid comparator '>' for tag 't'");
  });

  it('start_time and end_time reject string comparators', () => {
    expectInvalid(() => parseRunFilter("start_time LIKE '1%'"), "Invalid comparator 'LIKE' for attribute 'start_time'");
    expectInvalid(() => parseRunFilter("created ILIKE '1%'"), "Invalid comparator 'ILIKE' for attribute 'created'");
  });

  it('string attributes reject numeric comparators', () => {
    expectInvalid(
      () => parseRunFilter("status > 'A'"),
      "Invalid comparator '>' for attribute 'status'. Only '=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN' are supported.",
    );
  });

  it.each(['==', '<>', '=>', '!', '=<', '>>'])('rejects the unknown comparator %s', (op) => {
    expectInvalid(() => parseRunFilter(`metrics.m ${op} 1`), `Invalid comparator '${op}'`, "'metrics.m'");
  });

  it.each(['IS', 'BETWEEN', 'CONTAINS'])('rejects the word comparator %s', (op) => {
    expectInvalid(() => parseRunFilter(`tags.t ${op} 'a'`), `Invalid comparator '${op}'`);
  });

  it('rejects a missing comparator', () => {
    expectInvalid(() => parseRunFilter('metrics.m'), 'Expected a comparator', 'the end of the text');
    expectInvalid(() => parseRunFilter("metrics.m 'a'"), 'Expected a comparator', "found ''a''");
  });
});

describe('value types', () => {
  it('metrics need numbers', () => {
    expectInvalid(() => parseRunFilter("metrics.loss < '1'"), "Expected a numeric value for metric 'loss'. Got value '1'.");
    expectInvalid(() => parseRunFilter('metrics.loss < abc'), 'Got value abc');
  });

  it('params and tags need quoted strings', () => {
    expectInvalid(
      () => parseRunFilter('params.alpha = 0.1'),
      "Expected a quoted string value for param 'alpha' (e.g. 'my-value'). Got value 0.1.",
    );
    expectInvalid(() => parseRunFilter('tags.t = abc'), "Expected a quoted string value for tag 't'", 'Got value abc');
  });

  it('string attributes need quoted strings, numeric attributes numbers', () => {
    expectInvalid(() => parseRunFilter('run_id = 12'), "Expected a quoted string value for attribute 'run_id'");
    expectInvalid(() => parseRunFilter("end_time > '12'"), "Expected a numeric value for attribute 'end_time'");
  });

  it('datasets need quoted strings and known keys', () => {
    expectInvalid(() => parseRunFilter('datasets.name = 1'), "Expected a quoted string value for dataset 'name'");
    expectInvalid(() => parseRunFilter("datasets.size = 'x'"), "Invalid dataset key 'size'", "'name', 'digest', 'context'");
    expectInvalid(() => parseRunFilter("datasets.name > 'x'"), "Invalid comparator '>' for dataset 'name'");
  });
});

describe('experiments', () => {
  it('parses name, timestamps and tags', () => {
    expect(
      parseExperimentFilter("name LIKE 'demo%' AND attribute.name != 'x' AND creation_time > 5 AND last_update_time <= 9 AND tags.team ILIKE 'h%'"),
    ).toEqual([
      { entity: 'attribute', key: 'name', op: 'LIKE', value: 'demo%' },
      { entity: 'attribute', key: 'name', op: '!=', value: 'x' },
      { entity: 'attribute', key: 'creation_time', op: '>', value: 5 },
      { entity: 'attribute', key: 'last_update_time', op: '<=', value: 9 },
      { entity: 'tag', key: 'team', op: 'ILIKE', value: 'h%' },
    ]);
  });

  it('rejects run-only keys and IN on name', () => {
    expectInvalid(() => parseExperimentFilter('metrics.m > 1'), "Invalid entity type 'metrics'", "searching experiments supports 'attributes', 'tags'");
    expectInvalid(() => parseExperimentFilter("params.p = 'x'"), "Invalid entity type 'params'");
    expectInvalid(() => parseExperimentFilter("datasets.name = 'x'"), "Invalid entity type 'datasets'");
    expectInvalid(() => parseExperimentFilter("status = 'x'"), "Invalid attribute key 'status'", "'name', 'creation_time', 'last_update_time'");
    expectInvalid(() => parseExperimentFilter("name IN ('a')"), "Invalid comparator 'IN' for attribute 'name'");
    expectInvalid(() => parseExperimentFilter("creation_time = 'x'"), 'Expected a numeric value');
  });
});

describe('registered models', () => {
  it('parses name and tags', () => {
    expect(parseRegisteredModelFilter("name='demo-model' and tags.owner = 'hangar'")).toEqual([
      { entity: 'attribute', key: 'name', op: '=', value: 'demo-model' },
      { entity: 'tag', key: 'owner', op: '=', value: 'hangar' },
    ]);
  });

  it('rejects other keys', () => {
    expectInvalid(() => parseRegisteredModelFilter("run_id = 'x'"), "Invalid attribute key 'run_id'", "Valid keys are 'name'.");
    expectInvalid(() => parseRegisteredModelFilter('metrics.m > 1'), "Invalid entity type 'metrics'");
    expectInvalid(() => parseRegisteredModelFilter("name IN ('a')"), "Invalid comparator 'IN'");
  });
});

describe('model versions', () => {
  it('parses name, run_id IN, source_path and version_number', () => {
    expect(
      parseModelVersionFilter("name = 'm' AND run_id IN ('a','b') AND source_path LIKE 'mlflow-artifacts:/%' AND version_number >= 2 AND tags.k = 'v'"),
    ).toEqual([
      { entity: 'attribute', key: 'name', op: '=', value: 'm' },
      { entity: 'attribute', key: 'run_id', op: 'IN', value: ['a', 'b'] },
      { entity: 'attribute', key: 'source_path', op: 'LIKE', value: 'mlflow-artifacts:/%' },
      { entity: 'attribute', key: 'version_number', op: '>=', value: 2 },
      { entity: 'tag', key: 'k', op: '=', value: 'v' },
    ]);
  });

  it('version_number is numeric only', () => {
    expectInvalid(() => parseModelVersionFilter("version_number = '1'"), "Expected a numeric value for attribute 'version_number'");
    expectInvalid(() => parseModelVersionFilter("version_number LIKE '1%'"), "Invalid comparator 'LIKE' for attribute 'version_number'");
  });

  it('rejects NOT IN, metrics and unknown attributes', () => {
    expectInvalid(() => parseModelVersionFilter("run_id NOT IN ('a')"), "Invalid comparator 'NOT IN' for attribute 'run_id'");
    expectInvalid(() => parseModelVersionFilter('metrics.m > 1'), "Invalid entity type 'metrics'");
    expectInvalid(() => parseModelVersionFilter("current_stage = 'Production'"), "Invalid attribute key 'current_stage'");
  });
});

describe('logged models', () => {
  it("parses the runs:/ fallback's name filter", () => {
    expect(parseLoggedModelFilter("name = 'model'")).toEqual([{ entity: 'attribute', key: 'name', op: '=', value: 'model' }]);
  });

  it('parses the proto example and the attributes', () => {
    expect(parseLoggedModelFilter("params.alpha = '0.3' AND metrics.accuracy > 0.9")).toEqual([
      { entity: 'param', key: 'alpha', op: '=', value: '0.3' },
      { entity: 'metric', key: 'accuracy', op: '>', value: 0.9 },
    ]);
    expect(
      parseLoggedModelFilter(
        "model_id IN ('m-1') AND status = 'LOGGED_MODEL_READY' AND source_run_id != 'r' AND model_type = '' AND attributes.creation_timestamp > 1 AND last_updated_timestamp_ms < 2 AND tags.k LIKE 'v%'",
      ),
    ).toEqual([
      { entity: 'attribute', key: 'model_id', op: 'IN', value: ['m-1'] },
      { entity: 'attribute', key: 'status', op: '=', value: 'LOGGED_MODEL_READY' },
      { entity: 'attribute', key: 'source_run_id', op: '!=', value: 'r' },
      { entity: 'attribute', key: 'model_type', op: '=', value: '' },
      { entity: 'attribute', key: 'creation_timestamp', op: '>', value: 1 },
      { entity: 'attribute', key: 'last_updated_timestamp', op: '<', value: 2 },
      { entity: 'tag', key: 'k', op: 'LIKE', value: 'v%' },
    ]);
  });

  it('applies the same operator rules as runs', () => {
    expectInvalid(() => parseLoggedModelFilter('params.alpha < 0.3'), "Invalid comparator '<' for param 'alpha'");
    expectInvalid(() => parseLoggedModelFilter("metrics.acc LIKE '0.9'"), "Invalid comparator 'LIKE' for metric 'acc'");
    expectInvalid(() => parseLoggedModelFilter("datasets.name = 'x'"), "Invalid entity type 'datasets'", "'metrics', 'params', 'tags'");
    expectInvalid(() => parseLoggedModelFilter("run_id = 'x'"), "Invalid attribute key 'run_id'", "'source_run_id'");
  });
});

describe('error shape', () => {
  it('quotes the filter and names the field', () => {
    const err = expectInvalid(() => parseRunFilter('metrics.a > 1 OR metrics.b < 2'));
    expect(err.message).toContain("'metrics.a > 1 OR metrics.b < 2'");
    expect(err.httpStatus).toBe(400);
  });

  it('shortens a very long filter in the message', () => {
    const long = `tags.t = 'x' AND ${"tags.u = 'y' AND ".repeat(50)}tags.v ? 1`;
    const err = expectInvalid(() => parseRunFilter(long), "Expected a comparator after 'tags.v'", "found '?'");
    expect(err.message.length).toBeLessThan(500);
  });

  it('rejects a filter that is not a string at run time', () => {
    expectInvalid(() => parseRunFilter(42 as unknown as string), 'expected a string');
  });
});
