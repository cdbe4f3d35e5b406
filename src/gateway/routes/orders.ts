// Read side for the dashboard and the support team: records from the store, behind the Bearer token.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Id, OrderStatus, PublicRecord, SupportOrderView } from '../../../contracts';
import { SealError } from '../../pii/aes-gcm';
import type { CustomerEmails } from '../../pii/customer-emails';
import type { DashboardStore } from '../../store/dashboard-store';
import { isPermanentStoreError } from '../../store/store-errors';
import { requireBearer } from '../hooks/require-bearer';
import { HttpProblem, problems } from '../problem';

export interface OrderRouteOptions {
  store: Pick<DashboardStore, 'get' | 'listByCustomer' | 'listByStatus'>;
  supportApiToken: string;
  emails: Pick<CustomerEmails, 'open'>;
}

// PublicRecord has no customer_email_sealed: the serializer drops it from every listed record (contract §9).
const OrderList = z.object({ orders: z.array(PublicRecord) });
// Path ids follow the id rule (contract §4): an id no order can have (a NUL, say) is a 400, never a store query.
const OrderIdParams = z.object({ order_id: Id });
const CustomerIdParams = z.object({ customer_id: Id });
const Limit = z.coerce.number().int().min(1).max(500).default(100);

/**
 * A read while the store is down (an outage: connection refused, reset, timeout) is a 503 the caller retries, as the
 * webhooks' are; a stored record the code cannot read (a refused statement, an invalid row) stays a logged 500.
 */
async function fromStore<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isPermanentStoreError(err)) throw err;
    throw new HttpProblem(503, 'store-unavailable', 'the order store is unavailable; retry later', [], { 'retry-after': '5' });
  }
}

export const orderRoutes: FastifyPluginAsyncZod<OrderRouteOptions> = async (app, opts) => {
  app.addHook('onRequest', requireBearer(opts.supportApiToken));
  const problem = problems(400, 401, 404, 503);

  app.get(
    '/v1/orders/:order_id',
    {
      schema: {
        tags: ['orders'],
        summary: 'Dashboard record of one order',
        description: "With the customer's `customer_email` (PII, opened for the support token): absent when the order came without one, null once the customer was forgotten.",
        params: OrderIdParams,
        response: { 200: SupportOrderView, ...problem },
      },
    },
    async (request) => {
      const record = await fromStore(() => opts.store.get(request.params.order_id));
      if (!record) throw new HttpProblem(404, 'order-not-found', `no order ${request.params.order_id}`);
      const { customer_email_sealed: sealed, ...shown } = record;
      if (sealed === undefined) return shown;
      // The only place the e-mail is ever opened; the route's own log lines never carry the answer.
      const opened = await opts.emails.open(sealed).catch((err: unknown) => {
        // A master key retired too early (docs/pii.md, "Retiring an old key"): say which, without any PII.
        if (err instanceof SealError) throw new HttpProblem(500, 'pii-key-unavailable', err.message);
        throw err;
      });
      return { ...shown, customer_email: opened.state === 'readable' ? opened.email : null };
    },
  );

  app.get(
    '/v1/customers/:customer_id/orders',
    {
      schema: {
        tags: ['orders'],
        summary: "A customer's orders, newest first",
        params: CustomerIdParams,
        querystring: z.object({ limit: Limit }),
        response: { 200: OrderList, ...problem },
      },
    },
    async (request) => ({ orders: await fromStore(() => opts.store.listByCustomer(request.params.customer_id, { limit: request.query.limit })) }),
  );

  app.get(
    '/v1/support/orders',
    {
      schema: {
        tags: ['support'],
        summary: 'The support queue: orders in one status, oldest first',
        querystring: z.object({ status: OrderStatus.default('NEEDS_CORRECTION'), limit: Limit }),
        response: { 200: OrderList, ...problem },
      },
    },
    async (request) => ({ orders: await fromStore(() => opts.store.listByStatus(request.query.status, { limit: request.query.limit })) }),
  );
};
