import { describe, expect, it } from 'vitest';
import { isHangarError } from '../core/errors.js';
import { checkArchiveExisting, isStage, parseStage } from './stages.js';

function errorOf(f: () => unknown): { code: string; message: string; field: string | undefined } {
  try {
    f();
  } catch (e) {
    if (isHangarError(e)) return { code: e.code, message: e.message, field: e.field };
    throw e;
  }
  throw new Error('expected a HangarError');
}

describe('parseStage', () => {
  it('accepts every stage in any letter case and answers the canonical spelling', () => {
    expect(parseStage('production')).toBe('Production');
    expect(parseStage('STAGING')).toBe('Staging');
    expect(parseStage('aRcHiVeD')).toBe('Archived');
    expect(parseStage('none')).toBe('None');
    expect(isStage('pRoDuCtIoN')).toBe(true);
    expect(isStage('prod')).toBe(false);
  });

  it("rejects anything else with MLflow's message", () => {
    expect(errorOf(() => parseStage('Bogus'))).toEqual({
      code: 'INVALID_PARAMETER_VALUE',
      message: 'Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.',
      field: 'stage',
    });
    expect(errorOf(() => parseStage('', 'stages')).field).toBe('stages');
  });
});

describe('checkArchiveExisting', () => {
  it('allows archive_existing_versions only for Staging and Production', () => {
    expect(() => checkArchiveExisting('Staging', true)).not.toThrow();
    expect(() => checkArchiveExisting('Production', true)).not.toThrow();
    expect(() => checkArchiveExisting('Archived', false)).not.toThrow();
    for (const stage of ['None', 'Archived'] as const) {
      const err = errorOf(() => checkArchiveExisting(stage, true));
      expect(err.code).toBe('INVALID_PARAMETER_VALUE');
      expect(err.field).toBe('archive_existing_versions');
      expect(err.message).toContain(`'${stage}'`);
    }
  });
});
