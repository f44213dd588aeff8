import { describe, expect, it } from 'vitest';
import { isHangarError } from '../core/errors.js';
import { dedupeTags, validateRegistryTag, validateTagKey } from './tags.js';

function errorOf(f: () => unknown): { message: string; field: string | undefined } | null {
  try {
    f();
    return null;
  } catch (e) {
    if (isHangarError(e) && e.code === 'INVALID_PARAMETER_VALUE') return { message: e.message, field: e.field };
    throw e;
  }
}

describe('validateTagKey', () => {
  it('accepts the keys MLflow accepts', () => {
    for (const ok of ['owner', 'mlflow.prompt.is_prompt', 'a b', 'team/owner', 'x-y_z.1', 'ключ']) {
      expect(errorOf(() => validateTagKey(ok))).toBeNull();
    }
  });

  it('rejects characters outside letters, digits, _ - . / and space', () => {
    expect(errorOf(() => validateTagKey('a:b'))?.message).toBe(
      "Invalid tag name: 'a:b'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).",
    );
  });

  it('rejects keys that a file system would read as another name', () => {
    const cases: Array<[string, string]> = [
      ['', '.'],
      ['a//b', 'a/b'],
      ['a/', 'a'],
      ['./a', 'a'],
      ['..', '..'],
      ['../a', '../a'],
      ['/abs', '/abs'],
      ['a/../b', 'b'],
    ];
    for (const [key, norm] of cases) {
      expect(errorOf(() => validateTagKey(key))?.message).toBe(
        `Invalid tag name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
      );
    }
  });
});

describe('validateRegistryTag', () => {
  it('allows keys up to 250 and values up to 5000 characters', () => {
    expect(errorOf(() => validateRegistryTag('Registered model', { key: 'k'.repeat(250), value: 'v'.repeat(5000) }))).toBeNull();
  });

  it('rejects a key over 250 characters, naming the key field', () => {
    const err = errorOf(() => validateRegistryTag('Registered model', { key: 'k'.repeat(251), value: '' }));
    expect(err?.field).toBe('key');
    expect(err?.message).toBe(`Registered model key '${'k'.repeat(250)}' had length 251, which exceeded length limit of 250`);
  });

  it('rejects a value over 5000 characters, naming the value field', () => {
    const err = errorOf(() => validateRegistryTag('Model version', { key: 'k', value: 'v'.repeat(5001) }));
    expect(err?.field).toBe('value');
    expect(err?.message).toMatch(/^Model version value 'v{250}' had length 5001, which exceeded length limit of 5000$/);
  });
});

describe('dedupeTags', () => {
  it('keeps the last value per key in first-seen order', () => {
    expect(dedupeTags([{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'a', value: '3' }])).toEqual([
      { key: 'a', value: '3' },
      { key: 'b', value: '2' },
    ]);
  });
});
