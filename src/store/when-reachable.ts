// A process that starts while the store is down waits for it instead of exiting: the store is our own, an outage of
// it is expected to end (the chaos run cuts it for 30 s while workers are killed and restarted), and a worker that
// exited on it would be counted by its supervisor as a broken start and, after three, stop the whole stack.
import type { Logger } from '../logger';
import { DataDirLockedError } from './sql-client';
import { isPermanentStoreError } from './store-errors';

export interface WhenReachableOptions {
  /** Gives up (rethrowing the last error) after this long: a store that never comes back is a deployment error. */
  deadlineMs?: number;
  /** Told of each failed try, with the wait before the next. */
  onRetry?: (info: { what: string; attempt: number; waitMs: number; error: unknown }) => void;
  /** How a retry waits (tests resolve it at once). */
  pause?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Five minutes: a restart of the database or a failover, not a store that was never there. */
export const STORE_STARTUP_DEADLINE_MS = 5 * 60_000;
const WAITS_MS = [500, 1_000, 2_000, 5_000];

/** A failure that waiting cannot cure: a refused statement (schema, permissions) or a PGlite dir another process owns. */
function waitingCannotHelp(err: unknown): boolean {
  return err instanceof DataDirLockedError || isPermanentStoreError(err);
}

/** Runs `open` until it succeeds, waiting out an outage (connection refused, reset, timeouts) up to the deadline. */
export async function whenReachable<T>(what: string, open: () => Promise<T>, options: WhenReachableOptions = {}): Promise<T> {
  const now = options.now ?? Date.now;
  const pause = options.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const giveUpAt = now() + (options.deadlineMs ?? STORE_STARTUP_DEADLINE_MS);
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      const waitMs = WAITS_MS[Math.min(attempt - 1, WAITS_MS.length - 1)] ?? 5_000;
      if (waitingCannotHelp(error) || now() + waitMs > giveUpAt) throw error;
      options.onRetry?.({ what, attempt, waitMs, error });
      await pause(waitMs);
    }
  }
}

/** The retries as an operator reads them: one warning per failed try, naming what is awaited and the error. */
export function storeWaitLogger(logger: Logger): NonNullable<WhenReachableOptions['onRetry']> {
  return ({ what, attempt, waitMs, error }) =>
    logger.warn({ attempt, retryInMs: waitMs, error: error instanceof Error ? error.message : String(error) }, `${what} is unreachable; waiting for it before starting`);
}
