// Client of the Product Information Management API: item_id → sku_id and brand_code.
import { PimItem } from '../../contracts';
import { requestJson } from './http-json';

export interface PimApi {
  /** undefined when PIM does not know the item (404). */
  getItem(itemId: string): Promise<PimItem | undefined>;
}

export function createPimApi(options: { baseUrl: string; fetchImpl?: typeof fetch }): PimApi {
  return {
    async getItem(itemId) {
      const result = await requestJson({
        method: 'GET',
        url: `${options.baseUrl}/items/${encodeURIComponent(itemId)}`,
        schema: PimItem,
        expectedEmpty: [404],
        ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
      });
      return result.body;
    },
  };
}
