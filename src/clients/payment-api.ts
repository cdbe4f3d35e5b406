// Client of the Payment API: read a payment by RRN, and refund with an Idempotency-Key (no rate limit upstream).
import { z } from 'zod';
import { PaymentRecord } from '../../contracts';
import { requestJson } from './http-json';

export const RefundReceipt = z.object({ refund_id: z.string().optional(), amount_cents: z.number().optional() }).loose();
export type RefundReceipt = z.infer<typeof RefundReceipt>;

export interface PaymentApi {
  /** undefined when the Payment API does not know the RRN (404). */
  getPayment(rrn: string): Promise<PaymentRecord | undefined>;
  /** The receipt when the API sends one; an empty 201 is a done refund too. */
  refund(rrn: string, refund: { amount_cents: number; reason: string }, idempotencyKey: string): Promise<RefundReceipt>;
}

export function createPaymentApi(options: { baseUrl: string; fetchImpl?: typeof fetch }): PaymentApi {
  const fetchImpl = options.fetchImpl ? { fetchImpl: options.fetchImpl } : {};
  return {
    async getPayment(rrn) {
      const result = await requestJson({
        method: 'GET',
        url: `${options.baseUrl}/payments/${encodeURIComponent(rrn)}`,
        schema: PaymentRecord,
        expectedEmpty: [404],
        ...fetchImpl,
      });
      return result.body;
    },
    async refund(rrn, refund, idempotencyKey) {
      const result = await requestJson({
        method: 'POST',
        url: `${options.baseUrl}/payments/${encodeURIComponent(rrn)}/refunds`,
        schema: RefundReceipt,
        body: refund,
        headers: { 'idempotency-key': idempotencyKey },
        allowEmptySuccess: true,
        ...fetchImpl,
      });
      return result.body ?? {};
    },
  };
}
