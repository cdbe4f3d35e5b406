// The order lifecycle end to end on the real stack (`npm start`) with short windows (capture 8 s, TTL 16 s) and the
// external APIs served by an independent implementation: correction, cancellation, both windows, compensation,
// late captures and parking — all through HTTP, Kafka and the environment only.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commerceWebhook, paymentCapture, uniqueOrderId } from '../helpers/fixtures';
import { bootE2eWorld, type E2eWorld } from '../helpers/e2e-stack';
import type { TopicReader } from '../helpers/fulfillment-topic';
import type { GatewayClient } from '../helpers/gateway-client';
import type { IndependentApis } from '../helpers/independent-apis';

const CAPTURE_WINDOW_S = 8;
const TTL_S = 16;

let world: E2eWorld;
let apis: IndependentApis;
let topic: TopicReader;
let gateway: GatewayClient;

interface Record {
  status: string;
  status_reason: string | null;
  validation_errors: Array<{ code: string }>;
  history: Array<{ status: string; reason?: string }>;
  items: Array<{ item_id: string; quantity: number }>;
}

const seedOrder = (orderId: string, commerceQuantity?: number) => world.seedOrder(orderId, commerceQuantity);

async function recordOf(orderId: string, match: (r: Record) => boolean, timeoutMs = 30_000): Promise<Record> {
  return vi.waitFor(
    async () => {
      const res = await gateway.getOrder(orderId);
      expect(res.status).toBe(200);
      const record = res.body as Record;
      if (!match(record)) throw new Error(`order ${orderId} is ${record.status} (${record.status_reason ?? ''})`);
      return record;
    },
    { timeout: timeoutMs, interval: 250 },
  );
}

const inStatus = (status: string) => (r: Record) => r.status === status;

beforeAll(async () => {
  world = await bootE2eWorld({ PAYMENT_CAPTURE_WINDOW: `${CAPTURE_WINDOW_S}s`, ORDER_TTL: `${TTL_S}s`, STEP_RETRY_BUDGET: '3s' });
  ({ apis, topic, gateway } = world);
});

afterAll(async () => {
  await world?.stop();
});

describe.concurrent('order lifecycle on the real stack', () => {
  it('support correction: 422 while still invalid, then 200 and the order is forwarded with the corrected items', async () => {
    const orderId = uniqueOrderId('ord-fix');
    seedOrder(orderId, 1);
    expect((await gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);
    const parked = await recordOf(orderId, inStatus('NEEDS_CORRECTION'));
    expect(parked.validation_errors.map((e) => e.code)).toEqual(['quantity_mismatch']);
    const queue = await gateway.support('/v1/support/orders?status=NEEDS_CORRECTION');
    expect((queue.body as { orders: Array<{ order_id: string }> }).orders.map((o) => o.order_id)).toContain(orderId);

    const correction = (quantity: number) => ({
      customer_id: 'cus-007',
      order: { order_id: orderId, items: [{ item_id: 'itm-tee-navy-m', quantity }, { item_id: 'itm-jeans-blue-32', quantity: 1 }] },
      note: 'checked with the customer',
      agent: 'agent-ann',
    });
    const stillInvalid = await gateway.support(`/v1/support/orders/${orderId}/correction`, correction(3));
    expect(stillInvalid.status).toBe(422);
    expect(stillInvalid.body).toMatchObject({ status: 422, validation_errors: [{ code: 'quantity_mismatch' }] });
    expect((await gateway.getOrder(orderId)).body).toMatchObject({ status: 'NEEDS_CORRECTION' });

    const fixed = await gateway.support(`/v1/support/orders/${orderId}/correction`, correction(1));
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ status: 'AWAITING_PAYMENT', validation_errors: [] });
    expect((await gateway.support(`/v1/support/orders/${orderId}/correction`, correction(1))).status).toBe(409);

    expect((await gateway.postPayment(paymentCapture(orderId))).status).toBe(202);
    await recordOf(orderId, inStatus('FORWARDED'));
    await vi.waitFor(() => expect(topic.forKey(orderId)).toHaveLength(1), { timeout: 20_000 });
    expect((topic.forKey(orderId)[0]?.value as { items: Array<{ item_id: string; quantity: number }> }).items).toContainEqual(
      expect.objectContaining({ item_id: 'itm-tee-navy-m', quantity: 1 }),
    );
  });

  it('cancel: 200 CANCELLED before a capture, 409 once cancelled, 404 for an unknown order', async () => {
    const orderId = uniqueOrderId('ord-cancel');
    seedOrder(orderId);
    await gateway.postCommerce(commerceWebhook(orderId));
    await recordOf(orderId, inStatus('AWAITING_PAYMENT'));
    const cancelled = await gateway.support(`/v1/orders/${orderId}/cancel`, { reason: 'customer_request' });
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'CANCELLED', status_reason: 'customer_request' } });
    expect((await gateway.support(`/v1/orders/${orderId}/cancel`, { reason: 'again' })).status).toBe(409);
    // A webhook for the closed order: 202, recorded once on its history, the order stays CANCELLED. Re-sent until the
    // workflow has completed (a moment after CANCELLED); before that it is a harmless duplicate.
    const late = 'late commerce webhook after the order closed: ignored';
    const record = await vi.waitFor(
      async () => {
        expect((await gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);
        const body = (await gateway.getOrder(orderId)).body as Record;
        expect(body.history.map((h) => h.reason)).toContain(late);
        return body;
      },
      { timeout: 20_000, interval: 300 },
    );
    expect(record.status).toBe('CANCELLED');
    expect((await gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);
    await vi.waitFor(async () => {
      const history = ((await gateway.getOrder(orderId)).body as Record).history;
      expect(history.filter((h) => h.reason === late)).toHaveLength(1);
    });
    expect((await gateway.support(`/v1/orders/${uniqueOrderId('ord-none')}/cancel`, { reason: 'x' })).status).toBe(404);
  });

  it('cancel: 409 after a valid capture, and the order goes on to fulfillment', async () => {
    const orderId = uniqueOrderId('ord-paid');
    seedOrder(orderId);
    await gateway.postPayment(paymentCapture(orderId));
    await recordOf(orderId, (r) => r.status === 'AWAITING_ORDER' && r.history.some((h) => h.reason?.includes('confirmed')));
    const refused = await gateway.support(`/v1/orders/${orderId}/cancel`, { reason: 'changed my mind' });
    expect(refused.status).toBe(409);
    await gateway.postCommerce(commerceWebhook(orderId));
    await recordOf(orderId, inStatus('FORWARDED'));
  });

  it(`capture window: no capture within ${CAPTURE_WINDOW_S}s → CANCELLED payment_not_captured; a late capture is refunded`, async () => {
    const orderId = uniqueOrderId('ord-nopay');
    const rrn = `rrn-${orderId}`;
    seedOrder(orderId);
    await gateway.postCommerce(commerceWebhook(orderId));
    const cancelled = await recordOf(orderId, inStatus('CANCELLED'), (CAPTURE_WINDOW_S + 20) * 1000);
    expect(cancelled.status_reason).toBe('payment_not_captured');
    // Only once Temporal says the order's run is over can the capture not reach it: then the late-event path alone
    // can refund it, and this test proves that path rather than the closing run's own refund.
    await vi.waitFor(async () => expect((await world.describeWorkflow(`order-${orderId}`))?.status).toBe('COMPLETED'), { timeout: 30_000, interval: 250 });

    // The capture finally arrives after the order closed: 202, never a restart, and the money goes back.
    expect((await gateway.postPayment(paymentCapture(orderId))).status).toBe(202);
    const record = await recordOf(orderId, (r) => r.history.some((h) => h.reason?.startsWith(`late capture ${rrn} refunded`)));
    expect(record.status).toBe('CANCELLED');
    expect(record.history.filter((h) => h.reason?.startsWith(`late capture ${rrn} refunded`))).toHaveLength(1);
    await vi.waitFor(async () => expect((await world.describeWorkflow(`late-capture-${rrn}`))?.status).toBe('COMPLETED'), { timeout: 30_000, interval: 250 });
    expect(apis.refunds.filter((r) => r.rrn === rrn)).toEqual([{ rrn, idempotencyKey: `refund-${rrn}`, body: expect.objectContaining({ amount_cents: 7_450 }) }]);
    expect((await world.describeWorkflow(`order-${orderId}`))?.status).toBe('COMPLETED');

    // Delivered again after its late-event workflow completed: 202, no second run of it, no second refund.
    const lateRun = await world.describeWorkflow(`late-capture-${rrn}`);
    expect((await gateway.postPayment(paymentCapture(orderId))).status).toBe(202);
    expect(await world.describeWorkflow(`late-capture-${rrn}`)).toEqual(lateRun);
    expect(apis.refunds.filter((r) => r.rrn === rrn)).toHaveLength(1);
    expect(((await gateway.getOrder(orderId)).body as Record).status).toBe('CANCELLED');
    await topic.caughtUp();
    expect(topic.forKey(orderId)).toHaveLength(0);
  });

  it(`TTL: captured but never corrected within ${TTL_S}s → EXPIRED, refunded once with an Idempotency-Key`, async () => {
    const orderId = uniqueOrderId('ord-expire');
    seedOrder(orderId, 5);
    await gateway.postPayment(paymentCapture(orderId));
    await gateway.postCommerce(commerceWebhook(orderId));
    await recordOf(orderId, inStatus('NEEDS_CORRECTION'));
    const expired = await recordOf(orderId, inStatus('EXPIRED'), (TTL_S + 20) * 1000);
    expect(expired.status_reason).toBe('not_forwarded_in_time');
    await vi.waitFor(() => expect(apis.refunds.filter((r) => r.rrn === `rrn-${orderId}`)).toHaveLength(1), { timeout: 20_000 });
    const [refund] = apis.refunds.filter((r) => r.rrn === `rrn-${orderId}`);
    expect(refund).toMatchObject({ idempotencyKey: `refund-rrn-${orderId}`, body: { amount_cents: 7_450 } });
    expect(topic.forKey(orderId)).toHaveLength(0);
  });

  it('parking: PIM failing past the retry budget parks the order; an operator retry resumes it to FORWARDED', async () => {
    const orderId = uniqueOrderId('ord-park');
    // An item of its own: the outage must not touch the orders of the tests running beside this one.
    const itemId = `itm-parka-${orderId}`;
    apis.items.set(itemId, { item_id: itemId, sku_id: 'PARKA-1', brand_code: 'BRAND-C' });
    const webhook = commerceWebhook(orderId, { order: { order_id: orderId, items: [{ item_id: itemId, quantity: 1 }] } });
    apis.orders.set(orderId, { order_id: orderId, customer_id: webhook.customer_id, items: webhook.order.items, placed_at: '2026-11-20T09:00:00.000Z' });
    apis.payments.set(`rrn-${orderId}`, { rrn: `rrn-${orderId}`, order_id: orderId, amount_cents: 7_450, status: 'captured' });
    apis.failingItems.add(itemId);
    await gateway.postPayment(paymentCapture(orderId));
    await gateway.postCommerce(webhook);
    const parked = await recordOf(orderId, inStatus('PARKED'));
    expect(parked.status_reason).toMatch(/^enrichment: retry budget exhausted/);
    expect((await gateway.support(`/v1/support/orders?status=PARKED`)).body).toMatchObject({ orders: expect.arrayContaining([expect.objectContaining({ order_id: orderId })]) });

    apis.failingItems.delete(itemId);
    const resumed = await gateway.support(`/v1/support/orders/${orderId}/retry`, { agent: 'ops-olga' });
    expect(resumed.status).toBe(200);
    await recordOf(orderId, inStatus('FORWARDED'));
    expect((await gateway.support(`/v1/support/orders/${orderId}/retry`, {})).status).toBe(409);
  });
});
