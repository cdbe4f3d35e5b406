// createActivities(deps): every activity of the `orders` task queue, built from injected clients (no singletons).
import { createDashboardActivities, type DashboardWriter } from './dashboard';
import { createEnrichmentActivities } from './enrichment';
import { createFulfillmentActivities, type PublicationLog } from './fulfillment';
import { createPaymentActivities, type RrnClaims } from './payment';
import { createRiskActivities } from './risk';
import type { PaymentApi } from '../src/clients/payment-api';
import type { PimApi } from '../src/clients/pim-api';
import type { RiskApi } from '../src/clients/risk-api';
import type { FulfillmentPublisher } from '../src/kafka/fulfillment-publisher';

export interface OrderActivityDeps {
  pim: PimApi;
  payments: PaymentApi;
  risk: RiskApi;
  publisher: FulfillmentPublisher;
  store: DashboardWriter & RrnClaims & PublicationLog;
}

export function createOrderActivities(deps: OrderActivityDeps) {
  return {
    ...createEnrichmentActivities(deps),
    ...createPaymentActivities({ payments: deps.payments, claims: deps.store }),
    ...createRiskActivities(deps),
    ...createFulfillmentActivities(deps),
    ...createDashboardActivities(deps),
  };
}
export type OrderActivities = ReturnType<typeof createOrderActivities>;

export { createCommerceActivities, type CommerceActivities, type ValidationResult } from './commerce';
export type { EnrichmentResult } from './enrichment';
export type { CaptureVerdict, RejectionCode } from './payment';
export { refundIdempotencyKey } from './payment';
export { createRemediationActivities, type RemediationActivities, type RemediationDeps } from './remediation';
