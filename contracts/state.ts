// The live state of one OrderWorkflow, as its query returns it (a superset of the dashboard record).
import type { PaymentCaptureV1 } from './inputs';
import type { DashboardRecord, HistoryEntry, OrderStatus } from './order';

export interface RejectedCapture {
  rrn: string;
  amount_cents: number;
  reason: string;
  at: string;
}

export interface OrderState {
  orderId: string;
  status: OrderStatus;
  record: DashboardRecord | undefined;
  pendingCaptures: PaymentCaptureV1[];
  rejectedCaptures: RejectedCapture[];
  duplicateEvents: number;
  history: HistoryEntry[];
}
