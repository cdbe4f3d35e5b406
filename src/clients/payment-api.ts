// Client of the Payment API: read a payment by RRN, and refund with an Idempotency-Key (no rate limit upstream).
import { z } from 'zod';
import { PaymentRecord } from '../../contracts';
import { UNGUARDED, type UpstreamGuard } from './circuit-breaker';
import { requestJson, resolveLimits, type UpstreamLimits } from './http-json';

export const RefundReceipt = z.object({ refund_id: z.string().optional(), amount_cents: z.number().optional() }).loose();
export type RefundReceipt = z.infer<typeof RefundReceipt>;

export interface PaymentApi {
  /** undefined when the Payment API does not know the RRN (404). */
  getPayment(rrn: string): Promise<PaymentRecord | undefined>;
  /** The receipt when the API sends one; an empty 201 is a done refund too. */
  refund(rrn: string, refund: { amount_cents: number; reason: string }, idempotencyKey: string): Promise<RefundReceipt>;
}

export function createPaymentApi(options: { baseUrl: string; fetchImpl?: typeof fetch; limits?: UpstreamLimits; breaker?: UpstreamGuard }): PaymentApi {
  const fetchImpl = options.fetchImpl ? { fetchImpl: options.fetchImpl } : {};
  // The defaults (10 s in total, 1 MiB) are far above a payment or a refund receipt; see http-json.ts.
  const limits = resolveLimits(options.limits);
  // One breaker for reads and refunds: both go to the same API, and a refund waiting out an open breaker is retried.
  const breaker = options.breaker ?? UNGUARDED;
  return {
    async getPayment(rrn) {
      const result = await breaker.call((observe) =>
        requestJson({
          method: 'GET',
          url: `${options.baseUrl}/payments/${encodeURIComponent(rrn)}`,
          schema: PaymentRecord,
          api: 'Payment API',
          expectedEmpty: [404],
          ...limits,
          ...fetchImpl,
          observe,
        }),
      );
      return result.body;
    },
    async refund(rrn, refund, idempotencyKey) {
      const result = await breaker.call((observe) =>
        requestJson({
          method: 'POST',
          url: `${options.baseUrl}/payments/${encodeURIComponent(rrn)}/refunds`,
          schema: RefundReceipt,
          api: 'Payment API',
          body: refund,
          headers: { 'idempotency-key': idempotencyKey },
          allowEmptySuccess: true,
          ...limits,
          ...fetchImpl,
          observe,
        }),
      );
      return result.body ?? {};
    },
  };
}
