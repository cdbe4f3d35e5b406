// Payment activities: confirm a capture callback by RRN (only `captured`, same order, same amount, an RRN not already
// paying another order counts), and refund a capture — the compensation — once, by its Idempotency-Key.
import { ErrorType, failure } from '../contracts';
import type { PaymentApi, RefundReceipt } from '../src/clients/payment-api';

export interface ConfirmCaptureInput {
  orderId: string;
  rrn: string;
  amountCents: number;
}

export type CaptureVerdict = { accepted: true } | { accepted: false; reason: string };

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
      if (!payment) return { accepted: false, reason: `payment_not_found: the Payment API has no RRN ${input.rrn}` };
      if (payment.order_id !== input.orderId) {
        return { accepted: false, reason: `order_mismatch: RRN ${input.rrn} belongs to order ${payment.order_id}` };
      }
      if (payment.amount_cents !== input.amountCents) {
        return { accepted: false, reason: `amount_mismatch: callback says ${input.amountCents}, the Payment API says ${payment.amount_cents}` };
      }
      if (payment.status !== 'captured') return { accepted: false, reason: `not_captured: payment status is ${payment.status}` };
      let owner: string;
      try {
        owner = await deps.claims.claimRrn(input.rrn, input.orderId);
      } catch (err) {
        throw failure(ErrorType.STORE_UNAVAILABLE, `claiming RRN ${input.rrn} failed: ${(err as Error).message}`, { cause: err as Error });
      }
      if (owner !== input.orderId) return { accepted: false, reason: `rrn_already_used: RRN ${input.rrn} already paid order ${owner}` };
      return { accepted: true };
    },

    async refundCapture(input: RefundCaptureInput): Promise<RefundReceipt> {
      return deps.payments.refund(input.rrn, { amount_cents: input.amountCents, reason: input.reason }, refundIdempotencyKey(input.rrn));
    },
  };
}
export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
