// OrderWorkflow on the time-skipping test server with recording activities: the happy path in both arrival orders.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  commerceOrderReceived,
  getOrderState,
  orderWorkflowId,
  paymentCaptureReceived,
  TASK_QUEUES,
  type OrderWorkflowInput,
} from '../../contracts';
import { OrderWorkflow } from '../../workflows';
import { captureEvent, commerceEvent, uniqueOrderId } from '../helpers/fixtures';
import { fakeActivities, type FakeBehaviour } from '../helpers/fake-activities';
import { bundleOrderWorkflows, createTimeSkippingEnv } from '../helpers/workflow-env';

const DAY = 24 * 60 * 60 * 1000;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleOrderWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

/** Runs `body` while an `orders` worker and a Commerce-queue worker poll with the given fake activities. */
async function withWorkers<T>(behaviour: FakeBehaviour, body: (fakes: ReturnType<typeof fakeActivities>) => Promise<T>): Promise<T> {
  const fakes = fakeActivities(behaviour);
  const orders = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUES.orders, workflowBundle: bundle, activities: fakes.orders });
  const commerce = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUES.commerce, activities: fakes.commerce });
  return orders.runUntil(commerce.runUntil(body(fakes)));
}

function input(orderId: string): OrderWorkflowInput {
  return { orderId, orderTtlMs: 30 * DAY, paymentCaptureWindowMs: 30 * DAY };
}

function sendCommerce(orderId: string) {
  return env.client.workflow.signalWithStart(OrderWorkflow, {
    workflowId: orderWorkflowId(orderId),
    taskQueue: TASK_QUEUES.orders,
    args: [input(orderId)],
    signal: commerceOrderReceived,
    signalArgs: [commerceEvent(orderId)],
  });
}

function sendCapture(orderId: string, overrides: Parameters<typeof captureEvent>[1] = {}) {
  return env.client.workflow.signalWithStart(OrderWorkflow, {
    workflowId: orderWorkflowId(orderId),
    taskQueue: TASK_QUEUES.orders,
    args: [input(orderId)],
    signal: paymentCaptureReceived,
    signalArgs: [captureEvent(orderId, overrides)],
  });
}

describe('OrderWorkflow happy path', () => {
  it('forwards an order whose webhook comes before the capture', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async ({ log }) => {
      const handle = await sendCommerce(orderId);
      await vi.waitFor(async () => expect((await handle.query(getOrderState)).status).toBe('AWAITING_PAYMENT'), { timeout: 20_000 });
      await sendCapture(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });

      expect(log.published).toEqual([
        {
          customer_id: 'cus-007',
          order_id: orderId,
          payment_details: { rrn: `rrn-${orderId}` },
          items: [
            { item_id: 'itm-tee-navy-m', sku_id: 'SKU-itm-tee-navy-m', brand_code: 'ACME', quantity: 2 },
            { item_id: 'itm-jeans-blue-32', sku_id: 'SKU-itm-jeans-blue-32', brand_code: 'ACME', quantity: 1 },
          ],
        },
      ]);
      const statuses = log.saved.map((s) => s.record.status);
      expect(statuses).toEqual(['VALIDATING', 'ENRICHING', 'AWAITING_PAYMENT', 'FORWARDING', 'FORWARDED']);
      expect(log.saved.map((s) => s.revision)).toEqual([1, 2, 3, 4, 5]);
      const last = log.saved.at(-1)?.record;
      expect(last?.payment).toMatchObject({ rrn: `rrn-${orderId}`, amount_cents: 7_450 });
      expect(last?.items.every((i) => i.sku_id && i.brand_code)).toBe(true);
      expect(Date.parse(last?.expires_at ?? '') - Date.parse(last?.submitted_at ?? '')).toBe(30 * DAY);
    });
  });

  it('forwards an order whose capture comes first, waiting in AWAITING_ORDER', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async ({ log }) => {
      const handle = await sendCapture(orderId);
      await vi.waitFor(async () => expect((await handle.query(getOrderState)).status).toBe('AWAITING_ORDER'), { timeout: 20_000 });
      expect(log.published).toHaveLength(0);
      await sendCommerce(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(log.published).toHaveLength(1);
      expect(log.saved.map((s) => s.record.status)).toEqual(['AWAITING_ORDER', 'VALIDATING', 'ENRICHING', 'FORWARDING', 'FORWARDED']);
    });
  });

  it('treats duplicate webhooks and captures as one: one message, one validation, one confirmation', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async ({ log }) => {
      const handle = await sendCapture(orderId);
      await sendCapture(orderId);
      await sendCommerce(orderId);
      await sendCommerce(orderId);
      await handle.result();
      expect(log.published).toHaveLength(1);
      expect(log.validations).toBe(1);
      expect(log.confirmed).toEqual([`rrn-${orderId}`]);
    });
  });

  it('keeps waiting after a rejected capture and forwards on the next valid one', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ rejectedRrns: { 'rrn-bad': 'not_captured: payment status is authorized' } }, async ({ log }) => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId, { rrn: 'rrn-bad' });
      await vi.waitFor(
        async () => expect(await handle.query(getOrderState)).toMatchObject({ status: 'AWAITING_PAYMENT', rejectedCaptures: [{ rrn: 'rrn-bad' }] }),
        { timeout: 20_000 },
      );
      await sendCapture(orderId);
      await handle.result();
      expect(log.published[0]?.payment_details.rrn).toBe(`rrn-${orderId}`);
    });
  });

  it('parks an invalid order in NEEDS_CORRECTION with named reasons and does not forward it', async () => {
    const orderId = uniqueOrderId();
    const validation = { valid: false as const, errors: [{ code: 'quantity_mismatch' as const, item_id: 'itm-tee-navy-m', detail: 'quantity 2, Commerce has 1' }] };
    await withWorkers({ validation }, async ({ log }) => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId);
      await vi.waitFor(async () => expect((await handle.query(getOrderState)).status).toBe('NEEDS_CORRECTION'), { timeout: 20_000 });
      const state = await handle.query(getOrderState);
      expect(state.record?.validation_errors).toEqual(validation.errors);
      expect(state.record?.status_reason).toBe('quantity_mismatch');
      expect(log.published).toHaveLength(0);
      await handle.terminate('test over');
    });
  });
});
