import { describe, expect, it } from 'vitest';
import { HangarError } from '../../core/errors.js';
import {
  parseExperimentOrderBy,
  parseLoggedModelOrderBy,
  parseModelVersionOrderBy,
  parseRegisteredModelOrderBy,
  parseRunOrderBy,
  type LoggedModelOrderField,
} from './index.js';

function expectInvalid(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HangarError);
  const err = caught as HangarError;
  expect(err.code).toBe('INVALID_PARAMETER_VALUE');
  expect(err.field).toBe('order_by');
  for (const f of fragments) expect(err.message).toContain(f);
}

describe('runs', () => {
  it('parses the documented examples', () => {
    expect(parseRunOrderBy(['metrics.rmse ASC', 'attributes.start_time DESC'])).toEqual([
      { entity: 'metric', key: 'rmse', ascending: true },
      { entity: 'attribute', key: 'start_time', ascending: false },
    ]);
    expect(parseRunOrderBy(['start_time DESC'])).toEqual([{ entity: 'attribute', key: 'start_time', ascending: false }]);
  });

  it('defaults to ascending and reads the direction in any case', () => {
    expect(parseRunOrderBy(['params.lr', 'tags.t desc', 'metrics.m Asc', 'end_time   DeSc  '])).toEqual([
      { entity: 'param', key: 'lr', ascending: true },
      { entity: 'tag', key: 't', ascending: false },
      { entity: 'metric', key: 'm', ascending: true },
      { entity: 'attribute', key: 'end_time', ascending: false },
    ]);
  });

  it('accepts quoted keys and entity aliases', () => {
    expect(parseRunOrderBy(['params.`batch size` DESC', 'tag."user-name"', 'metric.val/loss', 'parameter.x', 'attr.status'])).toEqual([
      { entity: 'param', key: 'batch size', ascending: false },
      { entity: 'tag', key: 'user-name', ascending: true },
      { entity: 'metric', key: 'val/loss', ascending: true },
      { entity: 'param', key: 'x', ascending: true },
      { entity: 'attribute', key: 'status', ascending: true },
    ]);
  });

  it('canonicalises attribute aliases', () => {
    expect(parseRunOrderBy(['created DESC', 'attributes.`run name`'])).toEqual([
      { entity: 'attribute', key: 'start_time', ascending: false },
      { entity: 'attribute', key: 'run_name', ascending: true },
    ]);
    expect(parseRunOrderBy(['run name DESC'])).toEqual([{ entity: 'attribute', key: 'run_name', ascending: false }]);
  });

  it('skips blank entries and accepts no order_by', () => {
    expect(parseRunOrderBy(['', '  ', 'run_id'])).toEqual([{ entity: 'attribute', key: 'run_id', ascending: true }]);
    expect(parseRunOrderBy(undefined)).toEqual([]);
    expect(parseRunOrderBy(null)).toEqual([]);
    expect(parseRunOrderBy([])).toEqual([]);
  });

  it('rejects unknown attributes, dataset keys and trailing text', () => {
    expectInvalid(() => parseRunOrderBy(['colour']), "Invalid order_by key 'colour'", "'run_id', 'run_name', 'status'");
    expectInvalid(() => parseRunOrderBy(['datasets.name']), "Invalid order_by entity 'datasets'", "'attributes', 'metrics', 'params', 'tags'");
    expectInvalid(() => parseRunOrderBy(['metrics.m DESCENDING']), "Invalid order_by clause 'metrics.m DESCENDING'", "'DESCENDING'");
    expectInvalid(() => parseRunOrderBy(['metrics.m DESC ASC']), "found 'ASC'");
    expectInvalid(() => parseRunOrderBy(['metrics.m, params.p']), "found ','");
    expectInvalid(() => parseRunOrderBy(['nope.m']), "Invalid entity type 'nope'");
  });

  it('rejects a field named twice, even through an alias', () => {
    expectInvalid(() => parseRunOrderBy(['metrics.m', 'metric.m DESC']), "order_by names 'metrics.m' more than once");
    expectInvalid(() => parseRunOrderBy(['created', 'start_time DESC']), "'attributes.start_time' more than once");
  });

  it('rejects entries that are not strings', () => {
    expectInvalid(() => parseRunOrderBy([3 as unknown as string]), 'Invalid order_by entry 3');
    expectInvalid(() => parseRunOrderBy('start_time' as unknown as string[]), 'expected a list');
  });
});

describe('experiments', () => {
  it('orders by the four attributes', () => {
    expect(parseExperimentOrderBy(['name', 'experiment_id DESC', 'attributes.creation_time', 'last_update_time DESC'])).toEqual([
      { entity: 'attribute', key: 'name', ascending: true },
      { entity: 'attribute', key: 'experiment_id', ascending: false },
      { entity: 'attribute', key: 'creation_time', ascending: true },
      { entity: 'attribute', key: 'last_update_time', ascending: false },
    ]);
  });

  it('rejects tags, metrics and other attributes', () => {
    expectInvalid(() => parseExperimentOrderBy(['tags.t']), "Invalid order_by entity 'tags'", "experiments can be ordered by 'attributes'");
    expectInvalid(() => parseExperimentOrderBy(['metrics.m']), "Invalid order_by entity 'metrics'");
    expectInvalid(() => parseExperimentOrderBy(['start_time']), "Invalid order_by key 'start_time'");
  });
});

describe('registered models', () => {
  it('orders by name and timestamps, with timestamp as an alias', () => {
    expect(parseRegisteredModelOrderBy(['name ASC', 'timestamp DESC', 'last_updated_timestamp'])).toEqual([
      { entity: 'attribute', key: 'name', ascending: true },
      { entity: 'attribute', key: 'creation_timestamp', ascending: false },
      { entity: 'attribute', key: 'last_updated_timestamp', ascending: true },
    ]);
    expect(parseRegisteredModelOrderBy(['creation_timestamp'])).toEqual([{ entity: 'attribute', key: 'creation_timestamp', ascending: true }]);
  });

  it('rejects other keys', () => {
    expectInvalid(() => parseRegisteredModelOrderBy(['version_number']), "Invalid order_by key 'version_number'");
    expectInvalid(() => parseRegisteredModelOrderBy(['timestamp', 'creation_timestamp DESC']), 'more than once');
  });
});

describe('model versions', () => {
  it('orders by name, version_number and timestamps', () => {
    expect(parseModelVersionOrderBy(['name', 'version_number DESC', 'creation_timestamp', 'last_updated_timestamp DESC'])).toEqual([
      { entity: 'attribute', key: 'name', ascending: true },
      { entity: 'attribute', key: 'version_number', ascending: false },
      { entity: 'attribute', key: 'creation_timestamp', ascending: true },
      { entity: 'attribute', key: 'last_updated_timestamp', ascending: false },
    ]);
  });

  it('rejects other keys', () => {
    expectInvalid(() => parseModelVersionOrderBy(['run_id']), "Invalid order_by key 'run_id'");
    expectInvalid(() => parseModelVersionOrderBy(['tags.k']), "Invalid order_by entity 'tags'");
  });
});

describe('logged models', () => {
  it('accepts {field_name, ascending} objects; ascending defaults to true', () => {
    expect(
      parseLoggedModelOrderBy([
        { field_name: 'metrics.accuracy', ascending: false },
        { field_name: 'creation_timestamp' },
        { field_name: 'name', ascending: null },
        { field_name: 'last_updated_timestamp_ms', ascending: true, dataset_name: '', dataset_digest: null },
      ]),
    ).toEqual([
      { entity: 'metric', key: 'accuracy', ascending: false },
      { entity: 'attribute', key: 'creation_timestamp', ascending: true },
      { entity: 'attribute', key: 'name', ascending: true },
      { entity: 'attribute', key: 'last_updated_timestamp', ascending: true },
    ]);
  });

  it('accepts strings as for runs', () => {
    expect(parseLoggedModelOrderBy(['model_id DESC', 'metrics.`f1 score`'])).toEqual([
      { entity: 'attribute', key: 'model_id', ascending: false },
      { entity: 'metric', key: 'f1 score', ascending: true },
    ]);
  });

  it('rejects dataset-scoped metric ordering rather than ignoring it', () => {
    expectInvalid(
      () => parseLoggedModelOrderBy([{ field_name: 'metrics.acc', dataset_name: 'iris' }]),
      'Ordering by a metric of one dataset is not supported',
      "'metrics.acc'",
    );
    expectInvalid(() => parseLoggedModelOrderBy([{ field_name: 'metrics.acc', dataset_digest: 'abc' }]), 'dataset_digest');
  });

  it('rejects malformed entries', () => {
    expectInvalid(() => parseLoggedModelOrderBy([{ ascending: true } as unknown as LoggedModelOrderField]), 'expected {"field_name"');
    expectInvalid(() => parseLoggedModelOrderBy([null as unknown as string]), 'Invalid order_by entry null');
    expectInvalid(
      () => parseLoggedModelOrderBy([{ field_name: 'name', ascending: 'yes' as unknown as boolean }]),
      `Invalid 'ascending' "yes"`,
    );
    expectInvalid(() => parseLoggedModelOrderBy([{ field_name: 'name DESC' }]), "Invalid order_by field_name 'name DESC'");
    expectInvalid(() => parseLoggedModelOrderBy([{ field_name: 'params.p' }]), "Invalid order_by entity 'params'", "'attributes', 'metrics'");
    expectInvalid(() => parseLoggedModelOrderBy([{ field_name: 'run_id' }]), "Invalid order_by key 'run_id'");
    expectInvalid(() => parseLoggedModelOrderBy([{ field_name: 'name' }, 'name DESC']), 'more than once');
  });
});
