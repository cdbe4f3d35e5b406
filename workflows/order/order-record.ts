// The order's data as one plain object (carried over continue-as-new), and the pure functions that turn it into
// the dashboard record and the query snapshot. No Temporal API here: unit-tested without a server.
import type {
  DashboardItem,
  DashboardRecord,
  EnrichedItem,
  HistoryEntry,
  OrderState,
  OrderStatus,
  OrderWorkflowInput,
  ParkedStep,
  SettledCapture,
  SubmittedOrder,
  ValidationError,
} from '../../contracts';
import type { RejectionCode } from '../../activities';
import { isClosed, type Phase } from './phase';

/** The two windows as absolute instants, fixed at the first event and never moved (not even by continue-as-new). */
export interface OrderWindows {
  firstEventAt: number;
  captureDeadline: number;
  ttlDeadline: number;
  stepRetryBudgetMs: number;
}

/** A capture callback waiting to be confirmed with the Payment API; `arrivedAt` is when the gateway took it. */
export interface PendingCapture {
  rrn: string;
  amount_cents: number;
  arrivedAt: number;
  /** A capture rejected before, looked at once more before the order closes unforwarded. */
  recheck: boolean;
}

export interface RejectedCapture extends SettledCapture {
  code: RejectionCode;
  arrivedAt: number;
}

export interface AcceptedPayment {
  rrn: string;
  amount_cents: number;
  /** When the capture that paid arrived (the gateway's receipt), not when it was confirmed. */
  captured_at: string;
}

export interface Closing {
  status: 'CANCELLED' | 'EXPIRED';
  reason: string;
}

/** Everything the order knows. JSON only (null, never undefined): it travels in continue-as-new. */
export interface OrderData {
  orderId: string;
  windows: OrderWindows;
  phase: Phase;
  statusReason: string | null;
  customerId: string | null;
  /** The customer's e-mail as the gateway sealed it under their own data key (src/pii); never in clear here. */
  sealedEmail: string | null;
  /**
   * Whether this order takes the risk step: fixed in its first workflow task by patched('risk-collection'), so an
   * order started before the release finishes on the path it started on (docs/versioning.md). Absent = false.
   */
  collectsRisk?: boolean;
  /** The Risk API's answer, once asked; then the agent's decision on a review. */
  risk?: { decision: 'approve' | 'review' | 'reject'; score: number; reasons: string[] } | null;
  riskDecision?: { decision: 'approve' | 'reject'; agent: string; note: string } | null;
  submission: { order: SubmittedOrder; arrivedAt: number } | null;
  items: DashboardItem[];
  enrichedItems: EnrichedItem[] | null;
  validationErrors: ValidationError[];
  payment: AcceptedPayment | null;
  pendingCaptures: PendingCapture[];
  rejectedCaptures: RejectedCapture[];
  refunds: SettledCapture[];
  closing: Closing | null;
  history: HistoryEntry[];
  historyOmitted: number;
  duplicateEvents: number;
  /** The last revision written to the store; the next write uses a higher one (see nextRevision). */
  revision: number;
}

/** The record's history keeps its first entries and the latest ones: a flood of events cannot grow it without end. */
export const HISTORY_HEAD = 10;
export const HISTORY_LIMIT = 60;
/** Rejected captures remembered (the newest): enough for the last look before closing, bounded under a flood. */
export const REJECTED_CAPTURES_KEPT = 20;

export function initialData(input: OrderWorkflowInput, firstEventAt: number, stepRetryBudgetMs: number): OrderData {
  return {
    orderId: input.orderId,
    windows: {
      firstEventAt,
      captureDeadline: firstEventAt + input.paymentCaptureWindowMs,
      ttlDeadline: firstEventAt + input.orderTtlMs,
      stepRetryBudgetMs,
    },
    phase: 'AWAITING_ORDER',
    statusReason: null,
    customerId: null,
    sealedEmail: null,
    submission: null,
    items: [],
    enrichedItems: null,
    validationErrors: [],
    payment: null,
    pendingCaptures: [],
    rejectedCaptures: [],
    refunds: [],
    closing: null,
    history: [],
    historyOmitted: 0,
    duplicateEvents: 0,
    revision: 0,
  };
}

/**
 * Store revisions must never collide across runs of one order id (a run started after retention, or after
 * continue-as-new, would otherwise count from 1 again): each run counts up from its start time in ms × 1000,
 * and never below what an earlier run of the same order already wrote.
 */
export function nextRevision(lastRevision: number, runStartMs: number): number {
  return Math.max(lastRevision, runStartMs * 1000) + 1;
}

export function appendHistory(data: OrderData, entry: HistoryEntry): void {
  data.history.push(entry);
  if (data.history.length > HISTORY_LIMIT) {
    data.history.splice(HISTORY_HEAD, 1);
    data.historyOmitted++;
  }
}

export function rememberRejected(data: OrderData, rejected: RejectedCapture): void {
  data.rejectedCaptures.push(rejected);
  if (data.rejectedCaptures.length > REJECTED_CAPTURES_KEPT) data.rejectedCaptures.shift();
}

/** PARKED is shown for an open order with a parked step; a closed order keeps its status, the step shows beside it. */
export function visibleStatus(phase: Phase, parked: readonly ParkedStep[]): OrderStatus {
  return parked.length > 0 && !isClosed(phase) ? 'PARKED' : phase;
}

function recordHistory(data: OrderData): HistoryEntry[] {
  if (data.historyOmitted === 0) return [...data.history];
  const head = data.history.slice(0, HISTORY_HEAD);
  const tail = data.history.slice(HISTORY_HEAD);
  const gap: HistoryEntry = {
    status: tail[0]?.status ?? data.phase,
    at: tail[0]?.at ?? head.at(-1)?.at ?? new Date(data.windows.firstEventAt).toISOString(),
    reason: `${data.historyOmitted} earlier entries omitted`,
  };
  return [...head, gap, ...tail];
}

export function buildRecord(data: OrderData, parked: readonly ParkedStep[], now: number): DashboardRecord {
  const status = visibleStatus(data.phase, parked);
  return {
    order_id: data.orderId,
    customer_id: data.customerId ?? '',
    status,
    status_reason: status === 'PARKED' ? parked.map((p) => `${p.step}: ${p.error}`).join('; ') : data.statusReason,
    items: data.items.map((i) => ({ ...i })),
    ...(data.payment ? { payment: { ...data.payment } } : {}),
    validation_errors: [...data.validationErrors],
    submitted_at: new Date(data.windows.firstEventAt).toISOString(),
    expires_at: new Date(data.windows.ttlDeadline).toISOString(),
    updated_at: new Date(now).toISOString(),
    history: recordHistory(data),
    parked_steps: parked.map((p) => ({ ...p })),
    ...(data.sealedEmail !== null ? { customer_email_sealed: data.sealedEmail } : {}),
  };
}

export function buildSnapshot(data: OrderData, parked: readonly ParkedStep[], now: number): OrderState {
  const record = buildRecord(data, parked, now);
  return {
    orderId: data.orderId,
    phase: data.phase,
    status: record.status,
    record,
    pendingCaptures: data.pendingCaptures.map((c) => ({ rrn: c.rrn, amount_cents: c.amount_cents, arrived_at: new Date(c.arrivedAt).toISOString() })),
    rejectedCaptures: data.rejectedCaptures.map(({ rrn, amount_cents, reason, at }) => ({ rrn, amount_cents, reason, at })),
    refunds: data.refunds.map((r) => ({ ...r })),
    parkedSteps: parked.map((p) => ({ ...p })),
    duplicateEvents: data.duplicateEvents,
    captureDeadline: new Date(data.windows.captureDeadline).toISOString(),
    ttlDeadline: new Date(data.windows.ttlDeadline).toISOString(),
  };
}
