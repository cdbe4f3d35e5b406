// Names of the baseline path (bench/baseline/): its workflow types and task queues, apart from the service's own, so
// both paths can share one Temporal server in one run without ever picking up each other's tasks.
export const BASELINE_TASK_QUEUES = {
  orders: 'bench-baseline-orders',
  commerce: 'bench-baseline-commerce-api',
} as const;

/** `queued`: every step a queued activity; `local`: enrichment, confirmation and publish as local activities. */
export type BaselineVariant = 'queued' | 'local';

export const BASELINE_WORKFLOW_TYPES: Record<BaselineVariant, string> = {
  queued: 'BaselineOrderWorkflow',
  local: 'BaselineLocalOrderWorkflow',
};
