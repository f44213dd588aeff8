import { createHash, randomBytes } from 'node:crypto';

/** Prefix of Hangar API tokens, so a leaked one is recognisable in logs and secret scanners. */
export const TOKEN_PREFIX = 'hgr_';

/** A new API token: the prefix and 32 random bytes, base64url. Shown once, stored only as a hash. */
export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * The stored form of a token. A plain sha256 is enough: the token carries 256 random bits, so
 * there is nothing to brute-force, and lookups stay one indexed equality.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token of an `Authorization: Bearer …` header; undefined when there is no such header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? '';
}
