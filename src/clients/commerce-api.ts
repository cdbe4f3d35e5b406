// Client of the Commerce App's order API; every call goes through a scheduler that paces it (src/worker/commerce-pacer.ts
// for the workers, bottleneck where one process is all there is) beside the server-side task-queue rate limit.
import Bottleneck from 'bottleneck';
import { CommerceOrderRecord } from '../../contracts';
import { UNGUARDED, type UpstreamGuard } from './circuit-breaker';
import { requestJson, resolveLimits, type UpstreamLimits } from './http-json';

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

/** What paces the calls: Bottleneck fits, and so does the workers' shared pacer. */
export interface CallScheduler {
  schedule<T>(call: () => Promise<T>): Promise<T>;
}

export function createCommerceApi(options: {
  baseUrl: string;
  limiter: CallScheduler;
  fetchImpl?: typeof fetch;
  limits?: UpstreamLimits;
  breaker?: UpstreamGuard;
}): CommerceApi {
  // The defaults (10 s in total, 1 MiB) hold a 500-item order many times over; see http-json.ts.
  const limits = resolveLimits(options.limits);
  const breaker = options.breaker ?? UNGUARDED;
  return {
    async getOrder(orderId) {
      // The breaker before the pacer: a call it refuses takes no slot of the Commerce schedule. A pacer that gives up
      // (late slots) observes nothing, so it is no news about the Commerce App either way.
      const result = await breaker.call((observe) =>
        options.limiter.schedule(() =>
          requestJson({
            method: 'GET',
            url: `${options.baseUrl}/orders/${encodeURIComponent(orderId)}`,
            schema: CommerceOrderRecord,
            api: 'Commerce API',
            expectedEmpty: [404],
            ...limits,
            ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
            observe,
          }),
        ),
      );
      return result.body;
    },
  };
}
