// Retry and timeout policy per activity kind, declared in one place. Transient faults retry with backoff until the
// step's budget runs out (then the workflow parks the order for an operator); business answers come back as values,
// and contract violations are non-retryable by the error taxonomy.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { TASK_QUEUES } from '../contracts/temporal';

/** How long a Commerce 404 right after the webhook is treated as "not visible yet" (eventual consistency). */
export const COMMERCE_NOT_FOUND_GRACE_MS = 3 * 60_000;

/** Default budget of one step's retries before the order is parked (PIM down for hours must not spin forever). */
export const DEFAULT_STEP_RETRY_BUDGET_MS = 30 * 60_000;

const transientBackoff = { initialInterval: '1s', backoffCoefficient: 2 } as const;

/**
 * Up to this many distinct items, an order's enrichment runs as a local activity: a few PIM reads, done inside the
 * workflow task, cost one history event instead of six. A bigger order takes the queued activity, which heartbeats
 * what it has fetched so that a retried attempt against a slow PIM resumes instead of starting over.
 */
export const LOCAL_ENRICHMENT_MAX_ITEMS = 50;

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
    /** Refunds: a queued activity, so money on its way back shows in the Web UI as a pending activity. */
    payment: { startToCloseTimeout: '15s', scheduleToCloseTimeout: budgetMs, retry: { ...transientBackoff, maximumInterval: '2m' } },
    /**
     * Forwarding (records and the Kafka publish): a queued activity, because its scheduling in history is the
     * decision to forward. As a local activity it could publish in a workflow task that is then lost, and the task
     * that replaces it re-runs the local steps before it and may decide otherwise (docs/performance.md).
     */
    fulfillment: { startToCloseTimeout: '30s', scheduleToCloseTimeout: budgetMs, retry: { ...transientBackoff, maximumInterval: '1m' } },
  } satisfies Record<string, ActivityOptions>;
}

/**
 * How many attempts fit in `budgetMs` of backoff, for the retry policy of a local step. The budget is also the step's
 * scheduleToClose, measured by the worker's clock; the attempt count measures the same budget on the workflow's
 * timers, which is the clock a time-skipping test moves (a worker's clock would keep a parked-step test waiting for
 * real minutes). Whichever is reached first parks the step.
 */
export function attemptsWithin(budgetMs: number, maximumIntervalMs: number): number {
  let waited = 0;
  let interval = 1_000;
  let attempts = 1;
  while (waited + interval <= budgetMs) {
    waited += interval;
    attempts++;
    interval = Math.min(interval * 2, maximumIntervalMs);
  }
  return attempts;
}

function localStep(startToCloseTimeout: NonNullable<LocalActivityOptions['startToCloseTimeout']>, budgetMs: number, maximumIntervalMs: number): LocalActivityOptions {
  return {
    startToCloseTimeout,
    scheduleToCloseTimeout: budgetMs,
    retry: { ...transientBackoff, maximumInterval: maximumIntervalMs, maximumAttempts: attemptsWithin(budgetMs, maximumIntervalMs) },
    // Past the first second, a retry waits on a durable timer rather than holding the workflow task open (which
    // would heartbeat it, three events every few seconds) or the worker's memory.
    localRetryThreshold: '1s',
  };
}

/**
 * The short steps of an order, run as local activities (docs/performance.md, "History events per order"): each costs
 * one marker event and needs no workflow task of its own. Retried as patiently as a queued activity, within the same
 * budget, after which the step parks.
 */
export function localStepOptions(budgetMs: number) {
  return {
    pim: localStep('60s', budgetMs, 120_000),
    /** Reading the capture from the Payment API and claiming its RRN: a read and an idempotent claim. */
    confirmation: localStep('15s', budgetMs, 120_000),
    /** vNext's risk assessment: a read, safe to repeat, so one marker event instead of a queued activity's three. */
    risk: localStep('15s', budgetMs, 120_000),
  } satisfies Record<string, LocalActivityOptions>;
}

/** The store is our own: its writes retry until it is back, never parking the order on our own outage. */
const storeWrite = { startToCloseTimeout: '15s', retry: { ...transientBackoff, maximumInterval: '1m' } } as const;

/**
 * The order's record, written at each visible change while it is open: a local activity, one marker event per write.
 * (A closed record is written by a queued activity: order-context.ts.)
 */
export const LOCAL_STORE_WRITE: LocalActivityOptions = { ...storeWrite, localRetryThreshold: '1s' };

export const ACTIVITY_OPTIONS = {
  /** The late-event workflow's store calls (rare: an event for an order already closed). */
  dashboard: storeWrite,
  /** Checks a support agent waits for inside an Update: short, so the agent gets an answer (503) instead of a hang. */
  interactiveCommerce: { taskQueue: TASK_QUEUES.commerce, startToCloseTimeout: '10s', scheduleToCloseTimeout: '45s', retry: transientBackoff },
  interactive: { startToCloseTimeout: '10s', scheduleToCloseTimeout: '45s', retry: transientBackoff },
  /**
   * The remediation sweeper's finders and its snapshot write: a sweep is cheap and the next comes in minutes, so a
   * few quick attempts, then the sweep fails without writing and the snapshot's age is what alerts (a snapshot that
   * silently left out a kind would read as "nothing found").
   */
  remediation: { startToCloseTimeout: '1m', retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 4 } },
} satisfies Record<string, ActivityOptions>;
