import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_MEANING, ERROR_STATUS, HangarError } from './errors.js';

describe('error catalogue', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (.+) \|$/gm)].map((m) => ({ code: m[1]!, status: Number(m[2]), meaning: m[3]! }));

  it('documents every code with its status and meaning, and nothing else', () => {
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    for (const r of rows) {
      expect(r.status, r.code).toBe(ERROR_STATUS[r.code as keyof typeof ERROR_STATUS]);
      expect(r.meaning, r.code).toBe(ERROR_MEANING[r.code as keyof typeof ERROR_MEANING]);
    }
  });

  it('gives MLflow client-visible codes the statuses MLflow uses', () => {
    expect(new HangarError('RESOURCE_ALREADY_EXISTS', 'x').httpStatus).toBe(400);
    expect(new HangarError('RESOURCE_DOES_NOT_EXIST', 'x').httpStatus).toBe(404);
    expect(new HangarError('INVALID_PARAMETER_VALUE', 'x').httpStatus).toBe(400);
    expect(new HangarError('ENDPOINT_NOT_FOUND', 'x').httpStatus).toBe(404);
  });
});
