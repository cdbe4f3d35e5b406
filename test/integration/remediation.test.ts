// The remediation sweeper end to end on a real Temporal dev server and a real store (PGlite): its schedule is created
// once and updated in place, a run finds an order stuck in VALIDATING (and not one that just got there), an order of an
// earlier release judged by its start, a parked step, a refund owed and a terminated late-event run, keeps them as one
// snapshot, and the gateway shows them on /metrics and on GET /v1/support/remediation.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CustomerIdAttribute,
  LATE_EVENT_WORKFLOW_TYPE,
  lateCaptureWorkflowId,
  ORDER_WORKFLOW_TYPE,
  orderWorkflowId,
  OrderStatusAttribute,
  OrderStatusSinceAttribute,
  TASK_QUEUES,
  type LateEventInput,
  type OrderWorkflowInput,
} from '../../contracts';
import type { RemediationSnapshot, SweeperInput } from '../../contracts/remediation';
import { createRemediationActivities } from '../../activities';
import { sweeperInput } from '../../src/remediation/classify';
import { ensureRemediationSchedule } from '../../src/remediation/schedule';
import { createTemporalOrderEvents } from '../../src/temporal/order-events';
import { openDashboardStore, type DashboardStore } from '../../src/store/dashboard-store';
import { bearer, build, DEFAULT_SECRETS } from '../helpers/gateway-app';
import { bundleWorkflows, startTestDevServer, type TestDevServer } from '../helpers/dev-server';
import { captureEvent, commerceEvent, makeRecord, uniqueOrderId } from '../helpers/fixtures';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const WINDOWS = { orderTtlMs: 30 * DAY, paymentCaptureWindowMs: 30 * DAY, stepRetryBudgetMs: 30 * MIN };
/** A queue no worker polls: what is started there stays exactly where it was put, as an order nobody works on. */
const UNPOLLED = 'oms-remediation-test-unpolled';
const SCHEDULE_ID = 'oms-remediation-sweeper-test';
const WAIT = { timeout: 60_000, interval: 200 };

let dev: TestDevServer;
let bundle: WorkflowBundleWithSourceMap;
let store: DashboardStore;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'oms-remediation-'));
  [dev, bundle, store] = await Promise.all([
    startTestDevServer({ name: 'remediation' }),
    bundleWorkflows(),
    openDashboardStore({ dataDir: path.join(dataDir, 'dashboard') }),
  ]);
});

afterAll(async () => {
  await store?.close();
  await dev?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** An OrderWorkflow as the gateway starts one, showing `status` since `since` (none: an order of an earlier release). */
async function startOrder(orderId: string, status: 'VALIDATING' | 'AWAITING_PAYMENT', since: Date | undefined): Promise<void> {
  const input: OrderWorkflowInput = { orderId, orderTtlMs: WINDOWS.orderTtlMs, paymentCaptureWindowMs: WINDOWS.paymentCaptureWindowMs };
  await dev.client.workflow.start(ORDER_WORKFLOW_TYPE, {
    workflowId: orderWorkflowId(orderId),
    taskQueue: UNPOLLED,
    args: [input],
    typedSearchAttributes: [
      { key: OrderStatusAttribute, value: status },
      { key: CustomerIdAttribute, value: 'cus-007' },
      ...(since ? [{ key: OrderStatusSinceAttribute, value: since }] : []),
    ],
  });
}

describe('the remediation sweeper', () => {
  it('finds what needs a person, keeps it as one snapshot, and the gateway shows it', async () => {
    const now = Date.now();
    const stuck = uniqueOrderId('ord-stuck');
    const fresh = uniqueOrderId('ord-fresh');
    const legacy = uniqueOrderId('ord-legacy');
    await startOrder(stuck, 'VALIDATING', new Date(now - 60 * MIN));
    await startOrder(fresh, 'VALIDATING', new Date(now));
    await startOrder(legacy, 'AWAITING_PAYMENT', undefined);

    // The store's side: a parked step, a refund owed, and a refunded order that owes nothing.
    const parked = uniqueOrderId('ord-parked');
    const owed = uniqueOrderId('ord-owed');
    const refunded = uniqueOrderId('ord-refunded');
    const longAgo = new Date(now - 2 * 60 * MIN).toISOString();
    const parkedSince = new Date(now - 45 * MIN).toISOString();
    await store.save(makeRecord({ order_id: parked, customer_id: 'cus-007', status: 'PARKED', status_reason: 'enrichment: PIM down', parked_steps: [{ step: 'enrichment', error: 'PIM down', since: parkedSince }] }), 1);
    const payment = (rrn: string) => ({ rrn, amount_cents: 7_450, captured_at: longAgo });
    await store.save(makeRecord({ order_id: owed, customer_id: 'cus-007', status: 'EXPIRED', payment: payment(`RRN-${owed}`), updated_at: longAgo }), 1);
    await store.save(
      makeRecord({
        order_id: refunded,
        customer_id: 'cus-007',
        status: 'CANCELLED',
        payment: payment(`RRN-${refunded}`),
        updated_at: longAgo,
        history: [{ status: 'CANCELLED', at: longAgo, reason: `refunded 7450 cents of RRN-${refunded}: order_cancelled: customer asked` }],
      }),
      1,
    );

    // A late capture whose run was terminated: its refund may never have happened.
    const lateOrder = uniqueOrderId('ord-late');
    const lateInput: LateEventInput = { orderId: lateOrder, eventId: `capture:RRN-${lateOrder}`, event: { kind: 'payment', ...captureEvent(lateOrder, { rrn: `RRN-${lateOrder}` }) } };
    const late = await dev.client.workflow.start(LATE_EVENT_WORKFLOW_TYPE, {
      workflowId: lateCaptureWorkflowId(`RRN-${lateOrder}`),
      taskQueue: UNPOLLED,
      args: [lateInput],
      memo: { orderId: lateOrder },
    });
    await late.terminate('test: an operator terminated it');

    // The schedule: created once, then updated in place — one schedule, whatever the number of runs of the command.
    const input: SweeperInput = sweeperInput(WINDOWS, { REMEDIATION_THRESHOLDS: 'AWAITING_PAYMENT=1' });
    const options = { scheduleId: SCHEDULE_ID, intervalMs: 60 * MIN, input };
    expect(await ensureRemediationSchedule(dev.client, options)).toBe('created');
    expect(await ensureRemediationSchedule(dev.client, { ...options, intervalMs: 30 * MIN })).toBe('updated');
    const handle = dev.client.schedule.getHandle(SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(described.spec.intervals?.map((i) => i.every)).toEqual([30 * MIN]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'RemediationSweeperWorkflow', taskQueue: TASK_QUEUES.orders });
    await vi.waitFor(async () => {
      const ids: string[] = [];
      for await (const s of dev.client.schedule.list()) ids.push(s.scheduleId);
      expect(ids.filter((id) => id === SCHEDULE_ID)).toHaveLength(1);
    }, WAIT);

    // Visibility has what the sweep will look for before it runs.
    await vi.waitFor(async () => {
      const { count } = await dev.client.workflow.count(`WorkflowType = '${LATE_EVENT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Terminated'`);
      expect(count).toBe(1);
      expect((await dev.client.workflow.count(`WorkflowType = '${ORDER_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`)).count).toBe(3);
    }, WAIT);

    const worker = await Worker.create({
      connection: dev.native,
      taskQueue: TASK_QUEUES.orders,
      workflowBundle: bundle,
      activities: createRemediationActivities({ client: dev.client, store }),
    });
    const snapshot = await worker.runUntil(async () => {
      await handle.trigger();
      return vi.waitFor(async () => {
        const s = await store.latestRemediationSnapshot();
        expect(s).toBeDefined();
        return s as RemediationSnapshot;
      }, WAIT);
    });

    const stuckBy = Object.fromEntries(snapshot.stuck.map((t) => [t.status, t]));
    expect(stuckBy.VALIDATING).toMatchObject({ count: 1, threshold_seconds: 600 });
    expect(stuckBy.VALIDATING?.oldest_age_seconds).toBeGreaterThanOrEqual(60 * 60);
    expect(stuckBy.AWAITING_PAYMENT?.count).toBe(1);
    expect(stuckBy.FORWARDING).toMatchObject({ count: 0, oldest_age_seconds: 0 });
    expect(snapshot.parked_steps.count).toBe(1);
    expect(snapshot.parked_steps.oldest_age_seconds).toBeGreaterThanOrEqual(45 * 60);
    expect(snapshot.refunds_owed.count).toBe(1);
    expect(snapshot.late_event_failures.count).toBe(1);
    const of = (kind: string) => snapshot.findings.filter((f) => f.kind === kind);
    expect(of('stuck').map((f) => f.order_id).sort()).toEqual([legacy, stuck].sort());
    expect(of('stuck').find((f) => f.order_id === legacy)?.reason).toMatch(/no OrderStatusSince/);
    expect(of('parked_step')).toEqual([expect.objectContaining({ order_id: parked, status: 'PARKED', since: parkedSince, reason: 'enrichment parked: PIM down' })]);
    expect(of('refund_owed')).toEqual([expect.objectContaining({ order_id: owed, status: 'EXPIRED', reason: expect.stringContaining(`RRN-${owed}`) })]);
    expect(of('late_event_failure')).toEqual([expect.objectContaining({ order_id: lateOrder, status: 'TERMINATED', workflow_id: lateCaptureWorkflowId(`RRN-${lateOrder}`) })]);

    // The gateway reads the snapshot at scrape time and for support.
    const { app } = await build({ store });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('oms_remediation_stuck_orders{status="VALIDATING"} 1');
    expect(metrics).toContain('oms_remediation_stuck_orders{status="FORWARDING"} 0');
    expect(metrics).toMatch(/oms_remediation_oldest_stuck_age_seconds\{status="VALIDATING"\} \d{4,}/);
    expect(metrics).toContain('oms_remediation_parked_steps 1');
    expect(metrics).toMatch(/oms_remediation_oldest_parked_age_seconds \d{4,}/);
    expect(metrics).toContain('oms_remediation_refunds_owed 1');
    expect(metrics).toContain('oms_remediation_late_event_failures 1');
    expect(metrics).toContain(`oms_remediation_sweeper_last_run_timestamp_seconds ${Date.parse(snapshot.run_at) / 1000}`);

    const denied = await app.inject({ method: 'GET', url: '/v1/support/remediation' });
    expect(denied.statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/v1/support/remediation?kind=stuck', headers: bearer(DEFAULT_SECRETS.supportApiToken) });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ run_at: string; findings: Array<{ order_id: string; status: string; age_seconds: number; reason: string }> }>();
    expect(body.run_at).toBe(snapshot.run_at);
    const shown = body.findings.find((f) => f.order_id === stuck);
    expect(shown).toMatchObject({ status: 'VALIDATING', reason: expect.stringContaining('VALIDATING for longer than 600 s') });
    expect(shown?.age_seconds).toBeGreaterThanOrEqual(60 * 60);
    expect(body.findings.map((f) => f.order_id)).not.toContain(fresh);
  });

  it("starts an order with OrderStatusSince at the event's receipt, as the gateway does", async () => {
    const orderId = uniqueOrderId('ord-gateway');
    const receivedAt = new Date(Date.now() - 5 * MIN).toISOString();
    const events = createTemporalOrderEvents({ client: dev.client, windows: WINDOWS });
    // No worker polls now: the order stays as the gateway started it.
    expect(await events.commerceOrder(commerceEvent(orderId, receivedAt))).toBe('delivered');
    const handle = dev.client.workflow.getHandle(orderWorkflowId(orderId));
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(OrderStatusAttribute)).toBe('VALIDATING');
    expect(attributes.get(OrderStatusSinceAttribute)?.toISOString()).toBe(receivedAt);
    await handle.terminate('test: done');
  });
});
