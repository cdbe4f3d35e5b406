// Confirmation of a capture callback against the Payment API by RRN: only `captured`, same order, same amount counts.
import type { PaymentApi } from '../src/clients/payment-api';

export interface ConfirmCaptureInput {
  orderId: string;
  rrn: string;
  amountCents: number;
}

export type CaptureVerdict = { accepted: true } | { accepted: false; reason: string };

export function createPaymentActivities(deps: { payments: PaymentApi }) {
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
      return { accepted: true };
    },
  };
}
export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
