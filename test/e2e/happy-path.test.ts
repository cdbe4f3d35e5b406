// End to end on the real local stack (`npm start`: Temporal dev server, Kafka, PGlite, worker, gateway) with the
// external APIs served by an independent implementation: one order from webhook to Kafka, in both arrival orders.
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commerceWebhook, paymentCapture, uniqueOrderId } from '../helpers/fixtures';
import { bootE2eWorld, type E2eWorld } from '../helpers/e2e-stack';
import type { TopicReader } from '../helpers/fulfillment-topic';
import type { GatewayClient } from '../helpers/gateway-client';
import type { IndependentApis } from '../helpers/independent-apis';
import type { LocalStack } from '../helpers/local-stack';

let world: E2eWorld;
let apis: IndependentApis;
let stack: LocalStack;
let topic: TopicReader;
let gateway: GatewayClient;

const seedOrder = (orderId: string) => world.seedOrder(orderId);

function expectedMessage(orderId: string) {
  return {
    customer_id: 'cus-007',
    order_id: orderId,
    payment_details: { rrn: `rrn-${orderId}` },
    items: [
      { item_id: 'itm-tee-navy-m', sku_id: 'TEE-NAVY-M', brand_code: 'BRAND-A', quantity: 2 },
      { item_id: 'itm-jeans-blue-32', sku_id: 'JEANS-BLUE-32', brand_code: 'BRAND-B', quantity: 1 },
    ],
  };
}

async function forwardedRecord(orderId: string) {
  return vi.waitFor(
    async () => {
      const res = await gateway.getOrder(orderId);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'FORWARDED' });
      return res.body as { status: string; history: Array<{ status: string; reason?: string }>; items: unknown[]; payment: unknown };
    },
    { timeout: 60_000, interval: 200 },
  );
}

beforeAll(async () => {
  world = await bootE2eWorld();
  ({ apis, stack, topic, gateway } = world);
});

afterAll(async () => {
  await world?.stop();
});

describe('one order from webhook to Kafka on the real stack', () => {
  it('is ready: /readyz sees Temporal and Kafka', async () => {
    const res = await fetch(`${stack.gatewayUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { temporal: 'ok', kafka: 'ok' } });
  });

  it('forwards an order whose webhook comes first, with the enriched message on order-fulfillment', async () => {
    const orderId = uniqueOrderId('ord-e2e');
    seedOrder(orderId);
    const accepted = await gateway.postCommerce(commerceWebhook(orderId));
    expect(accepted).toEqual({ status: 202, body: { order_id: orderId, workflow_id: `order-${orderId}` } });
    await vi.waitFor(async () => expect((await gateway.getOrder(orderId)).body).toMatchObject({ status: 'AWAITING_PAYMENT' }), { timeout: 60_000, interval: 200 });
    expect((await gateway.postPayment(paymentCapture(orderId))).status).toBe(202);

    const record = await forwardedRecord(orderId);
    expect(record.payment).toMatchObject({ rrn: `rrn-${orderId}`, amount_cents: 7_450 });
    await vi.waitFor(() => expect(topic.forKey(orderId)).toHaveLength(1), { timeout: 30_000 });
    const [message] = topic.forKey(orderId);
    expect(message?.value).toEqual(expectedMessage(orderId));
    expect(message?.headers['idempotency-key']).toBe(`order-${orderId}`);
  });

  it('forwards an order whose capture comes first, through AWAITING_ORDER', async () => {
    const orderId = uniqueOrderId('ord-e2e');
    seedOrder(orderId);
    expect((await gateway.postPayment(paymentCapture(orderId))).status).toBe(202);
    await vi.waitFor(async () => expect((await gateway.getOrder(orderId)).body).toMatchObject({ status: 'AWAITING_ORDER' }), { timeout: 60_000, interval: 200 });
    expect((await gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);

    const record = await forwardedRecord(orderId);
    const statuses = record.history.map((h) => h.status).filter((s, i, all) => s !== all[i - 1]);
    expect(statuses).toEqual(['AWAITING_ORDER', 'VALIDATING', 'ENRICHING', 'ASSESSING_RISK', 'FORWARDING', 'FORWARDED']);
    expect(record.history).toContainEqual(expect.objectContaining({ status: 'AWAITING_ORDER', reason: `capture rrn-${orderId} confirmed` }));
    await vi.waitFor(() => expect(topic.forKey(orderId).map((m) => m.value)).toEqual([expectedMessage(orderId)]), { timeout: 30_000 });
  });

  it('gives exactly one message for duplicate webhooks and captures, each answered 202', async () => {
    const orderId = uniqueOrderId('ord-e2e');
    seedOrder(orderId);
    const answers = await Promise.all([
      gateway.postCommerce(commerceWebhook(orderId)),
      gateway.postCommerce(commerceWebhook(orderId)),
      gateway.postPayment(paymentCapture(orderId)),
      gateway.postPayment(paymentCapture(orderId)),
    ]);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    await forwardedRecord(orderId);
    // After FORWARDED the workflow has closed: no publish can still come. Read to the end of the topic, then count.
    expect((await gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);
    await topic.caughtUp();
    expect(topic.forKey(orderId)).toHaveLength(1);
  });

  it('rejects a wrongly signed webhook with 401 problem+json and starts nothing', async () => {
    const orderId = uniqueOrderId('ord-e2e');
    seedOrder(orderId);
    const res = await gateway.postCommerce(commerceWebhook(orderId), { secret: 'not-the-secret' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    // The gateway hands an event to Temporal before it answers, so had this one got through, Temporal would
    // already hold order-{id} now; asking Temporal (not the store, which a worker fills later) can fail.
    const handle = world.temporal.workflow.getHandle(`order-${orderId}`);
    await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await gateway.getOrder(orderId)).status).toBe(404);
    expect(apis.requests.some((r) => r.includes(orderId))).toBe(false);
    // The same check sees a workflow when one was started: the correctly signed webhook is in Temporal on its 202.
    expect((await gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);
    expect((await handle.describe()).workflowId).toBe(`order-${orderId}`);
  });

  it('exposes Prometheus metrics: the gateway on /metrics, the worker on its own port', async () => {
    const gatewayMetrics = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
    expect(gatewayMetrics).toMatch(/oms_http_requests_total\{method="POST",route="\/v1\/webhooks\/commerce",status="202"\} \d+/);
    expect(gatewayMetrics).toContain('oms_temporal_signal_with_start_duration_seconds_bucket');
    const workerMetrics = await (await fetch(stack.workerMetricsUrl)).text();
    expect(workerMetrics).toMatch(/^temporal_\w+/m);
  });
});
