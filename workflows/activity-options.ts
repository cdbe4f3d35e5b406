// Retry and timeout policy per activity kind, declared in one place. Transient faults retry with backoff until the
// step's budget runs out (then the workflow parks the order for an operator); business answers come back as values,
// and contract violations are non-retryable by the error taxonomy.
import type { ActivityOptions } from '@temporalio/workflow';
import { TASK_QUEUES } from '../contracts';

/** How long a Commerce 404 right after the webhook is treated as "not visible yet" (eventual consistency). */
export const COMMERCE_NOT_FOUND_GRACE_MS = 3 * 60_000;

/** Default budget of one step's retries before the order is parked (PIM down for hours must not spin forever). */
export const DEFAULT_STEP_RETRY_BUDGET_MS = 30 * 60_000;

const transientBackoff = { initialInterval: '1s', backoffCoefficient: 2 } as const;

/** Activities of the order's own steps; `budgetMs` bounds each step's retries (scheduleToClose). */
export function stepOptions(budgetMs: number) {
  return {
    commerce: {
      taskQueue: TASK_QUEUES.commerce,
      startToCloseTimeout: '15s',
      scheduleToCloseTimeout: Math.max(budgetMs, COMMERCE_NOT_FOUND_GRACE_MS + 60_000),
      retry: { ...transientBackoff, maximumInterval: '30s' },
    },
    // The activity heartbeats its progress (activities/enrichment.ts): a slow PIM is noticed in 20 s, and a retried
    // attempt resumes from the items already fetched instead of starting a 500-item order over.
    pim: { startToCloseTimeout: '60s', heartbeatTimeout: '20s', scheduleToCloseTimeout: budgetMs, retry: { ...transientBackoff, maximumInterval: '2m' } },
    payment: { startToCloseTimeout: '15s', scheduleToCloseTimeout: budgetMs, retry: { ...transientBackoff, maximumInterval: '2m' } },
    fulfillment: { startToCloseTimeout: '30s', scheduleToCloseTimeout: budgetMs, retry: { ...transientBackoff, maximumInterval: '1m' } },
  } satisfies Record<string, ActivityOptions>;
}

export const ACTIVITY_OPTIONS = {
  /** The store is our own: its writes retry until it is back, never parking the order on our own outage. */
  dashboard: { startToCloseTimeout: '15s', retry: { ...transientBackoff, maximumInterval: '1m' } },
  /** Checks a support agent waits for inside an Update: short, so the agent gets an answer (503) instead of a hang. */
  interactiveCommerce: { taskQueue: TASK_QUEUES.commerce, startToCloseTimeout: '10s', scheduleToCloseTimeout: '45s', retry: transientBackoff },
  interactive: { startToCloseTimeout: '10s', scheduleToCloseTimeout: '45s', retry: transientBackoff },
} satisfies Record<string, ActivityOptions>;
