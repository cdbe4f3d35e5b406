// What happens to an event for an order that has already closed: it is recorded on the order's history once, and a
// valid capture (not the one that paid the order) is refunded. A failing step parks visibly on the order's record
// and in the support queue, and retries by itself until it is done: a late refund is never lost.
import { proxyActivities } from '@temporalio/workflow';
import type { LateEventInput } from '../contracts';
import type { OrderActivities } from '../activities';
import { ACTIVITY_OPTIONS, DEFAULT_STEP_RETRY_BUDGET_MS, stepOptions } from './activity-options';
import { ParkingLot } from './order/parking';

export type LateEventOutcome = 'recorded' | 'duplicate_capture' | 'capture_rejected' | 'capture_refunded';

export async function settleLateEvent(input: LateEventInput): Promise<LateEventOutcome> {
  const store = proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.dashboard);
  const payment = proxyActivities<OrderActivities>(stepOptions(DEFAULT_STEP_RETRY_BUDGET_MS).payment);
  const { orderId, eventId, event } = input;
  const record = (reason: string, id = eventId) => store.recordLateEvent({ orderId, eventId: id, at: new Date().toISOString(), reason });

  if (event.kind === 'commerce') {
    await record('late commerce webhook after the order closed: ignored');
    return 'recorded';
  }

  const { rrn, amount_cents } = event.payload;
  const step = `late capture ${rrn}`;
  let notes = 0;
  const parking: ParkingLot = new ParkingLot(
    async (what) => {
      // Shown beside the closed order's status and in the support queue until the step succeeds.
      await store.markOrderParked({ orderId, step, parked: parking.steps.find((p) => p.step === step) ?? null });
      await record(what, `${eventId}:attention:${++notes}`);
    },
    { orderId, rrn },
  );
  const run = <T>(attempt: () => Promise<T>) => parking.run(step, attempt);

  const order = await store.readDashboardRecord(orderId);
  if (order?.payment?.rrn === rrn) {
    // The capture that paid (and, if the order closed unforwarded, was refunded by) the order itself, delivered again.
    await record(`capture ${rrn} delivered again after the order closed: ignored`);
    return 'duplicate_capture';
  }
  const verdict = await run(() => payment.confirmCapture({ orderId, rrn, amountCents: amount_cents }));
  if (!verdict.accepted) {
    await record(`late capture ${rrn} rejected: ${verdict.reason}`);
    return 'capture_rejected';
  }
  const status = order?.status ?? 'closed';
  await run(() => payment.refundCapture({ rrn, amountCents: amount_cents, reason: `order_${status.toLowerCase()}: late capture` }));
  await record(`late capture ${rrn} refunded (${amount_cents} cents): the order is ${status}`);
  return 'capture_refunded';
}
