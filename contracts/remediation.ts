// The remediation sweeper's shapes (sandbox-safe): what a sweep is asked to look for, and the snapshot of what it
// found, which the store keeps, the gateway exports as gauges and the support route lists.
import { z } from 'zod';
import { OrderStatus } from './order';

/** The statuses an open order can be stuck in (PARKED is reported as parked steps, the terminal ones as refunds owed). */
export const SWEPT_STATUSES = OrderStatus.exclude(['PARKED', 'FORWARDED', 'CANCELLED', 'EXPIRED']).options;
export type SweptStatus = (typeof SWEPT_STATUSES)[number];

/** How long an order may stay in a status before it counts as stuck, and from when that time is measured. */
export const StatusThreshold = z.object({
  status: z.enum(SWEPT_STATUSES),
  afterMs: z.number().int().positive(),
  /**
   * True when the status is bounded by one of the order's windows, which start at the order's first event: the time
   * in the status is then at most the time since the start, so an order without OrderStatusSince (started before the
   * attribute existed) is judged by its StartTime without a false alarm. False for our own steps (validating,
   * forwarding…), which an order can enter late in its life: those are judged by OrderStatusSince only.
   */
  boundFromStart: z.boolean(),
  /** Why this threshold: shown on each finding. */
  why: z.string(),
});
export type StatusThreshold = z.infer<typeof StatusThreshold>;

/** The input of one sweep; the schedule carries it, so `npm run remediation -- schedule` changes it for the next run. */
export const SweeperInput = z.object({
  thresholds: z.array(StatusThreshold),
  /** A closed order's refund counts as owed once the order has been closed this long without it. */
  refundOwedAfterMs: z.number().int().positive(),
  /** A LateEventWorkflow still running after this long is retrying a step (it normally takes seconds). */
  lateEventRunningAfterMs: z.number().int().positive(),
  /** At most this many findings of each kind are listed; the counts are always complete. */
  listLimit: z.number().int().positive(),
});
export type SweeperInput = z.infer<typeof SweeperInput>;

export const FINDING_KINDS = ['stuck', 'parked_step', 'refund_owed', 'late_event_failure'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const RemediationFinding = z.object({
  kind: z.enum(FINDING_KINDS),
  /** Null only for a late-event run whose order cannot be told from its id (a late capture started before memos). */
  order_id: z.string().nullable(),
  workflow_id: z.string().optional(),
  /** The order's status; for a late-event failure, the run's execution status (Failed, Terminated, Running…). */
  status: z.string(),
  /** Since when the condition holds (ISO 8601). */
  since: z.string(),
  age_seconds: z.number(),
  reason: z.string(),
});
export type RemediationFinding = z.infer<typeof RemediationFinding>;

export const FindingTally = z.object({ count: z.number().int().nonnegative(), oldest_age_seconds: z.number().nonnegative() });
export type FindingTally = z.infer<typeof FindingTally>;

/** What one finder returns: the exact tally, and at most `listLimit` findings (oldest first). */
export const FinderResult = z.object({ tally: FindingTally, findings: z.array(RemediationFinding), truncated: z.boolean() });
export type FinderResult = z.infer<typeof FinderResult>;

export const StuckStatusTally = FindingTally.extend({ status: z.enum(SWEPT_STATUSES), threshold_seconds: z.number() });
export type StuckStatusTally = z.infer<typeof StuckStatusTally>;

export const RemediationSnapshot = z.object({
  run_id: z.string(),
  /** When the sweep looked (the sweeper's clock at its start, ISO 8601); ages are measured from it. */
  run_at: z.iso.datetime({ offset: true }),
  stuck: z.array(StuckStatusTally),
  parked_steps: FindingTally,
  refunds_owed: FindingTally,
  late_event_failures: FindingTally,
  /** Oldest first within each kind, at most `listLimit` of each. */
  findings: z.array(RemediationFinding),
  /** True when some kind had more findings than were listed. */
  truncated: z.boolean(),
});
export type RemediationSnapshot = z.infer<typeof RemediationSnapshot>;
