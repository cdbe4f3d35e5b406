// Client of the Commerce App's order API, smoothed by bottleneck beside the server-side task-queue rate limit.
import Bottleneck from 'bottleneck';
import { CommerceOrderRecord } from '../../contracts';
import { requestJson } from './http-json';

export interface CommerceApi {
  /** undefined when the Commerce App answers 404 (unknown, or not visible yet). */
  getOrder(orderId: string): Promise<CommerceOrderRecord | undefined>;
}

/**
 * The task-queue limit caps activity starts across all workers; bottleneck spreads this process's calls evenly
 * inside each second, so bursts from several concurrent activities do not land in one millisecond and trip the 429.
 */
export function createCommerceLimiter(requestsPerSecond: number): Bottleneck {
  return new Bottleneck({ minTime: Math.ceil(1000 / requestsPerSecond), maxConcurrent: 64 });
}

export function createCommerceApi(options: { baseUrl: string; limiter: Bottleneck; fetchImpl?: typeof fetch }): CommerceApi {
  return {
    async getOrder(orderId) {
      const result = await options.limiter.schedule(() =>
        requestJson({
          method: 'GET',
          url: `${options.baseUrl}/orders/${encodeURIComponent(orderId)}`,
          schema: CommerceOrderRecord,
          expectedEmpty: [404],
          ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
        }),
      );
      return result.body;
    },
  };
}
