// One error taxonomy for activities and workflows: every failure is an ApplicationFailure with an UPPER_SNAKE type.
import { ApplicationFailure, type Duration } from '@temporalio/common';

export const ErrorType = {
  /** Commerce App has no such order (yet): retried for a grace period, then a validation reason. */
  COMMERCE_ORDER_NOT_FOUND: 'COMMERCE_ORDER_NOT_FOUND',
  /** 429 from an upstream: retried after its Retry-After. */
  UPSTREAM_RATE_LIMITED: 'UPSTREAM_RATE_LIMITED',
  /** 5xx, timeout or connection error from an upstream: retried with backoff. */
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  /**
   * The upstream's circuit breaker is open (it kept failing): not called, retried after the breaker's cool-down
   * (`nextRetryDelay`), when one probe call finds out whether it is back (src/clients/circuit-breaker.ts).
   */
  UPSTREAM_CIRCUIT_OPEN: 'UPSTREAM_CIRCUIT_OPEN',
  /** An upstream answered something outside its contract: not retried, an operator must look. */
  UPSTREAM_CONTRACT_VIOLATION: 'UPSTREAM_CONTRACT_VIOLATION',
  /** The broker did not take the fulfillment message: retried. */
  FULFILLMENT_PUBLISH_FAILED: 'FULFILLMENT_PUBLISH_FAILED',
  /** The dashboard store is unreachable: retried until it is back. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** The store refuses this value for good (encoding, constraint, too long): not retried; the order parks visibly. */
  STORE_REJECTED: 'STORE_REJECTED',
  /** A capture could not be checked right now while a support agent waited on it. */
  CHECK_UNAVAILABLE: 'CHECK_UNAVAILABLE',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Why a workflow Update was refused by its validator; the gateway maps each to an HTTP status. */
export const RejectionType = {
  ORDER_TERMINAL: 'ORDER_TERMINAL',
  PAYMENT_ALREADY_CAPTURED: 'PAYMENT_ALREADY_CAPTURED',
  ORDER_NOT_AWAITING_CORRECTION: 'ORDER_NOT_AWAITING_CORRECTION',
  ORDER_NOT_PARKED: 'ORDER_NOT_PARKED',
  ORDER_NOT_IN_RISK_REVIEW: 'ORDER_NOT_IN_RISK_REVIEW',
} as const;
export type RejectionType = (typeof RejectionType)[keyof typeof RejectionType];

export function rejection(type: RejectionType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

export interface FailureOptions {
  nonRetryable?: boolean;
  cause?: Error;
  nextRetryDelay?: Duration;
  details?: unknown[];
}

export function failure(type: ErrorType, message: string, options: FailureOptions = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: options.nonRetryable ?? false,
    ...(options.cause ? { cause: options.cause } : {}),
    ...(options.nextRetryDelay !== undefined ? { nextRetryDelay: options.nextRetryDelay } : {}),
    ...(options.details ? { details: options.details } : {}),
  });
}

/**
 * A thrown value as an Error: an Error as it is; anything else (a string, a plain object, undefined: JavaScript lets
 * code throw any of them) as a new Error whose message describes it, so that a cause always has a message.
 */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(describeThrown(thrown));
}

function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  try {
    const json = JSON.stringify(thrown);
    if (json !== undefined) return json;
  } catch {
    // a cycle or a BigInt inside: fall through to the tag
  }
  try {
    return String(thrown);
  } catch {
    return Object.prototype.toString.call(thrown);
  }
}

/**
 * The one way a caught error becomes a failure of the taxonomy: `message` (what was being done), a colon and the
 * error's own message; the error kept as the cause. Whether it is retryable stays the caller's call (`options`).
 */
export function wrapFailure(type: ErrorType, message: string, thrown: unknown, options: Omit<FailureOptions, 'cause'> = {}): ApplicationFailure {
  const cause = asError(thrown);
  return failure(type, `${message}: ${cause.message}`, { ...options, cause });
}
