// vNext's risk step (contract §10, issue 11 item 2) on the time-skipping test server with stand-in activities: a paid,
// enriched order is assessed before forwarding; approve goes on, review waits in RISK_REVIEW for an agent's decision
// (the decideRisk Update, refused by its validator when the order is not in review), reject cancels with reason
// risk_rejected and refunds the capture once. A Risk API that stays down parks the order like any other step.
// Races are driven with signals, Updates and the fakes' switches, never with sleeps (env.sleep skips server time).
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { describe, expect, it, vi } from 'vitest';
import { cancelOrder, correctOrder, decideRisk, getOrderState, retryParkedSteps, type DashboardRecord } from '../../contracts';
import type { RiskAssessmentRequest } from '../../src/clients/risk-api';
import { fakeActivities, type FakeBehaviour } from '../helpers/fake-activities';
import { uniqueOrderId } from '../helpers/fixtures';
import { DAY, eventually, gate, lastRecord, MINUTE, refusal, statusesOnRecord, useOrderWorkflowHarness } from '../helpers/order-workflow-harness';

const harness = useOrderWorkflowHarness();
const { withWorkers, sendCommerce, sendCapture } = harness;

const ENRICHED = [
  { item_id: 'itm-tee-navy-m', quantity: 2, sku_id: 'SKU-itm-tee-navy-m', brand_code: 'ACME' },
  { item_id: 'itm-jeans-blue-32', quantity: 1, sku_id: 'SKU-itm-jeans-blue-32', brand_code: 'ACME' },
];

/** The stand-in activities, with the body of every risk assessment kept (the fake's log keeps only the order id). */
function fakesWithAssessments(behaviour: FakeBehaviour = {}) {
  const fakes = fakeActivities(behaviour);
  const assessments: RiskAssessmentRequest[] = [];
  const assess = fakes.orders.assessRisk.bind(fakes.orders);
  fakes.orders.assessRisk = async (input) => {
    assessments.push(JSON.parse(JSON.stringify(input)) as RiskAssessmentRequest);
    return assess(input);
  };
  return { fakes, assessments };
}

const reasons = (record: DashboardRecord | undefined) => (record?.history ?? []).map((h) => h.reason).filter((r): r is string => r !== undefined);

const { EventType } = temporal.api.enums.v1;
const UPDATE_EVENTS: readonly number[] = [
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
];

/** The Update events on the order's workflow history, by name: a validator's refusal writes none. */
async function updateEventsOf(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => UPDATE_EVENTS.includes(e.eventType ?? 0)).map((e) => EventType[e.eventType ?? 0] ?? String(e.eventType));
}

/** Brings an order the Risk API asked to review to RISK_REVIEW, webhook then capture. */
async function toRiskReview(orderId: string, overrides: Parameters<typeof sendCommerce>[1] = {}) {
  const handle = await sendCommerce(orderId, overrides);
  await eventually(handle, { status: 'AWAITING_PAYMENT' });
  await sendCapture(orderId, {}, overrides);
  await eventually(handle, { status: 'RISK_REVIEW' });
  return handle;
}

describe('approve: the order goes on', () => {
  it('forwards an approved order after exactly one assessment of the paid, enriched order', async () => {
    const orderId = uniqueOrderId();
    const { fakes, assessments } = fakesWithAssessments();
    await withWorkers(fakes, async () => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      expect(assessments).toEqual([]);
      await sendCapture(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(assessments).toEqual([{ order_id: orderId, customer_id: 'cus-007', amount_cents: 7_450, items: ENRICHED }]);
      expect(fakes.log.riskAssessments).toEqual([orderId]);
      expect(fakes.log.published).toHaveLength(1);
      expect(statusesOnRecord(fakes)).toEqual(['VALIDATING', 'ENRICHING', 'AWAITING_PAYMENT', 'ASSESSING_RISK', 'FORWARDING', 'FORWARDED']);
      expect(fakes.log.ledger).toEqual([]);
    });
  });

  it('takes the step too when the capture comes before the webhook (paid before enrichment)', async () => {
    const orderId = uniqueOrderId();
    const { fakes, assessments } = fakesWithAssessments();
    await withWorkers(fakes, async () => {
      const handle = await sendCapture(orderId);
      await eventually(handle, { status: 'AWAITING_ORDER' });
      await sendCommerce(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(assessments).toEqual([{ order_id: orderId, customer_id: 'cus-007', amount_cents: 7_450, items: ENRICHED }]);
      expect(statusesOnRecord(fakes)).toEqual(['AWAITING_ORDER', 'VALIDATING', 'ENRICHING', 'ASSESSING_RISK', 'FORWARDING', 'FORWARDED']);
      expect(fakes.log.published).toHaveLength(1);
    });
  });

  it('assesses a paid order corrected by support: the correction moves it to ASSESSING_RISK, then through the step', async () => {
    const orderId = uniqueOrderId();
    const mismatch = { valid: false as const, errors: [{ code: 'quantity_mismatch' as const, item_id: 'itm-tee-navy-m', detail: 'quantity 2, Commerce has 1' }] };
    const { fakes, assessments } = fakesWithAssessments({ validation: mismatch, validateCorrection: () => ({ valid: true, placedAt: 'x' }) });
    await withWorkers(fakes, async () => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId);
      await eventually(handle, (s) => {
        expect(s.status).toBe('NEEDS_CORRECTION');
        expect(s.record.payment).toBeDefined();
      });
      expect(assessments).toEqual([]);
      const items = [
        { item_id: 'itm-tee-navy-m', quantity: 1 },
        { item_id: 'itm-jeans-blue-32', quantity: 1 },
      ];
      const corrected = await handle.executeUpdate(correctOrder, { args: [{ customer_id: 'cus-007', order: { order_id: orderId, items }, note: 'one tee', agent: 'agent-ann' }] });
      expect(corrected).toMatchObject({ accepted: true, record: { status: 'ASSESSING_RISK' } });
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      // The corrected order is the one assessed.
      expect(assessments).toEqual([{ order_id: orderId, customer_id: 'cus-007', amount_cents: 7_450, items: [{ ...ENRICHED[0], quantity: 1 }, ENRICHED[1]] }]);
      expect(statusesOnRecord(fakes).slice(-4)).toEqual(['NEEDS_CORRECTION', 'ASSESSING_RISK', 'FORWARDING', 'FORWARDED']);
      expect(fakes.log.published.map((m) => m.items.find((i) => i.item_id === 'itm-tee-navy-m')?.quantity)).toEqual([1]);
    });
  });
});

describe('review: the order waits in RISK_REVIEW for an agent', () => {
  it('rests in RISK_REVIEW with the reasons, listed as such, and an approval forwards it with the agent on its history', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ riskDecisions: { [orderId]: 'review' } }, async (fakes) => {
      const handle = await toRiskReview(orderId);
      // What the support queue lists (listByStatus reads the store): the saved record, RISK_REVIEW with the reasons.
      await vi.waitFor(() => expect(lastRecord(fakes)).toMatchObject({ status: 'RISK_REVIEW', status_reason: expect.stringContaining('fake: decided by the test') }));
      expect(lastRecord(fakes)?.status_reason).toContain('0.9');
      await vi.waitFor(async () => expect((await handle.describe()).searchAttributes).toMatchObject({ OrderStatus: ['RISK_REVIEW'] }));
      expect(fakes.log.published).toEqual([]);

      const record = await handle.executeUpdate(decideRisk, { args: [{ decision: 'approve', agent: 'agent-ann', note: 'called the customer' }] });
      expect(['FORWARDING', 'FORWARDED']).toContain(record.status);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(reasons(lastRecord(fakes))).toContain('risk approved by agent-ann: called the customer');
      expect(lastRecord(fakes)?.status).toBe('FORWARDED');
      expect(fakes.log.published).toHaveLength(1);
      expect(fakes.log.riskAssessments).toEqual([orderId]);
      expect(fakes.log.ledger).toEqual([]);
      // The accepted decision is on the workflow's history (the control for the validator test below).
      expect(await updateEventsOf(handle)).toEqual(['EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED']);
    });
  });

  it('an agent rejection cancels with risk_rejected and refunds the capture exactly once', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ riskDecisions: { [orderId]: 'review' } }, async (fakes) => {
      const handle = await toRiskReview(orderId);
      const record = await handle.executeUpdate(decideRisk, { args: [{ decision: 'reject', agent: 'agent-bob', note: 'stolen card' }] });
      expect(record).toMatchObject({ status: 'CANCELLED', status_reason: 'risk_rejected' });
      expect(await handle.result()).toEqual({ status: 'CANCELLED', orderId });
      expect(lastRecord(fakes)).toMatchObject({ status: 'CANCELLED', status_reason: 'risk_rejected' });
      expect(reasons(lastRecord(fakes))).toContain('risk rejected by agent-bob: stolen card');
      expect(fakes.log.ledger).toEqual([{ rrn: `rrn-${orderId}`, amount_cents: 7_450, reason: 'order_cancelled: risk_rejected', idempotencyKey: `refund-rrn-${orderId}` }]);
      expect(fakes.log.published).toEqual([]);
    });
  });

  it('refuses a cancel while in RISK_REVIEW (the order is paid), and the order stays in review', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ riskDecisions: { [orderId]: 'review' } }, async (fakes) => {
      const handle = await toRiskReview(orderId);
      expect(await refusal(handle.executeUpdate(cancelOrder, { args: [{ reason: 'customer_request' }] }))).toBe('PAYMENT_ALREADY_CAPTURED');
      expect((await handle.query(getOrderState)).status).toBe('RISK_REVIEW');
      expect(fakes.log.ledger).toEqual([]);
      // It goes on once an agent decides.
      await handle.executeUpdate(decideRisk, { args: [{ decision: 'approve', agent: 'agent-ann', note: '' }] });
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(reasons(lastRecord(fakes))).toContain('risk approved by agent-ann');
      expect(fakes.log.ledger).toEqual([]);
    });
  });

  it('expires an order left in RISK_REVIEW past its TTL (not a minute before) and refunds it once', async () => {
    const orderId = uniqueOrderId();
    const windows = { orderTtlMs: DAY, paymentCaptureWindowMs: DAY };
    await withWorkers({ riskDecisions: { [orderId]: 'review' } }, async (fakes) => {
      const handle = await toRiskReview(orderId, windows);
      await harness.env.sleep(DAY - 2 * MINUTE);
      expect((await handle.query(getOrderState)).status).toBe('RISK_REVIEW');
      expect(fakes.log.ledger).toEqual([]);
      await harness.env.sleep(3 * MINUTE);
      expect(await handle.result()).toEqual({ status: 'EXPIRED', orderId });
      expect(lastRecord(fakes)).toMatchObject({ status: 'EXPIRED', status_reason: 'not_forwarded_in_time' });
      expect(fakes.log.ledger).toEqual([
        { rrn: `rrn-${orderId}`, amount_cents: 7_450, reason: 'order_expired: not_forwarded_in_time', idempotencyKey: `refund-rrn-${orderId}` },
      ]);
      expect(fakes.log.published).toEqual([]);
    });
  });
});

describe('RISK_REVIEW is a waiting phase like the others', () => {
  it('refunds a second valid payment that arrives in review, and the order goes on once approved', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ riskDecisions: { [orderId]: 'review' } }, async (fakes) => {
      const handle = await toRiskReview(orderId);
      await sendCapture(orderId, { rrn: 'rrn-second', amount_cents: 1_000 });
      await vi.waitFor(() => expect(fakes.log.ledger).toEqual([{ rrn: 'rrn-second', amount_cents: 1_000, reason: 'duplicate_payment', idempotencyKey: 'refund-rrn-second' }]));
      expect((await handle.query(getOrderState)).status).toBe('RISK_REVIEW');
      await handle.executeUpdate(decideRisk, { args: [{ decision: 'approve', agent: 'agent-ann', note: '' }] });
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.published.map((m) => m.payment_details.rrn)).toEqual([`rrn-${orderId}`]);
      expect(fakes.log.ledger.map((r) => r.rrn)).toEqual(['rrn-second']);
    });
  });

  it('refuses a cancellation requested through Temporal in review (paid), noting it, and stays in review', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ riskDecisions: { [orderId]: 'review' } }, async (fakes) => {
      const handle = await toRiskReview(orderId);
      await handle.cancel();
      const state = await eventually(handle, (s) => expect(reasons(s.record)).toContainEqual(expect.stringMatching(/^cancellation requested in Temporal refused: payment already captured/)));
      expect(state.status).toBe('RISK_REVIEW');
      await handle.executeUpdate(decideRisk, { args: [{ decision: 'reject', agent: 'agent-bob', note: '' }] });
      expect(await handle.result()).toEqual({ status: 'CANCELLED', orderId });
      expect(lastRecord(fakes)).toMatchObject({ status: 'CANCELLED', status_reason: 'risk_rejected' });
      expect(fakes.log.ledger.map((r) => r.rrn)).toEqual([`rrn-${orderId}`]);
    });
  });

  it('expires an order whose risk assessment is parked past its TTL, and refunds it once', async () => {
    const orderId = uniqueOrderId();
    const windows = { orderTtlMs: 120 * MINUTE, paymentCaptureWindowMs: 120 * MINUTE, stepRetryBudgetMs: 10 * MINUTE };
    await withWorkers({ riskDown: true }, async (fakes) => {
      const handle = await sendCommerce(orderId, windows);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      await sendCapture(orderId, {}, windows);
      await harness.env.sleep(11 * MINUTE);
      await eventually(handle, { status: 'PARKED', phase: 'ASSESSING_RISK' });
      // Parked, its retries go on by themselves until the TTL: then it expires, is refunded, and is no longer listed.
      await harness.env.sleep(120 * MINUTE);
      expect(await handle.result()).toEqual({ status: 'EXPIRED', orderId });
      expect(lastRecord(fakes)).toMatchObject({ status: 'EXPIRED', status_reason: 'not_forwarded_in_time', parked_steps: [] });
      expect(fakes.log.ledger.map((r) => [r.rrn, r.reason])).toEqual([[`rrn-${orderId}`, 'order_expired: not_forwarded_in_time']]);
      expect(fakes.log.published).toEqual([]);
    });
  });
});

describe('reject: the Risk API cancels the order', () => {
  it('cancels with risk_rejected, refunds the capture once, and publishes nothing', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ riskDecisions: { [orderId]: 'reject' } }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      await sendCapture(orderId);
      expect(await handle.result()).toEqual({ status: 'CANCELLED', orderId });
      expect(lastRecord(fakes)).toMatchObject({ status: 'CANCELLED', status_reason: 'risk_rejected' });
      expect(reasons(lastRecord(fakes))).toContainEqual(expect.stringMatching(/^rejected by the Risk API \(score 0\.9: fake: decided by the test\)$/));
      expect(fakes.log.ledger).toEqual([{ rrn: `rrn-${orderId}`, amount_cents: 7_450, reason: 'order_cancelled: risk_rejected', idempotencyKey: `refund-rrn-${orderId}` }]);
      expect(fakes.log.published).toEqual([]);
      expect(fakes.log.riskAssessments).toEqual([orderId]);
    });
  });
});

describe('the decision Update is validated before anything reaches history', () => {
  it('refuses a decision on an order not in review (ORDER_NOT_IN_RISK_REVIEW), with no Update event in its history', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      const savedBefore = fakes.log.saved.length;
      expect(await refusal(handle.executeUpdate(decideRisk, { args: [{ decision: 'approve', agent: 'agent-ann', note: '' }] }))).toBe('ORDER_NOT_IN_RISK_REVIEW');
      const state = await handle.query(getOrderState);
      expect(state.status).toBe('AWAITING_PAYMENT');
      expect(reasons(state.record).filter((r) => r.includes('risk'))).toEqual([]);
      expect(fakes.log.saved).toHaveLength(savedBefore);
      expect(await updateEventsOf(handle)).toEqual([]);

      // The order is not harmed: paid, it goes on through the step.
      await sendCapture(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.riskAssessments).toEqual([orderId]);
    });
  });

  it('refuses a second decision once the order left review: a late rejection never cancels an order being forwarded', async () => {
    const orderId = uniqueOrderId();
    const held = gate();
    const { fakes } = fakesWithAssessments({ riskDecisions: { [orderId]: 'review' } });
    const publish = fakes.orders.publishFulfillment.bind(fakes.orders);
    fakes.orders.publishFulfillment = async (input) => {
      await held.wait();
      return publish(input);
    };
    await withWorkers(fakes, async () => {
      const handle = await toRiskReview(orderId);
      const approved = await handle.executeUpdate(decideRisk, { args: [{ decision: 'approve', agent: 'agent-ann', note: '' }] });
      expect(approved.status).toBe('FORWARDING');
      // The publish is held: the order may be on Kafka at any moment, and the second decision is refused.
      expect(await refusal(handle.executeUpdate(decideRisk, { args: [{ decision: 'reject', agent: 'agent-bob', note: '' }] }))).toBe('ORDER_NOT_IN_RISK_REVIEW');
      held.open();
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(reasons(lastRecord(fakes)).filter((r) => /^risk (approved|rejected)/.test(r))).toEqual(['risk approved by agent-ann']);
      expect(fakes.log.published).toHaveLength(1);
      expect(fakes.log.ledger).toEqual([]);
    });
  });
});

describe('a Risk API that stays down parks the order like any other step', () => {
  it('parks past the step budget with "risk assessment" in parked_steps, and forwards on an operator retry once it is back', async () => {
    const orderId = uniqueOrderId();
    const budget = { stepRetryBudgetMs: 10 * MINUTE };
    await withWorkers({ riskDown: true }, async (fakes) => {
      const handle = await sendCommerce(orderId, budget);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      await sendCapture(orderId, {}, budget);
      await eventually(handle, { status: 'ASSESSING_RISK' });
      await harness.env.sleep(11 * MINUTE);
      const parked = await eventually(handle, { status: 'PARKED' });
      expect(parked.phase).toBe('ASSESSING_RISK');
      expect(parked.parkedSteps).toEqual([expect.objectContaining({ step: 'risk assessment' })]);
      expect(parked.record.parked_steps.map((p) => p.step)).toEqual(['risk assessment']);
      expect(lastRecord(fakes)).toMatchObject({ status: 'PARKED', parked_steps: [expect.objectContaining({ step: 'risk assessment' })] });
      expect(fakes.log.published).toEqual([]);
      const askedBefore = fakes.log.riskAssessments.length;
      expect(askedBefore).toBeGreaterThan(1);

      fakes.behaviour.riskDown = false;
      const resumed = await handle.executeUpdate(retryParkedSteps, { args: [{ agent: 'ops-olga' }] });
      expect(resumed.status).not.toBe('PARKED');
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.riskAssessments.length).toBe(askedBefore + 1);
      expect(fakes.log.published).toHaveLength(1);
      expect(lastRecord(fakes)).toMatchObject({ status: 'FORWARDED', parked_steps: [] });
      expect(fakes.log.ledger).toEqual([]);
    });
  });
});
