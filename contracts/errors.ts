// One error taxonomy for activities and workflows: every failure is an ApplicationFailure with an UPPER_SNAKE type.
import { ApplicationFailure, type Duration } from '@temporalio/common';

export const ErrorType = {
  /** Commerce App has no such order (yet): retried for a grace period, then a validation reason. */
  COMMERCE_ORDER_NOT_FOUND: 'COMMERCE_ORDER_NOT_FOUND',
  /** 429 from an upstream: retried after its Retry-After. */
  UPSTREAM_RATE_LIMITED: 'UPSTREAM_RATE_LIMITED',
  /** 5xx, timeout or connection error from an upstream: retried with backoff. */
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
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
