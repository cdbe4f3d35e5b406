// OrderWorkflow on the time-skipping test server with stand-in activities: every branch of the lifecycle
// (contract §5/§6), including both 30-day windows at their edges, compensation, corrections, cancellation, parking.
// The money paths under backlog, races and retention have their own file, money-paths.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { cancelOrder, correctOrder, getOrderState, retryParkedSteps } from '../../contracts';
import { uniqueOrderId } from '../helpers/fixtures';
import { DAY, distinctStatuses, eventually, lastRecord, MINUTE, refusal, statusesOnRecord, useOrderWorkflowHarness } from '../helpers/order-workflow-harness';

const harness = useOrderWorkflowHarness();
const { withWorkers, sendCommerce, sendCapture } = harness;

describe('happy path', () => {
  it('forwards an order whose webhook comes before the capture', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      await sendCapture(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });

      expect(fakes.log.published).toEqual([
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
      // One write per change someone can see: where the order rested, and the forwarding (FORWARDING with the
      // payment, then FORWARDED). The phases it only passed through are on the record's history all the same.
      expect(distinctStatuses(fakes)).toEqual(['VALIDATING', 'AWAITING_PAYMENT', 'FORWARDING', 'FORWARDED']);
      expect(statusesOnRecord(fakes)).toEqual(['VALIDATING', 'ENRICHING', 'AWAITING_PAYMENT', 'ASSESSING_RISK', 'FORWARDING', 'FORWARDED']);
      // Revisions count up by one from the run's start time in ms × 1000: they cannot collide with another run's.
      const revisions = fakes.log.saved.map((s) => s.revision).sort((a, b) => a - b);
      const runStart = (await handle.describe()).startTime.getTime();
      expect(revisions).toEqual(revisions.map((_, i) => runStart * 1000 + i + 1));
      const last = lastRecord(fakes);
      expect(last?.payment).toMatchObject({ rrn: `rrn-${orderId}`, amount_cents: 7_450 });
      expect(last?.items.every((i) => i.sku_id && i.brand_code)).toBe(true);
      expect(Date.parse(last?.expires_at ?? '') - Date.parse(last?.submitted_at ?? '')).toBe(30 * DAY);
      expect(fakes.log.ledger).toEqual([]);
    });
  });

  it('forwards an order whose capture comes first, waiting in AWAITING_ORDER', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCapture(orderId);
      await eventually(handle, { status: 'AWAITING_ORDER' });
      expect(fakes.log.published).toHaveLength(0);
      await sendCommerce(orderId);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.published).toHaveLength(1);
      expect(distinctStatuses(fakes)).toEqual(['AWAITING_ORDER', 'VALIDATING', 'FORWARDING', 'FORWARDED']);
      expect(statusesOnRecord(fakes)).toEqual(['AWAITING_ORDER', 'VALIDATING', 'ENRICHING', 'ASSESSING_RISK', 'FORWARDING', 'FORWARDED']);
    });
  });

  it('keeps OrderStatus and CustomerId search attributes current', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async () => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      await vi.waitFor(async () => {
        const attributes = (await handle.describe()).searchAttributes;
        expect(attributes).toMatchObject({ OrderStatus: ['AWAITING_PAYMENT'], CustomerId: ['cus-007'] });
      });
      await sendCapture(orderId);
      await handle.result();
      expect((await handle.describe()).searchAttributes).toMatchObject({ OrderStatus: ['FORWARDED'] });
    });
  });
});

describe('duplicate and rejected events', () => {
  it('treats duplicate webhooks and captures as one: one message, one validation, one confirmation', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCapture(orderId);
      await sendCapture(orderId);
      await sendCommerce(orderId);
      await sendCommerce(orderId);
      await handle.result();
      expect(fakes.log.published).toHaveLength(1);
      expect(fakes.log.validations).toBe(1);
      expect(fakes.log.confirmed).toEqual([`rrn-${orderId}`]);
      expect((await handle.query(getOrderState)).duplicateEvents).toBe(2);
    });
  });

  it('records a rejected capture on the history and forwards on the next valid one', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ rejectedRrns: { 'rrn-bad': 'not_captured: payment status is authorized' } }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId, { rrn: 'rrn-bad' });
      const state = await eventually(handle, (s) => {
        expect(s.status).toBe('AWAITING_PAYMENT');
        expect(s.rejectedCaptures.map((r) => r.rrn)).toEqual(['rrn-bad']);
      });
      expect(state.record.history.some((h) => h.reason?.includes('capture rrn-bad rejected: not_captured'))).toBe(true);
      await sendCapture(orderId);
      await handle.result();
      expect(fakes.log.published[0]?.payment_details.rrn).toBe(`rrn-${orderId}`);
    });
  });

  it('refunds a second valid payment for an order that is already paid, and forwards once', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCapture(orderId);
      await sendCapture(orderId, { rrn: 'rrn-second', amount_cents: 1_000 });
      await sendCommerce(orderId);
      expect(await handle.result()).toMatchObject({ status: 'FORWARDED' });
      expect(fakes.log.published).toHaveLength(1);
      expect(fakes.log.ledger).toEqual([{ rrn: 'rrn-second', amount_cents: 1_000, reason: 'duplicate_payment', idempotencyKey: 'refund-rrn-second' }]);
    });
  });
});

describe('validation and support correction', () => {
  const mismatch = { valid: false as const, errors: [{ code: 'quantity_mismatch' as const, item_id: 'itm-tee-navy-m', detail: 'quantity 2, Commerce has 1' }] };

  it('parks an invalid order in NEEDS_CORRECTION with named reasons, then a valid correction lets it go on', async () => {
    const orderId = uniqueOrderId();
    const validateCorrection = (items: Array<{ item_id: string; quantity: number }>) =>
      items.find((i) => i.item_id === 'itm-tee-navy-m')?.quantity === 1 ? { valid: true as const, placedAt: 'x' } : mismatch;
    await withWorkers({ validation: mismatch, validateCorrection }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId);
      const parked = await eventually(handle, { status: 'NEEDS_CORRECTION' });
      expect(parked.record.validation_errors).toEqual(mismatch.errors);
      expect(parked.record.status_reason).toBe('quantity_mismatch');
      expect((await handle.describe()).searchAttributes).toMatchObject({ OrderStatus: ['NEEDS_CORRECTION'] });
      expect(fakes.log.published).toHaveLength(0);

      const correction = (quantity: number) => ({
        customer_id: 'cus-007',
        order: { order_id: orderId, items: [{ item_id: 'itm-tee-navy-m', quantity }, { item_id: 'itm-jeans-blue-32', quantity: 1 }] },
        note: 'customer confirmed one tee',
        agent: 'agent-ann',
      });
      const stillInvalid = await handle.executeUpdate(correctOrder, { args: [correction(3)] });
      expect(stillInvalid).toMatchObject({ accepted: false, errors: mismatch.errors, record: { status: 'NEEDS_CORRECTION' } });

      const accepted = await handle.executeUpdate(correctOrder, { args: [correction(1)] });
      expect(accepted.accepted).toBe(true);
      expect(accepted.record.validation_errors).toEqual([]);
      expect(await handle.result()).toMatchObject({ status: 'FORWARDED' });
      expect(fakes.log.published[0]?.items.find((i) => i.item_id === 'itm-tee-navy-m')?.quantity).toBe(1);
      expect(accepted.record.history.some((h) => h.reason?.includes('corrected by agent-ann'))).toBe(true);
    });
  });

  it('refuses a correction when the order is not awaiting one', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async () => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      const request = { customer_id: 'cus-007', order: { order_id: orderId, items: [{ item_id: 'x', quantity: 1 }] }, note: '', agent: 'a' };
      expect(await refusal(handle.executeUpdate(correctOrder, { args: [request] }))).toBe('ORDER_NOT_AWAITING_CORRECTION');
      await handle.terminate('test over');
    });
  });

  it('sends an order with an item unknown to PIM to NEEDS_CORRECTION naming the item', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ unknownItems: ['itm-jeans-blue-32'] }, async () => {
      const handle = await sendCommerce(orderId);
      const state = await eventually(handle, { status: 'NEEDS_CORRECTION' });
      expect(state.record.validation_errors).toEqual([{ code: 'item_unknown_in_pim', item_id: 'itm-jeans-blue-32', detail: 'unknown' }]);
      await handle.terminate('test over');
    });
  });
});

describe('cancellation', () => {
  it('cancels before a valid capture: the update answers the CANCELLED record', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      const record = await handle.executeUpdate(cancelOrder, { args: [{ reason: 'customer_request' }] });
      expect(record).toMatchObject({ status: 'CANCELLED', status_reason: 'customer_request' });
      expect(await handle.result()).toMatchObject({ status: 'CANCELLED' });
      expect(fakes.log.published).toHaveLength(0);
      expect(fakes.log.ledger).toHaveLength(0);
    });
  });

  it('refuses cancellation after a valid capture, and the order goes on to fulfillment', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ unknownItems: ['itm-jeans-blue-32'] }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId);
      await eventually(handle, (s) => {
        expect(s.record.payment).toBeDefined();
        expect(s.status).toBe('NEEDS_CORRECTION');
      });
      expect(await refusal(handle.executeUpdate(cancelOrder, { args: [{ reason: 'too late' }] }))).toBe('PAYMENT_ALREADY_CAPTURED');
      expect((await handle.query(getOrderState)).status).toBe('NEEDS_CORRECTION');

      // It goes on: PIM learns the item, the support team corrects the order, and it is forwarded, never refunded.
      fakes.behaviour.unknownItems = [];
      const items = [{ item_id: 'itm-tee-navy-m', quantity: 2 }, { item_id: 'itm-jeans-blue-32', quantity: 1 }];
      const corrected = await handle.executeUpdate(correctOrder, { args: [{ customer_id: 'cus-007', order: { order_id: orderId, items }, note: '', agent: 'agent-ann' }] });
      expect(corrected.accepted).toBe(true);
      expect(await handle.result()).toEqual({ status: 'FORWARDED', orderId });
      expect(fakes.log.published.map((m) => m.payment_details.rrn)).toEqual([`rrn-${orderId}`]);
      expect(fakes.log.ledger).toHaveLength(0);
    });
  });
});

describe('the 30-day windows', () => {
  it('cancels with payment_not_captured when no capture came: not a minute before 30 days, but a minute after', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      await harness.env.sleep(30 * DAY - MINUTE);
      expect((await handle.query(getOrderState)).status).toBe('AWAITING_PAYMENT');
      await harness.env.sleep(2 * MINUTE);
      expect(await handle.result()).toEqual({ status: 'CANCELLED', orderId });
      const last = lastRecord(fakes);
      expect(last).toMatchObject({ status: 'CANCELLED', status_reason: 'payment_not_captured' });
      expect(fakes.log.ledger).toHaveLength(0);
    });
  });

  it('expires a captured order never forwarded (never corrected) and refunds it once: not a minute before 30 days', async () => {
    const orderId = uniqueOrderId();
    const mismatch = { valid: false as const, errors: [{ code: 'customer_mismatch' as const, detail: 'x' }] };
    await withWorkers({ validation: mismatch }, async (fakes) => {
      const handle = await sendCommerce(orderId);
      await sendCapture(orderId);
      await eventually(handle, (s) => {
        expect(s.status).toBe('NEEDS_CORRECTION');
        expect(s.record.payment).toBeDefined();
      });
      await harness.env.sleep(30 * DAY - MINUTE);
      expect((await handle.query(getOrderState)).status).toBe('NEEDS_CORRECTION');
      expect(fakes.log.ledger).toHaveLength(0);
      await harness.env.sleep(2 * MINUTE);
      expect(await handle.result()).toEqual({ status: 'EXPIRED', orderId });
      expect(fakes.log.ledger).toEqual([
        { rrn: `rrn-${orderId}`, amount_cents: 7_450, reason: 'order_expired: not_forwarded_in_time', idempotencyKey: `refund-rrn-${orderId}` },
      ]);
      const last = lastRecord(fakes);
      expect(last?.status).toBe('EXPIRED');
      expect(last?.history.some((h) => h.reason?.startsWith(`refunded 7450 cents of rrn-${orderId}`))).toBe(true);
    });
  });

  it('expires a payment whose order never came, and refunds it', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCapture(orderId);
      await eventually(handle, (s) => expect(s.record.payment).toBeDefined());
      await harness.env.sleep(30 * DAY + MINUTE);
      expect(await handle.result()).toMatchObject({ status: 'EXPIRED' });
      expect(fakes.log.ledger.map((r) => r.rrn)).toEqual([`rrn-${orderId}`]);
    });
  });

  it('uses configured windows: a short capture window cancels before a longer TTL', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async (fakes) => {
      const handle = await sendCommerce(orderId, { paymentCaptureWindowMs: 2 * DAY, orderTtlMs: 10 * DAY });
      await eventually(handle, { status: 'AWAITING_PAYMENT', ttlDeadline: expect.any(String) });
      await harness.env.sleep(2 * DAY + MINUTE);
      expect(await handle.result()).toMatchObject({ status: 'CANCELLED' });
      expect(lastRecord(fakes)?.status_reason).toBe('payment_not_captured');
    });
  });

  it('refunds once even when the first refund answer is lost (retried with the same Idempotency-Key)', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ loseFirstRefundAnswer: true }, async (fakes) => {
      const handle = await sendCapture(orderId, {}, { orderTtlMs: DAY, paymentCaptureWindowMs: DAY });
      await eventually(handle, (s) => expect(s.record.payment).toBeDefined());
      await harness.env.sleep(DAY + MINUTE);
      expect(await handle.result()).toMatchObject({ status: 'EXPIRED' });
      expect(fakes.log.refundCalls).toHaveLength(2);
      expect(new Set(fakes.log.refundCalls.map((c) => c.idempotencyKey))).toEqual(new Set([`refund-rrn-${orderId}`]));
      expect(fakes.log.ledger).toHaveLength(1);
    });
  });
});

describe('parking after a step exhausts its retries', () => {
  it('parks when PIM is down past the retry budget, and resumes where it stopped on an operator retry', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ pimDown: true }, async (fakes) => {
      const handle = await sendCommerce(orderId, { stepRetryBudgetMs: 10 * MINUTE });
      await sendCapture(orderId, {}, { stepRetryBudgetMs: 10 * MINUTE });
      await eventually(handle, { status: 'ENRICHING' });
      await harness.env.sleep(11 * MINUTE);
      const parked = await eventually(handle, { status: 'PARKED' });
      expect(parked.parkedSteps).toEqual([expect.objectContaining({ step: 'enrichment' })]);
      expect(parked.record.status_reason).toMatch(/^enrichment: .*retry budget exhausted/);
      expect((await handle.describe()).searchAttributes).toMatchObject({ OrderStatus: ['PARKED'] });
      const validationsBefore = fakes.log.validations;

      fakes.behaviour.pimDown = false;
      const resumed = await handle.executeUpdate(retryParkedSteps, { args: [{ agent: 'ops-olga', note: 'PIM is back' }] });
      expect(resumed.status).not.toBe('PARKED');
      // The agent and their note go into the order's history, as with every support action.
      expect(resumed.history.map((h) => h.reason)).toContain('parked steps retried by ops-olga: PIM is back');
      expect(await handle.result()).toMatchObject({ status: 'FORWARDED' });
      // It resumed at enrichment: validation did not run again.
      expect(fakes.log.validations).toBe(validationsBefore);
      expect(fakes.log.published).toHaveLength(1);
    });
  });

  it('refuses a retry when nothing is parked', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async () => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      expect(await refusal(handle.executeUpdate(retryParkedSteps, { args: [{}] }))).toBe('ORDER_NOT_PARKED');
      await handle.terminate('test over');
    });
  });

  it('parks a publish the broker keeps refusing; the paid order cannot be cancelled and is forwarded after retry', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({ kafkaDown: true }, async (fakes) => {
      const handle = await sendCommerce(orderId, { stepRetryBudgetMs: 5 * MINUTE });
      await sendCapture(orderId, {}, { stepRetryBudgetMs: 5 * MINUTE });
      await eventually(handle, { status: 'FORWARDING' });
      await harness.env.sleep(6 * MINUTE);
      await eventually(handle, { status: 'PARKED' });
      expect(await refusal(handle.executeUpdate(cancelOrder, { args: [{ reason: 'x' }] }))).toBe('PAYMENT_ALREADY_CAPTURED');
      fakes.behaviour.kafkaDown = false;
      // Without an agent (an operator's script), the note says so.
      const resumed = await handle.executeUpdate(retryParkedSteps, { args: [{}] });
      expect(resumed.history.map((h) => h.reason)).toContain('parked steps retried by an operator');
      expect(await handle.result()).toMatchObject({ status: 'FORWARDED' });
      expect(fakes.log.published).toHaveLength(1);
    });
  });
});
