/**
 * Page tokens are opaque to clients: base64url of a small JSON object. Offset tokens serve the
 * searches (MLflow's SQL store pages by offset too); keyset tokens serve the audit log, which
 * grows at the head while someone pages through it.
 */
import { HangarError } from '../core/errors.js';

interface OffsetToken {
  offset: number;
}

interface KeysetToken {
  before: number;
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decode(token: string): Record<string, unknown> {
  const invalid = new HangarError('INVALID_PARAMETER_VALUE', 'Invalid page token', { field: 'page_token' });
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw invalid;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid;
    return parsed as Record<string, unknown>;
  } catch {
    throw invalid;
  }
}

function nonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The offset a search page token carries; 0 when there is no token. */
export function decodeOffsetToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const parsed = decode(token) as Partial<OffsetToken>;
  if (!nonNegativeInteger(parsed.offset)) {
    throw new HangarError('INVALID_PARAMETER_VALUE', 'Invalid page token', { field: 'page_token' });
  }
  return parsed.offset;
}

export function encodeOffsetToken(offset: number): string {
  return encode({ offset } satisfies OffsetToken);
}

/** The id below which the next audit page starts, or null for the first page. */
export function decodeKeysetToken(token: string | undefined): number | null {
  if (token === undefined || token === '') return null;
  const parsed = decode(token) as Partial<KeysetToken>;
  if (!nonNegativeInteger(parsed.before)) {
    throw new HangarError('INVALID_PARAMETER_VALUE', 'Invalid page token', { field: 'page_token' });
  }
  return parsed.before;
}

export function encodeKeysetToken(before: number): string {
  return encode({ before } satisfies KeysetToken);
}
