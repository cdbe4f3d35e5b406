// Payment activities: confirm a capture callback by RRN (only `captured`, same order, same amount, an RRN not already
// paying another order counts), and refund a capture — the compensation — once, by its Idempotency-Key.
import { callStore } from '../src/store/store-errors';
import type { PaymentApi, RefundReceipt } from '../src/clients/payment-api';

export interface ConfirmCaptureInput {
  orderId: string;
  rrn: string;
  amountCents: number;
}

/**
 * Why a capture did not count. `payment_not_found` and `not_captured` describe a payment that may still change (the
 * Payment API may show it captured later), so the order checks those again; the others are final.
 */
export type RejectionCode = 'payment_not_found' | 'order_mismatch' | 'amount_mismatch' | 'not_captured' | 'rrn_already_used';
export type CaptureVerdict = { accepted: true } | { accepted: false; code: RejectionCode; reason: string };

function rejected(code: RejectionCode, detail: string): CaptureVerdict {
  return { accepted: false, code, reason: `${code}: ${detail}` };
}

export interface RrnClaims {
  /** Returns the order that owns the RRN: this one if the claim succeeded or was already ours. */
  claimRrn(rrn: string, orderId: string): Promise<string>;
}

export interface RefundCaptureInput {
  rrn: string;
  amountCents: number;
  reason: string;
}

/** One RRN pays one order, so one refund per RRN: every retry, crash or second path sends this same key. */
export function refundIdempotencyKey(rrn: string): string {
  return `refund-${rrn}`;
}

export function createPaymentActivities(deps: { payments: PaymentApi; claims: RrnClaims }) {
  return {
    async confirmCapture(input: ConfirmCaptureInput): Promise<CaptureVerdict> {
      const payment = await deps.payments.getPayment(input.rrn);
      if (!payment) return rejected('payment_not_found', `the Payment API has no RRN ${input.rrn}`);
      if (payment.order_id !== input.orderId) {
        return rejected('order_mismatch', `RRN ${input.rrn} belongs to order ${payment.order_id}`);
      }
      if (payment.amount_cents !== input.amountCents) {
        return rejected('amount_mismatch', `callback says ${input.amountCents}, the Payment API says ${payment.amount_cents}`);
      }
      if (payment.status !== 'captured') return rejected('not_captured', `payment status is ${payment.status}`);
      const owner = await callStore(`claiming RRN ${input.rrn}`, () => deps.claims.claimRrn(input.rrn, input.orderId));
      if (owner !== input.orderId) return rejected('rrn_already_used', `RRN ${input.rrn} already paid order ${owner}`);
      return { accepted: true };
    },

    async refundCapture(input: RefundCaptureInput): Promise<RefundReceipt> {
      return deps.payments.refund(input.rrn, { amount_cents: input.amountCents, reason: input.reason }, refundIdempotencyKey(input.rrn));
    },
  };
}
export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
