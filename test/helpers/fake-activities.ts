// Stand-ins for the activities in workflow tests only (integration tests use the real ones). Behaviour is mutable so
// a test can, say, take PIM down and bring it back, or change what the Payment API says about an RRN. The payment
// ledger dedupes refunds by Idempotency-Key as the real Payment API does, the refund itself is the real activity
// (so key stability through retries is tested), and the store keeps a durable closure mark as the real one does.
import { ApplicationFailure } from '@temporalio/common';
import { createPaymentActivities } from '../../activities/payment';
import type { CaptureVerdict, CommerceActivities, OrderActivities, RejectionCode, ValidationResult } from '../../activities';
import { isTerminal, type RiskDecision, type DashboardRecord, type FulfillmentMessage, type ParkedStep, type TerminalStatus } from '../../contracts';
import type { PaymentApi, RefundReceipt } from '../../src/clients/payment-api';

export interface FakeBehaviour {
  validation?: ValidationResult;
  /** What a correction is checked against: the corrected order passes when this returns a valid result. */
  validateCorrection?: (items: Array<{ item_id: string; quantity: number }>) => ValidationResult;
  /** RRNs the Payment API rejects, with the reason (`code: detail`); mutable, so an RRN can become captured later. */
  rejectedRrns?: Record<string, string>;
  /** The amount the Payment API holds per RRN; a callback with another amount is rejected as amount_mismatch. */
  amounts?: Record<string, number>;
  /** Thrown by confirmCapture while set (e.g. a non-retryable contract violation). */
  confirmFailure?: ApplicationFailure;
  unknownItems?: string[];
  /** While true, PIM answers 503 (a retryable failure) to every call. */
  pimDown?: boolean;
  /** While true, the broker refuses every publish. */
  kafkaDown?: boolean;
  /** While true, every refund fails (the Payment API is down). */
  refundsDown?: boolean;
  /** The first refund call is applied by the Payment API but its answer is lost (a crash before completion). */
  loseFirstRefundAnswer?: boolean;
  /** Awaited at the start of every enrichItems call: a test holds an enrichment (say, a correction's) at that point. */
  beforeEnrich?: () => Promise<void>;
  /** Awaited at the start of every confirmCapture call. */
  beforeConfirm?: (rrn: string) => Promise<void>;
  /** While true, the store refuses every record for good (as PostgreSQL refuses a NUL byte). */
  storeRejects?: boolean;
  /** The Risk API's decision per order id (vNext); approve when absent. */
  riskDecisions?: Record<string, RiskDecision>;
  /** While true, the Risk API answers 503 to every assessment. */
  riskDown?: boolean;
  /** Orders the store already holds closed (a closed run that Temporal's retention has dropped). */
  closedOrders?: Record<string, TerminalStatus>;
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
  /** Saves the store refused: a non-terminal record for a closed order. */
  refusedSaves: Array<{ record: DashboardRecord; revision: number }>;
  confirmed: string[];
  validations: number;
  enrichments: number;
  refundCalls: LedgerRefund[];
  /** Refunds as the Payment API holds them: one per Idempotency-Key. */
  ledger: LedgerRefund[];
  lateEvents: Array<{ orderId: string; eventId: string; reason: string }>;
  parkedMarks: Array<{ orderId: string; step: string; parked: ParkedStep | null }>;
  /** The orders the Risk API was asked about, in call order. */
  riskAssessments: string[];
}

function verdictFrom(reason: string): CaptureVerdict {
  return { accepted: false, code: reason.split(':')[0] as RejectionCode, reason };
}

export function fakeActivities(behaviour: FakeBehaviour = {}) {
  const log: FakeActivityLog = {
    published: [],
    saved: [],
    refusedSaves: [],
    confirmed: [],
    validations: 0,
    enrichments: 0,
    refundCalls: [],
    ledger: [],
    lateEvents: [],
    parkedMarks: [],
    riskAssessments: [],
  };
  const closures = new Map<string, TerminalStatus>(Object.entries(behaviour.closedOrders ?? {}));
  let refundAnswersLost = 0;

  const paymentApi: PaymentApi = {
    async getPayment() {
      throw new Error('not used: confirmCapture is faked');
    },
    async refund(rrn, refund, idempotencyKey): Promise<RefundReceipt> {
      if (behaviour.refundsDown) throw ApplicationFailure.retryable('Payment API answered 503', 'UPSTREAM_UNAVAILABLE');
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
      log.enrichments++;
      await behaviour.beforeEnrich?.();
      if (behaviour.pimDown) throw ApplicationFailure.retryable('PIM answered 503', 'UPSTREAM_UNAVAILABLE');
      const unknown = items.filter((i) => behaviour.unknownItems?.includes(i.item_id));
      if (unknown.length > 0) {
        return { complete: false, errors: unknown.map((i) => ({ code: 'item_unknown_in_pim' as const, item_id: i.item_id, detail: 'unknown' })) };
      }
      return { complete: true, items: items.map((i) => ({ ...i, sku_id: `SKU-${i.item_id}`, brand_code: 'ACME' })) };
    },
    async confirmCapture({ rrn, amountCents }) {
      log.confirmed.push(rrn);
      await behaviour.beforeConfirm?.(rrn);
      if (behaviour.confirmFailure) throw behaviour.confirmFailure;
      const reason = behaviour.rejectedRrns?.[rrn];
      if (reason) return verdictFrom(reason);
      const amount = behaviour.amounts?.[rrn];
      if (amount !== undefined && amount !== amountCents) return verdictFrom(`amount_mismatch: callback says ${amountCents}, the Payment API says ${amount}`);
      return { accepted: true };
    },
    refundCapture: realRefund,
    async assessRisk({ order_id }) {
      log.riskAssessments.push(order_id);
      if (behaviour.riskDown) throw ApplicationFailure.retryable('Risk API answered 503', 'UPSTREAM_UNAVAILABLE');
      const decision = behaviour.riskDecisions?.[order_id] ?? 'approve';
      return { decision, score: decision === 'approve' ? 0.1 : 0.9, reasons: decision === 'approve' ? [] : ['fake: decided by the test'] };
    },
    // As the real one: the FORWARDING record, the message, the FORWARDED record (activities/fulfillment.ts).
    async publishFulfillment({ message, forwarding, forwarded }) {
      if (forwarding) await orders.saveDashboardRecord(forwarding);
      if (behaviour.kafkaDown) throw ApplicationFailure.retryable('broker unavailable', 'FULFILLMENT_PUBLISH_FAILED');
      log.published.push(message);
      if (forwarded) await orders.saveDashboardRecord(forwarded);
      return { sent: true };
    },
    async saveDashboardRecord(input) {
      if (behaviour.storeRejects) throw ApplicationFailure.nonRetryable('invalid byte sequence for encoding "UTF8": 0x00', 'STORE_REJECTED');
      const closedAs = closures.get(input.record.order_id) ?? null;
      if (closedAs && !isTerminal(input.record.status)) {
        log.refusedSaves.push(input);
        return { applied: false, closedAs };
      }
      if (!closedAs && isTerminal(input.record.status)) closures.set(input.record.order_id, input.record.status);
      log.saved.push(input);
      return { applied: true, closedAs };
    },
    async readDashboardRecord(orderId) {
      return [...log.saved].sort((a, b) => b.revision - a.revision).find((s) => s.record.order_id === orderId)?.record ?? null;
    },
    async recordLateEvent(input) {
      const applied = !log.lateEvents.some((e) => e.eventId === input.eventId);
      if (applied) log.lateEvents.push(input);
      return { applied };
    },
    async markOrderParked(input) {
      log.parkedMarks.push(input);
      return { applied: true };
    },
  };
  return { commerce, orders, log, behaviour };
}
