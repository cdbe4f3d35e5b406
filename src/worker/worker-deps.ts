// Assembles the worker's dependencies from configuration: HTTP clients (each behind its API's circuit breaker), rate
// limiter, Kafka producer, store.
import { Runtime } from '@temporalio/worker';
import type { MetricMeter } from '@temporalio/common';
import type { Config } from '../config';
import { CircuitBreaker, EXTERNAL_APIS, type ExternalApi } from '../clients/circuit-breaker';
import type { Logger } from '../logger';
import { createCommerceApi, createCommerceLimiter } from '../clients/commerce-api';
import { createPaymentApi } from '../clients/payment-api';
import { createPimApi } from '../clients/pim-api';
import { createRiskApi } from '../clients/risk-api';
import { createFulfillmentPublisher } from '../kafka/fulfillment-publisher';
import { createKafka } from '../kafka/kafka-client';
import type { DashboardStore } from '../store/dashboard-store';
import type { WorkerDeps } from './create-workers';
import { coreApiMetrics } from './api-metrics';

export interface OwnedWorkerDeps {
  deps: WorkerDeps;
  /**
   * The process's one breaker per API: a client built again elsewhere (main.ts: Commerce over the shared pacer)
   * takes its API's breaker from here, so that all of the process's calls to an API share one state.
   */
  breakers: Record<ExternalApi, CircuitBreaker>;
  close(): Promise<void>;
}

/**
 * The store is passed in: `npm start` shares one embedded store between the worker and the gateway. The metrics go to
 * the Temporal runtime's meter: call this after the runtime is installed (installTemporalRuntime), or pass `meter`.
 */
export function buildWorkerDeps(config: Config, logger: Logger, store: DashboardStore, meter: MetricMeter = Runtime.instance().metricMeter): OwnedWorkerDeps {
  const metrics = coreApiMetrics(meter);
  const breakers = Object.fromEntries(
    EXTERNAL_APIS.map((api) => [api, new CircuitBreaker({ api, failureThreshold: config.circuitBreaker.failures, cooldownMs: config.circuitBreaker.cooldownMs, metrics })]),
  ) as Record<ExternalApi, CircuitBreaker>;
  const limiter = createCommerceLimiter(config.commerceApiRps);
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'oms-worker', logger });
  const publisher = createFulfillmentPublisher({ kafka, topic: config.kafka.topic });
  return {
    deps: {
      commerce: createCommerceApi({ baseUrl: config.apis.commerceUrl, limiter, breaker: breakers.commerce }),
      pim: createPimApi({ baseUrl: config.apis.pimUrl, breaker: breakers.pim }),
      payments: createPaymentApi({ baseUrl: config.apis.paymentUrl, breaker: breakers.payment }),
      risk: createRiskApi({ baseUrl: config.apis.riskUrl, breaker: breakers.risk }),
      publisher,
      store,
    },
    breakers,
    async close() {
      await publisher.close();
      await limiter.disconnect();
    },
  };
}
