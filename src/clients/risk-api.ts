// Client of the Risk API (contract §10, vNext): one assessment per order, a read that is safe to repeat.
import { RiskAssessment, type EnrichedItem } from '../../contracts';
import { UNGUARDED, type UpstreamGuard } from './circuit-breaker';
import { requestJson, resolveLimits, type UpstreamLimits } from './http-json';

export interface RiskAssessmentRequest {
  order_id: string;
  customer_id: string;
  amount_cents: number;
  items: EnrichedItem[];
}

export interface RiskApi {
  assess(request: RiskAssessmentRequest): Promise<RiskAssessment>;
}

export function createRiskApi(options: { baseUrl: string; fetchImpl?: typeof fetch; limits?: UpstreamLimits; breaker?: UpstreamGuard }): RiskApi {
  const fetchImpl = options.fetchImpl ? { fetchImpl: options.fetchImpl } : {};
  const limits = resolveLimits(options.limits);
  const breaker = options.breaker ?? UNGUARDED;
  return {
    async assess(request) {
      const result = await breaker.call((observe) =>
        requestJson({
          method: 'POST',
          url: `${options.baseUrl}/assessments`,
          schema: RiskAssessment,
          api: 'Risk API',
          body: request,
          ...limits,
          ...fetchImpl,
          observe,
        }),
      );
      // Empty only for expectedEmpty/allowEmptySuccess answers, neither of which is asked for: an empty 200 throws.
      return result.body as RiskAssessment;
    },
  };
}
