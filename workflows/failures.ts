// Turns a failed step into one line an operator can act on: why retrying stopped, and the innermost typed cause.
import { ActivityFailure, ApplicationFailure, RetryState, TemporalFailure, TimeoutFailure } from '@temporalio/common';

const RETRY_STOPPED: Record<string, string> = {
  [RetryState.TIMEOUT]: 'retry budget exhausted',
  [RetryState.MAXIMUM_ATTEMPTS_REACHED]: 'retry budget exhausted',
  [RetryState.NON_RETRYABLE_FAILURE]: 'not retryable',
};

export function describeFailure(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  while (current instanceof TemporalFailure) {
    if (current instanceof ActivityFailure) {
      const stopped = current.retryState ? RETRY_STOPPED[current.retryState] : undefined;
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
