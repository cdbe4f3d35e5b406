// Turns a failed step into one line an operator can act on: why retrying stopped, and the innermost typed cause.
import { ActivityFailure, ApplicationFailure, RetryState, TemporalFailure, TimeoutFailure } from '@temporalio/common';

const RETRY_STOPPED: Record<string, string> = {
  [RetryState.TIMEOUT]: 'retry budget exhausted',
  [RetryState.MAXIMUM_ATTEMPTS_REACHED]: 'retry budget exhausted',
  [RetryState.NON_RETRYABLE_FAILURE]: 'not retryable',
};

/**
 * A local activity fails with its last error itself, not wrapped in an ActivityFailure with a retry state: its
 * retries stopped because that error was not retryable, or else because its budget (attempts or scheduleToClose) ran
 * out.
 */
function retryStoppedOfLocal(err: unknown): string | undefined {
  if (err instanceof ApplicationFailure) return err.nonRetryable ? 'not retryable' : 'retry budget exhausted';
  if (err instanceof TimeoutFailure) return 'retry budget exhausted';
  return undefined;
}

export function describeFailure(err: unknown): string {
  const parts: string[] = [];
  const local = retryStoppedOfLocal(err);
  if (local) parts.push(local);
  let current: unknown = err;
  while (current instanceof TemporalFailure) {
    if (current instanceof ActivityFailure) {
      // A local activity's ActivityFailure carries no retry state that says why it stopped (none, or IN_PROGRESS);
      // its scheduleToClose shows as the timeout cause.
      const stopped = (current.retryState && RETRY_STOPPED[current.retryState]) ?? (current.cause instanceof TimeoutFailure ? 'retry budget exhausted' : undefined);
      if (stopped) parts.push(stopped);
    } else if (current instanceof TimeoutFailure) {
      parts.push(`timed out (${String(current.timeoutType)})`);
    } else if (current instanceof ApplicationFailure) {
      parts.push(current.type ? `${current.type}: ${current.message}` : current.message);
    } else {
      parts.push(current.message);
    }
    current = current.cause;
  }
  if (parts.length === 0) parts.push(err instanceof Error ? err.message : String(err));
  return parts.join(', last error: ');
}
