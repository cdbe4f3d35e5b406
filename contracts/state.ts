// The live state of one OrderWorkflow, as its query returns it (a superset of the dashboard record).
import type { DashboardRecord, OrderStatus, ParkedStep } from './order';

/** A capture the order did not keep: rejected by the Payment API, or refunded. */
export interface SettledCapture {
  rrn: string;
  amount_cents: number;
  reason: string;
  at: string;
}

export interface OrderState {
  orderId: string;
  /** Where the order's own flow is (the visible `status` is PARKED instead while a step of an open order is parked). */
  phase: Exclude<OrderStatus, 'PARKED'>;
  status: OrderStatus;
  record: DashboardRecord;
  /** Captures received and not yet confirmed; `arrived_at` is when the gateway took each. */
  pendingCaptures: Array<{ rrn: string; amount_cents: number; arrived_at: string }>;
  rejectedCaptures: SettledCapture[];
  refunds: SettledCapture[];
  parkedSteps: ParkedStep[];
  duplicateEvents: number;
  /** When the order is cancelled without a valid capture, and when it expires unless forwarded. */
  captureDeadline: string;
  ttlDeadline: string;
}
