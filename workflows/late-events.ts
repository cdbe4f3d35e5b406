// What happens to an event for an order that has already closed: it is recorded on the order's history once, and a
// valid capture (not the one that paid the order) is refunded. A failing step parks visibly on the order's record
// and in the support queue, and retries by itself until it is done: a late refund is never lost.
import { ActivityFailure, ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import { ErrorType } from '../contracts/errors';
import type { LateEventInput } from '../contracts';
import type { OrderActivities } from '../activities';
import { ACTIVITY_OPTIONS, DEFAULT_STEP_RETRY_BUDGET_MS, stepOptions } from './activity-options';
import { ParkingLot } from './order/parking';

async function tolerateRejection<T>(what: string, orderId: string, write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === ErrorType.STORE_REJECTED)) throw err;
    log.error('late event: the store refused a write for good', { orderId, what, error: err.cause.message });
    return undefined;
  }
}

export type LateEventOutcome = 'recorded' | 'duplicate_capture' | 'capture_rejected' | 'capture_refunded';

export async function settleLateEvent(input: LateEventInput): Promise<LateEventOutcome> {
  const store = proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.dashboard);
  const payment = proxyActivities<OrderActivities>(stepOptions(DEFAULT_STEP_RETRY_BUDGET_MS).payment);
  const { orderId, eventId, event } = input;
  // A note the store refuses for good (STORE_REJECTED) is logged, not fatal: the money step must still happen.
  const record = (reason: string, id = eventId) =>
    tolerateRejection(`recording "${reason}"`, orderId, () => store.recordLateEvent({ orderId, eventId: id, at: new Date().toISOString(), reason }));

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
      const parked = parking.steps.find((p) => p.step === step) ?? null;
      await tolerateRejection(`marking ${step}`, orderId, () => store.markOrderParked({ orderId, step, parked }));
      await record(what, `${eventId}:attention:${++notes}`);
    },
    { orderId, rrn },
  );
  const run = <T>(attempt: () => Promise<T>) => parking.run(step, attempt);

  // Parked, not guessed, if the record cannot be read: without it the capture that paid cannot be told apart.
  const order = await run(() => store.readDashboardRecord(orderId));
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
