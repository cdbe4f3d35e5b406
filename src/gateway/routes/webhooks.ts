// Inbound webhooks: media type → version, signature, schema, then the event goes durably into Temporal (202).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CommerceWebhookV1, orderWorkflowId, PaymentCaptureV1 } from '../../../contracts';
import type { OrderEventSink, DeliveryOutcome } from '../../temporal/order-events';
import { requireSignature } from '../plugins/auth';
import { payloadVersion, type PayloadKind } from '../media-type';
import { HttpProblem, type ProblemBody } from '../problem';
import type { FastifyRequest } from 'fastify';

export interface WebhookRouteOptions {
  events: OrderEventSink;
  secrets: { commerceWebhook: string; paymentWebhook: string };
}

const Accepted = z.object({ order_id: z.string(), workflow_id: z.string() });

function checkMediaType(kind: PayloadKind) {
  return async (request: FastifyRequest): Promise<void> => {
    payloadVersion(request.headers['content-type'], kind);
  };
}

/** Temporal unreachable must never become a false 202: the sender retries on 503. */
async function durably(deliver: () => Promise<DeliveryOutcome>, log: FastifyRequest['log']): Promise<DeliveryOutcome> {
  try {
    return await deliver();
  } catch (err) {
    log.error({ err }, 'Temporal did not accept the event');
    throw new HttpProblem(503, 'temporal-unavailable', 'the order engine is unavailable; retry later', [], { 'retry-after': '5' });
  }
}

export const webhookRoutes: FastifyPluginAsyncZod<WebhookRouteOptions> = async (app, opts) => {
  const problem = { 400: z.custom<ProblemBody>(), 401: z.custom<ProblemBody>(), 413: z.custom<ProblemBody>(), 415: z.custom<ProblemBody>() };

  app.post(
    '/v1/webhooks/commerce',
    {
      schema: { tags: ['webhooks'], summary: 'Commerce App order webhook', body: CommerceWebhookV1, response: { 202: Accepted, ...problem } },
      onRequest: checkMediaType('commerce-order'),
      preValidation: requireSignature('X-Commerce-Signature', opts.secrets.commerceWebhook),
    },
    async (request, reply) => {
      const orderId = request.body.order.order_id;
      const outcome = await durably(() => opts.events.commerceOrder({ receivedAt: new Date().toISOString(), payload: request.body }), request.log);
      if (outcome === 'late_event') request.log.info({ orderId }, 'commerce webhook for a closed order: recorded by a late-event workflow');
      return reply.code(202).send({ order_id: orderId, workflow_id: orderWorkflowId(orderId) });
    },
  );

  app.post(
    '/v1/webhooks/payments',
    {
      schema: { tags: ['webhooks'], summary: 'Payment capture callback', body: PaymentCaptureV1, response: { 202: Accepted, ...problem } },
      onRequest: checkMediaType('payment-capture'),
      preValidation: requireSignature('X-Payment-Signature', opts.secrets.paymentWebhook),
    },
    async (request, reply) => {
      const orderId = request.body.metadata.order_id;
      const outcome = await durably(() => opts.events.paymentCapture(orderId, { receivedAt: new Date().toISOString(), payload: request.body }), request.log);
      if (outcome === 'late_event') request.log.info({ orderId }, 'payment capture for a closed order: handled by a late-event workflow');
      return reply.code(202).send({ order_id: orderId, workflow_id: orderWorkflowId(orderId) });
    },
  );
};
