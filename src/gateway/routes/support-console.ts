// The support console's own reads, behind the support token: what the Commerce App holds for an order (beside its
// validation errors) and the settings the console needs to link an order to its workflow in the Temporal Web UI.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CommerceOrderRecord, Id, orderWorkflowId } from '../../../contracts';
import type { CommerceApi } from '../../clients/commerce-api';
import { requireBearer } from '../hooks/require-bearer';
import { HttpProblem, problems } from '../problem';

export interface SupportConsoleRouteOptions {
  /** Undefined when the gateway has no Commerce App to ask (production without COMMERCE_API_URL): the route is 503. */
  commerce: CommerceApi | undefined;
  supportApiToken: string;
  temporal: { uiUrl: string | undefined; namespace: string };
}

const OrderIdParams = z.object({ order_id: Id });

export const CommerceView = z.object({
  order_id: z.string(),
  /** The Commerce App's record, or null when it answers 404 (what `order_not_found` means). */
  commerce: CommerceOrderRecord.nullable(),
  fetched_at: z.string(),
});

export const ConsoleSettings = z.object({
  temporal_ui_url: z.string().nullable(),
  namespace: z.string(),
  /** The workflow's page in the Web UI with `{order_id}` to be replaced by the percent-encoded order id; null: no UI. */
  workflow_url_template: z.string().nullable(),
});

export const supportConsoleRoutes: FastifyPluginAsyncZod<SupportConsoleRouteOptions> = async (app, opts) => {
  app.addHook('onRequest', requireBearer(opts.supportApiToken));

  app.get(
    '/v1/support/orders/:order_id/commerce',
    {
      schema: {
        tags: ['support'],
        summary: "What the Commerce App holds for an order, read now (for the console's side-by-side with the validation errors)",
        description: 'Each call is one Commerce App request, paced by the gateway (it counts against the 150 RPS of the whole service).',
        params: OrderIdParams,
        response: { 200: CommerceView, ...problems(400, 401, 503) },
      },
    },
    async (request) => {
      const commerce = opts.commerce;
      if (!commerce) throw new HttpProblem(503, 'commerce-view-unavailable', 'this gateway is not configured with COMMERCE_API_URL');
      const { order_id } = request.params;
      try {
        const record = await commerce.getOrder(order_id);
        return { order_id, commerce: record ?? null, fetched_at: new Date().toISOString() };
      } catch (err) {
        // The client's message names the upstream host: it goes to the log, the caller gets the kind only.
        request.log.warn({ err, orderId: order_id }, 'Commerce App read for the support console failed');
        throw new HttpProblem(503, 'commerce-unavailable', 'the Commerce App did not answer; retry later', [], { 'retry-after': '5' });
      }
    },
  );

  app.get(
    '/v1/support/console-settings',
    {
      schema: {
        tags: ['support'],
        summary: 'Settings of the support console: the Temporal Web UI it links workflows to',
        response: { 200: ConsoleSettings, ...problems(401) },
      },
    },
    async () => {
      const ui = opts.temporal.uiUrl ?? null;
      const ns = encodeURIComponent(opts.temporal.namespace);
      return {
        temporal_ui_url: ui,
        namespace: opts.temporal.namespace,
        workflow_url_template: ui === null ? null : `${ui}/namespaces/${ns}/workflows/${orderWorkflowId('{order_id}')}`,
      };
    },
  );
};
