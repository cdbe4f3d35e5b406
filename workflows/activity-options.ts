// Retry and timeout policy per activity kind, declared in one place. Transient faults retry with backoff;
// business answers come back as values, and contract violations are non-retryable by the error taxonomy.
import type { ActivityOptions } from '@temporalio/workflow';
import { TASK_QUEUES } from '../contracts';

/** How long a Commerce 404 right after the webhook is treated as "not visible yet" (eventual consistency). */
export const COMMERCE_NOT_FOUND_GRACE_MS = 3 * 60_000;

const transientBackoff = { initialInterval: '1s', backoffCoefficient: 2 } as const;

export const ACTIVITY_OPTIONS = {
  commerce: {
    taskQueue: TASK_QUEUES.commerce,
    startToCloseTimeout: '15s',
    retry: { ...transientBackoff, maximumInterval: '30s' },
  },
  pim: {
    startToCloseTimeout: '60s',
    retry: { ...transientBackoff, maximumInterval: '5m' },
  },
  payment: {
    startToCloseTimeout: '15s',
    retry: { ...transientBackoff, maximumInterval: '5m' },
  },
  fulfillment: {
    startToCloseTimeout: '30s',
    retry: { ...transientBackoff, maximumInterval: '1m' },
  },
  dashboard: {
    startToCloseTimeout: '15s',
    retry: { ...transientBackoff, maximumInterval: '1m' },
  },
} satisfies Record<string, ActivityOptions>;
