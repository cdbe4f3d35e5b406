// Inbound webhooks: media type → version, signature, versioned schema, then the event goes durably into Temporal (202).
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CommerceWebhookV1, CommerceWebhookV2, orderWorkflowId, PaymentCaptureV1 } from '../../../contracts';
import type { CustomerEmails } from '../../pii/customer-emails';
import type { OrderEventSink, DeliveryOutcome } from '../../temporal/order-events';
import type { GatewayMetrics } from '../metrics';
import { requireSignature } from '../hooks/require-signature';
import { HttpProblem, problems } from '../problem';
import { versionedBody } from '../versioned-body';

export interface WebhookRouteOptions {
  events: OrderEventSink;
  secrets: { commerceWebhook: string; paymentWebhook: string };
  metrics: GatewayMetrics;
  emails: Pick<CustomerEmails, 'seal'>;
}

const Accepted = z.object({ order_id: z.string(), workflow_id: z.string() });
const commerceBody = versionedBody('commerce-order', { 1: CommerceWebhookV1, 2: CommerceWebhookV2 });
const paymentBody = versionedBody('payment-capture', { 1: PaymentCaptureV1 });

export const webhookRoutes: FastifyPluginAsyncZod<WebhookRouteOptions> = async (app, opts) => {
  const problem = problems(400, 401, 413, 415, 503);

  /** Temporal unreachable must never become a false 202: the sender retries on 503. */
  async function durably(kind: 'commerce' | 'payment', deliver: () => Promise<DeliveryOutcome>, log: FastifyRequest['log']): Promise<DeliveryOutcome> {
    const stopTimer = opts.metrics.signalWithStartSeconds.startTimer({ kind });
    try {
      const outcome = await deliver();
      stopTimer({ outcome });
      return outcome;
    } catch (err) {
      stopTimer({ outcome: 'error' });
      log.error({ err }, 'Temporal did not accept the event');
      throw new HttpProblem(503, 'temporal-unavailable', 'the order engine is unavailable; retry later', [], { 'retry-after': '5' });
    }
  }

  /** The data key lives in the store: without it the e-mail cannot be kept, so the sender retries later (503). */
  async function sealed(customerId: string, email: string, log: FastifyRequest['log']): Promise<string> {
    try {
      return await opts.emails.seal(customerId, email);
    } catch (err) {
      log.error({ err }, "the customer's data key could not be read or made");
      throw new HttpProblem(503, 'store-unavailable', "the customer's e-mail cannot be protected now; retry later", [], { 'retry-after': '5' });
    }
  }

  app.post(
    '/v1/webhooks/commerce',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Commerce App order webhook',
        description:
          'Content-Type `application/json` (version 1) or `application/vnd.oms.commerce-order+json; version=1|2`. ' +
          'Version 2 adds the optional `customer_email` (PII): sealed at once under the customer\'s own data key, and only ' +
          'ever returned by `GET /v1/orders/{order_id}` (docs/pii.md). ' +
          'Header `X-Commerce-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.',
        body: CommerceWebhookV2,
        response: { 202: Accepted, ...problem },
      },
      onRequest: commerceBody.readVersion,
      preValidation: requireSignature('X-Commerce-Signature', opts.secrets.commerceWebhook),
      validatorCompiler: commerceBody.validatorCompiler,
      preHandler: commerceBody.validate,
    },
    async (request, reply) => {
      // The clear e-mail stops here: only its sealed form goes on, beside the payload (docs/pii.md).
      const { customer_email: email, ...payload } = request.body;
      const orderId = payload.order.order_id;
      const sealedEmail = email === undefined ? undefined : await sealed(payload.customer_id, email, request.log);
      const event = { receivedAt: new Date().toISOString(), payload, ...(sealedEmail === undefined ? {} : { sealedEmail }) };
      const outcome = await durably('commerce', () => opts.events.commerceOrder(event), request.log);
      if (outcome === 'late_event') request.log.info({ orderId }, 'commerce webhook for a closed order: recorded by a late-event workflow');
      return reply.code(202).send({ order_id: orderId, workflow_id: orderWorkflowId(orderId) });
    },
  );

  app.post(
    '/v1/webhooks/payments',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Payment capture callback',
        description:
          'Content-Type `application/json` or `application/vnd.oms.payment-capture+json; version=1`. ' +
          'Header `X-Payment-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.',
        body: PaymentCaptureV1,
        response: { 202: Accepted, ...problem },
      },
      onRequest: paymentBody.readVersion,
      preValidation: requireSignature('X-Payment-Signature', opts.secrets.paymentWebhook),
      validatorCompiler: paymentBody.validatorCompiler,
      preHandler: paymentBody.validate,
    },
    async (request, reply) => {
      const orderId = request.body.metadata.order_id;
      const outcome = await durably('payment', () => opts.events.paymentCapture(orderId, { receivedAt: new Date().toISOString(), payload: request.body }), request.log);
      if (outcome === 'late_event') request.log.info({ orderId }, 'payment capture for a closed order: handled by a late-event workflow');
      return reply.code(202).send({ order_id: orderId, workflow_id: orderWorkflowId(orderId) });
    },
  );
};
