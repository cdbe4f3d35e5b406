// The gateway's hand-off to Temporal (createTemporalOrderEvents) against a real Temporal dev server and the real
// workflow bundle with stand-in activities: which workflow each event starts or joins, and which it must not.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  LATE_EVENT_WORKFLOW_TYPE,
  lateCaptureWorkflowId,
  ORDER_WORKFLOW_TYPE,
  orderWorkflowId,
  TASK_QUEUES,
} from '../../contracts';
import { createTemporalOrderCommands } from '../../src/temporal/order-commands';
import { createTemporalOrderEvents, type OrderEventSink } from '../../src/temporal/order-events';
import { bundleWorkflows, startTestDevServer, withFakeWorkers, type TestDevServer } from '../helpers/dev-server';
import { fakeActivities } from '../helpers/fake-activities';
import { captureEvent, commerceEvent, commerceWebhook, uniqueOrderId } from '../helpers/fixtures';

const EventType = temporal.api.enums.v1.EventType;
// Windows far beyond the test: orders close here only when a test cancels them.
const WINDOWS = { orderTtlMs: 3_600_000, paymentCaptureWindowMs: 3_600_000, stepRetryBudgetMs: 60_000 };
const WAIT = { timeout: 60_000, interval: 100 };

let dev: TestDevServer;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
let events: OrderEventSink;
// One set of stand-ins for the whole file; each test reads only its own order's entries.
const fakes = fakeActivities();

beforeAll(async () => {
  [dev, bundle] = await Promise.all([startTestDevServer({ name: 'order-events' }), bundleWorkflows()]);
  client = dev.client;
  events = createTemporalOrderEvents({ client, windows: WINDOWS });
});

afterAll(async () => {
  await dev?.stop();
});

/** Runs `body` while a worker polls each task queue; outside it no workflow task is picked up. */
function withWorkers<T>(body: () => Promise<T>): Promise<T> {
  return withFakeWorkers(dev, bundle, fakes, body);
}

async function describeRun(workflowId: string) {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return { type: d.type, taskQueue: d.taskQueue, status: d.status.name, runId: d.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

async function completedRun(workflowId: string) {
  return vi.waitFor(async () => {
    const run = await describeRun(workflowId);
    expect(run?.status).toBe('COMPLETED');
    return run;
  }, WAIT);
}

/** An order whose workflow has run and completed: started by its webhook, cancelled through the Update. */
async function closedOrder(orderId: string): Promise<void> {
  expect(await events.commerceOrder(commerceEvent(orderId))).toBe('delivered');
  // As the support route sends it (src/temporal/order-commands.ts).
  await createTemporalOrderCommands(client).cancel(orderId, { reason: 'customer_request' });
  await completedRun(orderWorkflowId(orderId));
}

/** Every run Temporal's visibility lists whose workflow id starts with `prefix`, closed ones included. */
async function runsWithIdPrefix(prefix: string) {
  const runs: Array<{ workflowId: string; runId: string; status: string }> = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = '${LATE_EVENT_WORKFLOW_TYPE}'` })) {
    if (run.workflowId.startsWith(prefix)) runs.push({ workflowId: run.workflowId, runId: run.runId, status: run.status.name });
  }
  return runs;
}

describe('createTemporalOrderEvents on a real Temporal server', () => {
  it('starts order-{id} on the first event and joins it with a duplicate', async () => {
    const orderId = uniqueOrderId('ord-events');
    const workflowId = orderWorkflowId(orderId);
    expect(await describeRun(workflowId)).toBeNull();

    expect(await events.commerceOrder(commerceEvent(orderId))).toBe('delivered');
    const first = await describeRun(workflowId);
    expect(first).toMatchObject({ type: ORDER_WORKFLOW_TYPE, taskQueue: TASK_QUEUES.orders, status: 'RUNNING' });
    expect(await events.commerceOrder(commerceEvent(orderId))).toBe('delivered');
    expect(await events.paymentCapture(orderId, captureEvent(orderId))).toBe('delivered');

    // One run holds all three events: the start's own signal and the two that joined it.
    expect(await describeRun(workflowId)).toEqual(first);
    const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
    const eventsOf = (type: temporal.api.enums.v1.EventType) => (history?.events ?? []).filter((e) => e.eventType === type);
    expect(eventsOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)).toHaveLength(1);
    expect(eventsOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)).toEqual([
      'commerceOrderReceived',
      'commerceOrderReceived',
      'paymentCaptureReceived',
    ]);
    await client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('sends a capture for a completed order to late-capture-{rrn}, once: a redelivery does not start it again', async () => {
    const orderId = uniqueOrderId('ord-events');
    const rrn = `rrn-${orderId}`;
    const lateId = lateCaptureWorkflowId(rrn);
    await withWorkers(async () => {
      await closedOrder(orderId);
      const orderRun = await describeRun(orderWorkflowId(orderId));

      expect(await events.paymentCapture(orderId, captureEvent(orderId))).toBe('late_event');
      expect(await describeRun(lateId)).toMatchObject({ type: LATE_EVENT_WORKFLOW_TYPE, taskQueue: TASK_QUEUES.orders });
      const lateRun = await completedRun(lateId);
      expect(fakes.log.ledger.filter((r) => r.rrn === rrn)).toHaveLength(1);

      expect(await events.paymentCapture(orderId, captureEvent(orderId))).toBe('late_event');
      expect(await describeRun(lateId)).toEqual(lateRun);
      // The closed order itself was never restarted by either delivery.
      expect(await describeRun(orderWorkflowId(orderId))).toEqual(orderRun);
    });
    expect(fakes.log.ledger.filter((r) => r.rrn === rrn)).toHaveLength(1);
  });

  it('starts a late-capture workflow again when its previous run was terminated, and that run refunds', async () => {
    const orderId = uniqueOrderId('ord-events');
    const rrn = `rrn-${orderId}`;
    const lateId = lateCaptureWorkflowId(rrn);
    await withWorkers(() => closedOrder(orderId));

    // No worker polls now, so the first run is still waiting for its first task when an operator terminates it.
    expect(await events.paymentCapture(orderId, captureEvent(orderId))).toBe('late_event');
    const terminated = await describeRun(lateId);
    expect(terminated?.status).toBe('RUNNING');
    await client.workflow.getHandle(lateId).terminate('operator: stuck');
    expect((await describeRun(lateId))?.status).toBe('TERMINATED');

    expect(await events.paymentCapture(orderId, captureEvent(orderId))).toBe('late_event');
    const restarted = await describeRun(lateId);
    expect(restarted).toMatchObject({ type: LATE_EVENT_WORKFLOW_TYPE, status: 'RUNNING' });
    expect(restarted?.runId).not.toBe(terminated?.runId);

    await withWorkers(() => completedRun(lateId));
    expect(fakes.log.ledger.filter((r) => r.rrn === rrn)).toEqual([expect.objectContaining({ rrn, idempotencyKey: `refund-${rrn}` })]);
  });

  it('sends a webhook for a completed order to late-order-{id}-{digest}: one id per distinct body', async () => {
    const orderId = uniqueOrderId('ord-events');
    const prefix = `late-order-${orderId}-`;
    const otherBody = commerceWebhook(orderId, { order: { order_id: orderId, items: [{ item_id: 'itm-tee-navy-m', quantity: 5 }] } });
    await withWorkers(async () => {
      await closedOrder(orderId);
      const orderRun = await describeRun(orderWorkflowId(orderId));

      expect(await events.commerceOrder(commerceEvent(orderId, '2026-11-20T10:00:00.000Z'))).toBe('late_event');
      const [first] = await vi.waitFor(async () => {
        const runs = await runsWithIdPrefix(prefix);
        expect(runs).toHaveLength(1);
        return runs;
      }, WAIT);
      // The same body received again (at another time): the same workflow id, no second run.
      expect(await events.commerceOrder(commerceEvent(orderId, '2026-11-20T10:05:00.000Z'))).toBe('late_event');
      expect((await describeRun(first?.workflowId ?? ''))?.runId).toBe(first?.runId);
      expect(await events.commerceOrder({ receivedAt: '2026-11-20T10:06:00.000Z', payload: otherBody })).toBe('late_event');

      const runs = await vi.waitFor(async () => {
        const listed = await runsWithIdPrefix(prefix);
        expect(listed.map((r) => r.status)).toEqual(['COMPLETED', 'COMPLETED']);
        return listed;
      }, WAIT);
      expect(new Set(runs.map((r) => r.workflowId)).size).toBe(2);
      expect(runs.map((r) => r.workflowId)).toContain(first?.workflowId);
      expect(await describeRun(orderWorkflowId(orderId))).toEqual(orderRun);
    });
    expect(fakes.log.lateEvents.filter((e) => e.orderId === orderId)).toHaveLength(2);
  });
});
