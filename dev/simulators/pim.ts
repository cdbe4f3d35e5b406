// PIM simulator (contract §5): GET /items/:item_id → {item_id, sku_id, brand_code} over the seeded catalogue.
// Admin: PUT /_sim/items/:item_id {sku_id, brand_code} → 201 created / 200 replaced, with the record.
import { z } from 'zod';
import { seededCatalogue, type ItemRecord } from './seed';
import type { SimulatorDefinition } from './types';

const ItemParams = z.object({ item_id: z.string().min(1) });
const PutItemBody = z.object({ sku_id: z.string().min(1), brand_code: z.string().min(1) });

export function createPimSimulator(): SimulatorDefinition {
  const items = new Map<string, ItemRecord>();
  const reset = (): void => {
    items.clear();
    // Only the PIM fields: the catalogue's name and price are seed-internal and never leave this API.
    for (const { item_id, sku_id, brand_code } of seededCatalogue) items.set(item_id, { item_id, sku_id, brand_code });
  };
  reset();

  return {
    name: 'pim',
    // The contract names no limit for the PIM; PUT /_sim/knobs can still impose one.
    defaultRateLimitPerSecond: null,
    reset,
    api(app) {
      app.get('/items/:item_id', { schema: { params: ItemParams } }, async (request, reply) => {
        const { item_id } = request.params;
        const item = items.get(item_id);
        if (item === undefined) return reply.code(404).send({ error: 'item_not_found', message: `no item ${item_id}` });
        return item;
      });
    },
    admin(app) {
      app.put('/items/:item_id', { schema: { params: ItemParams, body: PutItemBody } }, async (request, reply) => {
        const { item_id } = request.params;
        const record: ItemRecord = { item_id, sku_id: request.body.sku_id, brand_code: request.body.brand_code };
        const existed = items.has(item_id);
        items.set(item_id, record);
        return reply.code(existed ? 200 : 201).send(record);
      });
    },
  };
}
