// Payment API simulator (contract §5): GET /payments/:rrn and idempotent POST /payments/:rrn/refunds over the seeded
// captured payments; no rate limit. Admin: PUT /_sim/payments/:rrn {order_id, amount_cents, status} → 201 created /
// 200 replaced (refunds already made against the rrn are kept); GET /_sim/refunds[?rrn=] → {refunds:[…]} oldest first.
import { z } from 'zod';
import { PAYMENT_STATUSES, seededPayments, type PaymentRecord } from './seed';
import type { SimulatorDefinition, SimulatorEnv } from './types';

export interface RefundRecord {
  readonly refund_id: string;
  readonly rrn: string;
  readonly amount_cents: number;
  readonly reason: string;
  readonly idempotency_key: string;
  readonly created_at: string;
}

const RrnParams = z.object({ rrn: z.string().min(1) });
const RefundBody = z.object({ amount_cents: z.number().int().positive(), reason: z.string().min(1).max(500) });
const PutPaymentBody = z.object({
  order_id: z.string().min(1),
  amount_cents: z.number().int().min(0),
  status: z.enum(PAYMENT_STATUSES),
});
const RefundsQuery = z.object({ rrn: z.string().min(1).optional() });

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export function createPaymentSimulator(env: SimulatorEnv): SimulatorDefinition {
  const payments = new Map<string, PaymentRecord>();
  let refunds: RefundRecord[] = [];
  const refundsByKey = new Map<string, RefundRecord>();
  const reset = (): void => {
    payments.clear();
    for (const payment of seededPayments) payments.set(payment.rrn, payment);
    refunds = [];
    refundsByKey.clear();
  };
  reset();

  const refundedCents = (rrn: string): number =>
    refunds.reduce((sum, refund) => (refund.rrn === rrn ? sum + refund.amount_cents : sum), 0);

  return {
    name: 'payment',
    // Contract §5: no rate limit on this API (PUT /_sim/knobs can still impose one).
    defaultRateLimitPerSecond: null,
    reset,
    api(app) {
      app.get('/payments/:rrn', { schema: { params: RrnParams } }, async (request, reply) => {
        const payment = payments.get(request.params.rrn);
        if (payment === undefined) {
          return reply.code(404).send({ error: 'payment_not_found', message: `no payment ${request.params.rrn}` });
        }
        return payment;
      });

      app.post(
        '/payments/:rrn/refunds',
        { schema: { params: RrnParams, body: RefundBody } },
        async (request, reply) => {
          const { rrn } = request.params;
          const key = request.headers['idempotency-key'];
          if (typeof key !== 'string' || key.trim() === '' || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
            return reply.code(400).send({
              error: 'idempotency_key_required',
              message: `header Idempotency-Key (1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters) is required`,
            });
          }
          const { amount_cents, reason } = request.body;

          // The key is checked before anything else, so a retry of a refund that since emptied the payment still
          // answers the original 201 instead of a 422.
          const first = refundsByKey.get(key);
          if (first !== undefined) {
            // Same key, different request: a client bug, answered 422 as the IETF Idempotency-Key draft recommends.
            if (first.rrn !== rrn || first.amount_cents !== amount_cents || first.reason !== reason) {
              return reply.code(422).send({
                error: 'idempotency_key_reused',
                message: `Idempotency-Key ${key} was first used for a different refund (${first.refund_id})`,
              });
            }
            return reply.code(201).send(first);
          }

          const payment = payments.get(rrn);
          if (payment === undefined) {
            return reply.code(404).send({ error: 'payment_not_found', message: `no payment ${rrn}` });
          }
          const refunded = refundedCents(rrn);
          // Only captured money can go back; after a full refund the status is `refunded` and nothing is left.
          const refundable = payment.status === 'captured' ? Math.max(0, payment.amount_cents - refunded) : 0;
          if (amount_cents > refundable) {
            return reply.code(422).send({
              error: payment.status === 'captured' ? 'amount_exceeds_refundable' : 'payment_not_captured',
              message: `refund of ${amount_cents} exceeds the refundable ${refundable} cents (status ${payment.status})`,
              refundable_cents: refundable,
            });
          }

          const refund: RefundRecord = {
            refund_id: `ref-${String(refunds.length + 1).padStart(6, '0')}`,
            rrn,
            amount_cents,
            reason,
            idempotency_key: key,
            created_at: new Date(env.now()).toISOString(),
          };
          refunds.push(refund);
          refundsByKey.set(key, refund);
          if (refunded + amount_cents >= payment.amount_cents) payments.set(rrn, { ...payment, status: 'refunded' });
          return reply.code(201).send(refund);
        },
      );
    },
    admin(app) {
      app.put('/payments/:rrn', { schema: { params: RrnParams, body: PutPaymentBody } }, async (request, reply) => {
        const { rrn } = request.params;
        const record: PaymentRecord = { rrn, ...request.body };
        const existed = payments.has(rrn);
        payments.set(rrn, record);
        return reply.code(existed ? 200 : 201).send(record);
      });
      app.get('/refunds', { schema: { querystring: RefundsQuery } }, async (request) => {
        const { rrn } = request.query;
        return { refunds: rrn === undefined ? refunds : refunds.filter((refund) => refund.rrn === rrn) };
      });
    },
  };
}
