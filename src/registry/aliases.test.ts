import { describe, expect, it } from 'vitest';
import { isHangarError } from '../core/errors.js';
import { validateAliasName } from './aliases.js';

function messageOf(alias: string): string | null {
  try {
    validateAliasName(alias);
    return null;
  } catch (e) {
    if (isHangarError(e) && e.code === 'INVALID_PARAMETER_VALUE' && e.field === 'alias') return e.message;
    throw e;
  }
}

describe('validateAliasName', () => {
  it('accepts letters, digits, underscores and dashes up to 255 characters', () => {
    for (const ok of ['champion', 'challenger-2', 'prod_v2', 'v', 'vx1', 'latest-good', 'a'.repeat(255), 'modèle', '生产', '1']) {
      expect(messageOf(ok)).toBeNull();
    }
  });

  it('rejects the empty name', () => {
    expect(messageOf('')).toBe('Registered model alias name cannot be empty.');
  });

  it('rejects other characters', () => {
    for (const bad of ['a b', 'a.b', 'a/b', 'a@b', 'é!', 'x:y']) {
      expect(messageOf(bad)).toBe(`Invalid alias name: '${bad}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
    }
  });

  it('rejects names over 255 characters, counting code points', () => {
    expect(messageOf('a'.repeat(256))).toMatch(/had length 256, which exceeded length limit of 255$/);
    // 255 astral letters are 510 UTF-16 units but 255 characters.
    expect(messageOf('𝒜'.repeat(255))).toBeNull();
  });

  it("reserves 'latest' in any case", () => {
    for (const bad of ['latest', 'LATEST', 'Latest']) {
      expect(messageOf(bad)).toBe("'latest' alias name (case insensitive) is reserved.");
    }
  });

  it('reserves v<digits> and V<digits>', () => {
    for (const bad of ['v1', 'V12', 'v007']) {
      expect(messageOf(bad)).toBe(`Version alias name '${bad}' is reserved.`);
    }
    expect(messageOf('v1a')).toBeNull();
  });
});
