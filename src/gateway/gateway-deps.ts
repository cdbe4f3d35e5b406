// Assembles the gateway's dependencies from configuration: Temporal client, store reader, readiness probes.
import { createCommerceApi, createCommerceLimiter } from '../clients/commerce-api';
import { DEFAULT_API_URLS, type Config } from '../config';
import type { Logger } from '../logger';
import { createKafka } from '../kafka/kafka-client';
import { createCustomerEmails } from '../pii/customer-emails';
import { AesGcmPayloadCodec } from '../pii/payload-codec';
import type { DashboardStore } from '../store/dashboard-store';
import { connectClient } from '../temporal/connection';
import type { Tracing } from '../tracing/tracing';
import { createTemporalOrderCommands } from '../temporal/order-commands';
import { createTemporalOrderEvents } from '../temporal/order-events';
import type { GatewayDeps } from './app';

export interface OwnedGatewayDeps {
  deps: GatewayDeps;
  close(): Promise<void>;
}

export async function buildGatewayDeps(config: Config, logger: Logger, store: DashboardStore, tracing?: Tracing): Promise<OwnedGatewayDeps> {
  const client = await connectClient(config, tracing);
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'oms-gateway-readiness', logger }).admin();
  let adminConnected = false;
  return {
    deps: {
      logger,
      events: createTemporalOrderEvents({ client, windows: config.windows }),
      commands: createTemporalOrderCommands(client),
      store,
      secrets: config.secrets,
      emails: createCustomerEmails(config.pii.keyring, store.customerKeys),
      codec: {
        codec: new AesGcmPayloadCodec(config.pii.keyring),
        apiToken: config.secrets.codecApiToken,
        corsOrigins: config.pii.codecCorsOrigins,
        namespace: config.temporal.namespace,
      },
      supportConsole: {
        commerce: supportCommerceApi(config),
        temporal: { uiUrl: config.temporalUiUrl, namespace: config.temporal.namespace },
      },
      readiness: {
        temporal: async () => {
          await client.connection.workflowService.getSystemInfo({});
        },
        kafka: async () => {
          if (!adminConnected) {
            await admin.connect();
            adminConnected = true;
          }
          await admin.describeCluster();
        },
      },
    },
    async close() {
      await admin.disconnect();
      await client.connection.close();
    },
  };
}

/** Support reads of the Commerce App are few (an agent opening an order): paced well below the service's 150 RPS. */
const SUPPORT_COMMERCE_RPS = 5;

/**
 * The console's view of the Commerce App. A production gateway is not required to know the Commerce App (its URL
 * defaults to the dev simulator), so there the view is on only with COMMERCE_API_URL set to something real.
 */
function supportCommerceApi(config: Config) {
  if (config.nodeEnv === 'production' && config.apis.commerceUrl === DEFAULT_API_URLS.COMMERCE_API_URL) return undefined;
  return createCommerceApi({ baseUrl: config.apis.commerceUrl, limiter: createCommerceLimiter(SUPPORT_COMMERCE_RPS), limits: { timeoutMs: 5_000 } });
}
