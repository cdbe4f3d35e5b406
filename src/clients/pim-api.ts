// Client of the Product Information Management API: item_id → sku_id and brand_code.
import { PimItem } from '../../contracts';
import { UNGUARDED, type UpstreamGuard } from './circuit-breaker';
import { requestJson, resolveLimits, type UpstreamLimits } from './http-json';

export interface PimApi {
  /** undefined when PIM does not know the item (404). */
  getItem(itemId: string): Promise<PimItem | undefined>;
}

export function createPimApi(options: { baseUrl: string; fetchImpl?: typeof fetch; limits?: UpstreamLimits; breaker?: UpstreamGuard }): PimApi {
  // The defaults (10 s in total, 1 MiB) are far above one item's answer; see http-json.ts.
  const limits = resolveLimits(options.limits);
  const breaker = options.breaker ?? UNGUARDED;
  return {
    async getItem(itemId) {
      const result = await breaker.call((observe) =>
        requestJson({
          method: 'GET',
          url: `${options.baseUrl}/items/${encodeURIComponent(itemId)}`,
          schema: PimItem,
          api: 'PIM API',
          expectedEmpty: [404],
          ...limits,
          ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
          observe,
        }),
      );
      return result.body;
    },
  };
}
