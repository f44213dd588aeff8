import { describe, expect, it } from 'vitest';
import { isHangarError } from '../core/errors.js';
import { checkSourcePath } from './sources.js';

function rejected(source: string): boolean {
  try {
    checkSourcePath(source);
    return false;
  } catch (e) {
    if (isHangarError(e) && e.code === 'INVALID_PARAMETER_VALUE' && e.field === 'source') return true;
    throw e;
  }
}

describe('checkSourcePath', () => {
  it('accepts ordinary sources', () => {
    for (const ok of [
      'mlflow-artifacts:/1/4c9ea22a81744d14914fc3fa3fa2c912/artifacts/model',
      's3://bucket/path/model',
      'models:/demo/1',
      'models:/m-abc',
      'runs:/abc/model',
      '/abs/local/path',
      'file:///tmp/x..y/model',
    ]) {
      expect(rejected(ok)).toBe(false);
    }
  });

  it('rejects .. segments, also when percent-encoded once or twice', () => {
    for (const bad of [
      'mlflow-artifacts:/1/../../etc',
      's3://bucket/a/../b',
      '../model',
      'file:///tmp/%2E%2E/secret',
      'http://host/a/%252E%252E/b',
      'C:\\models\\..\\x',
    ]) {
      expect(rejected(bad)).toBe(true);
    }
  });
});
