import { describe, expect, it } from 'vitest';
import { parseModelUri } from './model-uri.js';

describe('parseModelUri', () => {
  const id = `m-${'a1'.repeat(16)}`;

  it.each([
    ['models:/churn/3', { kind: 'version', name: 'churn', version: 3 }],
    ['models:///churn/3', { kind: 'version', name: 'churn', version: 3 }],
    ['models:/churn/Production', { kind: 'stage', name: 'churn', stage: 'Production' }],
    ['models:/churn/staging', { kind: 'stage', name: 'churn', stage: 'Staging' }],
    ['models:/churn/NONE', { kind: 'stage', name: 'churn', stage: 'None' }],
    ['models:/churn/latest', { kind: 'latest', name: 'churn' }],
    ['models:/churn/Latest', { kind: 'latest', name: 'churn' }],
    ['models:/churn@champion', { kind: 'alias', name: 'churn', alias: 'champion' }],
    ['models:/a@b@prod', { kind: 'alias', name: 'a@b', alias: 'prod' }],
    [`models:/${id}`, { kind: 'logged-model', modelId: id }],
    ['runs:/abc123/model', { kind: 'run', runId: 'abc123', path: 'model' }],
    ['runs:/abc123/outputs/model/', { kind: 'run', runId: 'abc123', path: 'outputs/model' }],
    ['runs:/abc123', { kind: 'run', runId: 'abc123', path: '' }],
  ])('%s', (uri, expected) => {
    expect(parseModelUri(uri)).toEqual(expected);
  });

  it.each([
    ['s3://bucket/model', /scheme/],
    ['models:churn/1', /must start with \//],
    ['models://profile/churn/1', /authority/],
    ['models:/', /empty/],
    ['models:/churn', /version, stage, latest or @alias is missing/],
    ['models:/churn/0', /versions start at 1/],
    ['models:/churn/Bogus', /'Bogus' is not a version number/],
    ['models:/a/b/c', /too many/],
    ['models:/@alias', /name and the alias/],
    ['models:/m-123', /missing/],
    ['runs:/abc/../x', /\.\./],
  ])('rejects %s', (uri, message) => {
    expect(() => parseModelUri(uri)).toThrow(message);
    try {
      parseModelUri(uri);
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', field: 'uri' });
    }
  });
});
