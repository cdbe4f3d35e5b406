// The money paths of OrderWorkflow under races and retention (issue "Money-safe under backlog"; time judged by arrival
// under a worker backlog needs real time: test/integration/arrival-under-backlog.test.ts): captures rejected once and checked again, one completion wait, cancellation through Temporal, a closed
// order that stays closed, refunds and publishes that retry by themselves, bounded history. Races are driven with
// signals, Updates and held activities at the exact point, never with sleeps.
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it, vi } from 'vitest';
import { cancelOrder, correctOrder, getOrderState, type DashboardRecord } from '../../contracts';
import { PARKED_RETRY_FIRST_MS } from '../../workflows/order/parking';
import { HISTORY_LIMIT, REJECTED_CAPTURES_KEPT } from '../../workflows/order/order-record';
import { uniqueOrderId } from '../helpers/fixtures';
import { fakeActivities } from '../helpers/fake-activities';
import { DAY, eventually, gate, lastRecord, MINUTE, refusal, useOrderWorkflowHarness } from '../helpers/order-workflow-harness';

const harness = useOrderWorkflowHarness();
const { withWorkers, sendCommerce, sendCapture } = harness;

const mismatch = { valid: false as const, errors: [{ code: 'customer_mismatch' as const, detail: 'x' }] };
const items = [
  { item_id: 'itm-tee-navy-m', quantity: 2 },
  { item_id: 'itm-jeans-blue-32', quantity: 1 },
];
const correction = (orderId: string) => ({ customer_id: 'cus-007', order: { order_id: orderId, items }, note: '', agent: 'agent-ann' });

describe('a capture rejected once is not ignored for good', () => {
  it('accepts the right callback after one with a wrong amount for the same RRN', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ amounts: { [`rrn-${orderId}`]: 7_450 } }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId, { amount_cents: 745 });
      await eventually(handle, (s) => expect(s.rejectedCaptures.map((r) => r.reason)).toEqual([expect.stringMatching(/^amount_mismatch/)]));
      await sendCapture(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.published[0]?.payment_details.rrn).toBe(`rrn-${orderId}`);
    });
  });

  it('confirms a capture again when it is delivered again after the Payment API first said authorized', async () => {
    const orderId = uniqueOrderId();
    const rrn = `rrn-${orderId}`;
    await withWorkers({ rejectedRrns: { [rrn]: 'not_captured: payment status is authorized' } }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId);
      await eventually(handle, (s) => expect(s.rejectedCaptures).toHaveLength(1));
      delete fakes.behaviour.rejectedRrns?.[rrn];
      await sendCapture(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.confirmed).toEqual([rrn, rrn]);
    });
  });

  it('checks a rejected capture once more before cancelling: captured by then, the order is paid, not cancelled', async () => {
    const orderId = uniqueOrderId();
    const rrn = `rrn-${orderId}`;
    await withWorkers({ rejectedRrns: { [rrn]: 'payment_not_found: the Payment API has no RRN' } }, async (fakes) => {
      const handle = await sendCommerce(orderId, { paymentCaptureWindowMs: DAY, orderTtlMs: 2 * DAY });
      await sendCapture(orderId, {}, { paymentCaptureWindowMs: DAY, orderTtlMs: 2 * DAY });
      await eventually(handle, (s) => expect(s.rejectedCaptures).toHaveLength(1));
      // The Payment API catches up; the callback is never delivered again.
      delete fakes.behaviour.rejectedRrns?.[rrn];
      await harness.env.sleep(DAY + MINUTE);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.ledger).toEqual([]);
      expect(lastRecord(fakes)?.history.map((h) => h.reason)).toContain(`capture ${rrn} confirmed when checked again`);
    });
  });

  it('refunds a capture rejected at first but captured by the time the order expires: no money is kept', async () => {
    const orderId = uniqueOrderId();
    const late = 'rrn-authorized-first';
    await withWorkers({ validation: mismatch, rejectedRrns: { [late]: 'not_captured: payment status is authorized' } }, async (fakes) => {
      const handle = await sendCommerce(orderId, { orderTtlMs: DAY });
      await sendCapture(orderId, {}, { orderTtlMs: DAY });
      await sendCapture(orderId, { rrn: late, amount_cents: 1_000 }, { orderTtlMs: DAY });
      await eventually(handle, (s) => {
        expect(s.status).toBe('NEEDS_CORRECTION');
        expect(s.record.payment?.rrn).toBe(`rrn-${orderId}`);
        expect(s.rejectedCaptures.map((r) => r.rrn)).toEqual([late]);
      });
      delete fakes.behaviour.rejectedRrns?.[late];
      await harness.env.sleep(DAY + MINUTE);
      expect(await handle.result()).toEqual({ status: 'EXPIRED', orderId });
      expect(fakes.log.ledger.map((r) => r.rrn).sort()).toEqual([late, `rrn-${orderId}`].sort());
    });
  });
});

describe('one completion wait', () => {
  it('settles a capture that arrives during a correction cut short by a cancel: confirmed, then refunded', async () => {
    const orderId = uniqueOrderId();
    const heldCorrection = gate();
    const heldConfirmation = gate();
    const fakes = fakeActivities({ validation: mismatch, validateCorrection: () => ({ valid: true, placedAt: 'x' }) });
    await withWorkers(fakes, async () => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'NEEDS_CORRECTION' });
      // 1. A correction is being checked (held inside its enrichment) …
      fakes.behaviour.beforeEnrich = heldCorrection.wait;
      const enrichmentsBefore = fakes.log.enrichments;
      const correcting = handle.executeUpdate(correctOrder, { args: [correction(orderId)] });
      await vi.waitFor(() => expect(fakes.log.enrichments).toBe(enrichmentsBefore + 1));
      // 2. … the customer cancels: CANCELLED while the correction still runs …
      expect(await handle.executeUpdate(cancelOrder, { args: [{ reason: 'customer_request' }] })).toMatchObject({ status: 'CANCELLED' });
      // 3. … a valid capture arrives, and its confirmation is in flight (held) …
      fakes.behaviour.beforeConfirm = heldConfirmation.wait;
      await sendCapture(orderId);
      await vi.waitFor(() => expect(fakes.log.confirmed).toEqual([`rrn-${orderId}`]));
      // 4. … the correction ends (refused: the order closed) while the confirmation is still in flight.
      heldCorrection.open();
      expect(await refusal(correcting)).toBe('ORDER_TERMINAL');
      heldConfirmation.open();
      expect(await handle.result()).toEqual({ status: 'CANCELLED', orderId });
      expect(fakes.log.ledger).toEqual([expect.objectContaining({ rrn: `rrn-${orderId}`, reason: 'order_cancelled' })]);
    });
  });
});

describe('a cancellation requested through Temporal is a cancel like the route', () => {
  it('cancels an unpaid order: CANCELLED on the record, and the workflow completes (not Cancelled)', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      await handle.cancel();
      expect(await handle.result()).toEqual({ status: 'CANCELLED', orderId });
      expect(lastRecord(fakes)).toMatchObject({ status: 'CANCELLED', status_reason: 'cancel_requested_in_temporal' });
      expect((await handle.describe()).searchAttributes).toMatchObject({ OrderStatus: ['CANCELLED'] });
    });
  });

  it('refunds a capture confirmed after the cancellation, like any capture of a cancelled order', async () => {
    const orderId = uniqueOrderId();
    const held = gate();
    await withWorkers({ beforeConfirm: held.wait }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      await handle.cancel();
      await eventually(handle, { status: 'CANCELLED' });
      await sendCapture(orderId);
      await vi.waitFor(() => expect(fakes.log.confirmed).toHaveLength(1));
      held.open();
      expect(await handle.result()).toEqual({ status: 'CANCELLED', orderId });
      // The order's run may have completed before the capture came (its last write is a local activity, done in
      // the same workflow task): then the capture is a late event, refunded by its own workflow. Either way, once.
      await vi.waitFor(() => expect(fakes.log.ledger.map((r) => r.rrn)).toEqual([`rrn-${orderId}`]));
    });
  });

  it('refuses once a valid capture was accepted: the order goes on to FORWARDED, the refusal on its history', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ validation: mismatch, validateCorrection: () => ({ valid: true, placedAt: 'x' }) }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId);
      await eventually(handle, (s) => {
        expect(s.status).toBe('NEEDS_CORRECTION');
        expect(s.record.payment).toBeDefined();
      });
      await handle.cancel();
      await eventually(handle, (s) => expect(s.record.history.map((h) => h.reason)).toContainEqual(expect.stringMatching(/^cancellation requested in Temporal refused: payment already captured/)));
      await handle.executeUpdate(correctOrder, { args: [correction(orderId)] });
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.published).toHaveLength(1);
      expect(fakes.log.ledger).toEqual([]);
    });
  });

  it('old behaviour guard: the workflow never ends as Cancelled', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async () => {
      const handle = await sendCapture(orderId);
      await eventually(handle, { status: 'AWAITING_ORDER' });
      await handle.cancel();
      const outcome = await handle.result().catch((err: unknown) => err);
      expect(outcome).not.toBeInstanceOf(WorkflowFailedError);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    });
  });
});

describe('a closed order stays closed for ever', () => {
  function forwardedRecord(orderId: string): DashboardRecord {
    return {
      order_id: orderId,
      customer_id: 'cus-007',
      status: 'FORWARDED',
      status_reason: null,
      items: [],
      payment: { rrn: `rrn-${orderId}`, amount_cents: 7_450, captured_at: '2026-10-01T00:00:00.000Z' },
      validation_errors: [],
      submitted_at: '2026-10-01T00:00:00.000Z',
      expires_at: '2026-10-31T00:00:00.000Z',
      updated_at: '2026-10-02T00:00:00.000Z',
      history: [],
      parked_steps: [],
    };
  }

  it('a run started after retention finds the closure mark, reopens nothing, and refunds only a capture that never paid', async () => {
    const orderId = uniqueOrderId();
    // Temporal's retention dropped the FORWARDED run; the store still holds it closed.
    const fakes = fakeActivities({ closedOrders: { [orderId]: 'FORWARDED' } });
    fakes.log.saved.push({ record: forwardedRecord(orderId), revision: 1_000 });
    await withWorkers(fakes, async () => {
      const handle = await sendCapture(orderId);
      await handle.signal('paymentCaptureReceived', { receivedAt: await harness.receivedNow(), payload: { customer_id: 'cus-007', rrn: 'rrn-other', amount_cents: 500, metadata: { order_id: orderId } } });
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
    });
    // Its only write was the refused first one; nothing was validated, published or saved over the closed record.
    expect(fakes.log.refusedSaves).toHaveLength(1);
    expect(fakes.log.saved.map((s) => s.revision)).toEqual([1_000]);
    expect(fakes.log.published).toEqual([]);
    expect(fakes.log.validations).toBe(0);
    expect(fakes.log.ledger).toEqual([expect.objectContaining({ rrn: 'rrn-other', reason: 'order_forwarded: late capture' })]);
    expect(fakes.log.lateEvents.map((e) => e.reason)).toEqual([
      `capture rrn-${orderId} delivered again after the order closed: ignored`,
      'late capture rrn-other refunded (500 cents): the order is FORWARDED',
    ]);
  });
});

describe('money owed back never waits on a person', () => {
  it('a refund that keeps failing retries by itself; the order stays EXPIRED with the refund shown beside it', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ validation: mismatch, refundsDown: true }, async (fakes) => {
      const handle = await sendCapture(orderId, {}, { orderTtlMs: DAY, stepRetryBudgetMs: 10 * MINUTE });
      await sendCommerce(orderId, { orderTtlMs: DAY, stepRetryBudgetMs: 10 * MINUTE });
      await eventually(handle, { status: 'NEEDS_CORRECTION' });
      await harness.env.sleep(DAY + 11 * MINUTE);
      const parked = await eventually(handle, (s) => expect(s.parkedSteps.map((p) => p.step)).toEqual([`refund of rrn-${orderId}`]));
      expect(parked.status).toBe('EXPIRED');
      expect(parked.record).toMatchObject({ status: 'EXPIRED', status_reason: 'not_forwarded_in_time', parked_steps: [{ step: `refund of rrn-${orderId}` }] });
      expect(lastRecord(fakes)?.parked_steps).toHaveLength(1);

      fakes.behaviour.refundsDown = false;
      await harness.env.sleep(PARKED_RETRY_FIRST_MS + MINUTE);
      expect(await handle.result()).toEqual({ status: 'EXPIRED', orderId });
      expect(fakes.log.ledger.map((r) => r.rrn)).toEqual([`rrn-${orderId}`]);
      expect(lastRecord(fakes)).toMatchObject({ status: 'EXPIRED', parked_steps: [] });
    });
  });

  it('a publish parked after forwarding started never expires or refunds, and forwards by itself once Kafka is back', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ kafkaDown: true }, async (fakes) => {
      const handle = await sendCommerce(orderId, { orderTtlMs: DAY, paymentCaptureWindowMs: DAY, stepRetryBudgetMs: 5 * MINUTE });
      await sendCapture(orderId, {}, { orderTtlMs: DAY, paymentCaptureWindowMs: DAY, stepRetryBudgetMs: 5 * MINUTE });
      await eventually(handle, { status: 'FORWARDING' });
      await harness.env.sleep(DAY + 6 * MINUTE);
      const parked = await eventually(handle, { status: 'PARKED' });
      expect(parked.phase).toBe('FORWARDING');
      expect(fakes.log.ledger).toEqual([]);

      fakes.behaviour.kafkaDown = false;
      await harness.env.sleep(61 * MINUTE);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.published).toHaveLength(1);
      expect(fakes.log.ledger).toEqual([]);
    });
  });
});

describe('a store error that cannot heal is not an outage', () => {
  it('parks the order visibly when the store refuses its record for good, and goes on once the store takes it', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ storeRejects: true }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      const parked = await eventually(handle, (s) => expect(s.parkedSteps).toEqual([expect.objectContaining({ step: 'store write', error: expect.stringContaining('STORE_REJECTED') })]));
      expect(parked.status).toBe('PARKED');
      await vi.waitFor(async () => expect((await handle.describe()).searchAttributes).toMatchObject({ OrderStatus: ['PARKED'] }));
      expect(fakes.log.saved).toEqual([]);

      fakes.behaviour.storeRejects = false;
      await harness.env.sleep(PARKED_RETRY_FIRST_MS + MINUTE);
      await eventually(handle, { status: 'AWAITING_PAYMENT', parkedSteps: [] });
      await sendCapture(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
    });
  });
});

describe('bounded history', () => {
  it('keeps the record and the rejected captures bounded under a flood of distinct bad captures', async () => {
    const orderId = uniqueOrderId();
    const flood = 90;
    const rejectedRrns = Object.fromEntries(Array.from({ length: flood }, (_, i) => [`rrn-bad-${i}`, 'payment_not_found: no such RRN']));
    await withWorkers({ rejectedRrns }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      for (let i = 0; i < flood; i++) await sendCapture(orderId, { rrn: `rrn-bad-${i}` });
      const state = await eventually(handle, (s) => {
        expect(fakes.log.confirmed).toHaveLength(flood);
        expect(s.pendingCaptures).toEqual([]);
      });
      expect(state.rejectedCaptures).toHaveLength(REJECTED_CAPTURES_KEPT);
      expect(state.record.history.length).toBeLessThanOrEqual(HISTORY_LIMIT + 1);
      expect(state.record.history).toContainEqual(expect.objectContaining({ reason: expect.stringMatching(/^\d+ earlier entries omitted$/) }));
      // The first entries (how the order began) and the newest stay.
      expect(state.record.history[0]?.status).toBe('VALIDATING');
      expect(state.record.history.at(-1)?.reason).toBe(`capture rrn-bad-${flood - 1} rejected: payment_not_found: no such RRN`);
      expect(Math.max(...fakes.log.saved.map((s) => JSON.stringify(s.record).length))).toBeLessThan(20_000);
      await sendCapture(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
    });
  });
});

it('exposes the live state through the query', async () => {
  const orderId = uniqueOrderId();
  await withWorkers({}, async () => {
    const handle = await sendCommerce(orderId);
    const state = await eventually(handle, { status: 'AWAITING_PAYMENT' });
    expect(state).toMatchObject({ orderId, phase: 'AWAITING_PAYMENT', parkedSteps: [], pendingCaptures: [] });
    expect((await handle.query(getOrderState)).record.order_id).toBe(orderId);
    await handle.executeUpdate(cancelOrder, { args: [{ reason: 'done' }] });
  });
});
