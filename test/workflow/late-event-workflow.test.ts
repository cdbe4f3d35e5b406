// LateEventWorkflow on the time-skipping test server: events for an order whose workflow already closed are recorded
// on its history once, and a valid late capture is refunded once — the closed order itself is never restarted.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lateCaptureWorkflowId, TASK_QUEUES, type DashboardRecord, type LateEventInput } from '../../contracts';
import { LateEventWorkflow } from '../../workflows';
import { PARKED_RETRY_FIRST_MS } from '../../workflows/order/parking';
import { captureEvent, commerceEvent, uniqueOrderId } from '../helpers/fixtures';
import { fakeActivities, type FakeBehaviour } from '../helpers/fake-activities';
import { bundleWorkflows } from '../helpers/dev-server';
import { createTimeSkippingEnv } from '../helpers/workflow-env';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

function closedRecord(orderId: string, status: 'CANCELLED' | 'EXPIRED' | 'FORWARDED', paidWith?: string): DashboardRecord {
  return {
    order_id: orderId,
    customer_id: 'cus-007',
    status,
    status_reason: status === 'CANCELLED' ? 'payment_not_captured' : null,
    items: [],
    ...(paidWith ? { payment: { rrn: paidWith, amount_cents: 7_450, captured_at: '2026-11-01T00:00:00.000Z' } } : {}),
    validation_errors: [],
    submitted_at: '2026-10-01T00:00:00.000Z',
    expires_at: '2026-10-31T00:00:00.000Z',
    updated_at: '2026-10-31T00:00:00.000Z',
    history: [],
    parked_steps: [],
  };
}

async function runLate(behaviour: FakeBehaviour, record: DashboardRecord, late: LateEventInput) {
  const fakes = fakeActivities(behaviour);
  fakes.log.saved.push({ record, revision: 9 });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUES.orders, workflowBundle: bundle, activities: fakes.orders });
  const outcome = await worker.runUntil(
    env.client.workflow.execute(LateEventWorkflow, { workflowId: `late-test-${late.eventId}-${uniqueOrderId()}`, taskQueue: TASK_QUEUES.orders, args: [late] }),
  );
  return { outcome, fakes };
}

describe('LateEventWorkflow', () => {
  it('refunds a valid capture that arrives after the order was CANCELLED, and records it on the history', async () => {
    const orderId = uniqueOrderId();
    const capture = captureEvent(orderId, { rrn: 'rrn-late-1' });
    const { outcome, fakes } = await runLate({}, closedRecord(orderId, 'CANCELLED'), {
      orderId,
      eventId: 'capture:rrn-late-1',
      event: { kind: 'payment', ...capture },
    });
    expect(outcome).toBe('capture_refunded');
    expect(fakes.log.ledger).toEqual([{ rrn: 'rrn-late-1', amount_cents: 7_450, reason: 'order_cancelled: late capture', idempotencyKey: 'refund-rrn-late-1' }]);
    expect(fakes.log.lateEvents).toEqual([{ orderId, eventId: 'capture:rrn-late-1', at: expect.any(String), reason: 'late capture rrn-late-1 refunded (7450 cents): the order is CANCELLED' }]);
  });

  it('refunds a valid late capture on an EXPIRED order', async () => {
    const orderId = uniqueOrderId();
    const { outcome, fakes } = await runLate({}, closedRecord(orderId, 'EXPIRED'), {
      orderId,
      eventId: 'capture:rrn-late-2',
      event: { kind: 'payment', ...captureEvent(orderId, { rrn: 'rrn-late-2' }) },
    });
    expect(outcome).toBe('capture_refunded');
    expect(fakes.log.ledger.map((r) => r.reason)).toEqual(['order_expired: late capture']);
  });

  it('does not refund a late capture the Payment API does not confirm; it is recorded as rejected', async () => {
    const orderId = uniqueOrderId();
    const { outcome, fakes } = await runLate({ rejectedRrns: { 'rrn-void': 'not_captured: payment status is voided' } }, closedRecord(orderId, 'CANCELLED'), {
      orderId,
      eventId: 'capture:rrn-void',
      event: { kind: 'payment', ...captureEvent(orderId, { rrn: 'rrn-void' }) },
    });
    expect(outcome).toBe('capture_rejected');
    expect(fakes.log.ledger).toEqual([]);
    expect(fakes.log.lateEvents[0]?.reason).toContain('not_captured');
  });

  it('ignores the paid capture delivered again after the order was FORWARDED (no refund)', async () => {
    const orderId = uniqueOrderId();
    const { outcome, fakes } = await runLate({}, closedRecord(orderId, 'FORWARDED', `rrn-${orderId}`), {
      orderId,
      eventId: `capture:rrn-${orderId}`,
      event: { kind: 'payment', ...captureEvent(orderId) },
    });
    expect(outcome).toBe('duplicate_capture');
    expect(fakes.log.ledger).toEqual([]);
    expect(fakes.log.confirmed).toEqual([]);
  });

  it('records a late commerce webhook on the closed order, once', async () => {
    const orderId = uniqueOrderId();
    const { outcome, fakes } = await runLate({}, closedRecord(orderId, 'FORWARDED', 'rrn-x'), {
      orderId,
      eventId: 'commerce:abc',
      event: { kind: 'commerce', ...commerceEvent(orderId) },
    });
    expect(outcome).toBe('recorded');
    expect(fakes.log.lateEvents.map((e) => e.reason)).toEqual(['late commerce webhook after the order closed: ignored']);
  });

  it('never fails on a failing step: it parks on the order\'s record, retries by itself, and the late refund is made', async () => {
    const orderId = uniqueOrderId();
    const contractViolation = ApplicationFailure.nonRetryable('Payment API answered 200 with no status', 'UPSTREAM_CONTRACT_VIOLATION');
    const fakes = fakeActivities({ confirmFailure: contractViolation });
    fakes.log.saved.push({ record: closedRecord(orderId, 'CANCELLED'), revision: 9 });
    const late: LateEventInput = { orderId, eventId: 'capture:rrn-late-3', event: { kind: 'payment', ...captureEvent(orderId, { rrn: 'rrn-late-3' }) } };
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUES.orders, workflowBundle: bundle, activities: fakes.orders });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(LateEventWorkflow, { workflowId: lateCaptureWorkflowId(`rrn-late-3-${orderId}`), taskQueue: TASK_QUEUES.orders, args: [late] });
      // Parked, visibly: the closed order's record lists the step, and its history says why.
      // (The mark and the note are two writes in sequence: wait for both.)
      await vi.waitFor(
        () => {
          expect(fakes.log.parkedMarks).toEqual([{ orderId, step: 'late capture rrn-late-3', parked: expect.objectContaining({ error: expect.stringContaining('UPSTREAM_CONTRACT_VIOLATION') }) }]);
          expect(fakes.log.lateEvents.map((e) => e.reason)).toEqual([expect.stringMatching(/^late capture rrn-late-3 parked: .*UPSTREAM_CONTRACT_VIOLATION/)]);
        },
        { timeout: 20_000 },
      );
      expect((await handle.describe()).status.name).toBe('RUNNING');

      // The Payment API is fixed; nobody retries by hand: the next automatic retry refunds, and the mark is cleared.
      delete fakes.behaviour.confirmFailure;
      await env.sleep(PARKED_RETRY_FIRST_MS + 60_000);
      expect(await handle.result()).toBe('capture_refunded');
    });
    expect(fakes.log.ledger).toEqual([expect.objectContaining({ rrn: 'rrn-late-3', idempotencyKey: 'refund-rrn-late-3' })]);
    expect(fakes.log.parkedMarks.at(-1)).toEqual({ orderId, step: 'late capture rrn-late-3', parked: null });
    expect(fakes.log.lateEvents.map((e) => e.reason).at(-1)).toBe('late capture rrn-late-3 refunded (7450 cents): the order is CANCELLED');
  });
});
