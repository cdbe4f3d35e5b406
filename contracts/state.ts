// The live state of one OrderWorkflow, as its query returns it (a superset of the dashboard record).
import type { PaymentCaptureV1 } from './inputs';
import type { DashboardRecord, OrderStatus } from './order';

export interface RejectedCapture {
  rrn: string;
  amount_cents: number;
  reason: string;
  at: string;
}

export interface RefundedCapture {
  rrn: string;
  amount_cents: number;
  reason: string;
  at: string;
}

export interface ParkedStep {
  step: string;
  error: string;
  since: string;
}

export interface OrderState {
  orderId: string;
  status: OrderStatus;
  record: DashboardRecord;
  pendingCaptures: PaymentCaptureV1[];
  rejectedCaptures: RejectedCapture[];
  refunds: RefundedCapture[];
  parkedSteps: ParkedStep[];
  duplicateEvents: number;
  /** When the order is cancelled without a valid capture, and when it expires unless forwarded. */
  captureDeadline: string;
  ttlDeadline: string;
}
