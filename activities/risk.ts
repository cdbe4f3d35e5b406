// The risk step of vNext (contract §10): one assessment of the enriched, paid order by the Risk API. A read, safe to
// repeat on a retry; the workflow decides what approve, review and reject mean for the order.
import type { RiskAssessment } from '../contracts';
import type { RiskApi, RiskAssessmentRequest } from '../src/clients/risk-api';

export function createRiskActivities(deps: { risk: RiskApi }) {
  return {
    async assessRisk(input: RiskAssessmentRequest): Promise<RiskAssessment> {
      return deps.risk.assess(input);
    },
  };
}
export type RiskActivities = ReturnType<typeof createRiskActivities>;
