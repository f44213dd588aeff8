import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHangarError } from '../core/errors.js';
import { STAGES } from '../store/types.js';
import { formatModelUri, isModelUri, parseModelUri, type ModelUri } from './model-uri.js';

function rejects(uri: string): string {
  try {
    parseModelUri(uri);
  } catch (e) {
    if (isHangarError(e) && e.code === 'INVALID_PARAMETER_VALUE' && e.field === 'uri') return e.message;
    throw e;
  }
  throw new Error(`expected ${uri} to be rejected`);
}

describe('parseModelUri', () => {
  it('reads models:/<name>/<version>', () => {
    expect(parseModelUri('models:/demo-model/3')).toEqual({ kind: 'version', name: 'demo-model', version: 3 });
    expect(parseModelUri('models:/demo/007')).toEqual({ kind: 'version', name: 'demo', version: 7 });
  });

  it('reads models:/<name>/<Stage> in any case, with the canonical spelling', () => {
    expect(parseModelUri('models:/demo/Production')).toEqual({ kind: 'stage', name: 'demo', stage: 'Production' });
    expect(parseModelUri('models:/demo/staging')).toEqual({ kind: 'stage', name: 'demo', stage: 'Staging' });
  });

  it('reads models:/<name>/latest in any case', () => {
    expect(parseModelUri('models:/demo/latest')).toEqual({ kind: 'latest', name: 'demo' });
    expect(parseModelUri('models:/demo/LATEST')).toEqual({ kind: 'latest', name: 'demo' });
  });

  it('reads models:/<name>@<alias>, splitting at the last @', () => {
    expect(parseModelUri('models:/demo@champion')).toEqual({ kind: 'alias', name: 'demo', alias: 'champion' });
    expect(parseModelUri('models:/team@x@prod')).toEqual({ kind: 'alias', name: 'team@x', alias: 'prod' });
  });

  it('reads models:/m-<id> as a LoggedModel, but an alias of a model named m-… as an alias', () => {
    expect(parseModelUri('models:/m-3168ceb7538044d282d74af667237a3a')).toEqual({
      kind: 'logged-model',
      modelId: 'm-3168ceb7538044d282d74af667237a3a',
    });
    expect(parseModelUri('models:/m-abc@prod')).toEqual({ kind: 'alias', name: 'm-abc', alias: 'prod' });
    expect(parseModelUri('models:/m-abc/2')).toEqual({ kind: 'version', name: 'm-abc', version: 2 });
  });

  it('reads runs:/<run_id>/<path>, with or without a path', () => {
    expect(parseModelUri('runs:/4c9ea22a81744d14914fc3fa3fa2c912/model')).toEqual({
      kind: 'run',
      runId: '4c9ea22a81744d14914fc3fa3fa2c912',
      path: 'model',
    });
    expect(parseModelUri('runs:/abc/model/sub dir')).toEqual({ kind: 'run', runId: 'abc', path: 'model/sub dir' });
    expect(parseModelUri('runs:/abc')).toEqual({ kind: 'run', runId: 'abc', path: '' });
    expect(parseModelUri('runs:/abc/')).toEqual({ kind: 'run', runId: 'abc', path: '' });
  });

  it('accepts the scheme in any case', () => {
    expect(parseModelUri('MODELS:/demo/1')).toEqual({ kind: 'version', name: 'demo', version: 1 });
  });

  it('rejects malformed URIs with INVALID_PARAMETER_VALUE', () => {
    for (const bad of [
      's3://bucket/model',
      'models:demo/1',
      'models:/',
      'models://profile/demo/1',
      'models:/demo',
      'models:/demo/',
      'models:/ /1',
      'models:/demo/Bogus',
      'models:/demo/1/extra',
      'models:/demo@',
      'models:/@prod',
      'models:/m-',
      'runs:/',
      'runs://x/model',
      'models:/demo/99999999999999999999',
    ]) {
      expect(rejects(bad)).toMatch(/^Not a proper model URI: /);
    }
    expect(rejects('models:/demo/Bogus')).toContain("'Bogus' is not a version number, a stage");
  });

  it('names the field it was given', () => {
    try {
      parseModelUri('nope', 'source');
      expect.unreachable();
    } catch (e) {
      expect(isHangarError(e) && e.field).toBe('source');
    }
  });
});

describe('isModelUri', () => {
  it('recognises models: and runs: only', () => {
    expect(isModelUri('models:/a/1')).toBe(true);
    expect(isModelUri('runs:/r/model')).toBe(true);
    expect(isModelUri('mlflow-artifacts:/1/r/artifacts')).toBe(false);
    expect(isModelUri('/local/path')).toBe(false);
  });
});

describe('formatModelUri', () => {
  // Names without `/`, aliases of alias characters, ids without `/` or `@`: what URIs can carry.
  const name = fc.stringMatching(/^[A-Za-z0-9_. @-]{1,20}$/).filter((s) => s.trim() !== '');
  const simple = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
  const uri: fc.Arbitrary<ModelUri> = fc.oneof(
    fc.record({ kind: fc.constant('version' as const), name, version: fc.nat() }),
    fc.record({ kind: fc.constant('stage' as const), name, stage: fc.constantFrom(...STAGES) }),
    fc.record({ kind: fc.constant('latest' as const), name }),
    fc.record({ kind: fc.constant('alias' as const), name, alias: simple }),
    fc.record({ kind: fc.constant('logged-model' as const), modelId: simple.map((s) => `m-${s}`) }),
    fc.record({ kind: fc.constant('run' as const), runId: simple, path: fc.stringMatching(/^([a-z0-9_.-]+(\/[a-z0-9_.-]+)*)?$/) }),
  );

  it('round-trips through parseModelUri', () => {
    fc.assert(
      fc.property(uri, (u) => {
        expect(parseModelUri(formatModelUri(u))).toEqual(u);
      }),
    );
  });
});
