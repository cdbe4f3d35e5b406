// Assembles the gateway's dependencies from configuration: Temporal client, store reader, readiness probes.
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createKafka } from '../kafka/kafka-client';
import { createCustomerEmails } from '../pii/customer-emails';
import { AesGcmPayloadCodec } from '../pii/payload-codec';
import type { DashboardStore } from '../store/dashboard-store';
import { connectClient } from '../temporal/connection';
import { createTemporalOrderCommands } from '../temporal/order-commands';
import { createTemporalOrderEvents } from '../temporal/order-events';
import type { GatewayDeps } from './app';

export interface OwnedGatewayDeps {
  deps: GatewayDeps;
  close(): Promise<void>;
}

export async function buildGatewayDeps(config: Config, logger: Logger, store: DashboardStore): Promise<OwnedGatewayDeps> {
  const client = await connectClient(config);
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
