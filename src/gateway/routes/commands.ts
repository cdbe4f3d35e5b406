// Commands on one order (cancel; support correction and retry), each a Temporal Update answered by the workflow.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CancelRequest, CorrectionRequest, Id, PublicRecord, RetryRequest, RiskDecisionRequest, ValidationError } from '../../../contracts';
import { OrderCommandError, type OrderCommands } from '../../temporal/order-commands';
import { requireBearer } from '../hooks/require-bearer';
import { HttpProblem, ProblemBody, problemBody, problems } from '../problem';

export interface CommandRouteOptions {
  commands: OrderCommands;
  supportApiToken: string;
}

/** The path id follows the id rule (contract §4) like the body's: no order can exist under any other id. */
const OrderIdParams = z.object({ order_id: Id });

/** Maps a refused command onto the contract's statuses: 404 unknown, 409 wrong state, 503 a dependency is down. */
async function command<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof OrderCommandError)) throw err;
    if (err.refusal === 'not_found') throw new HttpProblem(404, 'order-not-found', err.message);
    if (err.refusal === 'conflict') throw new HttpProblem(409, (err.rejectionType ?? 'conflict').toLowerCase().replace(/_/g, '-'), err.message);
    throw new HttpProblem(503, 'dependency-unavailable', 'a dependency needed to answer is unavailable; retry later', [], { 'retry-after': '30' });
  }
}

export const commandRoutes: FastifyPluginAsyncZod<CommandRouteOptions> = async (app, opts) => {
  app.addHook('onRequest', requireBearer(opts.supportApiToken));
  const errors = problems(400, 401, 404, 409, 503);

  app.post(
    '/v1/orders/:order_id/cancel',
    {
      schema: {
        tags: ['orders'],
        summary: 'Cancel an order before a valid capture',
        params: OrderIdParams,
        body: CancelRequest,
        response: { 200: PublicRecord, ...errors },
      },
    },
    async (request) => command(() => opts.commands.cancel(request.params.order_id, request.body)),
  );

  app.post(
    '/v1/support/orders/:order_id/correction',
    {
      schema: {
        tags: ['support'],
        summary: 'Correct an order awaiting correction; it is re-validated against the Commerce App',
        params: OrderIdParams,
        body: CorrectionRequest,
        response: { 200: PublicRecord, 422: ProblemBody.extend({ validation_errors: z.array(ValidationError) }), ...errors },
      },
    },
    async (request, reply) => {
      const { order_id } = request.params;
      if (request.body.order.order_id !== order_id) {
        throw new HttpProblem(400, 'invalid-request', 'the corrected order must keep the order id of the path', [
          { field: 'body.order.order_id', message: `must be ${order_id}` },
        ]);
      }
      const result = await command(() => opts.commands.correct(order_id, request.body));
      if (result.accepted) return result.record;
      const fieldErrors = result.errors.map((e) => ({ field: e.item_id ? `order.items[${e.item_id}]` : 'customer_id', message: `${e.code}: ${e.detail}` }));
      const detail = 'the corrected order still does not match the Commerce App; it stays NEEDS_CORRECTION';
      // The one problem shape, with the validation reasons as an extension member (RFC 9457 §3.2).
      return reply
        .code(422)
        .type('application/problem+json')
        .send({ ...problemBody(422, 'still-invalid', detail, fieldErrors), validation_errors: result.errors });
    },
  );

  app.post(
    '/v1/support/orders/:order_id/retry',
    {
      schema: {
        tags: ['support'],
        summary: 'Retry the steps of a parked order; it resumes where it stopped',
        params: OrderIdParams,
        body: RetryRequest.optional(),
        response: { 200: PublicRecord, ...errors },
      },
      // The body is optional (docs/api.md), but Fastify validates a request without one as `null`, which the schema
      // refuses. No body (or an empty one) means "no agent, no note"; an explicit JSON null stays a 400.
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    async (request) => command(() => opts.commands.retryParked(request.params.order_id, request.body ?? {})),
  );

  app.post(
    '/v1/support/orders/:order_id/risk-decision',
    {
      schema: {
        tags: ['support'],
        summary: 'Decide on an order in RISK_REVIEW (vNext): approve forwards it, reject cancels it and refunds the capture',
        params: OrderIdParams,
        body: RiskDecisionRequest,
        response: { 200: PublicRecord, ...errors },
      },
    },
    async (request) => command(() => opts.commands.decideRisk(request.params.order_id, request.body)),
  );
};
