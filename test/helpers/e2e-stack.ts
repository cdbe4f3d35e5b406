// One end-to-end world: the independent external APIs with the fixture catalogue, `npm start` wired to them with
// test secrets, a reader on the fulfillment topic, a gateway client and a Temporal client (what an operator sees in
// the Web UI). Each e2e file boots one and stops it.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { DEV_PII_KEY, parseKeyring } from '../../src/pii/keyring';
import { commerceWebhook, paymentCapture } from './fixtures';
import { readTopic, type TopicReader } from './fulfillment-topic';
import { gatewayClient, type GatewayClient } from './gateway-client';
import { startIndependentApis, type IndependentApis } from './independent-apis';
import { startLocalStack, type LocalStack, type LocalStackOptions } from './local-stack';

export const E2E_SECRETS = { commerce: 'e2e-commerce-secret', payment: 'e2e-payment-secret', support: 'e2e-support-token' };

export interface PendingActivity {
  activityType: string;
  /** The attempt running or about to run: 1 for the first, > 1 once an attempt failed. */
  attempt: number;
  /** The last attempt's failure message, if one failed. */
  lastFailure: string | undefined;
}

export interface E2eWorld {
  apis: IndependentApis;
  stack: LocalStack;
  topic: TopicReader;
  gateway: GatewayClient;
  /** A client of the stack's Temporal server with the service's codec, for what an operator checks there (status, runs, deletion). */
  temporal: Client;
  /** Temporal's view of the latest run of `workflowId`: its status name (RUNNING, COMPLETED, …) and run id; null if none. */
  describeWorkflow(workflowId: string): Promise<{ status: string; runId: string } | null>;
  /** The activities Temporal shows pending on the latest run of `workflowId` (as the Web UI lists them); [] if none. */
  pendingActivities(workflowId: string): Promise<PendingActivity[]>;
  /** Registers an order in the Commerce App and its captured payment; `commerceQuantity` lets the webhook disagree. */
  seedOrder(orderId: string, commerceQuantity?: number): void;
  stop(): Promise<void>;
}

export async function bootE2eWorld(extraEnv: Record<string, string> = {}, options: LocalStackOptions = {}): Promise<E2eWorld> {
  const apis = await startIndependentApis();
  apis.items.set('itm-tee-navy-m', { item_id: 'itm-tee-navy-m', sku_id: 'TEE-NAVY-M', brand_code: 'BRAND-A' });
  apis.items.set('itm-jeans-blue-32', { item_id: 'itm-jeans-blue-32', sku_id: 'JEANS-BLUE-32', brand_code: 'BRAND-B' });
  let stack: LocalStack | undefined;
  let topic: TopicReader | undefined;
  let temporal: Client | undefined;
  const stop = async () => {
    await temporal?.connection.close();
    await topic?.stop();
    await stack?.stop();
    await apis.stop();
  };
  try {
    stack = await startLocalStack({
      COMMERCE_API_URL: apis.urls.commerce,
      PIM_API_URL: apis.urls.pim,
      PAYMENT_API_URL: apis.urls.payment,
      RISK_API_URL: apis.urls.risk,
      COMMERCE_WEBHOOK_SECRET: E2E_SECRETS.commerce,
      PAYMENT_WEBHOOK_SECRET: E2E_SECRETS.payment,
      SUPPORT_API_TOKEN: E2E_SECRETS.support,
      ...extraEnv,
    }, options);
    topic = await readTopic(stack.kafkaBrokers, 'order-fulfillment');
    // With the service's codec, as the Web UI has it (through the codec server): memos and results are encrypted
    // payloads (a late event's memo names its order), which a client without the key cannot even describe.
    temporal = new Client({
      connection: await Connection.connect({ address: stack.temporalAddress }),
      namespace: 'default',
      dataConverter: encryptingDataConverter(parseKeyring(extraEnv.PII_ENCRYPTION_KEYS ?? DEV_PII_KEY)),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    apis,
    stack,
    topic,
    gateway: gatewayClient(stack.gatewayUrl, E2E_SECRETS),
    temporal,
    async describeWorkflow(workflowId) {
      try {
        const description = await temporal.workflow.getHandle(workflowId).describe();
        return { status: description.status.name, runId: description.runId };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },
    async pendingActivities(workflowId) {
      try {
        const { raw } = await temporal.workflow.getHandle(workflowId).describe();
        return (raw.pendingActivities ?? []).map((a) => ({
          activityType: a.activityType?.name ?? '',
          attempt: a.attempt ?? 0,
          lastFailure: a.lastFailure?.message ?? undefined,
        }));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return [];
        throw err;
      }
    },
    seedOrder(orderId, commerceQuantity = 2) {
      const webhook = commerceWebhook(orderId);
      const items = webhook.order.items.map((i) => (i.item_id === 'itm-tee-navy-m' ? { ...i, quantity: commerceQuantity } : i));
      apis.orders.set(orderId, { order_id: orderId, customer_id: webhook.customer_id, items, placed_at: '2026-11-20T09:00:00.000Z' });
      const capture = paymentCapture(orderId);
      apis.payments.set(capture.rrn, { rrn: capture.rrn, order_id: orderId, amount_cents: capture.amount_cents, status: 'captured' });
    },
    stop,
  };
}
