// Enrichment of every order item from PIM (sku_id, brand_code), concurrent but bounded so one big order cannot flood PIM.
import type { EnrichedItem, OrderItemInput, ValidationError } from '../contracts';
import type { PimApi } from '../src/clients/pim-api';

export type EnrichmentResult = { complete: true; items: EnrichedItem[] } | { complete: false; errors: ValidationError[] };

export const PIM_CONCURRENCY = 8;

/** Runs `task` over `inputs` with at most `limit` in flight, keeping the input order in the result. */
export async function mapBounded<I, O>(inputs: readonly I[], limit: number, task: (input: I) => Promise<O>): Promise<O[]> {
  const results = new Array<O>(inputs.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await task(inputs[index] as I);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, lane));
  return results;
}

export function createEnrichmentActivities(deps: { pim: PimApi }) {
  return {
    async enrichItems(items: OrderItemInput[]): Promise<EnrichmentResult> {
      const found = await mapBounded(items, PIM_CONCURRENCY, async (item) => ({ item, pim: await deps.pim.getItem(item.item_id) }));
      const errors: ValidationError[] = found
        .filter((f) => f.pim === undefined)
        .map((f) => ({ code: 'item_unknown_in_pim', item_id: f.item.item_id, detail: `PIM has no item ${f.item.item_id}` }));
      if (errors.length > 0) return { complete: false, errors };
      return {
        complete: true,
        items: found.map(({ item, pim }) => ({
          item_id: item.item_id,
          sku_id: pim?.sku_id ?? '',
          brand_code: pim?.brand_code ?? '',
          quantity: item.quantity,
        })),
      };
    },
  };
}
export type EnrichmentActivities = ReturnType<typeof createEnrichmentActivities>;
