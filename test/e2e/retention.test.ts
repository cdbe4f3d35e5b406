// A closed order stays closed after Temporal's retention dropped its run, on the real stack (`npm start`): the run is
// deleted through the operator API as retention would, then its events come again, and one new capture comes too.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commerceWebhook, paymentCapture, uniqueOrderId } from '../helpers/fixtures';
import { bootE2eWorld, type E2eWorld } from '../helpers/e2e-stack';

interface Record {
  status: string;
  history: Array<{ status: string; at: string; reason?: string }>;
}

let world: E2eWorld;

beforeAll(async () => {
  world = await bootE2eWorld();
});

afterAll(async () => {
  await world?.stop();
});

async function recordOf(orderId: string): Promise<Record> {
  const res = await world.gateway.getOrder(orderId);
  expect(res.status).toBe(200);
  return res.body as Record;
}

describe('a forwarded order after retention dropped its closed run', () => {
  it('is not reopened by its events delivered again, and a new valid capture for it is refunded once', { timeout: 360_000 }, async () => {
    const { apis, gateway, topic, temporal } = world;
    const orderId = uniqueOrderId('ord-retain');
    const workflowId = `order-${orderId}`;
    const rrn = `rrn-${orderId}`;
    world.seedOrder(orderId);
    expect((await gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);
    expect((await gateway.postPayment(paymentCapture(orderId))).status).toBe(202);
    await vi.waitFor(async () => expect((await recordOf(orderId)).status).toBe('FORWARDED'), { timeout: 60_000, interval: 250 });
    const closedRun = await vi.waitFor(
      async () => {
        const run = await world.describeWorkflow(workflowId);
        expect(run?.status).toBe('COMPLETED');
        return run;
      },
      { timeout: 30_000, interval: 250 },
    );
    await vi.waitFor(() => expect(topic.forKey(orderId)).toHaveLength(1), { timeout: 30_000 });
    const forwarded = await recordOf(orderId);

    // Retention: the closed run is gone from Temporal; only the store still knows the order.
    // The server deletes asynchronously (after the run's close is in visibility), minutes on a loaded 2-core machine;
    // the request is idempotent, so it is repeated until the run is gone.
    await vi.waitFor(
      async () => {
        await temporal.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } }).catch((err: unknown) => {
          if (!(err instanceof Error && /not found/i.test(err.message))) throw err;
        });
        expect(await world.describeWorkflow(workflowId)).toBeNull();
      },
      { timeout: 150_000, interval: 1_000 },
    );

    expect((await gateway.postPayment(paymentCapture(orderId))).status).toBe(202);
    expect((await gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);
    // The capture starts a fresh run (nothing in Temporal stops it); it must find the order closed and end.
    // Meanwhile every read of the record is sampled: the order must never be seen open again.
    const seen = new Set<string>();
    await vi.waitFor(
      async () => {
        seen.add((await recordOf(orderId)).status);
        const run = await world.describeWorkflow(workflowId);
        expect(run?.runId).toBeDefined();
        expect(run?.runId).not.toBe(closedRun?.runId);
        expect(run?.status).toBe('COMPLETED');
      },
      { timeout: 60_000, interval: 100 },
    );
    const after = await recordOf(orderId);
    seen.add(after.status);
    expect([...seen]).toEqual(['FORWARDED']);
    // History only grows, and nothing added to it reopens the order.
    expect(after.history.slice(0, forwarded.history.length)).toEqual(forwarded.history);
    expect(after.history.slice(forwarded.history.length).filter((h) => h.status !== 'FORWARDED')).toEqual([]);
    expect(apis.refunds.filter((r) => r.rrn === rrn)).toEqual([]);
    await topic.caughtUp();
    expect(topic.forKey(orderId)).toHaveLength(1);

    // A different valid capture for the closed order: money without an order goes back, once.
    const rrn2 = `rrn2-${orderId}`;
    apis.payments.set(rrn2, { rrn: rrn2, order_id: orderId, amount_cents: 7_450, status: 'captured' });
    expect((await gateway.postPayment(paymentCapture(orderId, { rrn: rrn2 }))).status).toBe(202);
    const noted = await vi.waitFor(
      async () => {
        const record = await recordOf(orderId);
        expect(record.history.map((h) => h.reason ?? '')).toContainEqual(expect.stringMatching(new RegExp(`^late capture ${rrn2} refunded`)));
        return record;
      },
      { timeout: 60_000, interval: 250 },
    );
    expect(noted.status).toBe('FORWARDED');
    expect(apis.refunds.filter((r) => r.rrn === rrn2)).toEqual([{ rrn: rrn2, idempotencyKey: `refund-${rrn2}`, body: expect.objectContaining({ amount_cents: 7_450 }) }]);
    const lateRun = await vi.waitFor(
      async () => {
        const run = await world.describeWorkflow(`late-capture-${rrn2}`);
        expect(run?.status).toBe('COMPLETED');
        return run;
      },
      { timeout: 30_000, interval: 250 },
    );
    // Delivered again: 202, and no second run of its late-event workflow (the start is decided before the 202).
    expect((await gateway.postPayment(paymentCapture(orderId, { rrn: rrn2 }))).status).toBe(202);
    expect(await world.describeWorkflow(`late-capture-${rrn2}`)).toEqual(lateRun);
    expect(apis.refunds.filter((r) => r.rrn === rrn2)).toHaveLength(1);
    expect(apis.refunds.filter((r) => r.rrn === rrn)).toEqual([]);
    expect((await recordOf(orderId)).status).toBe('FORWARDED');
    await topic.caughtUp();
    expect(topic.forKey(orderId)).toHaveLength(1);
  });
});
