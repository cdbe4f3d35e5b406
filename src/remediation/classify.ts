// The remediation sweeper's rules as plain functions: the thresholds per status (with their defaults), the visibility
// queries that find what crossed them, and ages. Pure, so the activities, the schedule and the tests share one copy.
import ms from 'ms';
import { ORDER_WORKFLOW_TYPE, LATE_EVENT_WORKFLOW_TYPE } from '../../contracts/temporal';
import { SWEPT_STATUSES, type FindingTally, type StatusThreshold, type SweeperInput, type SweptStatus } from '../../contracts/remediation';

const MINUTE = 60_000;

/** What the defaults are computed from: the windows the gateway gives new orders (src/config.ts). */
export interface SweeperWindows {
  orderTtlMs: number;
  paymentCaptureWindowMs: number;
  stepRetryBudgetMs: number;
}

/** Past a window, the order should have closed by itself within moments: this much later it is stuck. */
export const WINDOW_SLACK_MS = 15 * MINUTE;

/**
 * The default threshold of each status an open order can rest or work in (contract §6 and docs/order-lifecycle.md).
 * Our own steps take seconds when the upstreams answer; a step that keeps failing parks after its retry budget
 * (and then shows PARKED), so an order still in such a status well after that is held up by something else — a
 * backlog, no worker, a stuck task. The waiting statuses are bounded by the order's windows: the order closes itself
 * at the window's end, so it is stuck only once it outlives the window by the slack.
 */
export function defaultThresholds(windows: SweeperWindows): StatusThreshold[] {
  const step = (status: SweptStatus, floorMs: number, why: string): StatusThreshold => ({ status, afterMs: floorMs, boundFromStart: false, why });
  const ttl = windows.orderTtlMs + WINDOW_SLACK_MS;
  const table: Record<SweptStatus, StatusThreshold> = {
    // A payment waiting for its order: the order expires (refund) at ORDER_TTL.
    AWAITING_ORDER: { status: 'AWAITING_ORDER', afterMs: ttl, boundFromStart: true, why: `ORDER_TTL ${ms(windows.orderTtlMs)} + ${ms(WINDOW_SLACK_MS)}` },
    VALIDATING: step('VALIDATING', 10 * MINUTE, 'validation takes seconds; a Commerce App 404 is retried 3 min'),
    // Waits for a support agent; unpaid it is cancelled at the capture window, paid it expires at ORDER_TTL.
    NEEDS_CORRECTION: { status: 'NEEDS_CORRECTION', afterMs: ttl, boundFromStart: true, why: `ORDER_TTL ${ms(windows.orderTtlMs)} + ${ms(WINDOW_SLACK_MS)}` },
    ENRICHING: step('ENRICHING', 10 * MINUTE, 'enrichment takes seconds (8 PIM calls in flight)'),
    AWAITING_PAYMENT: {
      status: 'AWAITING_PAYMENT',
      afterMs: Math.min(windows.paymentCaptureWindowMs, windows.orderTtlMs) + WINDOW_SLACK_MS,
      boundFromStart: true,
      why: `PAYMENT_CAPTURE_WINDOW ${ms(Math.min(windows.paymentCaptureWindowMs, windows.orderTtlMs))} + ${ms(WINDOW_SLACK_MS)}`,
    },
    ASSESSING_RISK: step('ASSESSING_RISK', 10 * MINUTE, 'the Risk API answers in seconds'),
    // Waits for an agent's decision; expires (refund) at ORDER_TTL.
    RISK_REVIEW: { status: 'RISK_REVIEW', afterMs: ttl, boundFromStart: true, why: `ORDER_TTL ${ms(windows.orderTtlMs)} + ${ms(WINDOW_SLACK_MS)}` },
    FORWARDING: step('FORWARDING', 5 * MINUTE, 'the publish takes milliseconds; a paid order is waiting for it'),
  };
  return SWEPT_STATUSES.map((s) => table[s]);
}

/**
 * `VALIDATING=15m,FORWARDING=2m` (REMEDIATION_THRESHOLDS): overrides of the defaults, each a status and an `ms`
 * duration. An unknown status or a duration that does not parse is an error naming it.
 */
export function applyThresholdOverrides(thresholds: readonly StatusThreshold[], spec: string | undefined): StatusThreshold[] {
  const result = thresholds.map((t) => ({ ...t }));
  if (spec === undefined || spec.trim() === '') return result;
  for (const part of spec.split(',')) {
    const [name = '', value = ''] = part.split('=').map((s) => s.trim());
    const entry = result.find((t) => t.status === name);
    if (!entry) throw new RangeError(`REMEDIATION_THRESHOLDS: "${name}" is not one of ${SWEPT_STATUSES.join(', ')}`);
    const afterMs = parseDuration(value, `REMEDIATION_THRESHOLDS ${name}`);
    entry.afterMs = afterMs;
    entry.why = `REMEDIATION_THRESHOLDS ${name}=${value}`;
  }
  return result;
}

/** An `ms` duration ("2m", "90s", "1h") or a number of milliseconds; positive. */
export function parseDuration(text: string, name: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : (ms as (s: string) => number | undefined)(text);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`${name}: "${text}" is not a positive duration (e.g. 2m, 90s)`);
  return Math.round(value);
}

export const DEFAULT_SWEEP_INTERVAL_MS = 2 * MINUTE;
export const DEFAULT_REFUND_OWED_AFTER_MS = 10 * MINUTE;
export const DEFAULT_LATE_EVENT_RUNNING_AFTER_MS = 15 * MINUTE;
export const DEFAULT_LIST_LIMIT = 200;

/** The sweep's input from the windows and the operator's overrides (environment variables of the schedule command). */
export function sweeperInput(windows: SweeperWindows, env: Record<string, string | undefined> = {}): SweeperInput {
  return {
    thresholds: applyThresholdOverrides(defaultThresholds(windows), env.REMEDIATION_THRESHOLDS),
    refundOwedAfterMs: env.REMEDIATION_REFUND_OWED_AFTER ? parseDuration(env.REMEDIATION_REFUND_OWED_AFTER, 'REMEDIATION_REFUND_OWED_AFTER') : DEFAULT_REFUND_OWED_AFTER_MS,
    lateEventRunningAfterMs: env.REMEDIATION_LATE_EVENT_RUNNING_AFTER
      ? parseDuration(env.REMEDIATION_LATE_EVENT_RUNNING_AFTER, 'REMEDIATION_LATE_EVENT_RUNNING_AFTER')
      : DEFAULT_LATE_EVENT_RUNNING_AFTER_MS,
    listLimit: DEFAULT_LIST_LIMIT,
  };
}

export function sweepIntervalMs(env: Record<string, string | undefined>): number {
  const text = env.REMEDIATION_SWEEP_INTERVAL;
  return text ? parseDuration(text, 'REMEDIATION_SWEEP_INTERVAL') : DEFAULT_SWEEP_INTERVAL_MS;
}

/** Visibility's datetime literal. */
function at(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The open orders in `t.status` for longer than its threshold, as of `asOfMs`. Orders started before OrderStatusSince
 * existed have none: for a window-bound status their StartTime stands in (the time in the status is at most that).
 */
export function stuckOrdersQuery(t: Pick<StatusThreshold, 'status' | 'afterMs' | 'boundFromStart'>, asOfMs: number): string {
  const cutoff = at(asOfMs - t.afterMs);
  const since = t.boundFromStart
    ? `(OrderStatusSince < '${cutoff}' OR (OrderStatusSince IS NULL AND StartTime < '${cutoff}'))`
    : `OrderStatusSince < '${cutoff}'`;
  return `WorkflowType = '${ORDER_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND OrderStatus = '${t.status}' AND ${since}`;
}

/** LateEventWorkflow runs that ended without completing, or are still running (retrying a step) past the threshold. */
export function lateEventFailuresQuery(runningAfterMs: number, asOfMs: number): string {
  const cutoff = at(asOfMs - runningAfterMs);
  return (
    `WorkflowType = '${LATE_EVENT_WORKFLOW_TYPE}' AND (ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR ` +
    `ExecutionStatus = 'Terminated' OR ExecutionStatus = 'Canceled' OR (ExecutionStatus = 'Running' AND StartTime < '${cutoff}'))`
  );
}

/** Whole seconds from `sinceMs` to `asOfMs`, never negative (a clock a little ahead of the sweeper's). */
export function ageSeconds(asOfMs: number, sinceMs: number): number {
  return Math.max(0, Math.floor((asOfMs - sinceMs) / 1000));
}

/** Whether an order in `status` since `sinceMs` is stuck as of `asOfMs` (the same rule the queries express). */
export function isStuck(t: Pick<StatusThreshold, 'afterMs'>, sinceMs: number, asOfMs: number): boolean {
  return asOfMs - sinceMs > t.afterMs;
}

export function tallyOf(ages: readonly number[], count = ages.length): FindingTally {
  return { count, oldest_age_seconds: ages.length === 0 ? 0 : Math.max(...ages) };
}

/** `order-{id}` → id (orderWorkflowId's inverse). */
export function orderIdOfWorkflowId(workflowId: string): string {
  return workflowId.startsWith('order-') ? workflowId.slice('order-'.length) : workflowId;
}

/**
 * The order of a late-event run: its memo (set by the gateway since this release), else its id when that names it
 * (`late-order-{order_id}-{digest}`); a `late-capture-{rrn}` run of an older release names only its RRN.
 */
export function lateEventOrderId(workflowId: string, memoOrderId: unknown): string | null {
  if (typeof memoOrderId === 'string' && memoOrderId !== '') return memoOrderId;
  const m = /^late-order-(.+)-[0-9a-f]{16}$/.exec(workflowId);
  return m?.[1] ?? null;
}
