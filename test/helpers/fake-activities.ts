// Stand-ins for the activities in workflow tests only (integration tests use the real ones). Behaviour is mutable so
// a test can, say, take PIM down and bring it back. The payment ledger dedupes refunds by Idempotency-Key as the
// real Payment API does, and the refund itself is the real activity, so key stability through retries is tested.
import { ApplicationFailure } from '@temporalio/common';
import { createPaymentActivities } from '../../activities/payment';
import type { CommerceActivities, OrderActivities, ValidationResult } from '../../activities';
import type { DashboardRecord, FulfillmentMessage } from '../../contracts';
import type { PaymentApi, RefundReceipt } from '../../src/clients/payment-api';

export interface FakeBehaviour {
  validation?: ValidationResult;
  /** What a correction is checked against: the corrected order passes when this returns a valid result. */
  validateCorrection?: (items: Array<{ item_id: string; quantity: number }>) => ValidationResult;
  /** RRNs the Payment API rejects, with the reason. */
  rejectedRrns?: Record<string, string>;
  unknownItems?: string[];
  /** While true, PIM answers 503 (a retryable failure) to every call. */
  pimDown?: boolean;
  /** While true, the broker refuses every publish. */
  kafkaDown?: boolean;
  /** The first refund call is applied by the Payment API but its answer is lost (a crash before completion). */
  loseFirstRefundAnswer?: boolean;
}

export interface LedgerRefund {
  rrn: string;
  amount_cents: number;
  reason: string;
  idempotencyKey: string;
}

export interface FakeActivityLog {
  published: FulfillmentMessage[];
  saved: Array<{ record: DashboardRecord; revision: number }>;
  confirmed: string[];
  validations: number;
  refundCalls: LedgerRefund[];
  /** Refunds as the Payment API holds them: one per Idempotency-Key. */
  ledger: LedgerRefund[];
  lateEvents: Array<{ orderId: string; eventId: string; reason: string }>;
}

export function fakeActivities(behaviour: FakeBehaviour = {}) {
  const log: FakeActivityLog = { published: [], saved: [], confirmed: [], validations: 0, refundCalls: [], ledger: [], lateEvents: [] };
  let refundAnswersLost = 0;

  const paymentApi: PaymentApi = {
    async getPayment() {
      throw new Error('not used: confirmCapture is faked');
    },
    async refund(rrn, refund, idempotencyKey): Promise<RefundReceipt> {
      const call = { rrn, ...refund, idempotencyKey };
      log.refundCalls.push(call);
      if (!log.ledger.some((r) => r.idempotencyKey === idempotencyKey)) log.ledger.push(call);
      if (behaviour.loseFirstRefundAnswer && refundAnswersLost++ === 0) {
        throw ApplicationFailure.retryable('connection reset after the refund was applied', 'UPSTREAM_UNAVAILABLE');
      }
      return { refund_id: `ref-${idempotencyKey}`, amount_cents: refund.amount_cents };
    },
  };
  const realRefund = createPaymentActivities({ payments: paymentApi, claims: { claimRrn: async (_rrn, orderId) => orderId } }).refundCapture;

  const commerce: CommerceActivities = {
    async validateOrder(input) {
      log.validations++;
      if (log.validations > 1 && behaviour.validateCorrection) return behaviour.validateCorrection(input.submitted.items);
      return behaviour.validation ?? { valid: true, placedAt: '2026-11-01T10:00:00.000Z' };
    },
  };
  const orders: OrderActivities = {
    async enrichItems(items) {
      if (behaviour.pimDown) throw ApplicationFailure.retryable('PIM answered 503', 'UPSTREAM_UNAVAILABLE');
      const unknown = items.filter((i) => behaviour.unknownItems?.includes(i.item_id));
      if (unknown.length > 0) {
        return { complete: false, errors: unknown.map((i) => ({ code: 'item_unknown_in_pim' as const, item_id: i.item_id, detail: 'unknown' })) };
      }
      return { complete: true, items: items.map((i) => ({ ...i, sku_id: `SKU-${i.item_id}`, brand_code: 'ACME' })) };
    },
    async confirmCapture({ rrn }) {
      log.confirmed.push(rrn);
      const reason = behaviour.rejectedRrns?.[rrn];
      return reason ? { accepted: false, reason } : { accepted: true };
    },
    refundCapture: realRefund,
    async publishFulfillment({ message }) {
      if (behaviour.kafkaDown) throw ApplicationFailure.retryable('broker unavailable', 'FULFILLMENT_PUBLISH_FAILED');
      log.published.push(message);
    },
    async saveDashboardRecord(input) {
      log.saved.push(input);
      return { applied: true };
    },
    async readDashboardRecord(orderId) {
      return [...log.saved].reverse().find((s) => s.record.order_id === orderId)?.record ?? null;
    },
    async recordLateEvent(input) {
      const applied = !log.lateEvents.some((e) => e.eventId === input.eventId);
      if (applied) log.lateEvents.push(input);
      return { applied };
    },
  };
  return { commerce, orders, log, behaviour };
}
