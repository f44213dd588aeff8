import { isApiError, type ApiError } from '../../src/client/index.js';

/** The ApiError a call fails with; any other outcome (success, another error) fails the test. */
export async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}
