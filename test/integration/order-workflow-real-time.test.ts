// OrderWorkflow on a real Temporal dev server (real clock) with stand-in activities, for what time skipping cannot
// show: a worker that starts only after a window has passed (a backlog), and continue-as-new when the server
// suggests it. The windows are seconds long; each test waits for the window to have passed, then acts.
import type { Client } from '@temporalio/client';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  commerceOrderReceived,
  correctOrder,
  getOrderState,
  orderWorkflowId,
  paymentCaptureReceived,
  TASK_QUEUES,
  type CommerceOrderEvent,
  type OrderWorkflowInput,
  type PaymentCaptureEvent,
} from '../../contracts';
import { OrderWorkflow } from '../../workflows';
import { fakeActivities, type FakeBehaviour } from '../helpers/fake-activities';
import { captureEvent, commerceEvent, uniqueOrderId } from '../helpers/fixtures';
import { bundleWorkflows, startTestDevServer, withFakeWorkers, type TestDevServer } from '../helpers/dev-server';
import { gate } from '../helpers/order-workflow-harness';

/** The server suggests continue-as-new after this many events; an order's happy path stays below it (≤ 30). */
const SUGGEST_CONTINUE_AS_NEW_AFTER = 40;
const WAIT = { timeout: 60_000, interval: 100 };

let dev: TestDevServer;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [dev, bundle] = await Promise.all([
    startTestDevServer({ name: 'real-time', dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AFTER } }),
    bundleWorkflows(),
  ]);
  client = dev.client;
});

afterAll(async () => {
  await dev?.stop();
});

async function withWorkers<T>(behaviour: FakeBehaviour, body: (fakes: ReturnType<typeof fakeActivities>) => Promise<T>): Promise<T> {
  const fakes = fakeActivities(behaviour);
  return withFakeWorkers(dev, bundle, fakes, () => body(fakes));
}

/** As the gateway hands an event to Temporal: signalWithStart, stamped with its receipt time. */
function deliver(input: OrderWorkflowInput, event: { commerce: CommerceOrderEvent } | { capture: PaymentCaptureEvent }) {
  return client.workflow.signalWithStart(OrderWorkflow, {
    workflowId: orderWorkflowId(input.orderId),
    taskQueue: TASK_QUEUES.orders,
    args: [input],
    ...('commerce' in event ? { signal: commerceOrderReceived, signalArgs: [event.commerce] } : { signal: paymentCaptureReceived, signalArgs: [event.capture] }),
  });
}

/** Resolves once Temporal's own clock (the start time it recorded, plus `ms`) is behind us: the window has passed. */
async function windowHasPassed(workflowId: string, ms: number): Promise<void> {
  const started = (await client.workflow.getHandle(workflowId).describe()).startTime.getTime();
  await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(started + ms), WAIT);
}

describe('time is judged by arrival: a worker that starts only after the window has passed', () => {
  const WINDOW_MS = 1_500;

  it('forwards an order whose webhook and capture arrived in time, although no worker ran until the capture window had closed', async () => {
    const orderId = uniqueOrderId('ord-backlog');
    const input = { orderId, paymentCaptureWindowMs: WINDOW_MS, orderTtlMs: 60_000 };
    const handle = await deliver(input, { commerce: commerceEvent(orderId) });
    await deliver(input, { capture: captureEvent(orderId) });
    await windowHasPassed(handle.workflowId, WINDOW_MS);
    await withWorkers({}, async (fakes) => {
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.published).toHaveLength(1);
      expect(fakes.log.ledger).toEqual([]);
    });
  });

  it('forwards an order whose inputs all arrived in time, although no worker ran until its TTL had passed', async () => {
    const orderId = uniqueOrderId('ord-backlog');
    const input = { orderId, paymentCaptureWindowMs: WINDOW_MS, orderTtlMs: WINDOW_MS };
    const handle = await deliver(input, { capture: captureEvent(orderId) });
    await deliver(input, { commerce: commerceEvent(orderId) });
    await windowHasPassed(handle.workflowId, WINDOW_MS);
    await withWorkers({}, async (fakes) => {
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.ledger).toEqual([]);
    });
  });

  it('still cancels an order whose capture arrived after the window, and refunds that capture', async () => {
    const orderId = uniqueOrderId('ord-backlog');
    const input = { orderId, paymentCaptureWindowMs: WINDOW_MS, orderTtlMs: 60_000 };
    const handle = await deliver(input, { commerce: commerceEvent(orderId) });
    await windowHasPassed(handle.workflowId, WINDOW_MS);
    await deliver(input, { capture: captureEvent(orderId) });
    await withWorkers({}, async (fakes) => {
      expect(await handle.result()).toEqual({ status: 'CANCELLED', orderId });
      expect(fakes.log.ledger.map((r) => ({ rrn: r.rrn, reason: r.reason }))).toEqual([{ rrn: `rrn-${orderId}`, reason: 'order_cancelled' }]);
      expect(fakes.log.published).toEqual([]);
      // Judged late on arrival: never recorded as the order's payment, not even for a moment.
      expect(fakes.log.saved.filter((s) => s.record.payment !== undefined)).toEqual([]);
    });
  });
});

describe('the TTL does not interrupt work on inputs that arrived in time', () => {
  it('accepts a correction whose checks outlast the TTL, and the paid order goes on to FORWARDED', async () => {
    const orderId = uniqueOrderId('ord-ttl');
    const TTL_MS = 2_000;
    const input = { orderId, paymentCaptureWindowMs: 60_000, orderTtlMs: TTL_MS };
    const held = gate();
    const mismatch = { valid: false as const, errors: [{ code: 'customer_mismatch' as const, detail: 'x' }] };
    await withWorkers({ validation: mismatch, validateCorrection: () => ({ valid: true, placedAt: 'x' }) }, async (fakes) => {
      const handle = await deliver(input, { commerce: commerceEvent(orderId) });
      await deliver(input, { capture: captureEvent(orderId) });
      await vi.waitFor(async () => {
        const state = await handle.query(getOrderState);
        expect(state.status).toBe('NEEDS_CORRECTION');
        expect(state.record.payment).toBeDefined();
      }, WAIT);
      // The agent's correction is being checked (held in its enrichment) while the TTL passes.
      fakes.behaviour.beforeEnrich = held.wait;
      const enrichmentsBefore = fakes.log.enrichments;
      const items = commerceEvent(orderId).payload.order.items;
      const correcting = handle.executeUpdate(correctOrder, { args: [{ customer_id: 'cus-007', order: { order_id: orderId, items }, note: '', agent: 'agent-ann' }] });
      await vi.waitFor(() => expect(fakes.log.enrichments).toBe(enrichmentsBefore + 1), WAIT);
      await windowHasPassed(handle.workflowId, TTL_MS);
      held.open();
      expect((await correcting).accepted).toBe(true);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.ledger).toEqual([]);
    });
  });
});

describe('continue-as-new', () => {
  it('continues a long-waiting order as new when Temporal suggests it: the state and the windows carry over', async () => {
    const orderId = uniqueOrderId('ord-can');
    const input = { orderId, paymentCaptureWindowMs: 3_600_000, orderTtlMs: 7_200_000 };
    const flood = 15;
    const rejectedRrns = Object.fromEntries(Array.from({ length: flood }, (_, i) => [`rrn-bad-${i}`, 'payment_not_found: no such RRN']));
    await withWorkers({ rejectedRrns }, async (fakes) => {
      const handle = await deliver(input, { commerce: commerceEvent(orderId) });
      const first = await vi.waitFor(async () => {
        const state = await handle.query(getOrderState);
        expect(state.status).toBe('AWAITING_PAYMENT');
        return state;
      }, WAIT);
      const firstRunId = (await handle.describe()).runId;
      for (let i = 0; i < flood; i++) await deliver(input, { capture: captureEvent(orderId, { rrn: `rrn-bad-${i}` }) });
      // A new run of the same order, and the first one ended by continuing as new.
      await vi.waitFor(async () => expect((await client.workflow.getHandle(handle.workflowId).describe()).runId).not.toBe(firstRunId), WAIT);
      expect((await client.workflow.getHandle(handle.workflowId, firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
      const carried = await vi.waitFor(async () => {
        const state = await client.workflow.getHandle(handle.workflowId).query(getOrderState);
        expect(fakes.log.confirmed).toHaveLength(flood);
        expect(state.pendingCaptures).toEqual([]);
        return state;
      }, WAIT);
      expect(carried).toMatchObject({ status: 'AWAITING_PAYMENT', captureDeadline: first.captureDeadline, ttlDeadline: first.ttlDeadline });
      expect(carried.record.submitted_at).toBe(first.record.submitted_at);
      expect(carried.rejectedCaptures.length).toBeGreaterThan(0);

      await deliver(input, { capture: captureEvent(orderId) });
      expect(await client.workflow.getHandle(handle.workflowId).result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.published).toHaveLength(1);
      // Store revisions kept growing across the runs: the new run counts on from above its own start (ms × 1000),
      // past everything the first run wrote, so the FORWARDED record is the highest and no two writes share one.
      const revisions = fakes.log.saved.map((s) => s.revision);
      expect(new Set(revisions).size).toBe(revisions.length);
      const secondRunStart = (await client.workflow.getHandle(handle.workflowId).describe()).startTime.getTime();
      const [firstRun, secondRun] = [revisions.filter((r) => r < secondRunStart * 1000), revisions.filter((r) => r > secondRunStart * 1000)];
      expect(firstRun.length + secondRun.length).toBe(revisions.length);
      expect(Math.min(...secondRun)).toBeGreaterThan(Math.max(...firstRun));
      expect([...fakes.log.saved].sort((a, b) => b.revision - a.revision)[0]?.record.status).toBe('FORWARDED');
    });
  });
});
