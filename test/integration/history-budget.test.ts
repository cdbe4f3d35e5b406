// What one happy-path order costs in Temporal history events, in both arrival orders, started exactly as the
// gateway starts it (createTemporalOrderEvents). Temporal Cloud bills per action and a self-hosted cluster is sized by
// history writes, so the count is the service's running cost: this test keeps it within the budget of issue 9.
// (How fast orders go is a benchmark, `npm run bench -- e2e`; this only counts events, which is deterministic.)
import { temporal } from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OrderStatusAttribute, orderWorkflowId, type DashboardRecord } from '../../contracts';
import { createTemporalOrderEvents } from '../../src/temporal/order-events';
import { fakeActivities } from '../helpers/fake-activities';
import { captureEvent, commerceEvent, uniqueOrderId } from '../helpers/fixtures';
import { bundleWorkflows, startTestDevServer, withFakeWorkers, type TestDevServer } from '../helpers/dev-server';

/** Issue 9: at most 30 history events per happy-path order (it was about 70). */
const HAPPY_PATH_EVENT_BUDGET = 30;
const DAY = 24 * 60 * 60_000;
const WAIT = { timeout: 30_000, interval: 50 };

let dev: TestDevServer;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [dev, bundle] = await Promise.all([startTestDevServer({ name: 'history-budget' }), bundleWorkflows()]);
});

afterAll(async () => {
  await dev?.stop();
});

const EventType = temporal.api.enums.v1.EventType;

function eventName(type: number | null | undefined): string {
  return (EventType[type ?? 0] ?? String(type)).replace(/^EVENT_TYPE_/, '');
}

async function historyOf(orderId: string): Promise<string[]> {
  const history = await dev.client.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
  return (history.events ?? []).map((e) => eventName(e.eventType));
}

async function runHappyPath(first: 'webhook' | 'capture'): Promise<{ events: string[]; status: unknown }> {
  const orderId = uniqueOrderId(`ord-budget-${first}`);
  const events = createTemporalOrderEvents({ client: dev.client, windows: { orderTtlMs: 30 * DAY, paymentCaptureWindowMs: 30 * DAY } });
  const fakes = fakeActivities();
  return withFakeWorkers(dev, bundle, fakes, async () => {
    const handle = dev.client.workflow.getHandle(orderWorkflowId(orderId));
    // The second event comes only once the order rests after the first, the costliest timing: each event then has
    // a workflow task of its own (a burst, with both events queued together, makes fewer). The test watches the
    // store, as the dashboard does: a query would make the worker answer a task early and cost one of its own.
    const stored = (rests: (record: DashboardRecord) => boolean) => vi.waitFor(() => expect(fakes.log.saved.some((s) => rests(s.record))).toBe(true), WAIT);
    if (first === 'webhook') {
      await events.commerceOrder(commerceEvent(orderId));
      await stored((r) => r.status === 'AWAITING_PAYMENT');
      await events.paymentCapture(orderId, captureEvent(orderId));
    } else {
      await events.paymentCapture(orderId, captureEvent(orderId));
      await stored((r) => r.payment !== undefined);
      await events.commerceOrder(commerceEvent(orderId));
    }
    const outcome = (await handle.result()) as { status: string };
    const described = await handle.describe();
    return { events: await historyOf(orderId), status: { result: outcome.status, attribute: described.typedSearchAttributes.get(OrderStatusAttribute) } };
  });
}

describe('history events per happy-path order', () => {
  it.each(['webhook', 'capture'] as const)(`stays within ${HAPPY_PATH_EVENT_BUDGET} events when the %s arrives first, and ends FORWARDED`, async (first) => {
    const { events, status } = await runHappyPath(first);
    expect(status).toEqual({ result: 'FORWARDED', attribute: 'FORWARDED' });
    const tally = Object.entries(events.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e]: (acc[e] ?? 0) + 1 }), {}));
    // The tally is in the failure message: which kind of event went over the budget is the first thing to know.
    expect(events.length, `${events.length} events: ${tally.map(([e, n]) => `${e}×${n}`).join(', ')}`).toBeLessThanOrEqual(HAPPY_PATH_EVENT_BUDGET);
  });
});
