// Commerce App simulator (contract §5): GET /orders/:order_id over the seeded order book, rate-limited at 150 rps.
// Admin: PUT /_sim/orders/:order_id {customer_id, items:[{item_id, quantity}], placed_at?, visible_after_ms?}
//   → 201 created / 200 replaced, with the record; visible_after_ms keeps GET at 404 for that long (eventual consistency).
import { z } from 'zod';
import { seededOrders, type OrderRecord } from './seed';
import type { SimulatorDefinition, SimulatorEnv } from './types';

/** Contract §5: more than 150 requests in any second answer 429. */
export const COMMERCE_RATE_LIMIT_PER_SECOND = 150;

const OrderParams = z.object({ order_id: z.string().min(1) });

// Deliberately loose on quantity (any number): tests need to plant the bad records the real Commerce App sometimes holds.
const PutOrderBody = z.object({
  customer_id: z.string().min(1),
  items: z.array(z.object({ item_id: z.string().min(1), quantity: z.number() })),
  placed_at: z.iso.datetime({ offset: true }).optional(),
  visible_after_ms: z.number().int().min(0).optional(),
});

interface StoredOrder {
  record: OrderRecord;
  /** Epoch ms before which GET still answers 404. */
  visibleAt: number;
}

export function createCommerceSimulator(env: SimulatorEnv): SimulatorDefinition {
  const orders = new Map<string, StoredOrder>();
  const reset = (): void => {
    orders.clear();
    for (const record of seededOrders) orders.set(record.order_id, { record, visibleAt: 0 });
  };
  reset();

  return {
    name: 'commerce',
    defaultRateLimitPerSecond: COMMERCE_RATE_LIMIT_PER_SECOND,
    reset,
    api(app) {
      app.get('/orders/:order_id', { schema: { params: OrderParams } }, async (request, reply) => {
        const { order_id } = request.params;
        const stored = orders.get(order_id);
        // Not yet visible is indistinguishable from unknown, exactly as a lagging read replica behaves.
        if (stored === undefined || env.now() < stored.visibleAt) {
          return reply.code(404).send({ error: 'order_not_found', message: `no order ${order_id}` });
        }
        return stored.record;
      });
    },
    admin(app) {
      app.put('/orders/:order_id', { schema: { params: OrderParams, body: PutOrderBody } }, async (request, reply) => {
        const { order_id } = request.params;
        const body = request.body;
        const now = env.now();
        const record: OrderRecord = {
          order_id,
          customer_id: body.customer_id,
          items: body.items.map((line) => ({ item_id: line.item_id, quantity: line.quantity })),
          placed_at: body.placed_at ?? new Date(now).toISOString(),
        };
        const existed = orders.has(order_id);
        orders.set(order_id, { record, visibleAt: now + (body.visible_after_ms ?? 0) });
        return reply.code(existed ? 200 : 201).send(record);
      });
    },
  };
}
