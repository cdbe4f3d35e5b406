// Assembles the worker's dependencies from configuration: HTTP clients, rate limiter, Kafka producer, store.
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createCommerceApi, createCommerceLimiter } from '../clients/commerce-api';
import { createPaymentApi } from '../clients/payment-api';
import { createPimApi } from '../clients/pim-api';
import { createRiskApi } from '../clients/risk-api';
import { createFulfillmentPublisher } from '../kafka/fulfillment-publisher';
import { createKafka } from '../kafka/kafka-client';
import type { DashboardStore } from '../store/dashboard-store';
import type { WorkerDeps } from './create-workers';

export interface OwnedWorkerDeps {
  deps: WorkerDeps;
  close(): Promise<void>;
}

/** The store is passed in: `npm start` shares one embedded store between the worker and the gateway. */
export function buildWorkerDeps(config: Config, logger: Logger, store: DashboardStore): OwnedWorkerDeps {
  const limiter = createCommerceLimiter(config.commerceApiRps);
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'oms-worker', logger });
  const publisher = createFulfillmentPublisher({ kafka, topic: config.kafka.topic });
  return {
    deps: {
      commerce: createCommerceApi({ baseUrl: config.apis.commerceUrl, limiter }),
      pim: createPimApi({ baseUrl: config.apis.pimUrl }),
      payments: createPaymentApi({ baseUrl: config.apis.paymentUrl }),
      risk: createRiskApi({ baseUrl: config.apis.riskUrl }),
      publisher,
      store,
    },
    async close() {
      await publisher.close();
      await limiter.disconnect();
    },
  };
}
