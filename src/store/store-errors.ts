// Tells a store error that cannot heal (the database refuses this value for good) from the store being down. A
// permanent one is not retried for ever in silence: the order parks visibly; an outage is retried until it is over.
import { ZodError } from 'zod';
import { ErrorType, wrapFailure } from '../../contracts';

/**
 * SQLSTATE classes that mean "this statement will never succeed as it is", whichever engine said it:
 * 22 data exception (an encoding the database cannot carry, a value too long or out of range), 23 integrity
 * constraint violation, 42 syntax error or access rule violation (a bug or a schema mismatch), 54 program limit
 * exceeded (a row or a statement too big). Everything else — connection failures (08), resources (53), operator
 * intervention (57), serialization failures (40), no SQLSTATE at all (a socket error) — is treated as an outage.
 */
const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23', '42', '54']);

export function isPermanentStoreError(err: unknown): boolean {
  // The store's own checks before any SQL: a record outside the contract, a bad revision or limit.
  if (err instanceof ZodError || err instanceof RangeError) return true;
  if (err instanceof Error && err.name === 'StoredRecordInvalidError') return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && PERMANENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
}

/**
 * Runs one store call for an activity: an outage becomes a retryable STORE_UNAVAILABLE (retried until the store is
 * back), a value the store refuses for good a non-retryable STORE_REJECTED (the step parks visibly).
 */
export async function callStore<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isPermanentStoreError(err)) throw wrapFailure(ErrorType.STORE_REJECTED, `${what} was refused by the store`, err, { nonRetryable: true });
    throw wrapFailure(ErrorType.STORE_UNAVAILABLE, `${what} failed`, err);
  }
}
